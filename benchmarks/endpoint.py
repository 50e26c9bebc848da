"""Load-test our SPARQL endpoint against Oxigraph's own server, side by side, with wrk.

    .venv/bin/python benchmarks/endpoint.py [--duration 10] [--connections 8 32] [--json FILE]

It builds the graph (`astana-kg build`, into a temporary directory, unless `--build DIR` names a
build), loads the same dump into a fresh Oxigraph store (`oxigraph load`, then an update that
copies the merge of all named graphs into the default graph, as our build does, then `oxigraph
optimize`), and starts both servers on 127.0.0.1:

- ours: `astana-kg serve --build DIR` (granian; `--workers`, `--threads` and `--query-workers`
  are passed on when given), queries at `/sparql`;
- Oxigraph: `oxigraph serve-read-only --location DIR`, queries at `/query`.

Before the load it sends every query of queries/cq/*.rq to both (as it is, and with a nonce
comment) and reports any answer that is not 200, or whose row count differs between the two.
Then wrk drives each server in turn with `GET ?query=` requests (`Accept:
application/sparql-results+json`) cycling through those queries, at each number of connections,
in two modes: *repeated* (the same texts over and over, so caches may answer) and
*cache-bypassed* (a `# nonce N` comment line, unique per request, appended by the Lua script).
During each run it samples the resident memory of each server's process tree (the sum of VmRSS,
and of Pss, over the server process and all its descendants) from /proc every 0.2 s, and counts
the CPU time the tree spent (user and system, reaped descendants included) per request: a figure
that other work on the machine hardly moves, unlike requests per second.

It prints a markdown table (requests per second, p50/p99 latency, ours/Oxigraph ratios, peak
memory) and the verdicts against the targets: repeated >= 1.0x Oxigraph's throughput,
cache-bypassed >= 0.5x, our peak memory < 300 MB. `--json FILE` also writes every figure as
JSON. It exits 0 when it ran (the verdicts are printed, not exit codes) and 2 when it could not
run (a tool missing, a server that did not start). Both servers are stopped at the end, also on
Ctrl-C or an error. Every request goes to 127.0.0.1; nothing else is ever contacted.

Needs wrk (Debian: `apt-get install wrk`) and the `oxigraph` command (PyPI: `pip install
oxigraph`, the same version as pyoxigraph) in the virtual environment.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"  # the only address this benchmark ever sends anything to
ACCEPT = "application/sparql-results+json"
MERGE_INTO_DEFAULT_GRAPH = "INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"
COUNT_DEFAULT_GRAPH = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
SAMPLE_SECONDS = 0.2
MB = 1_000_000

TARGETS = {
    "repeated": 1.0,  # ours / Oxigraph requests per second, at least
    "cache-bypassed": 0.5,
}
MEMORY_TARGET_MB = 300.0  # our peak resident memory (sum of RSS over the process tree), below

MODES = {"repeated": "repeat", "cache-bypassed": "nonce"}

# wrk's Lua script. Arguments after `--`: a file of request paths (one URL-encoded query each),
# the mode ("repeat" or "nonce") and a tag that makes nonces unique across runs.
WRK_SCRIPT = r"""
local next_id = 1
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

local paths = {}
local mode, tag
local counter, index = 0, 0
local headers = { ["Accept"] = "application/sparql-results+json" }

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  mode, tag = args[2], args[3]
  index = ((id or 1) - 1) % #paths
end

function request()
  index = index % #paths + 1
  local path = paths[index]
  if mode == "nonce" then
    counter = counter + 1
    -- "\n# nonce TAG-THREAD-N": a comment line, so every request's query text differs
    path = path .. "%0A%23%20nonce%20" .. tag .. "-" .. id .. "-" .. counter
  end
  return wrk.format("GET", path, headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK-RESULT {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
"""


class SetupError(RuntimeError):
    """The benchmark cannot run: a tool is missing or a server did not start."""


class Interrupted(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C so that the servers are stopped."""


# --- process trees and their memory -------------------------------------------------------


def process_tree(root: int) -> list[int]:
    """The pid `root` and all its descendants, read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def _kb_field(path: str, name: str) -> int:
    try:
        with open(path) as lines:
            for line in lines:
                if line.startswith(name):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_memory(root: int) -> tuple[int, int, int]:
    """(sum of RSS, sum of PSS, process count) over the tree of `root`, in bytes."""
    pids = process_tree(root)
    rss = sum(_kb_field(f"/proc/{pid}/status", "VmRSS:") for pid in pids)
    pss = sum(_kb_field(f"/proc/{pid}/smaps_rollup", "Pss:") for pid in pids)
    return rss, pss, len(pids)


def tree_cpu_seconds(root: int) -> float:
    """CPU time (user and system) spent by the tree of ``root`` so far: each live process's own,
    and that of the descendants it has reaped (a recycled query process counts until it goes)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in process_tree(root):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        total += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return total / ticks


class MemorySampler:
    """Samples the memory of some process trees every 0.2 s until stopped; keeps the peaks."""

    def __init__(self, roots: dict[str, int]):
        self.roots = roots
        self.peak = {name: {"rss": 0, "pss": 0, "processes": 0} for name in roots}
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        for name, root in self.roots.items():
            rss, pss, count = tree_memory(root)
            peak = self.peak[name]
            peak["rss"] = max(peak["rss"], rss)
            peak["pss"] = max(peak["pss"], pss)
            peak["processes"] = max(peak["processes"], count)
        self.samples += 1

    def _run(self) -> None:
        while True:
            self._sample()
            if self._stop.wait(SAMPLE_SECONDS):
                return

    def __enter__(self) -> "MemorySampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


# --- servers ------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    command: list[str]
    port: int
    query_path: str  # "/sparql" or "/query"
    ready_path: str
    log: Path
    process: subprocess.Popen | None = None
    info: dict = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def url_for(self, query: str) -> str:
        return f"{self.query_path}?query={urllib.parse.quote(query, safe='')}"

    def start(self, timeout: float = 120.0) -> None:
        with open(self.log, "wb") as log:
            # A new session, so that the whole tree (the server's workers and their query
            # processes) can be stopped with one signal to its process group.
            self.process = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SetupError(f"{self.name} exited with {self.process.returncode} on start:\n{self.log_tail()}")
            try:
                if http_get(self.base + self.ready_path, timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SetupError(f"{self.name} did not answer on {self.base}{self.ready_path} within {timeout:.0f} s:\n"
                         f"{self.log_tail()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def http_get(url: str, timeout: float = 60.0, accept: str = ACCEPT) -> tuple[int, dict, bytes]:
    assert url.startswith(f"http://{HOST}:"), url
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def row_count(body: bytes) -> int | None:
    try:
        answer = json.loads(body)
    except ValueError:
        return None
    if "boolean" in answer:
        return 1
    return len(answer.get("results", {}).get("bindings", []))


def single_value(body: bytes) -> str | None:
    try:
        binding = json.loads(body)["results"]["bindings"][0]
        return next(iter(binding.values()))["value"]
    except (ValueError, KeyError, IndexError, StopIteration):
        return None


# --- set-up -------------------------------------------------------------------------------


def run(command: list, what: str) -> str:
    printable = " ".join(str(c) for c in command)
    print(f"+ {printable}", file=sys.stderr, flush=True)
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise SetupError(f"{what} failed ({result.returncode}): {printable}\n{result.stdout}{result.stderr}")
    return result.stdout


def find_tools(args) -> dict[str, str]:
    tools = {
        "astana-kg": args.astana_kg or str(BIN / "astana-kg"),
        "oxigraph": args.oxigraph or (str(BIN / "oxigraph") if (BIN / "oxigraph").exists() else shutil.which("oxigraph")),
        "wrk": args.wrk or shutil.which("wrk"),
    }
    hints = {
        "astana-kg": "python3 dev.py test (installs the project into .venv)",
        "oxigraph": f"{BIN / 'python'} -m pip install oxigraph==<pyoxigraph's version>",
        "wrk": "apt-get install -y wrk",
    }
    missing = [f"{name} (install: {hints[name]})" for name, path in tools.items()
               if not path or not Path(path).exists()]
    if missing:
        raise SetupError("missing: " + "; ".join(missing))
    return tools


def versions(tools: dict[str, str]) -> dict[str, str]:
    def first_line(*command: str) -> str:
        result = subprocess.run(command, capture_output=True, text=True)
        return (result.stdout or result.stderr).strip().splitlines()[0] if (result.stdout or result.stderr) else "?"

    try:
        import pyoxigraph
        pyox = pyoxigraph.__version__
    except ImportError:
        pyox = "not installed"
    return {
        "astana-kg": first_line(tools["astana-kg"], "--version"),
        "oxigraph": first_line(tools["oxigraph"], "--version"),
        "pyoxigraph": pyox,
        "wrk": first_line(tools["wrk"], "--version"),
        "python": sys.version.split()[0],
        "cpus": str(os.cpu_count()),
    }


def prepare_oxigraph_store(oxigraph: str, dump: Path, location: Path) -> None:
    """A fresh Oxigraph store with the dump, its default graph the merge of the named graphs."""
    run([oxigraph, "load", "--location", location, "--file", dump], "oxigraph load")
    run([oxigraph, "update", "--location", location, "--update", MERGE_INTO_DEFAULT_GRAPH], "oxigraph update")
    run([oxigraph, "optimize", "--location", location], "oxigraph optimize")


# --- checks before the load ---------------------------------------------------------------


def preflight(servers: list[Server], queries: dict[str, str]) -> dict:
    """Each query, as it is and with a nonce, must give 200 from every server; compare row counts."""
    report: dict = {"queries": {}, "problems": []}
    for name, text in queries.items():
        entry = {}
        for variant, query in (("plain", text), ("nonce", text.rstrip("\n") + "\n# nonce preflight-1\n")):
            for server in servers:
                started = time.perf_counter()
                try:
                    status, headers, body = http_get(server.base + server.url_for(query))
                except OSError as error:
                    status, headers, body = 0, {}, str(error).encode()
                seconds = time.perf_counter() - started
                entry[f"{server.name}:{variant}"] = {
                    "status": status, "rows": row_count(body) if status == 200 else None,
                    "seconds": round(seconds, 4), "x_cache": headers.get("X-Cache"),
                }
                if status != 200:
                    report["problems"].append(f"{name} ({variant}): {server.name} answered {status}: "
                                              f"{body[:200].decode(errors='replace')}")
        rows = {key: value["rows"] for key, value in entry.items() if key.endswith(":plain")}
        if len(set(rows.values())) > 1:
            report["problems"].append(f"{name}: row counts differ: {rows}")
        report["queries"][name] = entry
    for server in servers:
        status, _, body = http_get(server.base + server.url_for(COUNT_DEFAULT_GRAPH))
        report[f"{server.name}:default-graph-triples"] = single_value(body) if status == 200 else f"HTTP {status}"
    counts = {s.name: report[f"{s.name}:default-graph-triples"] for s in servers}
    if len(set(counts.values())) > 1:
        report["problems"].append(f"default graph sizes differ: {counts}")
    return report


def cache_behaviour(server: Server, query: str) -> dict:
    """What X-Cache says for a repeated text and for two texts that differ only by a nonce comment."""
    seen = {}
    for label, text in (("repeat-1", query), ("repeat-2", query),
                        ("nonce-a", query + "\n# nonce cache-check-a\n"),
                        ("nonce-b", query + "\n# nonce cache-check-b\n")):
        _, headers, _ = http_get(server.base + server.url_for(text))
        seen[label] = next((v for k, v in headers.items() if k.lower() == "x-cache"), None)  # any case
    return seen


# --- the load -----------------------------------------------------------------------------


def run_wrk(wrk: str, server: Server, script: Path, paths_file: Path, mode: str, tag: str,
            connections: int, threads: int, duration: float, timeout: float) -> dict:
    command = [wrk, "--threads", str(min(threads, connections)), "--connections", str(connections),
               "--duration", f"{max(1, round(duration))}s", "--timeout", f"{max(1, round(timeout))}s",
               "--script", str(script), server.base + server.query_path,
               "--", str(paths_file), MODES[mode], tag]
    assert server.base.startswith(f"http://{HOST}:")
    cpu_before = tree_cpu_seconds(server.process.pid)
    with MemorySampler({server.name: server.process.pid}) as sampler:
        result = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    cpu = tree_cpu_seconds(server.process.pid) - cpu_before
    lines = [line for line in result.stdout.splitlines() if line.startswith("WRK-RESULT ")]
    if result.returncode != 0 or not lines:
        raise SetupError(f"wrk failed ({result.returncode}): {' '.join(command)}\n{result.stdout}{result.stderr}")
    figures = json.loads(lines[-1].removeprefix("WRK-RESULT "))
    seconds = figures["duration_us"] / 1e6
    errors = figures["errors"]
    return {
        "server": server.name, "mode": mode, "connections": connections,
        "requests": figures["requests"], "seconds": round(seconds, 3),
        "rps": round(figures["requests"] / seconds, 1) if seconds else 0.0,
        "p50_ms": figures["latency_us"]["p50"] / 1000, "p90_ms": figures["latency_us"]["p90"] / 1000,
        "p99_ms": figures["latency_us"]["p99"] / 1000, "max_ms": figures["latency_us"]["max"] / 1000,
        "mean_ms": round(figures["latency_us"]["mean"] / 1000, 3),
        "non_2xx": errors["status"], "socket_errors": errors["connect"] + errors["read"] + errors["write"],
        "timeouts": errors["timeout"], "bytes": figures["bytes"],
        "peak_rss_mb": round(sampler.peak[server.name]["rss"] / MB, 1),
        "peak_pss_mb": round(sampler.peak[server.name]["pss"] / MB, 1),
        "processes": sampler.peak[server.name]["processes"], "memory_samples": sampler.samples,
        # CPU the server spent per request: unlike requests per second, it hardly moves with the
        # load of other work on the machine.
        "cpu_ms_per_request": round(cpu * 1000 / figures["requests"], 3) if figures["requests"] else None,
    }


# --- the report ---------------------------------------------------------------------------


def ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


def fmt_ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def summarise(results: list[dict], ours: str, theirs: str) -> tuple[list[dict], dict]:
    rows, verdicts = [], {}
    for mode in MODES:
        for connections in sorted({r["connections"] for r in results}):
            pair = {r["server"]: r for r in results if r["mode"] == mode and r["connections"] == connections}
            if ours not in pair or theirs not in pair:
                continue
            a, b = pair[ours], pair[theirs]
            row = {
                "mode": mode, "connections": connections, "ours": a, "oxigraph": b,
                "rps_ratio": ratio(a["rps"], b["rps"]),
                "p50_ratio": ratio(a["p50_ms"], b["p50_ms"]), "p99_ratio": ratio(a["p99_ms"], b["p99_ms"]),
            }
            rows.append(row)
            target = TARGETS[mode]
            met = row["rps_ratio"] is not None and row["rps_ratio"] >= target and a["non_2xx"] == 0
            verdicts[f"{mode} at {connections} connections >= {target:.1f}x"] = {
                "value": row["rps_ratio"], "met": met}
    ours_peak = max((r["peak_rss_mb"] for r in results if r["server"] == ours), default=0.0)
    verdicts[f"our peak memory < {MEMORY_TARGET_MB:.0f} MB"] = {"value": ours_peak, "met": ours_peak < MEMORY_TARGET_MB}
    return rows, verdicts


def markdown(rows: list[dict], verdicts: dict, results: list[dict], ours: str, theirs: str,
             idle: dict, duration: float) -> str:
    out = [f"Requests per second and latency, {duration:g} s per run "
           f"(ratio = ours / Oxigraph; for latency lower is better):", "",
           "| mode | conns | ours req/s | Oxigraph req/s | ratio | ours p50 ms | Oxigraph p50 ms "
           "| ours p99 ms | Oxigraph p99 ms | p99 ratio | non-2xx (ours/Oxigraph) |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in rows:
        a, b = row["ours"], row["oxigraph"]
        out.append(f"| {row['mode']} | {row['connections']} | {a['rps']:.0f} | {b['rps']:.0f} "
                   f"| {fmt_ratio(row['rps_ratio'])} | {a['p50_ms']:.1f} | {b['p50_ms']:.1f} "
                   f"| {a['p99_ms']:.1f} | {b['p99_ms']:.1f} | {fmt_ratio(row['p99_ratio'])} "
                   f"| {a['non_2xx'] + a['socket_errors'] + a['timeouts']}/"
                   f"{b['non_2xx'] + b['socket_errors'] + b['timeouts']} |")
    out += ["", "Resident memory of each server's process tree (sum over the server and its child processes):", "",
            "| server | idle RSS MB | peak RSS MB under load | peak PSS MB under load | processes |",
            "| --- | ---: | ---: | ---: | ---: |"]
    for name, label in ((ours, "ours (astana-kg serve)"), (theirs, "Oxigraph serve-read-only")):
        mine = [r for r in results if r["server"] == name] or [{"peak_rss_mb": 0.0, "peak_pss_mb": 0.0, "processes": 0}]
        out.append(f"| {label} | {idle[name]['rss_mb']:.1f} | {max(r['peak_rss_mb'] for r in mine):.1f} "
                   f"| {max(r['peak_pss_mb'] for r in mine):.1f} | {max(r['processes'] for r in mine)} |")
    out += ["", "Targets:", ""]
    for name, verdict in verdicts.items():
        value = verdict["value"]
        shown = f"{value:.1f} MB" if "memory" in name else fmt_ratio(value)
        out.append(f"- {name}: {shown} — {'met' if verdict['met'] else 'MISSED'}")
    return "\n".join(out)


# --- main ---------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per run (default 10)")
    parser.add_argument("--connections", type=int, nargs="+", default=[8, 32],
                        help="numbers of concurrent connections (default 8 32)")
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    parser.add_argument("--build", type=Path, help="use this build (made by `astana-kg build`) instead of building one")
    parser.add_argument("--queries", type=Path, nargs="+", help="query files (default: queries/cq/*.rq)")
    parser.add_argument("--workers", type=int, help="our server workers (default: astana-kg serve's)")
    parser.add_argument("--threads", type=int, help="threads per server worker (default: astana-kg serve's)")
    parser.add_argument("--query-workers", type=int, help="query processes per worker (default: astana-kg serve's)")
    parser.add_argument("--wrk-threads", type=int, default=1,
                        help="wrk threads (default 1: the machine's other core is left to the server)")
    parser.add_argument("--request-timeout", type=float, default=30.0, help="wrk's per-request timeout (s)")
    parser.add_argument("--port-ours", type=int, help="default: a free port")
    parser.add_argument("--port-oxigraph", type=int, help="default: a free port")
    parser.add_argument("--astana-kg", help="the astana-kg command (default: beside this Python)")
    parser.add_argument("--oxigraph", help="the oxigraph command (default: beside this Python, then PATH)")
    parser.add_argument("--wrk", help="the wrk command (default: from PATH)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (stores, logs)")
    parser.add_argument("--per-query", action="store_true",
                        help="also drive each query alone, in both modes, against each server in turn, and report "
                             "the ratios per query with their geometric mean and minimum")
    parser.add_argument("--skip-mix", action="store_true", help="with --per-query: leave out the mixed runs")
    return parser.parse_args(argv)


def benchmark(args: argparse.Namespace, work: Path, servers: list[Server]) -> dict:
    tools = find_tools(args)
    report: dict = {"versions": versions(tools), "duration_s": args.duration, "connections": args.connections,
                    "wrk_threads": args.wrk_threads, "serve_options": serve_options(args), "host": HOST}
    if report["versions"]["oxigraph"].split()[-1] != report["versions"]["pyoxigraph"]:
        print(f"note: oxigraph CLI {report['versions']['oxigraph']} differs from pyoxigraph "
              f"{report['versions']['pyoxigraph']} (ours)", file=sys.stderr)

    query_files = sorted(args.queries or (ROOT / "queries" / "cq").glob("*.rq"))
    if not query_files:
        raise SetupError("no query files: queries/cq/*.rq matched nothing")
    queries = {path.stem: path.read_text(encoding="utf-8") for path in query_files}
    report["queries"] = list(queries)

    build = args.build
    if build is None:
        build = work / "build"
        run([tools["astana-kg"], "build", "--out", build], "astana-kg build")
    dump = build / "astana-kg.nq"
    if not (build / "store").is_dir() or not dump.is_file():
        raise SetupError(f"{build} is not a build (no store/ or astana-kg.nq)")
    report["build"] = str(build)
    prepare_oxigraph_store(tools["oxigraph"], dump, work / "oxigraph-store")

    port = args.port_ours or free_port()
    ours = Server("ours", [tools["astana-kg"], "serve", "--host", HOST, "--port", str(port),
                           *serve_options(args), "--build", str(build)],
                  port, "/sparql", "/health", work / "ours.log")
    port = args.port_oxigraph or free_port()
    theirs = Server("oxigraph", [tools["oxigraph"], "serve-read-only", "--location", str(work / "oxigraph-store"),
                                 "--bind", f"{HOST}:{port}"],
                    port, "/query", "/query?query=" + urllib.parse.quote("ASK {}"), work / "oxigraph.log")
    servers.extend([ours, theirs])
    for server in servers:
        print(f"+ {' '.join(server.command)}", file=sys.stderr, flush=True)
        server.start()

    print("checking every query on both servers...", file=sys.stderr, flush=True)
    checks = preflight(servers, queries)
    report["preflight"] = checks
    report["cache"] = {s.name: cache_behaviour(s, next(iter(queries.values()))) for s in servers}
    time.sleep(1)
    report["idle_memory"] = {}
    for server in servers:
        rss, pss, count = tree_memory(server.process.pid)
        report["idle_memory"][server.name] = {"rss_mb": round(rss / MB, 1), "pss_mb": round(pss / MB, 1),
                                              "processes": count}

    script = work / "cycle.lua"
    script.write_text(WRK_SCRIPT)
    paths_files = {}
    for server in servers:
        paths_files[server.name] = work / f"paths-{server.name}.txt"
        paths_files[server.name].write_text("".join(server.url_for(q) + "\n" for q in queries.values()))

    results = []
    stamp = str(int(time.time()))
    for mode in ([] if args.per_query and args.skip_mix else MODES):
        for connections in args.connections:
            for server in servers:
                tag = f"{stamp}-{server.name}-{mode}-{connections}"
                print(f"wrk: {server.name}, {mode}, {connections} connections, {args.duration:g} s...",
                      file=sys.stderr, flush=True)
                result = run_wrk(tools["wrk"], server, script, paths_files[server.name], mode, tag,
                                 connections, args.wrk_threads, args.duration, args.request_timeout)
                results.append(result)
                if server.process.poll() is not None:
                    raise SetupError(f"{server.name} died during the load:\n{server.log_tail()}")
                time.sleep(1)
    report["runs"] = results
    rows, verdicts = summarise(results, ours.name, theirs.name)
    report["comparison"] = [{k: v for k, v in row.items() if k not in ("ours", "oxigraph")} for row in rows]
    report["verdicts"] = verdicts

    text = markdown(rows, verdicts, results, ours.name, theirs.name, report["idle_memory"], args.duration)
    problems = checks["problems"]
    text += "\n\nQueries checked before the load: " + (
        f"all {len(queries)} answered 200 on both servers, as they are and with a nonce, with the same row counts."
        if not problems else f"{len(problems)} problem(s):\n" + "\n".join(f"- {p}" for p in problems))
    text += (f"\n\nDefault graph: {checks['ours:default-graph-triples']} triples (ours), "
             f"{checks['oxigraph:default-graph-triples']} (Oxigraph). Our X-Cache for a repeated text, "
             f"then two nonces: {', '.join(str(v) for v in report['cache']['ours'].values())}.")
    v = report["versions"]
    text += (f"\n\n{v['astana-kg']}, pyoxigraph {v['pyoxigraph']}; {v['oxigraph']}; {v['wrk']}; "
             f"astana-kg serve {' '.join(serve_options(args)) or '(defaults)'}; wrk with {args.wrk_threads} thread(s); {v['cpus']} CPUs.")
    if args.per_query:
        per_query = run_per_query(tools, servers, queries, work, args, stamp)
        report["per_query"] = per_query
        text += "\n\n" + per_query["markdown"]
    report["markdown"] = text
    print(text)
    return report


PER_QUERY_TARGETS = {"repeated": (1.0, 0.7), "cache-bypassed": (0.7, 0.5)}  # (geometric mean, minimum)


def geometric_mean(values: list[float]) -> float | None:
    import math

    values = [v for v in values if v]
    return round(math.exp(sum(math.log(v) for v in values) / len(values)), 3) if values else None


def run_per_query(tools: dict, servers: list[Server], queries: dict[str, str], work: Path, args, stamp: str) -> dict:
    """Each query alone, each mode, each server in turn: the ratios per query, their geometric mean
    and minimum, against the targets (repeated: mean >= 1.0, none < 0.7; cold: mean >= 0.7,
    none < 0.5), and our peak memory (PSS) over all these runs."""
    script = work / "cycle.lua"
    connections = args.connections[0]
    table: dict[str, dict] = {}
    peak_pss = 0.0
    for name, text in queries.items():
        table[name] = {}
        for mode in MODES:
            pair = {}
            for server in servers:
                paths = work / f"one-{server.name}.txt"
                paths.write_text(server.url_for(text) + "\n")
                print(f"wrk: {name}, {server.name}, {mode}...", file=sys.stderr, flush=True)
                result = run_wrk(tools["wrk"], server, script, paths, mode, f"{stamp}-{name}-{server.name}-{mode}",
                                 connections, args.wrk_threads, args.duration, args.request_timeout)
                pair[server.name] = result
                if server.name == "ours":
                    peak_pss = max(peak_pss, result["peak_pss_mb"])
            table[name][mode] = {"ours_rps": pair["ours"]["rps"], "oxigraph_rps": pair["oxigraph"]["rps"],
                                 "ratio": ratio(pair["ours"]["rps"], pair["oxigraph"]["rps"]),
                                 "ours_cpu_ms": pair["ours"]["cpu_ms_per_request"],
                                 "oxigraph_cpu_ms": pair["oxigraph"]["cpu_ms_per_request"],
                                 "ours_non_2xx": pair["ours"]["non_2xx"]}
    verdicts = {}
    lines = [f"Per query ({connections} connections, {args.duration:g} s each; ours / Oxigraph requests per second):",
             "CPU ms per request: the server's whole process tree, ours / Oxigraph.", "",
             "| query | repeated | ratio | CPU ms | cold | ratio | CPU ms |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]

    def cpu(m):
        return f"{m['ours_cpu_ms'] or 0:.2f} / {m['oxigraph_cpu_ms'] or 0:.2f}"

    for name, modes in table.items():
        r, c = modes["repeated"], modes["cache-bypassed"]
        lines.append(f"| {name} | {r['ours_rps']:.0f} / {r['oxigraph_rps']:.0f} | {fmt_ratio(r['ratio'])} | {cpu(r)} | "
                     f"{c['ours_rps']:.0f} / {c['oxigraph_rps']:.0f} | {fmt_ratio(c['ratio'])} | {cpu(c)} |")
    for mode, (mean_target, min_target) in PER_QUERY_TARGETS.items():
        ratios = [modes[mode]["ratio"] for modes in table.values()]
        mean, low = geometric_mean(ratios), min((r for r in ratios if r is not None), default=None)
        verdicts[f"{mode}: geometric mean >= {mean_target}"] = {"value": mean, "met": mean is not None and mean >= mean_target}
        verdicts[f"{mode}: no query below {min_target}"] = {"value": low, "met": low is not None and low >= min_target}
        lines.append(f"| **{mode}: geometric mean {fmt_ratio(mean)}, minimum {fmt_ratio(low)}** | | | | | | |")
    verdicts[f"our peak PSS < {MEMORY_TARGET_MB:.0f} MB"] = {"value": peak_pss, "met": peak_pss < MEMORY_TARGET_MB}
    lines += ["", "Targets:"] + [f"- {k}: {v['value']} ({'met' if v['met'] else 'NOT met'})" for k, v in verdicts.items()]
    return {"table": table, "verdicts": verdicts, "markdown": "\n".join(lines)}


def serve_options(args) -> list[str]:
    """The `astana-kg serve` options the command line set (the others keep serve's defaults)."""
    options = []
    for name in ("workers", "threads", "query_workers"):
        value = getattr(args, name)
        if value is not None:
            options += ["--" + name.replace("_", "-"), str(value)]
    return options


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def on_sigterm(signum, frame):
        raise Interrupted()

    signal.signal(signal.SIGTERM, on_sigterm)
    work = Path(tempfile.mkdtemp(prefix="astana-kg-endpoint-bench-"))
    servers: list[Server] = []
    try:
        report = benchmark(args, work, servers)
        if args.json:
            args.json.write_text(json.dumps(report, indent=2) + "\n")
            print(f"\nwrote {args.json}", file=sys.stderr)
        return 0
    except SetupError as error:
        print(f"endpoint benchmark: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("endpoint benchmark: interrupted", file=sys.stderr)
        return 130
    finally:
        for server in servers:
            server.stop()
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
