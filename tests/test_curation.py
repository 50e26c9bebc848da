"""The curation read against the articles: each test states what a source's own words allow the
graph to say, so that a claim file drifting from its article fails here."""

import pyoxigraph as ox
import pytest

from astana_kg.query.store import execute

PREFIXES = """PREFIX akg: <https://w3id.org/astana-kg/ontology#>
PREFIX id: <https://w3id.org/astana-kg/id/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX oa: <http://www.w3.org/ns/oa#>
"""


def graph(source: str) -> str:
    return f"<https://w3id.org/astana-kg/graph/source/{source}>"


def ask(store, query: str) -> bool:
    return bool(execute(store, PREFIXES + query))


def select(store, query: str) -> list[dict]:
    solutions = execute(store, PREFIXES + query)
    names = [v.value for v in solutions.variables]
    return [{n: (s[n].value if s[n] is not None else None) for n in names} for s in solutions]


def local(iri: str) -> str:
    return iri.rsplit("/", 1)[1]


def test_the_graphs_of_the_sources_are_there_to_be_read(store):
    assert ask(store, f"ASK {{ GRAPH {graph('001')} {{ ?s a akg:Statement }} GRAPH {graph('003')} {{ ?z a akg:DeEscalationZone }} }}")


# -- 001: "The Syrian opposition did not directly oppose the memorandum"

def test_source_001_reports_no_statement_that_opposes_the_memorandum(store):
    assert select(store, f"SELECT ?s WHERE {{ GRAPH {graph('001')} {{ ?s akg:opposes id:memorandum }} }}") == []


def test_the_opposition_delegations_conditions_still_reject_irans_guarantor_role(store):
    assert ask(store, f"ASK {{ GRAPH {graph('001')} {{ id:st-opposition-delegation-conditions akg:opposes id:role-guarantor-iran }} }}")


def test_the_rejection_of_the_memorandum_in_000_and_004_is_kept(store):
    rows = select(store, "SELECT DISTINCT ?source WHERE { ?s akg:opposes id:memorandum ; akg:reportedIn ?source }")
    assert sorted(local(r["source"]) for r in rows) == ["source-000", "source-004"]


# -- 003: the Cairo agreement and its moderate opposition

def test_the_homs_agreement_is_between_the_defense_ministry_and_the_moderate_opposition(store):
    rows = select(store, "SELECT ?party WHERE { ?role a akg:PartyToAgreementRole ; akg:roleIn id:homs-agreement ; akg:roleOf ?party }")
    assert sorted({local(r["party"]) for r in rows}) == ["moderate-syrian-opposition", "russian-defense-ministry"]


def test_no_graph_names_the_astana_armed_opposition_the_moderate_opposition(store):
    rows = select(store, """SELECT ?name WHERE { GRAPH ?g { id:syrian-armed-opposition rdfs:label|skos:altLabel ?name }
                            FILTER(CONTAINS(LCASE(STR(?name)), "moderate")) }""")
    assert rows == []


# -- 003: the military police's task names no zone

def test_the_military_polices_monitor_role_is_in_no_zone(store):
    rows = select(store, """SELECT ?context WHERE { ?role akg:roleOf id:russian-military-police ; akg:roleIn ?context .
                            ?context a akg:DeEscalationZone }""")
    assert rows == []
    assert not ask(store, "ASK { id:st-konashenkov-military-police akg:about ?zone . ?zone a akg:DeEscalationZone }")


# -- 003: "84 settlements ... were included in the zone"

def test_the_settlements_and_people_are_counted_in_the_zone_not_in_the_agreement(store):
    assert ask(store, "ASK { id:zone-northern-homs akg:settlementCount 84 ; akg:populationMoreThan 147000 }")
    assert select(store, "SELECT ?a WHERE { ?a a akg:Agreement ; akg:settlementCount|akg:populationMoreThan ?n }") == []


# -- 001 and 003: the July meetings

def test_the_mid_july_meeting_is_only_possibly_the_fifth_round(store):
    assert ask(store, f"ASK {{ GRAPH {graph('001')} {{ id:astana-meeting-july akg:possiblySameEventAs id:astana-round-5 }} }}")
    assert not ask(store, "ASK { id:astana-meeting-july owl:sameAs|skos:exactMatch|schema:sameAs id:astana-round-5 }".replace(
        "ASK", "PREFIX owl: <http://www.w3.org/2002/07/owl#> PREFIX schema: <https://schema.org/> ASK"))


# -- details the articles give

@pytest.mark.parametrize("source", ["000", "004"])
def test_the_opposition_delegation_represents_over_a_dozen_militant_groups(store, source):
    assert ask(store, f"""ASK {{ GRAPH {graph(source)} {{ id:opposition-delegation akg:represents ?party .
                                 ?party skos:altLabel "over a dozen militant groups"@en }} }}""")


@pytest.mark.parametrize("person, rank", [("igor-konashenkov", "Maj. Gen."), ("sergei-rudskoi", "Col. Gen.")])
def test_the_military_ranks_are_positions_of_their_holders(store, person, rank):
    assert ask(store, f'ASK {{ GRAPH {graph("003")} {{ ?p a akg:Position ; akg:roleOf id:{person} ; akg:title "{rank}"@en }} }}')


def test_sokolov_is_also_named_the_analyst_and_the_expert(store):
    names = {r["name"] for r in select(store, f"SELECT ?name WHERE {{ GRAPH {graph('003')} {{ id:sokolov skos:altLabel ?name }} }}")}
    assert {"the analyst", "the expert"} <= names


def test_lavrovs_terrorists_are_excluded_from_the_agreements_source_003_reports(store):
    rows = select(store, f"""SELECT ?agreement WHERE {{ GRAPH {graph('003')} {{ ?agreement akg:excludes ?group }}
                             ?group rdfs:label "the terrorists, which do not fall within any agreements"@en }}""")
    assert sorted(local(r["agreement"]) for r in rows) == ["homs-agreement", "memorandum"]


# -- 001 and 002 report the same provisions

@pytest.mark.parametrize("provision", ["provision-ban-military-activity", "provision-combat-terrorism",
                                       "provision-joint-working-group"])
def test_a_provision_reported_by_001_and_002_is_one_node_with_evidence_in_both(store, provision):
    rows = select(store, f"""SELECT DISTINCT ?source WHERE {{ ?e oa:hasBody id:{provision} ;
                             oa:hasTarget/oa:hasSource ?source }}""")
    assert sorted(local(r["source"]) for r in rows) == ["source-001", "source-002"]


def test_no_provision_of_an_agreement_repeats_the_responsible_parties_of_another_under_a_new_node(store):
    """Two provision nodes of one agreement, each in a single source, with the same parties
    responsible, are usually one provision curated twice."""
    rows = select(store, """SELECT ?p1 ?p2 WHERE {
        ?p1 akg:provisionOf ?a ; akg:responsibleParty ?party . ?p2 akg:provisionOf ?a ; akg:responsibleParty ?party .
        FILTER(STR(?p1) < STR(?p2))
        GRAPH ?g1 { ?p1 a akg:Provision } GRAPH ?g2 { ?p2 a akg:Provision }
        FILTER NOT EXISTS { GRAPH ?g2 { ?p1 a akg:Provision } }
        FILTER NOT EXISTS { GRAPH ?g1 { ?p2 a akg:Provision } }
    }""")
    assert rows == []
