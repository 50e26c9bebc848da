"""Availability under attack, measured side by side with Oxigraph's own server.

    .venv/bin/python benchmarks/attacks.py [--build DIR] [--json FILE]

Starts `astana-kg serve` (defaults, `--timeout 10`) and `oxigraph serve-read-only` on the same
data (as benchmarks/endpoint.py prepares it) on 127.0.0.1, and for each server in turn:

- *runaways*: four queries that never end are sent and held; then twenty light queries (each
  unique, so no cache answers them) are timed one after the other;
- *idle and slow clients*: 200 connections that send nothing, 40 whose headers never end and 20
  whose body never comes are held open; then twenty light queries and twenty `/health` (ours) or
  `/` (Oxigraph) probes are timed;
- *memory hogs* (ours only: Oxigraph has no per-query memory cap, and these queries took it past
  6 GB): the two queries that needed most memory, with the peak resident memory (RSS) of the
  server's whole process tree sampled every 0.2 s.

It prints a markdown table: light-query latency (median, max) and failures in each scenario,
and the memory peak. Every request goes to 127.0.0.1; every loop is bounded in count and time.
Needs the `oxigraph` command in the virtual environment (`pip install oxigraph`).
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from endpoint import (BIN, HOST, MemorySampler, Server, SetupError, free_port, http_get,  # noqa: E402
                      prepare_oxigraph_store)

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
LIGHT = "# probe {n}\nASK { <https://w3id.org/astana-kg/id/russia> ?p ?o }"
MEMORY_HOGS = [
    "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f",
    "SELECT ?x WHERE { BIND('" + "x" * 32 + "' AS ?a0) "
    + " ".join(f"BIND(CONCAT(?a{i},?a{i}) AS ?a{i + 1})" for i in range(29)) + " BIND(?a29 AS ?x) }",
]


def timed(url: str, timeout: float = 10.0) -> tuple[float, bool]:
    started = time.monotonic()
    try:
        status = http_get(url, timeout=timeout)[0]
    except OSError:
        status = 0
    return time.monotonic() - started, status == 200


def light_queries(server: Server, count: int = 20) -> dict:
    results = [timed(server.base + server.url_for(LIGHT.replace("{n}", f"{time.monotonic_ns()}-{i}")))
               for i in range(count)]
    latencies = [t for t, _ in results]
    return {"median_ms": round(statistics.median(latencies) * 1000, 1), "max_ms": round(max(latencies) * 1000, 1),
            "failed": sum(1 for _, ok in results if not ok), "count": count}


def with_runaways(server: Server) -> dict:
    def runaway(index):
        timed(server.base + server.url_for(f"# runaway {index}\n{RUNAWAY}"), timeout=15)

    threads = [threading.Thread(target=runaway, args=(i,), daemon=True) for i in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)  # the runaways are under way (a benchmark may wait; the tests wait for states)
    measured = light_queries(server)
    for thread in threads:
        thread.join(20)
    return measured


def with_idle_and_slow_clients(server: Server, health: str) -> dict:
    held = []
    try:
        for _ in range(200):
            held.append(socket.create_connection((HOST, server.port)))
        for _ in range(40):
            s = socket.create_connection((HOST, server.port))
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1\r\n")
            held.append(s)
        for _ in range(20):
            s = socket.create_connection((HOST, server.port))
            s.sendall(f"POST {server.query_path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "Content-Type: application/sparql-query\r\nContent-Length: 100\r\n\r\nASK".encode())
            held.append(s)
        measured = light_queries(server)
        probes = [timed(server.base + health, timeout=5) for _ in range(20)]
        measured["probe_failed"] = sum(1 for _, ok in probes if not ok)
        measured["probe_max_ms"] = round(max(t for t, _ in probes) * 1000, 1)
        return measured
    finally:
        for s in held:
            s.close()


def memory_hogs(server: Server) -> dict:
    with MemorySampler({"tree": server.process.pid}) as sampler:
        statuses = [http_get(server.base + server.url_for(q), timeout=60)[0] for q in MEMORY_HOGS]
    return {"statuses": statuses, "peak_rss_mb": round(sampler.peak["tree"]["rss"] / 1e6, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, help="a build directory (default: build into a temporary one)")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="astana-kg-attacks-"))
    servers: list[Server] = []
    try:
        build = args.build
        if build is None:
            build = work / "build"
            subprocess.run([str(BIN / "astana-kg"), "build", "--out", str(build)], check=True,
                           stdout=subprocess.DEVNULL)
        build = build.resolve()
        oxigraph = shutil.which("oxigraph", path=str(BIN)) or shutil.which("oxigraph")
        if oxigraph is None:
            raise SetupError("no oxigraph command (pip install oxigraph)")
        prepare_oxigraph_store(oxigraph, build / "astana-kg.nq", work / "oxigraph")
        ours_port, theirs_port = free_port(), free_port()
        ours = Server("astana-kg", [str(BIN / "astana-kg"), "serve", "--build", str(build), "--host", HOST,
                                    "--port", str(ours_port), "--timeout", "10"],
                      ours_port, "/sparql", "/health", work / "ours.log")
        theirs = Server("oxigraph", [oxigraph, "serve-read-only", "--location", str(work / "oxigraph"),
                                     "--bind", f"{HOST}:{theirs_port}"],
                        theirs_port, "/query", "/", work / "theirs.log")
        report = {}
        for server, health in ((ours, "/health"), (theirs, "/")):
            servers.append(server)
            server.start()
            report[server.name] = {"quiet": light_queries(server), "runaways": with_runaways(server),
                                   "idle_and_slow_clients": with_idle_and_slow_clients(server, health)}
            if server is ours:
                report[server.name]["memory_hogs"] = memory_hogs(server)
            server.stop()
        print("| server | scenario | light queries median / max ms | failed | probes failed / max ms |")
        print("| --- | --- | --- | --- | --- |")
        for name, scenarios in report.items():
            for scenario, m in scenarios.items():
                if scenario == "memory_hogs":
                    continue
                probes = f"{m['probe_failed']} / {m['probe_max_ms']}" if "probe_failed" in m else ""
                print(f"| {name} | {scenario} | {m['median_ms']} / {m['max_ms']} | {m['failed']}/{m['count']} | {probes} |")
        hogs = report["astana-kg"]["memory_hogs"]
        print(f"\nmemory hogs on astana-kg: statuses {hogs['statuses']}, peak RSS of the process tree "
              f"{hogs['peak_rss_mb']} MB")
        if args.json:
            args.json.write_text(json.dumps(report, indent=2) + "\n")
        return 0
    except SetupError as error:
        print(f"attacks benchmark: {error}", file=sys.stderr)
        return 2
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
