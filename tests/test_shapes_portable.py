"""The shapes use SHACL Core only, so that any engine gives the build's verdict: the data conforms
under a second engine (rudof, through pyrudof) as under pySHACL, and both refuse the same faults."""

from pathlib import Path

import pyrudof
import pyshacl
import pytest
from rdflib import Graph
from rdflib.namespace import SH

from astana_kg.pipeline.build import load_inputs

SHAPES = ("data-shapes.ttl", "ontology-shapes.ttl")
PREFIXES = """
@prefix akg: <https://w3id.org/astana-kg/ontology#> . @prefix id: <https://w3id.org/astana-kg/id/> .
@prefix oa: <http://www.w3.org/ns/oa#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
"""


def rudof_violations(data: Graph, shapes: Path) -> list[str]:
    rudof = pyrudof.Rudof(pyrudof.RudofConfig())
    rudof.read_data(data.serialize(format="nt"), format=pyrudof.RDFFormat.NTriples)
    rudof.read_shacl(shapes.read_text(encoding="utf-8"), format=pyrudof.ShaclFormat.Turtle)
    report = rudof.validate_shacl()
    return sorted(f"{v.focus_node} {v.message}" for v in report.violations) if not report.conforms else []


def pyshacl_violations(data: Graph, shapes: Path) -> str:
    conforms, _, text = pyshacl.validate(data, shacl_graph=Graph().parse(shapes), inference="none")
    return "" if conforms else text


@pytest.fixture(scope="module")
def inputs(root):
    return load_inputs(root)


@pytest.mark.parametrize("name", SHAPES)
def test_the_input_conforms_under_a_second_shacl_engine(root, inputs, name):
    data = inputs.union() if name == "data-shapes.ttl" else inputs.ontology
    assert len(data) > 500
    assert rudof_violations(data, root / "shapes" / name) == []


@pytest.mark.parametrize("name", SHAPES)
def test_the_shapes_use_no_sparql_based_target_or_constraint(root, name):
    shapes = Graph().parse(root / "shapes" / name)
    for feature in (SH.target, SH.sparql, SH.select, SH.rule, SH.SPARQLTarget):
        assert not list(shapes.triples((None, feature, None))) and not list(shapes.triples((None, None, feature))), feature


@pytest.mark.parametrize("name", SHAPES)
def test_no_shape_has_two_values_of_one_logical_constraint(root, name):
    """Two sh:or on one shape are two values of one parameter: engines disagree on whether both apply."""
    shapes = Graph().parse(root / "shapes" / name)
    for parameter in (SH["or"], SH["and"], SH.xone, SH["not"]):
        for shape in set(shapes.subjects(parameter, None)):
            assert len(list(shapes.objects(shape, parameter))) == 1, (shape, parameter)


FAULTS = {
    "an annotation without its creation time and creator": (
        "id:ann a oa:Annotation ; oa:hasBody id:x ; oa:hasTarget id:t ; oa:motivatedBy akg:evidencing .\n"
        "id:t a oa:SpecificResource .", "an annotation needs exactly one xsd:dateTime dcterms:created"),
    "a date derivation whose derived date is no xsd:date": (
        'id:d a akg:DateDerivation ; akg:forProperty akg:statedOn ; akg:phrase "May 5" ; akg:certainty akg:Certain ;\n'
        '  akg:derivedDate "May 5" .', "a date derivation gives at most one xsd:date (akg:derivedDate)"),
    "an annotation with a second motivation": (
        "id:ann a oa:Annotation ; oa:hasBody id:x ; oa:hasTarget id:t ; oa:motivatedBy akg:evidencing, oa:commenting .\n"
        "id:t a oa:SpecificResource .", "motivated by akg:evidencing and nothing else"),
    "a statement with words but no date": (
        'id:st a akg:Statement ; akg:speaker id:p ; akg:reportedIn id:s ; akg:quotation "words" .\n'
        "id:p a akg:Person . id:s a akg:Source .", None),
    "a role without a holder": (
        "id:r a akg:GuarantorRole ; akg:roleIn id:m .", "a role needs exactly one holder"),
    "a meeting part of a round as an organization is part of a state": (
        "id:m a akg:Meeting ; akg:partOf id:r . id:r a akg:NegotiationRound .",
        "only an akg:Party is akg:partOf something"),
    "a party as a sub-event": (
        "id:k a akg:GovernmentBody ; akg:subEventOf id:r . id:r a akg:NegotiationRound .",
        "only an akg:Event is akg:subEventOf something"),
}


@pytest.mark.parametrize("data, message", FAULTS.values(), ids=list(FAULTS))
def test_both_engines_refuse_the_same_fault(root, inputs, data, message):
    graph = Graph().parse(data=PREFIXES + data, format="turtle")
    graph += inputs.ontology  # sh:class follows rdfs:subClassOf, as in the build
    shapes = root / "shapes" / "data-shapes.ttl"
    by_rudof = rudof_violations(graph, shapes)
    by_pyshacl = pyshacl_violations(graph, shapes)
    assert by_rudof and by_pyshacl
    if message:
        assert any(message in line for line in by_rudof) and message in by_pyshacl
