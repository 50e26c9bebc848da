"""The shape runs are made, handed to processes and answered a few at a time (at 5,000 articles,
all of them and their data at once were gigabytes), with the results of running each on its own."""

from __future__ import annotations

from pathlib import Path

from astana_kg.pipeline import checks
from astana_kg.pipeline.checks import ShapeRun

ROOT = Path(__file__).resolve().parents[1]
ENTITY = "https://w3id.org/astana-kg/id/"
ROLE = "https://w3id.org/astana-kg/ontology#Role"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def a_run(number: int, made: list[int]) -> ShapeRun:
    """A run of one node: a role in no context (a violation of the data shapes) every third run,
    else a node of no class the shapes target. ``made`` hears of each run whose data is made."""
    node = f"{ENTITY}n{number}"
    text = f"<{node}> <{RDF_TYPE}> <{ROLE}> .\n" if number % 3 == 0 else f"<{node}> <urn:x:p> \"{number}\" .\n"

    def make() -> str:
        made.append(number)
        return text

    return ShapeRun(f"run {number}", lambda: text.encode(), make, frozenset({node}), frozenset({node}))


def test_runs_are_taken_and_their_data_made_only_a_few_ahead_of_the_results_and_answer_as_one_at_a_time():
    _, shapes_nt = checks.shapes_for_engine(ROOT / "shapes" / "data-shapes.ttl")
    made: list[int] = []
    taken: list[int] = []

    def runs():
        for number in range(40):
            taken.append(number)
            yield a_run(number, made)

    workers = 2
    found = {}
    for run, rows in checks._run_all(shapes_nt, runs(), None, workers):
        found[run.name] = rows
        # the runs taken from the generator and whose data is made, but not answered yet
        ahead = checks.POOL_FROM + checks.IN_FLIGHT * workers
        assert len(taken) - len(found) <= ahead and len(made) - len(found) <= ahead
    assert sorted(found) == sorted(f"run {n}" for n in range(40)) and sorted(made) == list(range(40))
    alone = {run.name: checks.violations(shapes_nt, run.data, run.focus) for run in (a_run(n, []) for n in range(40))}
    assert found == alone
    assert {name for name, rows in found.items() if rows} == {f"run {n}" for n in range(0, 40, 3)}


def test_each_run_is_about_the_iris_its_graph_describes_and_the_curation_run_about_the_rest():
    from types import SimpleNamespace

    from rdflib import BNode, Graph, Literal, URIRef
    from rdflib.namespace import OWL, RDF

    from astana_kg.namespaces import GRAPH, WIKIDATA_GRAPH
    from astana_kg.pipeline.rdftext import Terms

    def node(name):
        return URIRef(ENTITY + name)

    p = URIRef("urn:x:p")
    first, second, curation = Graph(), Graph(), Graph()
    for triple in [(node("x"), p, node("y")), (node("x"), p, BNode("b")), (BNode("b"), p, Literal("v")),
                   (BNode("c"), p, node("z"))]:
        first.add(triple)
    second.add((node("y"), RDF.type, URIRef(ROLE)))
    curation.add((node("x"), OWL.sameAs, URIRef("http://www.wikidata.org/entity/Q1")))
    curation.add((node("w"), OWL.sameAs, URIRef("http://www.wikidata.org/entity/Q2")))
    sources = {GRAPH["source/000"]: first, GRAPH["source/001"]: second}
    inputs = SimpleNamespace(graphs={**sources, WIKIDATA_GRAPH: curation}, ontology=Graph(), terms=Terms(), keys={},
                             source_graphs=lambda: dict(sources))
    runs = {run.name: run for run in checks.shape_runs(inputs)}
    assert sorted(runs) == sorted([str(GRAPH["source/000"]), str(GRAPH["source/001"]), "curation"])
    # A run's subjects are the IRIs its graph describes (no blank node); it reports on those and
    # on the IRIs it points at.
    assert runs[str(GRAPH["source/000"])].subjects == {ENTITY + "x"}
    assert runs[str(GRAPH["source/000"])].focus == {ENTITY + "x", ENTITY + "y", ENTITY + "z"}
    assert runs[str(GRAPH["source/001"])].subjects == {ENTITY + "y"}
    assert runs["curation"].subjects == {ENTITY + "w"}  # x is the first source's
