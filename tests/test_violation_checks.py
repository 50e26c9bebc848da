"""The violation queries of ``queries/checks/`` whose form is shaped for speed find exactly what
their plain statement finds, and so does the check of dangling references made without a query:
on examples written for each, and on any small dataset."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph
from hypothesis import example, given, settings
from hypothesis import strategies as st
from rdflib import BNode, Graph, Literal, URIRef

from astana_kg.pipeline.checks import dangling_references
from astana_kg.pipeline.rdftext import dataset_store

CHECKS = Path(__file__).resolve().parents[1] / "queries" / "checks"
ID = "https://w3id.org/astana-kg/id/"
PREFIXES = """PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX id: <https://w3id.org/astana-kg/id/>
PREFIX graph: <https://w3id.org/astana-kg/graph/>
PREFIX ex: <urn:ex:>
"""

# What each check says, in the words of its definition; the files say it in a faster order.
#: What the check of dangling references finds, as a query over the merge of every graph (the
#: default graph of the violation queries' store).
DANGLING = PREFIXES + """
    SELECT DISTINCT ?this ?usedBy ?property WHERE {
      ?usedBy ?property ?this .
      FILTER(isIRI(?this) && STRSTARTS(STR(?this), "https://w3id.org/astana-kg/id/"))
      FILTER NOT EXISTS { ?this rdf:type ?type }
    }"""

PLAIN = {
    "evidence-outside-its-graph-violation.rq": PREFIXES + """
        SELECT ?this ?graph ?quotedSource WHERE {
          GRAPH ?graph { ?this a oa:Annotation ; oa:hasTarget ?target . ?target oa:hasSource ?quotedSource . }
          ?graph prov:wasDerivedFrom ?graphSource .
          FILTER(STRSTARTS(STR(?graphSource), "https://w3id.org/astana-kg/id/source-"))
          FILTER(?graphSource != ?quotedSource)
        }""",
}


def _store(trig: str) -> pyoxigraph.Store:
    store = pyoxigraph.Store()
    store.load(trig.encode(), pyoxigraph.RdfFormat.TRIG)
    return store


def _rows(store: pyoxigraph.Store, query: str) -> list[tuple]:
    solutions = store.query(query)
    names = [variable.value for variable in solutions.variables]
    return sorted(tuple(None if s[n] is None else s[n].value for n in names) for s in solutions)


def _check(name: str) -> str:
    return (CHECKS / name).read_text(encoding="utf-8")


def _graphs(trig: str) -> dict[URIRef, Graph]:
    """The graphs of ``trig`` by name, its default graph named ``urn:ex:default``."""
    def term(node):
        if isinstance(node, pyoxigraph.NamedNode):
            return URIRef(node.value)
        if isinstance(node, pyoxigraph.BlankNode):
            return BNode(node.value)
        return Literal(node.value, lang=node.language, datatype=None if node.language else URIRef(node.datatype.value))

    graphs: dict[URIRef, Graph] = {}
    for quad in pyoxigraph.parse(trig.encode(), pyoxigraph.RdfFormat.TRIG):
        name = URIRef("urn:ex:default") if isinstance(quad.graph_name, pyoxigraph.DefaultGraph) else term(quad.graph_name)
        graphs.setdefault(name, Graph()).add((term(quad.subject), term(quad.predicate), term(quad.object)))
    return graphs


def _dangling(graphs) -> list[tuple]:
    return [(row["this"], row["usedBy"], row["property"]) for row in dangling_references(graphs)]


def test_a_reference_to_an_untyped_node_of_the_namespace_is_found_wherever_it_is_used():
    graphs = _graphs(PREFIXES + """
        id:a ex:p id:typo, id:b, ex:outside, "https://w3id.org/astana-kg/id/literal" ; ex:q id:typo .
        id:b a ex:C .
        id:c ex:p id:typo .
        GRAPH graph:x { id:d ex:p id:elsewhere . id:typed a ex:C . id:c ex:p id:typo }
        id:e ex:p id:typed .
        _:blank ex:p id:unnamed .
    """)
    blank = next(s for s, _, o in graphs[URIRef("urn:ex:default")] if str(o).endswith("unnamed"))
    # Every graph is read, as their merge: a type in one graph describes a node another refers to.
    assert _dangling(graphs) == [
        (ID + "elsewhere", ID + "d", "urn:ex:p"), (ID + "typo", ID + "a", "urn:ex:p"), (ID + "typo", ID + "a", "urn:ex:q"),
        (ID + "typo", ID + "c", "urn:ex:p"), (ID + "unnamed", str(blank), "urn:ex:p"),
    ]
    assert _dangling(_graphs(PREFIXES + "id:a ex:p id:b . GRAPH graph:x { id:b a ex:C }")) == []


def test_evidence_quoting_another_source_than_its_graphs_is_found_and_no_other():
    store = _store(PREFIXES + """
        graph:source-001 prov:wasDerivedFrom id:source-001, ex:file .
        graph:source-002 prov:wasDerivedFrom id:source-002 .
        graph:other prov:wasDerivedFrom ex:elsewhere .
        GRAPH graph:provenance { graph:source-002 prov:wasDerivedFrom id:source-003 . }
        GRAPH graph:source-001 {
          ex:ann1 a oa:Annotation ; oa:hasTarget ex:span1 . ex:span1 oa:hasSource id:source-001 .
          ex:ann2 a oa:Annotation ; oa:hasTarget ex:span2 . ex:span2 oa:hasSource id:source-002 .
          ex:note oa:hasTarget ex:span2 .
        }
        GRAPH graph:source-002 {
          ex:ann3 a oa:Annotation ; oa:hasTarget ex:span3 .
          ex:ann5 a oa:Annotation ; oa:hasTarget ex:span2 .
        }
        GRAPH graph:other { ex:ann4 a oa:Annotation ; oa:hasTarget ex:span4 . ex:span4 oa:hasSource id:source-001 . }
        ex:span3 oa:hasSource id:source-001 .
    """)
    # Where a graph comes from is read in the default graph. ann3's target names its source outside
    # the graph; ann5's target is described in another graph; ex:note is no annotation; graph:other
    # is no source's.
    assert _rows(store, _check("evidence-outside-its-graph-violation.rq")) == [
        ("urn:ex:ann2", "https://w3id.org/astana-kg/graph/source-001", ID + "source-002"),
    ]


NODES = [f"id:{n}" for n in ("a", "b", "source-001", "source-002")] + ["ex:x", "graph:source-001"]
PREDICATES = ["rdf:type", "oa:hasTarget", "oa:hasSource", "prov:wasDerivedFrom", "ex:p"]
OBJECTS = NODES + ["oa:Annotation", '"v"']
GRAPHS = ["", "graph:source-001", "graph:source-002", "graph:provenance"]
statements = st.tuples(st.sampled_from(GRAPHS), st.sampled_from(NODES), st.sampled_from(PREDICATES),
                       st.sampled_from(OBJECTS))


def _trig(found) -> str:
    """The statements ``found`` (graph, subject, predicate, object; graph "" for the default graph) as TriG."""
    return PREFIXES + "".join(f"{g} {{ {s} {p} {o} . }}\n" if g else f"{s} {p} {o} .\n" for g, s, p, o in found)


@settings(max_examples=300, deadline=None)
@given(st.lists(statements, max_size=14))
@example([("graph:source-001", "id:a", "oa:hasSource", "id:source-002"), ("", "graph:source-001", "prov:wasDerivedFrom", "id:source-001"),
          ("graph:source-002", "id:b", "rdf:type", "oa:Annotation"), ("graph:source-002", "id:b", "oa:hasTarget", "id:a")])
def test_each_check_finds_what_its_plain_statement_finds(found):
    store = _store(_trig(found))
    for name, plain in PLAIN.items():
        assert _rows(store, _check(name)) == _rows(store, plain), name


@settings(max_examples=300, deadline=None)
@given(st.lists(statements, max_size=14))
@example([("", "id:a", "ex:p", "id:b"), ("graph:source-001", "id:a", "ex:p", "id:b"),
          ("graph:source-002", "id:b", "ex:p", "id:a"), ("graph:source-002", "id:a", "rdf:type", "oa:Annotation")])
def test_the_dangling_references_are_the_rows_of_their_query_over_the_merge_of_the_graphs(found):
    graphs = _graphs(_trig(found))
    assert _dangling(graphs) == sorted(_rows(dataset_store(graphs), DANGLING))
