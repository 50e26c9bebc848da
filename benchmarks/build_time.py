"""Time the full build of the five sources, stage by stage (target: under 30 s in all).

    .venv/bin/python benchmarks/build_time.py [--runs 3]

Each run builds into a fresh temporary directory; the table gives the median and the worst
time of each stage and of the whole build.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from astana_kg.pipeline.build import build, project_root

TARGET_SECONDS = 30.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    stages: dict[str, list[float]] = {}
    totals = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            result = build(Path(tmp) / "build", project_root())
            totals.append(time.perf_counter() - started)
        for stage, seconds in result.timings.items():
            stages.setdefault(stage, []).append(seconds)
    print(f"{'stage':10s} {'median s':>9s} {'max s':>7s}   ({args.runs} runs)")
    for stage, values in stages.items():
        print(f"{stage:10s} {statistics.median(values):9.2f} {max(values):7.2f}")
    print(f"{'total':10s} {statistics.median(totals):9.2f} {max(totals):7.2f}")
    verdict = "within" if max(totals) < TARGET_SECONDS else "OVER"
    print(f"{verdict} the {TARGET_SECONDS:.0f} s target")
    return 0 if max(totals) < TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
