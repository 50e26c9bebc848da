"""benchmarks/scale.py's questions asked of one source: the dataset it gives (through pyoxigraph,
and through the protocol's default-graph-uri and named-graph-uri to `astana-kg serve`) holds that
source's answers and no other's."""

from __future__ import annotations

from pathlib import Path

import pytest

from astana_kg.namespaces import DATA
from astana_kg.paths import project_root
from helpers_benchmarks import benchmark

scale = benchmark("scale")

#: The competency queries that list their answers per source (a ``?source`` column, no count).
PER_SOURCE = ("08-excluded-groups", "09-homs-agreement", "06-lavrentyev-statements")


def rows(store, text: str, **dataset) -> list[tuple]:
    solutions = store.query(text, **dataset)
    names = [v.value for v in solutions.variables]
    return [tuple((name, None if value is None else value.value) for name, value in zip(names, solution))
            for solution in solutions]


def test_the_source_asked_is_the_one_whose_graph_answers_the_most_competency_queries(built):
    # Sources 000 and 004 answer ten of the twelve each (all but CQ 8 and 9, which only 003, with
    # eight, answers); the first of them is taken.
    store = scale.open_store(built.out)
    answered = {source: [path.stem[:2] for path in scale.competency_queries()
                         if rows(store, path.read_text(encoding="utf-8"), **scale._dataset(scale.one_source(source)))]
                for source in ("000", "003", "004")}
    assert len(answered["000"]) == len(answered["004"]) == 10 and len(answered["003"]) == 8
    assert scale.richest_source(built.out) == "000"


@pytest.mark.parametrize("source", ["001", "003"])
@pytest.mark.parametrize("name", PER_SOURCE)
def test_a_question_asked_of_one_source_has_that_sources_rows_of_the_question_asked_of_all(built, name, source):
    store = scale.open_store(built.out)
    text = (project_root() / "queries/cq" / f"{name}.rq").read_text(encoding="utf-8")
    everyone = rows(store, text)
    mine = [row for row in everyone if dict(row)["source"] == str(DATA[f"source-{source}"])]
    asked = rows(store, text, **scale._dataset(scale.one_source(source)))
    assert asked == mine
    if name.startswith("08") and source == "003":
        assert asked, "source 003 names the groups excluded"


def test_the_served_questions_asked_of_one_source_answer_as_pyoxigraph_does(built, tmp_path: Path):
    direct = scale.query_latencies(built.out, 1, scale.one_source("003"))
    served = scale.served_latencies(built.out, 1, tmp_path / "serve.log", scale.one_source("003"))
    assert {name: count for name, (count, _) in served.items()} == {name: count for name, (count, _) in direct.items()}
    everything = scale.query_latencies(built.out, 1)
    assert direct["08-excluded-groups"][0] == everything["08-excluded-groups"][0] > 0  # only 003 names them
    assert direct["01-guarantors"][0] == 3 and direct["11-single-source-facts"][0] < everything["11-single-source-facts"][0]
