"""Every .rq file of queries/ runs here. Competency questions are compared with the expected
answer kept beside them (NAME.srj); checks must return no rows on the real data."""

from collections import Counter

import pyoxigraph as ox
import pytest

from astana_kg.query import queries
from astana_kg.pipeline.build import project_root
from astana_kg.query.store import execute

ROOT = project_root()
CQ = queries.load_all("cq")
EXAMPLES = queries.load_all("examples")
ANSWERED = CQ + EXAMPLES
CHECKS = sorted((ROOT / "queries" / "checks").glob("*.rq"))


def test_the_query_globs_match_something():
    assert len(CQ) == 12
    assert len(EXAMPLES) >= 5
    assert len(CHECKS) >= 3
    assert all(q.title != q.name and q.description for q in ANSWERED)


def rows(solutions) -> list[tuple]:
    names = [v.value for v in solutions.variables]
    return [tuple((name, str(solution[name]) if solution[name] is not None else None) for name in names)
            for solution in solutions]


@pytest.mark.parametrize("query", ANSWERED, ids=[q.name for q in ANSWERED])
def test_query_gives_its_expected_answer(store, query):
    assert query.expected_path.is_file(), f"no expected answer beside {query.path}"
    expected = ox.parse_query_results(path=str(query.expected_path), format=ox.QueryResultsFormat.JSON)
    actual = execute(store, query.text)
    want, got = rows(expected), rows(actual)
    assert got, "the query returned no rows"
    if query.ordered:
        assert got == want
    else:
        assert Counter(got) == Counter(want)


@pytest.mark.parametrize("path", CHECKS, ids=[p.name for p in CHECKS])
def test_violation_check_finds_nothing_in_the_data(store, path):
    assert list(execute(store, path.read_text())) == []


def answer(store, name):
    solutions = execute(store, queries.load(name).text)
    names = [v.value for v in solutions.variables]
    return [{n: (s[n].value if s[n] is not None else None) for n in names} for s in solutions]


def test_cq1_iran_russia_and_turkey_are_guarantors_in_all_five_sources(store):
    result = answer(store, "cq/01-guarantors")
    assert [(r["label"], r["sources"]) for r in result] == [("Iran", "5"), ("Russia", "5"), ("Turkey", "5")]


def test_cq2_the_un_is_an_observer_only_according_to_one_source(store):
    result = answer(store, "cq/02-observers-of-the-fourth-round")
    un = {r["source"] for r in result if r["label"] == "United Nations"}
    us = {r["source"] for r in result if r["label"] == "United States"}
    assert len(un) == 1 and len(us) >= 3


def test_cq4_sources_disagree_on_the_idlib_zone(store):
    result = answer(store, "cq/04-zone-areas-by-source")
    idlib = {(r["area"].rsplit("/", 1)[1], r["source"].rsplit("-", 1)[1]) for r in result
             if r["zone"].endswith("zone-idlib")}
    assert ("hama-province", "001") in idlib and ("hama-province", "003") not in idlib
    assert ("homs-province", "003") in idlib
    assert any(r["disputed"] == "true" for r in result if r["zone"].endswith("zone-idlib"))


def test_cq4_a_source_silent_about_an_area_does_not_dispute_it(store):
    result = answer(store, "cq/04-zone-areas-by-source")
    idlib = {r["area"].rsplit("/", 1)[1]: r for r in result if r["zone"].endswith("zone-idlib")}
    for area in ("latakia-province", "aleppo-province"):
        assert (idlib[area]["silentIn"], idlib[area]["contradictedBy"], idlib[area]["disputed"]) == ("2", "0", "false")
    assert (idlib["hama-province"]["contradictedBy"], idlib["hama-province"]["disputed"]) == ("1", "true")
    assert (idlib["homs-province"]["contradictedBy"], idlib["homs-province"]["disputed"]) == ("2", "true")
    for r in result:
        assert int(r["assertedBy"]) + int(r["silentIn"]) + int(r["contradictedBy"]) == int(r["describedBy"])


def test_cq10_keeps_a_stated_day_apart_from_the_bounds_of_a_source_that_gives_none(store):
    result = answer(store, "cq/10-timeline")
    signing = {r["source"].rsplit("-", 1)[1]: r for r in result if r["event"].endswith("/memorandum-signing")}
    assert (signing["002"]["start"], signing["002"]["notBefore"], signing["002"]["notAfter"]) == (None, "2017-05-03", "2017-05-04")
    assert {signing[s]["start"] for s in ("000", "001", "003", "004")} == {"2017-05-04"}
    assert all(r["conflicting"] == "false" for r in signing.values())


def test_cq10_lists_an_event_known_only_by_its_latest_day(store):
    result = answer(store, "cq/10-timeline")
    bombing = [r for r in result if r["event"].endswith("/alleged-bombing")]
    assert [(r["start"], r["notBefore"], r["notAfter"]) for r in bombing] == [(None, None, "2017-05-03")]


def test_cq5_the_maps_deadline_differs_between_sources(store):
    result = answer(store, "cq/05-memorandum-terms")
    maps = {(r["aspect"], r["value"], r["source"].rsplit("-", 1)[1]) for r in result if "deadline-maps" in r["aspect"]}
    assert ("deadline deadline-maps: due date", "2017-05-27", "002") in maps
    assert any(source == "001" and aspect.endswith("due not after") for aspect, _, source in maps)
    signed = {r["value"] for r in result if r["aspect"] == "signed on"}
    assert signed == {"2017-05-04"}


def test_cq11_single_source_facts_include_the_un_observer_role(store):
    facts = {r["fact"].rsplit("/", 1)[1] for r in answer(store, "cq/11-single-source-facts")}
    assert "role-observer-united-nations-process" in facts
    assert "role-guarantor-russia" not in facts


def test_observers_by_source_count_the_un_only_for_source_003_and_by_entailment(store):
    result = answer(store, "examples/06-observers-by-source")
    un = {(r["source"].rsplit("-", 1)[1], r["how"]) for r in result if r["label"] == "United Nations"}
    assert un == {("003", "entailed")}
    us = {r["source"].rsplit("-", 1)[1] for r in result if r["label"] == "United States"}
    assert len(us) >= 3


def test_cq12_a_delegation_head_speaks_for_the_party_the_delegation_represents(store):
    """The head of Russia's delegation: the delegation is not part of Russia, it represents it."""
    result = answer(store, "cq/12-persons-and-positions")
    head = [(r["organization"].rsplit("/", 1)[1], r["party"].rsplit("/", 1)[1]) for r in result
            if r["title"] == "the head of Russia’s delegation"]
    assert head == [("russian-delegation", "russia")]
