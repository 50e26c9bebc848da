"""Time the Python API in-process: entity lookup, one neighbour expansion, shortest paths
(targets: lookup and neighbours under 2 ms at the median, a shortest path under 50 ms).

    .venv/bin/python benchmarks/traversal.py [--build build] [--pairs 2000] [--seed 1]

Opens the build (building it if missing), builds the index once (its time is reported apart),
then times lookups by label, by slug and by Wikidata identifier, neighbour expansions of every
entity, and shortest paths between random pairs of entities; the table gives the median, the
95th percentile and the worst time of each.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

import astana_kg
from astana_kg.api.graph import ID, NotFound
from astana_kg.paths import project_root

TARGETS_MS = {"lookup by label": 2.0, "lookup by slug": 2.0, "lookup by Wikidata id": 2.0,
              "neighbours": 2.0, "shortest path": 50.0}


def _time(function, arguments) -> list[float]:
    times = []
    for argument in arguments:
        started = time.perf_counter()
        try:
            function(argument)
        except NotFound:
            pass
        times.append((time.perf_counter() - started) * 1000)
    return times


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=str(project_root() / "build"))
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    kg = astana_kg.open(Path(args.build))
    started = time.perf_counter()
    index = kg.index
    index_ms = (time.perf_counter() - started) * 1000
    entities = sorted(index.entities)
    labels = [index.labels[i] for i in entities if i in index.labels]
    slugs = [i[len(ID):] for i in entities]
    qids = sorted(q.rsplit("/", 1)[1] for q in index.by_wikidata)
    nodes = kg.nodes()
    rng = random.Random(args.seed)
    pairs = [tuple(rng.sample(nodes, 2)) for _ in range(args.pairs)]
    results = {
        "lookup by label": _time(kg.entity, labels * 5),
        "lookup by slug": _time(kg.entity, slugs * 5),
        "lookup by Wikidata id": _time(kg.entity, qids * 20),
        "neighbours": _time(kg.neighbours, nodes * 5),
        "shortest path": _time(lambda pair: kg.shortest_path(*pair), pairs),
    }
    print(f"index built once in {index_ms:.0f} ms ({len(nodes)} linked nodes, {len(entities)} entities)")
    print(f"{'operation':22s} {'runs':>6s} {'median ms':>10s} {'p95 ms':>8s} {'max ms':>8s} {'target':>7s}")
    ok = True
    for name, times in results.items():
        median = statistics.median(times)
        ok &= median < TARGETS_MS[name]
        print(f"{name:22s} {len(times):6d} {median:10.3f} {_percentile(times, 0.95):8.3f} {max(times):8.3f} "
              f"{TARGETS_MS[name]:7.0f}")
    print("within the targets" if ok else "OVER a target")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
