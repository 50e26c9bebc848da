"""What the ontology and the shapes refuse: each contradiction or ill-typed value in a broken copy
of the input stops the build (exit status 1), and the report names what and where."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from helpers_project import append_claim, append_to_ontology, build_report  # noqa: E402


def test_an_ill_typed_date_stops_the_build_though_no_range_declares_xsd_date(project_copy, capsys):
    append_claim(project_copy, "002", '  - quote: "FAIRBANKS /United States/"\n'
                                      '    facts: |\n      id:talks-fairbanks a akg:Meeting ; rdfs:label "talks"@en ;\n'
                                      '        akg:startDate "2017-05-10T10:00:00"^^xsd:dateTime .\n')
    status, err = build_report(project_copy, capsys)
    assert status == 1
    assert "talks-fairbanks" in err and "akg:startDate takes an xsd:date" in err and "002.yaml:" in err


def test_a_duration_that_is_not_an_xsd_duration_stops_the_build(project_copy, capsys):
    append_claim(project_copy, "002", '  - quote: "FAIRBANKS /United States/"\n'
                                      '    facts: |\n      id:fairbanks-deal a akg:Agreement ; rdfs:label "deal"@en ;\n'
                                      '        akg:term "six months" .\n')
    status, err = build_report(project_copy, capsys)
    assert status == 1
    assert "fairbanks-deal" in err and "akg:term takes an xsd:duration" in err and "002.yaml:" in err


CONTRADICTIONS = {
    "a statement that is also an event": (
        'id:st-lavrov-us-monitoring a akg:Meeting ; rdfs:label "monitoring talks"@en .',
        ["st-lavrov-us-monitoring", "ontology#Event", "ontology#Statement"]),
    "a state that is also a person": (
        "id:russia a akg:Person .", ["id/russia", "ontology#Party", "ontology#Person"]),
    "a state that is also an armed group": (
        "id:turkey a akg:ArmedGroup .", ["id/turkey", "ontology#ArmedGroup", "ontology#State"]),
    "a city that is also a province": (
        "id:astana a akg:Province .", ["id/astana", "ontology#City", "ontology#Province"]),
    "a guarantor role that is also an observer role": (
        "id:role-guarantor-russia a akg:ObserverRole .",
        ["role-guarantor-russia", "ontology#GuarantorRole", "ontology#ObserverRole"]),
    "a negotiation round that is also a walk-out": (
        "id:astana-round-4 a akg:WalkOut .", ["astana-round-4", "ontology#NegotiationRound", "ontology#WalkOut"]),
    "a place that is also a source": (
        "id:astana a akg:Agreement .", ["id/astana", "ontology#Agreement", "ontology#Place"]),
}


@pytest.mark.parametrize("facts, named", CONTRADICTIONS.values(), ids=list(CONTRADICTIONS))
def test_an_individual_of_two_disjoint_classes_stops_the_build_naming_it_its_classes_and_its_claims(
        project_copy, capsys, facts, named):
    append_claim(project_copy, "002", '  - quote: "FAIRBANKS /United States/"\n'
                                      f'    facts: |\n      {facts}\n')
    status, err = build_report(project_copy, capsys)
    assert status == 1, err
    assert "inconsistent under OWL 2 RL" in err and "Disjoint classes" in err
    for name in named:
        assert name in err
    assert "002.yaml:" in err
    assert not (project_copy / "build").exists()


def test_a_second_holder_of_a_role_stops_the_build_instead_of_making_two_states_one(project_copy, capsys):
    """akg:roleOf is functional: a second holder (here written through the inverse akg:hasRole,
    which the shapes do not see) would make Iran and Russia the same individual."""
    append_claim(project_copy, "002", '  - quote: "FAIRBANKS /United States/"\n'
                                      '    facts: |\n      id:iran akg:hasRole id:role-guarantor-russia .\n')
    status, err = build_report(project_copy, capsys)
    assert status == 1, err
    assert "https://w3id.org/astana-kg/id/iran and https://w3id.org/astana-kg/id/russia are distinct entities" in err
    assert "role-guarantor-russia has both as its https://w3id.org/astana-kg/ontology#roleOf" in err
    assert "002.yaml:" in err


def test_an_event_located_at_a_person_stops_the_build_naming_the_shape(project_copy, capsys):
    append_claim(project_copy, "002", '  - quote: "FAIRBANKS /United States/"\n'
                                      '    facts: |\n      id:lavrov-us-talks akg:location id:sergey-lavrov .\n')
    status, err = build_report(project_copy, capsys)
    assert status == 1
    assert "lavrov-us-talks" in err and "akg:location points to an akg:Place or an akg:State" in err


def test_an_ontology_term_the_ontology_does_not_define_stops_the_build(project_copy, capsys):
    append_to_ontology(project_copy, "akg:Person rdfs:subClassOf akg:Human .")
    status, err = build_report(project_copy, capsys)
    assert status == 1
    assert "undefined-term-violation.rq" in err and "ontology#Human" in err


def test_an_ontology_axiom_the_reasoner_cannot_compile_stops_the_build_naming_it(project_copy, capsys):
    append_to_ontology(project_copy, "[ a owl:Restriction ; owl:onProperty akg:roleOf ; "
                       "owl:hasValue <https://w3id.org/astana-kg/id/russia> ] rdfs:subClassOf akg:GuarantorRole .")
    status, err = build_report(project_copy, capsys)
    assert status == 1, err
    assert "astana-kg.ttl" in err and "owl#hasValue" in err
    assert not (project_copy / "build").exists()


def test_a_relative_iri_in_the_ontology_stops_the_build_naming_the_file(project_copy, capsys):
    # Resolved against the file's place, it would put the checkout's path into the published ontology.
    append_to_ontology(project_copy, "<Mediator> a <http://www.w3.org/2002/07/owl#Class> .")
    status, err = build_report(project_copy, capsys)
    assert status == 1
    assert "astana-kg.ttl: a relative IRI, <Mediator>: every IRI must be absolute" in err
