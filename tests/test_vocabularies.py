"""Every term of another vocabulary that the ontology, the shapes or the built graph use exists in
that vocabulary: checked against rdflib's closed namespaces (made from the vocabularies' own
term lists) and, for the Web Annotation vocabulary, which rdflib does not have, against the term
names of the W3C Recommendation kept in tests/fixtures/vocabularies/oa-terms.txt."""

from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, FOAF, GEO, PROV, SDO, SKOS, TIME, VANN

OA = "http://www.w3.org/ns/oa#"
OA_TERMS = {line.strip() for line in (Path(__file__).parent / "fixtures" / "vocabularies" / "oa-terms.txt")
            .read_text().splitlines() if line.strip() and not line.startswith("#")}
CLOSED = {str(ns): ns for ns in (PROV, SKOS, TIME, DCTERMS, GEO, SDO, VANN, FOAF)}


def unknown_terms(graph: Graph) -> dict[str, set[str]]:
    """For each checked vocabulary the graph uses, the terms it uses that the vocabulary lacks
    (the vocabulary is a key with an empty set when every term exists)."""
    found: dict[str, set[str]] = {}
    for triple in graph:
        for term in triple:
            if not isinstance(term, URIRef):
                continue
            iri = str(term)
            if iri.startswith(OA):
                found.setdefault(OA, set())
                if iri[len(OA):] not in OA_TERMS:
                    found[OA].add(iri)
            for namespace, closed in CLOSED.items():
                if iri.startswith(namespace) and iri != namespace:
                    found.setdefault(namespace, set())
                    if term not in closed:
                        found[namespace].add(iri)
    return found


def test_the_web_annotation_term_list_holds_the_terms_of_the_recommendation():
    assert len(OA_TERMS) == 67
    assert {"Annotation", "TextQuoteSelector", "hasBody", "describing"} <= OA_TERMS
    assert "motivationScheme" not in OA_TERMS  # in drafts, not in the 2017 Recommendation


def test_a_term_missing_from_its_vocabulary_is_found():
    graph = Graph().parse(data="""
        @prefix oa: <http://www.w3.org/ns/oa#> . @prefix prov: <http://www.w3.org/ns/prov#> .
        <urn:x> a oa:Annotation ; <http://www.w3.org/2004/02/skos/core#inScheme> oa:motivationScheme ;
            prov:wasDerivedBy <urn:y> .
    """, format="turtle")
    assert unknown_terms(graph) == {OA: {OA + "motivationScheme"}, str(PROV): {str(PROV) + "wasDerivedBy"},
                                    str(SKOS): set()}


@pytest.mark.parametrize("name", ["ontology/astana-kg.ttl", "shapes/data-shapes.ttl", "shapes/ontology-shapes.ttl"])
def test_every_external_term_of_the_input_files_exists_in_its_vocabulary(root, name):
    found = unknown_terms(Graph().parse(root / name))
    assert found, f"{name} uses none of the checked vocabularies: the check would check nothing"
    assert {ns: terms for ns, terms in found.items() if terms} == {}


def test_every_external_term_of_the_built_graph_exists_in_its_vocabulary(built):
    union = Graph()
    for graph in built.graphs.values():
        union += graph
    found = unknown_terms(union)
    # OWL-Time is not among them: a derived date is akg:derivedDate, not time:inXSDDate.
    assert {OA, str(PROV), str(SKOS), str(DCTERMS), str(SDO), str(FOAF)} <= set(found)
    assert {ns: terms for ns, terms in found.items() if terms} == {}
