"""How fast `astana-kg draft` drafts many articles: generated articles (benchmarks/corpus.py) drafted
through the real command, several at once, in one process.

    .venv/bin/python benchmarks/draft_speed.py [--articles 1000] [--seed 1] [--folds 1] [--json]

The generated project is copied without the sources and claims of the articles drafted, and the
articles are drafted back into it with their own ids by one `astana-kg draft A B ... --id NNN` per
fold: with ``--folds 1`` (the default) one command drafts them all against a project that has none
of their claims (the graph's names are the curation's and Wikidata's alone); with ``--folds 2``
each half is drafted against a project holding the other half's reviewed claims, so that the
names of the other articles are there to be linked (and loaded).

Measures (targets in brackets): the wall time of drafting them all [< 10 min for 1,000], the
seconds per article the command reports (median, 95th percentile, maximum) [< 2 s each], and the
claims drafted, every claim file read by the claim loader (every quote found in its source as the
claim says) [100 %].
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import math
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from astana_kg.pipeline.claims import CurationError, load_claim_file, load_sources
from astana_kg.cli import main as astana_kg

HERE = Path(__file__).resolve().parent
TOTAL_TARGET = 600.0  # seconds, for 1,000 articles
ARTICLE_TARGET = 2.0  # seconds


def _corpus():
    spec = importlib.util.spec_from_file_location("corpus", HERE / "corpus.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _without(corpus: Path, project: Path, ids: set[str]) -> None:
    """Copy the generated project at ``corpus`` to ``project``, less the sources and claims of ``ids``."""
    shutil.copytree(corpus, project, ignore=lambda d, names: [
        n for n in names if Path(d).name in ("sources", "claims") and n[:3] in ids and n[3:4] in ("_", ".")])
    sums = project / "data/sources/SHA256SUMS"
    kept = [line for line in sums.read_text(encoding="utf-8").splitlines(keepends=True) if line.split()[-1][:3] not in ids]
    sums.write_text("".join(kept), encoding="utf-8")


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile.

    >>> percentile([0.1, 0.2, 0.3, 0.4], 0.95)
    0.4
    >>> percentile([0.1, 0.2, 0.3, 0.4], 0.5)
    0.2
    """
    ordered = sorted(values)
    return ordered[max(0, math.ceil(len(ordered) * share) - 1)]


def run(articles: int = 1000, seed: int = 1, folds: int = 1, work: Path | None = None) -> dict:
    """Generate ``articles`` articles, draft them back in ``folds`` commands; the figures."""
    with contextlib.ExitStack() as stack:
        if work is None:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="draft-speed-")))
        corpus = _corpus().generate(articles, seed, work / "corpus")
        texts = sorted((corpus / "data/sources").glob("*.txt"))
        ids = [p.name[:3] for p in texts]
        if len(texts) != articles or any(not re.fullmatch(r"\d{3}", i) for i in ids):
            raise ValueError(f"{articles} articles: the command drafts at most 1,000 (ids 000 to 999)")
        size = -(-articles // folds)
        seconds, total, claims, refused, reports = [], 0.0, 0, [], []
        for fold in range(folds):
            part = texts[fold * size:(fold + 1) * size]
            if not part:
                continue
            project = work / f"project-{fold}"
            _without(corpus, project, {p.name[:3] for p in part})
            out, err = io.StringIO(), io.StringIO()
            started = time.perf_counter()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                status = astana_kg(["draft", *map(str, part), "--id", part[0].name[:3], "--root", str(project)])
            total += time.perf_counter() - started
            if status != 0:
                raise RuntimeError(f"astana-kg draft exited {status}:\n{err.getvalue()[-2000:]}")
            reports.append(out.getvalue().splitlines()[-1])
            seconds += [float(s) for s in re.findall(r"^\((\d+\.\d+) s; review with", out.getvalue(), re.MULTILINE)]
            sources = load_sources(project / "data/sources")
            for path in part:
                claim_file = project / f"data/claims/{path.name[:3]}.yaml"
                try:
                    drafted = load_claim_file(claim_file, sources)
                except CurationError as error:
                    refused.append(str(error))
                    continue
                claims += len(drafted)
                refused += [f"{claim_file}: {c.quote!r} not at its place" for c in drafted
                            if c.source.text[c.start:c.end] != c.quote or not c.draft]
        if len(seconds) != articles:
            raise RuntimeError(f"{len(seconds)} of {articles} articles reported their time")
    return {"articles": articles, "seed": seed, "folds": folds, "reports": reports, "total_seconds": total,
            "median_seconds": statistics.median(seconds), "p95_seconds": percentile(seconds, 0.95),
            "max_seconds": max(seconds), "claims": claims, "refused": refused}


def table(results: dict) -> str:
    n = results["articles"]
    budget = TOTAL_TARGET * n / 1000
    return "\n".join([
        f"{n} generated articles (seed {results['seed']}), drafted by {results['folds']} command(s): "
        + "; ".join(results["reports"]),
        f"wall time        {results['total_seconds']:8.1f} s   (target < {budget:.0f} s for {n}; "
        f"{results['total_seconds'] / n:.3f} s an article, names loading included)",
        f"per article      median {results['median_seconds']:.3f} s, p95 {results['p95_seconds']:.3f} s, "
        f"max {results['max_seconds']:.3f} s   (target < {ARTICLE_TARGET:.0f} s each)",
        f"claims drafted   {results['claims']} ({results['claims'] / n:.1f} an article); "
        f"claim files or quotes the loader refused: {len(results['refused'])}",
        *results["refused"][:10]])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000, help="how many articles (at most 1,000; default 1,000)")
    parser.add_argument("--seed", type=int, default=1, help="the generator's seed (default 1)")
    parser.add_argument("--folds", type=int, default=1, help="draft commands, each against the others' claims (default 1)")
    parser.add_argument("--work", type=Path, help="keep the corpus and the projects in this new directory")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if args.work:
        args.work.mkdir(parents=True)
    results = run(args.articles, args.seed, args.folds, args.work)
    print(json.dumps(results, indent=2) if args.json else table(results))
    met = (results["total_seconds"] < TOTAL_TARGET * args.articles / 1000 and results["max_seconds"] < ARTICLE_TARGET
           and not results["refused"])
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
