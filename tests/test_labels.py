"""Every node people meet has one English label: a source's, or one the build generates from the
node's facts into a graph of its own that the provenance graph says the build made."""

import pytest
from rdflib import Graph, Literal
from rdflib.namespace import RDF, RDFS

from astana_kg.pipeline import labels
from astana_kg.namespaces import AKG, DATA, GRAPH, PROVENANCE_GRAPH
from astana_kg.query.store import execute

PREFIXES = """PREFIX akg: <https://w3id.org/astana-kg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX prov: <http://www.w3.org/ns/prov#>
"""
LABELLED = ["akg:Role", "akg:Statement", "akg:Provision", "akg:Source", "akg:ZoneDesignation"]


@pytest.mark.parametrize("cls", LABELLED)
def test_every_node_of_the_class_has_exactly_one_english_label(store, cls):
    nodes = list(execute(store, PREFIXES + f"SELECT DISTINCT ?n WHERE {{ ?n a {cls} }}"))
    assert nodes, f"no node of {cls}: the check would check nothing"
    wrong = list(execute(store, PREFIXES + f"""SELECT ?n (COUNT(DISTINCT ?l) AS ?labels) WHERE {{
        ?n a {cls} . OPTIONAL {{ ?n rdfs:label ?l FILTER(LANGMATCHES(LANG(?l), "en")) }}
    }} GROUP BY ?n HAVING (COUNT(DISTINCT ?l) != 1)"""))
    assert [(row["n"].value, row["labels"].value) for row in wrong] == []


def test_the_generated_labels_are_in_their_own_graph_which_the_build_is_said_to_have_generated(store):
    assert bool(execute(store, PREFIXES + f"""ASK {{ GRAPH <{PROVENANCE_GRAPH}> {{
        <{labels.LABELS_GRAPH}> a prov:Entity ; prov:wasGeneratedBy ?activity . ?activity a prov:Activity ;
        prov:used <{GRAPH['source/001']}> }} }}"""))
    generated = {row["n"].value for row in execute(store, PREFIXES + f"""SELECT ?n WHERE {{
        GRAPH <{labels.LABELS_GRAPH}> {{ ?n rdfs:label ?l }} }}""")}
    assert str(DATA["role-guarantor-russia"]) in generated and str(DATA["source-003"]) in generated
    in_sources = list(execute(store, PREFIXES + """SELECT ?n WHERE { GRAPH ?g { ?n rdfs:label ?l }
        FILTER(STRSTARTS(STR(?g), "https://w3id.org/astana-kg/graph/source/")) ?n a akg:Role }"""))
    assert in_sources == [], "no source labels a role: a role's label is the build's"


def test_a_node_a_source_labels_gets_no_generated_label(store):
    assert not bool(execute(store, PREFIXES + f"""ASK {{ GRAPH <{labels.LABELS_GRAPH}> {{ ?n rdfs:label ?l }}
        GRAPH ?g {{ ?n rdfs:label ?other }} FILTER(?g != <{labels.LABELS_GRAPH}>) }}"""))


def test_a_role_is_labelled_by_its_holder_kind_and_context():
    graph = Graph()
    graph.add((DATA.r, RDF.type, AKG.GuarantorRole))
    graph.add((DATA.r, AKG.roleOf, DATA.russia))
    graph.add((DATA.r, AKG.roleIn, DATA.c))
    graph.add((DATA.russia, RDFS.label, Literal("Russia", lang="en")))
    graph.add((DATA.c, RDFS.label, Literal("Syrian ceasefire", lang="en")))
    assert labels.role_label(graph, DATA.r) == "Russia, guarantor of the Syrian ceasefire"


def test_a_statement_is_labelled_by_its_speaker_and_the_gist_of_its_words():
    graph = Graph()
    graph.add((DATA.s, RDF.type, AKG.Statement))
    graph.add((DATA.s, AKG.speaker, DATA.lavrov))
    graph.add((DATA.lavrov, RDFS.label, Literal("Sergey Lavrov", lang="en")))
    graph.add((DATA.s, AKG.quotation, Literal("We will welcome any contribution", lang="en")))
    assert labels.statement_label(graph, DATA.s) == "Sergey Lavrov: “We will welcome any contribution”"
    graph.add((DATA.s, AKG.paraphrase, Literal("Russia will welcome any contribution " * 5, lang="en")))
    label = labels.statement_label(graph, DATA.s)
    assert label.startswith("Sergey Lavrov: Russia will welcome") and label.endswith("…") and len(label) < 110


def test_a_source_is_labelled_by_its_headline(store):
    rows = list(execute(store, PREFIXES + """SELECT ?l ?h WHERE { ?s a akg:Source ; rdfs:label ?l ; akg:headline ?h }"""))
    assert len(rows) == 5 and all(row["l"].value == row["h"].value for row in rows)


def test_the_facts_labels_read_answer_as_a_graph_of_the_same_triples_does():
    """The labels read every graph's triples through :class:`labels.Facts`: each lookup they make
    answers there as rdflib's graph of the same triples (given in several parts, repeats
    included) does."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    nodes = [DATA.a, DATA.b, AKG.Role, AKG.Statement]
    values = nodes + [Literal("a", lang="en"), Literal("a"), Literal("b", lang="en")]
    triples = st.tuples(st.sampled_from(nodes[:2]), st.sampled_from([RDF.type, RDFS.label, AKG.roleOf]),
                        st.sampled_from(values))

    @settings(max_examples=150, deadline=None)
    @given(parts=st.lists(st.lists(triples, max_size=6), max_size=4))
    def check(parts):
        facts, graph = labels.Facts(), Graph()
        for part in parts:  # looked up between the parts too
            facts.extend(part)
            for triple in part:
                graph.add(triple)
            assert sorted(facts.subjects(RDF.type, AKG.Role)) == sorted(set(graph.subjects(RDF.type, AKG.Role)))
        for s in nodes[:2]:
            for p in (RDF.type, RDFS.label, AKG.roleOf):
                got = facts.objects(s, p)
                assert len(got) == len(set(got)) and set(got) == set(graph.objects(s, p))
                assert all(((s, p, o) in facts) == ((s, p, o) in graph) for o in values)
        for cls in values:
            assert sorted(facts.subjects(RDF.type, cls)) == sorted(set(graph.subjects(RDF.type, cls)))

    check()
