"""benchmarks/draft_speed.py, generated articles drafted by one `astana-kg draft` per fold: at
N = 20 every article is drafted back with its own id and every drafted claim file is read by the
claim loader (the figures of time are the benchmark's, not asserted here)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from helpers_benchmarks import benchmark  # noqa: E402

speed = benchmark("draft_speed")


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    work = tmp_path_factory.mktemp("draft-speed")
    return speed.run(articles=20, seed=3, folds=2, work=work), work


def test_twenty_generated_articles_are_drafted_back_by_two_batch_commands(results):
    figures, work = results
    assert figures["reports"] == ["drafted 10 of 10 articles", "drafted 10 of 10 articles"]
    for fold, ids in ((0, range(0, 10)), (1, range(10, 20))):
        project = work / f"project-{fold}"
        for number in ids:
            drafted = sorted((project / "data/sources").glob(f"{number:03d}_*.txt"))
            assert len(drafted) == 1 and drafted[0].read_bytes() == next(
                (work / "corpus/data/sources").glob(f"{number:03d}_*.txt")).read_bytes()
            assert "status: draft" in (project / f"data/claims/{number:03d}.yaml").read_text(encoding="utf-8")


def test_each_fold_is_drafted_against_the_other_folds_reviewed_claims_only(results):
    _, work = results
    claims = {p.stem for p in (work / "project-0/data/claims").glob("*.yaml")}
    assert claims == {f"{n:03d}" for n in range(20)}
    reviewed = [p.stem for p in (work / "project-0/data/claims").glob("*.yaml")
                if "status: draft" not in p.read_text(encoding="utf-8")]
    assert sorted(reviewed) == [f"{n:03d}" for n in range(10, 20)]


def test_every_drafted_claim_file_is_read_by_the_claim_loader_and_each_article_reports_its_time(results):
    figures, _ = results
    assert figures["refused"] == []
    assert figures["claims"] >= 20 * 5
    assert 0 <= figures["median_seconds"] <= figures["p95_seconds"] <= figures["max_seconds"]

