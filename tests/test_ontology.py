import hashlib
import sys
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDFS

from astana_kg.namespaces import AKG

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from helpers_owlapi import PROFILES, profile_violations, skip_without_java  # noqa: E402


def ontology(root) -> Graph:
    return Graph().parse(root / "ontology" / "astana-kg.ttl")


def test_the_closed_namespace_matches_the_ontology_exactly(root):
    defined = {str(s)[len(str(AKG)):] for s in ontology(root).subjects(RDFS.isDefinedBy, None)
               if str(s).startswith(str(AKG))}
    assert defined == set(AKG.__annotations__)


def test_the_core_terms_of_the_public_contract_exist(root):
    graph = ontology(root)
    core = ["Party", "State", "InternationalOrganization", "ArmedGroup", "GovernmentBody", "Person", "Place",
            "Role", "GuarantorRole", "ObserverRole", "MediatorRole", "roleOf", "roleIn", "hasRole",
            "Agreement", "Memorandum", "Ceasefire", "DeEscalationZone", "coversArea", "establishedBy",
            "Event", "Statement", "speaker", "quotation", "paraphrase", "statedOn", "about", "reportedIn", "Source"]
    for name in core:
        assert (AKG[name], RDFS.isDefinedBy, URIRef("https://w3id.org/astana-kg/ontology")) in graph, name
    assert (AKG.hasRole, OWL.inverseOf, AKG.roleOf) in graph


def test_the_ontology_stays_in_the_owl_2_rl_profile(root):
    """No construct OWL 2 RL forbids: someValuesFrom only on the subclass side, no unions as ranges."""
    graph = ontology(root)
    restrictions = set(graph.subjects(OWL.someValuesFrom, None))
    for restriction in restrictions:
        assert not list(graph.subjects(RDFS.subClassOf, restriction)), "existential as a superclass"
        assert not list(graph.subjects(OWL.equivalentClass, restriction))
    assert not list(graph.triples((None, OWL.unionOf, None)))
    assert not list(graph.triples((None, OWL.minCardinality, None)))


def test_the_sources_are_copied_byte_for_byte(root):
    sums = (root / "data" / "sources" / "SHA256SUMS").read_text().splitlines()
    assert len(sums) == 5
    for line in sums:
        digest, name = line.split()
        assert hashlib.sha256((root / "data" / "sources" / name).read_bytes()).hexdigest() == digest
    seeds = root.parent / "shared" / "seeds"
    if seeds.is_dir():
        for path in sorted((root / "data" / "sources").glob("*.txt")):
            assert path.read_bytes() == (seeds / path.name).read_bytes()


def test_the_wikidata_shape_lists_exactly_the_checked_identifiers(root):
    import csv

    shapes = (root / "shapes" / "data-shapes.ttl").read_text()
    with (root / "data" / "wikidata" / "verified-qids.tsv").open() as handle:
        qids = {row["qid"] for row in csv.DictReader(handle, delimiter="\t")}
    import re

    listed = set(re.findall(r"wd:(Q\d+)", shapes))
    assert listed == qids


@pytest.mark.parametrize("profile", PROFILES)
def test_the_owl_api_profile_checker_finds_no_violation(root, profile):
    skip_without_java()
    assert profile_violations(root / "ontology" / "astana-kg.ttl", profile) == []


def test_the_owl_api_profile_checker_reports_a_date_range_and_an_undeclared_class(tmp_path):
    """The check above can fail: xsd:date is not in the OWL 2 datatype map, and OWL 2 has no
    implicit declarations."""
    skip_without_java()
    path = tmp_path / "bad.ttl"
    path.write_text("""
        @prefix owl: <http://www.w3.org/2002/07/owl#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        <urn:o> a owl:Ontology .
        <urn:when> a owl:DatatypeProperty ; rdfs:range xsd:date .
        <urn:A> a owl:Class ; rdfs:subClassOf <urn:Undeclared> .
    """)
    violations = "\n".join(profile_violations(path, "OWL2RLProfile"))
    assert "xsd:date" in violations
    assert "undeclared class: <urn:Undeclared>" in violations


def test_no_two_terms_of_the_ontology_share_a_label(root):
    """A class and the property that points to it are told apart by their labels ("certainty" and
    "has certainty"), as in the documentation and on the pages."""
    graph = ontology(root)
    by_label: dict[str, list[str]] = {}
    for term in set(graph.subjects(RDFS.isDefinedBy, None)):
        for label in graph.objects(term, RDFS.label):
            by_label.setdefault(str(label).casefold(), []).append(str(term))
    assert len(by_label) > 100
    assert {label: terms for label, terms in by_label.items() if len(terms) > 1} == {}


@pytest.mark.parametrize("name", ["ontology-shapes.ttl", "data-shapes.ttl"])
def test_each_shapes_graph_has_a_header_that_passes_the_ontology_header_shape(root, name):
    import pyshacl
    from rdflib.namespace import SH

    header_shape = Graph().parse(root / "shapes" / "ontology-shapes.ttl")
    for shape in set(header_shape.subjects(SH.targetClass, OWL.Ontology)):
        header_shape.remove((shape, SH.targetClass, OWL.Ontology))
        header_shape.add((shape, SH.targetNode, URIRef(f"https://w3id.org/astana-kg/shapes/{name.split('-')[0]}")))
    shapes = Graph().parse(root / "shapes" / name)
    conforms, _, report = pyshacl.validate(shapes, shacl_graph=header_shape, advanced=True)
    assert conforms, report


def test_the_ontology_header_shape_refuses_a_creator_given_as_a_plain_name(root):
    import pyshacl

    graph = ontology(root)
    header = URIRef("https://w3id.org/astana-kg/ontology")
    graph.remove((header, URIRef("http://purl.org/dc/terms/creator"), None))
    graph.add((header, URIRef("http://purl.org/dc/terms/creator"), Literal("The astana-kg maintainers")))
    conforms, _, report = pyshacl.validate(graph, shacl_graph=Graph().parse(root / "shapes" / "ontology-shapes.ttl"),
                                           advanced=True)
    assert not conforms and "the ontology needs a dcterms:creator IRI" in report
