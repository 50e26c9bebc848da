"""How the build and the competency queries scale with the corpus: build generated corpora of 1x,
10x and 100x the seeds (1000x with --thousand), time each stage, take the build's peak memory, fit
the growth exponents, time a rebuild of each size after editing one article (the build's cache
kept), and compare the competency queries' median latency on the seeds' build and on the largest
build.

    .venv/bin/python benchmarks/scale.py                  # 1x, 10x, 100x (5, 50, 500 articles)
    .venv/bin/python benchmarks/scale.py --sizes 1 10     # a quick look
    .venv/bin/python benchmarks/scale.py --thousand       # 1x, 10x, 100x and 1000x (5,000 articles)

Each build is `astana-kg build --root DIR` run as a process of its own, alone (one build at a time):
its stage times are the lines it prints per stage when its output is no terminal, its peak memory
the maximum resident set size the kernel reports for that process (os.wait4). The growth exponent
of a measure is the slope of log(measure) on log(articles), fitted by least squares over the sizes
run: 1 is linear, 2 quadratic. Each size is first built with its cache removed (a clean build);
then one claim is added to its first claim file (a new meeting, quoted with the words of the
file's first claim) and it is built again, the cache kept: the second table. The corpora are benchmarks/corpus.py's (the same seed, so the same
corpora, on every run); they and their builds are kept under --work (default: a temporary directory).

The competency queries (queries/cq/*.rq) run through pyoxigraph on the read-only store of each
build, --repeats times each after one warm-up run; the table gives the median of each. With
--serve they also go through `astana-kg serve` (its defaults, on 127.0.0.1), as GET requests each
made unique by a comment, so that no answer comes from a cache.

Most competency queries ask of every source at once, and their answers grow with the corpus (at
100x, 17 to 202 times the seeds' rows for eleven of the twelve). The same queries asked of one
source, the dataset given by the protocol (``default-graph-uri``: the source's graph, its inferred
graph and the graphs every source shares; ``named-graph-uri``: the source's graph), answer about as
many rows at every size: the last tables time them so, on the source of each build whose graph
answers the most of them (the first such), to show what the graph's size costs a question whose
answer does not grow.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import pyoxigraph as ox
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # noqa: E402  (benchmarks/corpus.py)
from endpoint import HOST, Server, free_port, http_get, row_count  # noqa: E402  (benchmarks/endpoint.py)

from astana_kg.namespaces import GRAPH, ONTOLOGY_GRAPH, PROVENANCE_GRAPH, SHARED_INFERRED_GRAPH, WIKIDATA_GRAPH  # noqa: E402
from astana_kg.pipeline.cache import cache_directory  # noqa: E402
from astana_kg.paths import project_root  # noqa: E402
from astana_kg.query.store import open_store  # noqa: E402

#: Articles in the seeds: size 1x.
SEED_ARTICLES = 5

STAGE_LINE = re.compile(r"astana-kg build: (\w+) (\d+\.\d+) s")


def run_build(root: Path, out: Path, log: Path) -> dict:
    """Build ``root`` into ``out`` in a process of its own; its wall time, stage times and peak RSS."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(project_root() / "server"),
                                                                    os.environ.get("PYTHONPATH")])))
    env.pop("FORCE_COLOR", None)  # the stage lines, not bars
    command = [sys.executable, "-m", "astana_kg.cli", "build", "--root", str(root), "--out", str(out)]
    with open(log, "w") as handle:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    text = log.read_text(encoding="utf-8")
    if child.returncode != 0:
        raise SystemExit(f"the build of {root} failed (exit {child.returncode}); see {log}:\n{text[-2000:]}")
    stages: dict[str, float] = {}
    for name, seconds in STAGE_LINE.findall(text):
        stages[name] = stages.get(name, 0.0) + float(seconds)
    # One inferred graph per source and one shared: the summary lists each with its triples.
    inferred = [int(n) for n in re.findall(r"^\s*(\d+)\s+https://w3id.org/astana-kg/graph/inferred/\S+$", text, re.MULTILINE)]
    return {"wall": wall, "stages": stages, "peak_rss_mb": usage.ru_maxrss / 1024,  # Linux: KiB
            "inferred": sum(inferred) if inferred else None, "log": log}


def edit_one_article(root: Path) -> Path:
    """Add a claim to the first claim file of ``root``: a new meeting, quoted with the words of the
    file's first claim (so that it holds), as a curator's edit of one article. The file it edited."""
    path = sorted((root / "data/claims").glob("*.yaml"))[0]
    text = path.read_text(encoding="utf-8")
    first = yaml.safe_load(text)["claims"][0]
    indent = re.search(r"^( *)- quote:", text, re.MULTILINE)[1]
    claim = [f"- quote: {json.dumps(first['quote'])}"]
    if "occurrence" in first:
        claim.append(f"  occurrence: {first['occurrence']}")
    claim += ["  facts: |", '    id:rebuild-benchmark-meeting a akg:Meeting ; rdfs:label "a meeting added to time a rebuild"@en .']
    path.write_text(text.rstrip("\n") + "\n" + "".join(indent + line + "\n" for line in claim), encoding="utf-8")
    return path


def cache_counts(log: Path) -> str:
    """The cache's hits and misses per stage, from the summary a build prints."""
    match = re.search(r"^cache \(hits/misses\): (.*)$", log.read_text(encoding="utf-8"), re.MULTILINE)
    return match[1] if match else "-"


def source_triples(log: Path) -> int:
    """The triples of the source graphs, from the summary a build prints."""
    return sum(int(n) for n in re.findall(r"^\s*(\d+)\s+https://w3id.org/astana-kg/graph/source/",
                                          log.read_text(encoding="utf-8"), re.MULTILINE))


def exponent(sizes: list[float], values: list[float]) -> float | None:
    """The least-squares slope of log(value) on log(size).

    >>> round(exponent([1, 10, 100], [2, 20, 200]), 3)
    1.0
    >>> round(exponent([1, 10], [1, 100]), 3)
    2.0
    """
    points = [(math.log(s), math.log(v)) for s, v in zip(sizes, values) if s > 0 and v > 0]
    if len(points) < 2:
        return None
    mx = statistics.fmean(x for x, _ in points)
    my = statistics.fmean(y for _, y in points)
    var = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / var if var else None


#: The graphs every source shares, in the dataset of a question asked of one source.
SHARED_GRAPHS = (PROVENANCE_GRAPH, GRAPH["labels"], ONTOLOGY_GRAPH, WIKIDATA_GRAPH, SHARED_INFERRED_GRAPH)


def competency_queries() -> list[Path]:
    files = sorted((project_root() / "queries/cq").glob("*.rq"))
    if not files:
        raise SystemExit("no competency queries found in queries/cq/")
    return files


def one_source(source: str) -> tuple[list[str], list[str]]:
    """The dataset of a question asked of ``source`` (its number, as in graph/source/003): the
    default graphs and the named graphs."""
    return ([str(GRAPH[f"source/{source}"]), str(GRAPH[f"inferred/{source}"])] + [str(g) for g in SHARED_GRAPHS],
            [str(GRAPH[f"source/{source}"])])


def _dataset(dataset: tuple[list[str], list[str]] | None) -> dict:
    if dataset is None:
        return {}
    default, named = dataset
    return {"default_graph": [ox.NamedNode(g) for g in default], "named_graphs": [ox.NamedNode(g) for g in named]}


def richest_source(build_dir: Path) -> str:
    """The source whose graph answers the most competency queries asked of it alone (the first
    such): the one the last tables ask."""
    store = open_store(build_dir)
    texts = [path.read_text(encoding="utf-8") for path in competency_queries()]
    prefix = str(GRAPH["source/"])
    sources = sorted(str(g.value)[len(prefix):] for g in store.named_graphs() if str(g.value).startswith(prefix))
    answered = {source: sum(1 for text in texts if any(True for _ in store.query(text, **_dataset(one_source(source)))))
                for source in sources}
    return max(sources, key=lambda source: (answered[source], -sources.index(source)))


def query_latencies(build_dir: Path, repeats: int,
                    dataset: tuple[list[str], list[str]] | None = None) -> dict[str, tuple[int, list[float]]]:
    """For each competency query: its row count, and the times in ms of ``repeats`` runs (over
    ``dataset``, default graphs and named graphs, if given)."""
    store, graphs = open_store(build_dir), _dataset(dataset)  # the graphs' terms made once, not timed
    results = {}
    for path in competency_queries():
        text = path.read_text(encoding="utf-8")
        rows = len(list(store.query(text, **graphs)))  # warm-up
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            for _ in store.query(text, **graphs):
                pass
            times.append((time.perf_counter() - started) * 1000)
        results[path.stem] = (rows, times)
    return results


def served_latencies(build_dir: Path, repeats: int, log: Path,
                     dataset: tuple[list[str], list[str]] | None = None) -> dict[str, tuple[int, list[float]]]:
    """The same through `astana-kg serve` over HTTP: the row count, and the times of the requests
    (each unique by a comment, so that no cache answers it; ``dataset`` as the protocol's
    ``default-graph-uri`` and ``named-graph-uri``)."""
    graphs = "" if dataset is None else "".join(
        f"&{name}={urllib.parse.quote(g, safe='')}"
        for name, given in (("default-graph-uri", dataset[0]), ("named-graph-uri", dataset[1])) for g in given)
    port = free_port()
    server = Server("astana-kg serve", [sys.executable, "-m", "astana_kg.cli", "serve", "--host", HOST,
                                        "--port", str(port), "--build", str(build_dir)],
                    port, "/sparql", "/health", log)
    results = {}
    try:
        server.start()
        for path in competency_queries():
            text = path.read_text(encoding="utf-8")
            times, rows = [], None
            for number in range(repeats + 1):
                started = time.perf_counter()
                status, _, body = http_get(server.base + server.url_for(f"{text}\n# run {number}") + graphs)
                elapsed = (time.perf_counter() - started) * 1000
                if status != 200:
                    raise SystemExit(f"{path.name}: astana-kg serve answered {status}: {body[:300]!r}")
                rows = row_count(body)
                if number:  # the first run warms up
                    times.append(elapsed)
            results[path.stem] = (rows, times)
    finally:
        server.stop()
    return results


def print_table(runs: dict[int, dict]) -> None:
    """The stage times, wall time and peak memory of each size, and their growth exponents."""
    stages = list(dict.fromkeys(name for run in runs.values() for name in run["stages"]))
    print()
    header = f"{'size':>6s} {'articles':>8s} {'triples':>9s} {'inferred':>9s} " + " ".join(f"{s:>9s}" for s in stages) \
        + f" {'wall s':>8s} {'peak MB':>8s}"
    print(header)
    for size, run in runs.items():
        print(f"{str(size) + 'x':>6s} {size * SEED_ARTICLES:8d} {run['triples']:9d} {run['inferred'] or 0:9d} "
              + " ".join(f"{run['stages'].get(s, 0.0):9.2f}" for s in stages)
              + f" {run['wall']:8.1f} {run['peak_rss_mb']:8.0f}")
    xs = [size * SEED_ARTICLES for size in runs]

    def fitted(values):
        slope = exponent(xs, values)
        return f"{slope:9.2f}" if slope is not None else f"{'-':>9s}"

    print(f"{'growth exponent':>35s} " + " ".join(fitted([r["stages"].get(s, 0.0) for r in runs.values()])
                                                 for s in stages)
          + f" {fitted([r['wall'] for r in runs.values()]).strip():>8s} "
          + f"{fitted([r['peak_rss_mb'] for r in runs.values()]).strip():>8s}")
    print(f"(slope of log time and log memory on log articles over {', '.join(f'{s}x' for s in runs)}; "
          f"source triples grow with exponent {fitted([r['triples'] for r in runs.values()]).strip()}, "
          f"inferred triples with {fitted([r['inferred'] or 0 for r in runs.values()]).strip()})")


def latency_table(title: str, seeds: dict, scaled: dict, largest: int) -> None:
    print(f"\n{title} (ms; rows)")
    print(f"{'query':40s} {'seeds':>14s} {f'{largest}x':>14s} {'ratio':>7s}")
    def line(name: str, ms: float, rows: str, big_ms: float, big_rows: str) -> str:
        return f"{name:40s} {ms:8.2f} {rows:>5s} {big_ms:8.2f} {big_rows:>5s} {big_ms / ms if ms else float('inf'):7.1f}"

    for name, (rows, times) in seeds.items():
        big_rows, big_times = scaled[name]
        print(line(name, statistics.median(times), str(rows), statistics.median(big_times), str(big_rows)))
    # p50: the median of every request of every query together.
    print(line("every request (p50)", statistics.median(t for _, times in seeds.values() for t in times), "",
               statistics.median(t for _, times in scaled.values() for t in times), ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 100],
                        help="multiples of the seeds to build (1x = 5 articles; default 1 10 100)")
    parser.add_argument("--thousand", action="store_true", help="also build 1000x (5,000 articles)")
    parser.add_argument("--seed", type=int, default=1, help="the corpus generator's seed (default 1)")
    parser.add_argument("--repeats", type=int, default=20, help="runs of each competency query (default 20)")
    parser.add_argument("--serve", action="store_true", help="also time the queries through astana-kg serve")
    parser.add_argument("--work", type=Path, help="keep the corpora and builds here (default: a temporary directory)")
    args = parser.parse_args()
    sizes = sorted(set(args.sizes + ([1000] if args.thousand else [])))
    work = args.work or Path(tempfile.mkdtemp(prefix="astana-kg-scale-"))
    work.mkdir(parents=True, exist_ok=True)

    runs, rebuilds = {}, {}
    for size in sizes:
        articles = size * SEED_ARTICLES
        root = work / f"corpus-{size}x"
        started = time.perf_counter()
        corpus.generate(articles, args.seed, root)
        generated = time.perf_counter() - started
        print(f"{size}x: {articles} articles generated in {generated:.1f} s; building ...", flush=True)
        shutil.rmtree(cache_directory(root / "build"), ignore_errors=True)  # a clean build: no entry to reuse
        runs[size] = run_build(root, root / "build", work / f"build-{size}x.log")
        runs[size]["triples"] = source_triples(runs[size]["log"])
        print(f"{size}x: built in {runs[size]['wall']:.1f} s, peak RSS {runs[size]['peak_rss_mb']:.0f} MB", flush=True)
        edited = edit_one_article(root)
        rebuilds[size] = run_build(root, root / "build", work / f"rebuild-{size}x.log")
        rebuilds[size]["triples"] = source_triples(rebuilds[size]["log"])
        print(f"{size}x: rebuilt in {rebuilds[size]['wall']:.1f} s after editing {edited.name}", flush=True)

    print_table(runs)
    print(f"\nrebuilds after editing one article (one claim added to its claim file), with the cache of the build above")
    print_table(rebuilds)
    for size, rebuild in rebuilds.items():
        print(f"{str(size) + 'x':>6s} cache (hits/misses): {cache_counts(rebuild['log'])}")

    largest = max(runs)
    seeds_out = work / "seeds-build"
    print("\nbuilding the seeds for the query comparison ...", flush=True)
    run_build(project_root(), seeds_out, work / "build-seeds.log")
    largest_out = work / f"corpus-{largest}x" / "build"
    latency_table(f"competency queries, median of {args.repeats} runs through pyoxigraph",
                  query_latencies(seeds_out, args.repeats), query_latencies(largest_out, args.repeats), largest)
    if args.serve:
        latency_table(f"competency queries, median of {args.repeats} GET requests to astana-kg serve",
                      served_latencies(seeds_out, args.repeats, work / "serve-seeds.log"),
                      served_latencies(largest_out, args.repeats, work / f"serve-{largest}x.log"), largest)
    seeds_source, largest_source = richest_source(seeds_out), richest_source(largest_out)
    asked = f"asked of one source (seeds: {seeds_source}, {largest}x: {largest_source})"
    latency_table(f"competency queries {asked}, median of {args.repeats} runs through pyoxigraph",
                  query_latencies(seeds_out, args.repeats, one_source(seeds_source)),
                  query_latencies(largest_out, args.repeats, one_source(largest_source)), largest)
    if args.serve:
        latency_table(f"competency queries {asked}, median of {args.repeats} GET requests to astana-kg serve",
                      served_latencies(seeds_out, args.repeats, work / "serve-seeds-one.log", one_source(seeds_source)),
                      served_latencies(largest_out, args.repeats, work / f"serve-{largest}x-one.log",
                                       one_source(largest_source)), largest)
    print(f"\ncorpora and builds in {work}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
