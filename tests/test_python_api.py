"""The Python API (astana_kg.api.graph): lookups, typed accessors checked against the sources,
traversal, errors, and the same answers locally and from a running server."""

from __future__ import annotations

import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

import astana_kg
from astana_kg.api.graph import AKG, ID, Ambiguous, KnowledgeGraph, NotFound
from astana_kg.query.queries import load_all
from astana_kg.query.sparqltext import bind_values

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from helpers_server import astana_kg_server  # noqa: E402

SOURCES = {f"{ID}source-{n:03d}" for n in range(5)}


@pytest.fixture(scope="module")
def kg(built):
    return astana_kg.open(built.out)


@pytest.fixture(scope="module")
def remote(built):
    with astana_kg_server(built.out) as base:
        yield astana_kg.connect(base)


def _source_text(kg, source) -> str:
    return kg.source_path(source).read_text(encoding="utf-8")


# -- lookup ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("ref", ["https://w3id.org/astana-kg/id/russia", "id/russia", "russia", "Russia",
                                 "RUSSIA", "Q159", "http://www.wikidata.org/entity/Q159", "Moscow",
                                 "Russian side"])
def test_every_form_of_reference_finds_russia(kg, ref):
    assert kg.entity(ref).iri == ID + "russia"


def test_names_are_matched_without_case_or_accents(kg):
    assert kg.entity("Erdoğan").iri == ID + "recep-tayyip-erdogan"
    assert kg.entity("erdogan").iri == ID + "recep-tayyip-erdogan"
    assert kg.entity("RECEP TAYYIP ERDOĞAN").iri == ID + "recep-tayyip-erdogan"
    assert kg.entity("Lavrentiev").iri == ID + "alexander-lavrentyev"  # a spelling of source 002
    assert kg.entity("Ja’afari").iri == ID + "bashar-al-jaafari"


def test_moscow_stands_for_russia_only_in_the_sources_that_use_it_so(kg, root):
    russia = kg.entity("Russia")
    moscow = next(alias for alias in russia.aliases if alias.label == "Moscow")
    sources = {s.iri for s in moscow.sources}
    assert sources and sources <= SOURCES
    for source in SOURCES:
        claims = (root / "data" / "claims" / f"{source[-3:]}.yaml").read_text(encoding="utf-8")
        says_so = any("id:russia" in line and "skos:altLabel" in line and '"Moscow"@en' in line
                      for line in claims.splitlines())
        assert (source in sources) == says_so, source


def test_wikidata_links_come_from_the_checked_list(kg, root):
    checked = (root / "data" / "wikidata" / "verified-qids.tsv").read_text(encoding="utf-8")
    entity = kg.entity("Iran")
    assert entity.wikidata == ["http://www.wikidata.org/entity/Q794"]
    assert "Q794" in checked


def test_unknown_references_raise_not_found(kg):
    for ref in ["Atlantis", "https://w3id.org/astana-kg/id/atlantis", "Q1", "", "no-such-slug"]:
        with pytest.raises(NotFound):
            kg.entity(ref)


def test_an_ambiguous_name_lists_its_candidates(kg):
    with pytest.raises(Ambiguous) as caught:
        kg.entity("Idlib")
    iris = {c.iri for c in caught.value.candidates}
    assert {ID + "idlib-province", ID + "zone-idlib"} <= iris
    message = str(caught.value)
    assert "zone-idlib" in message and "idlib-province" in message
    assert isinstance(caught.value, LookupError)


def test_search_ranks_exact_names_first_and_filters_by_class(kg):
    assert kg.search("iran")[0].iri == ID + "iran"
    persons = kg.search("a", limit=500, classes=[AKG + "Person"])
    assert persons and all(any(t.iri == AKG + "Person" for t in p.types) for p in persons)
    assert kg.search("   ") == []


# -- typed accessors, checked against the sources --------------------------------------------------

def test_russias_roles(kg):
    roles = {(r.role_class.iri, r.context.iri if r.context else None): r for r in kg.roles("Russia")}
    guarantor = roles[(AKG + "GuarantorRole", ID + "ceasefire-2016")]
    assert {s.iri for s in guarantor.sources} == SOURCES  # every article names Russia a guarantor
    signatory = roles[(AKG + "SignatoryRole", ID + "memorandum")]
    assert len(signatory.sources) >= 2
    assert signatory.context_start == "2017-05-04"
    for role in roles.values():
        assert role.holder.iri == ID + "russia"
        for source in role.sources:  # each source really has a quote for the role
            quotes = [q for q in kg.evidence(role.iri) if q.source.iri == source.iri]
            assert quotes, (role.iri, source.iri)


def test_lavrovs_statements_quote_their_sources_verbatim(kg):
    statements = kg.statements("Sergey Lavrov")
    assert len(statements) >= 5
    assert all(s.speaker.iri == ID + "sergey-lavrov" for s in statements)
    dates = [s.date or s.not_before for s in statements]
    assert dates == sorted(dates)
    for statement in statements:
        text = _source_text(kg, statement.source)
        words = statement.quotation or statement.paraphrase
        assert words and words in text, statement.iri
    assert any(s.place and s.place.iri == ID + "fairbanks" for s in statements)


def test_the_idlib_zone_areas_differ_by_source(kg):
    areas = kg.zone_areas("zone-idlib")
    by_area: dict[str, set[str]] = {}
    for area in areas:
        by_area.setdefault(area.area.iri, set()).add(area.source.iri)
    assert by_area[ID + "idlib-province"] == SOURCES
    assert ID + "hama-province" in by_area and ID + "homs-province" in by_area
    assert by_area[ID + "hama-province"].isdisjoint(by_area[ID + "homs-province"])
    disputed = {a.area.iri for a in areas if a.disputed}
    assert ID + "idlib-province" not in disputed and ID + "homs-province" in disputed


def test_the_memorandum(kg):
    memo = kg.agreement("memorandum")
    assert [p.iri for p in memo.signatories] == [ID + "iran", ID + "russia", ID + "turkey"]
    assert {d.value for d in memo.signed_on} == {"2017-05-04"}
    assert {d.value for d in memo.signed_at} == {ID + "astana"}
    deadlines = {d.iri: d for d in memo.deadlines}
    maps = deadlines[ID + "deadline-maps"]
    # The sources date the maps differently: one day in one, an upper bound in another.
    assert {(d.value, d.source.iri[-3:]) for d in maps.due_date} == {("2017-05-27", "002")}
    assert {(d.value, d.source.iri[-3:]) for d in maps.not_after} == {("2017-05-31", "001")}
    group = deadlines[ID + "deadline-working-group"]
    assert {r.iri for r in group.responsible} == {ID + "iran", ID + "russia", ID + "turkey"}
    assert memo.to_dict()["signatories"][0] == {"iri": ID + "iran", "label": "Iran"}


def test_events_are_in_order(kg):
    events = kg.events()
    dated = [e.sort_date for e in events if e.sort_date]
    assert dated == sorted(dated) and len(dated) >= 10
    signing = next(e for e in events if e.event_class.iri == AKG + "Signing")
    assert signing.start == "2017-05-04"
    assert all(e.sort_date for e in events[:len(dated)])


def test_the_evidence_of_a_fact_is_an_exact_span_of_its_source(kg):
    quotes = kg.evidence("memorandum", AKG + "signedAt", "astana")
    assert {q.source.iri for q in quotes} == SOURCES
    for quote in quotes:
        assert _source_text(kg, quote.source)[quote.start:quote.end] == quote.exact
    with pytest.raises(NotFound):
        kg.evidence("memorandum", AKG + "signedAt", "moscow-city-that-is-not-there")
    with pytest.raises(ValueError):
        kg.evidence("memorandum", AKG + "signedAt")
    dated = kg.evidence("memorandum", AKG + "signedOn", ox.Literal("2017-05-04", datatype=ox.NamedNode(
        "http://www.w3.org/2001/XMLSchema#date")))
    assert {q.source.iri for q in dated} == {ID + "source-000", ID + "source-001", ID + "source-003", ID + "source-004"}


# -- traversal ------------------------------------------------------------------------------------

def test_neighbours_by_direction_predicate_and_class(kg):
    out = kg.neighbours("role-guarantor-russia", "out")
    assert {(n.predicate.iri, n.node.iri) for n in out} == {
        (AKG + "roleOf", ID + "russia"), (AKG + "roleIn", ID + "ceasefire-2016")}
    incoming = kg.neighbours("russia", "in", predicates=AKG + "roleOf")
    assert incoming and all(n.direction == "in" and n.node.iri.startswith(ID + "role-") for n in incoming)
    states = kg.neighbours("deadline-working-group", classes=[AKG + "State"])  # inferred classes count
    assert {n.node.iri for n in states} == {ID + "iran", ID + "russia", ID + "turkey"}
    assert kg.neighbours("deadline-working-group", classes=AKG + "Person") == []
    plain = kg.neighbours("russia")
    assert not any(n.predicate.iri.startswith(("http://www.w3.org/ns/oa#", "http://www.w3.org/ns/prov#"))
                   or n.predicate.iri == "http://www.w3.org/1999/02/22-rdf-syntax-ns#type" for n in plain)
    full = kg.neighbours("russia", include_plumbing=True)
    assert any(n.predicate.iri == "http://www.w3.org/1999/02/22-rdf-syntax-ns#type" for n in full)
    with pytest.raises(ValueError):
        kg.neighbours("russia", "sideways")


def test_shortest_paths_follow_real_links(kg):
    path = kg.shortest_path("Lavrentyev", "Idlib de-escalation zone")
    assert path[0].subject.iri == ID + "alexander-lavrentyev" or path[0].object.iri == ID + "alexander-lavrentyev"
    nodes = [ID + "alexander-lavrentyev"]
    for edge in path:
        assert nodes[-1] in (edge.subject.iri, edge.object.iri)
        nodes.append(edge.object.iri if nodes[-1] == edge.subject.iri else edge.subject.iri)
        assert any(n.node.iri == nodes[-1] for n in kg.neighbours(nodes[-2], predicates=edge.predicate.iri))
    assert nodes[-1] == ID + "zone-idlib"
    assert kg.shortest_path("russia", "russia") == []
    with pytest.raises(NotFound):
        kg.shortest_path("russia", "source-001")  # articles are provenance, not part of the relations


def test_expansion_and_subgraphs_convert(kg):
    sub = kg.expand("russia", depth=2, max_nodes=40)
    assert len(sub.nodes) <= 40 and sub.nodes[0].iri == ID + "russia"
    members = {n.iri for n in sub.nodes}
    assert all(e.subject.iri in members and e.object.iri in members for e in sub.edges)
    graph = sub.to_networkx()
    assert graph.number_of_nodes() == len(sub.nodes) and graph.number_of_edges() == len(sub.edges)
    rdf = sub.to_rdflib()
    assert len(rdf) == len(sub.edges) + len(sub.nodes)
    one = kg.expand("russia", depth=1)
    assert {n.iri for n in one.nodes} == {ID + "russia"} | {n.node.iri for n in kg.neighbours("russia")}


# -- the queries and the binding of values ------------------------------------------------------

def test_every_api_query_has_a_title_and_runs(kg):
    names = [q.name.split("/", 1)[1] for q in load_all("api")]
    assert "index" in names and len(names) >= 10
    for query in load_all("api"):
        assert query.title != query.name and query.description


def test_remote_binding_serializes_terms_and_cannot_be_escaped():
    text = "SELECT ?x ?o WHERE { ?x ?p ?o }"
    nasty = ox.Literal('" } } ; DROP ALL #\n')
    bound = bind_values(text, {"x": ox.NamedNode("https://w3id.org/astana-kg/id/russia"), "o": nasty})
    parsed = ox.Store().query(bound)  # still one valid query, with the literal intact
    assert [v.value for v in parsed.variables] == ["x", "o"]
    assert str(nasty) in bound
    with pytest.raises(ValueError):
        KnowledgeGraph.from_store(ox.Store()).select("roles", party="not an IRI> } DROP ALL {")


def test_a_graph_over_an_existing_store(store):
    kg = KnowledgeGraph.from_store(store)
    assert kg.entity("Turkey").wikidata == ["http://www.wikidata.org/entity/Q43"]


# -- the same answers from a running server ---------------------------------------------------------

def test_remote_answers_equal_local_answers(kg, remote):
    assert remote.is_remote and not kg.is_remote
    assert remote.entity("Erdogan") == kg.entity("Erdogan")
    assert remote.entity("Q159") == kg.entity("Q159")
    assert remote.roles("Russia") == kg.roles("Russia")
    assert remote.statements("Lavrov") == kg.statements("Lavrov")
    assert remote.zone_areas("zone-idlib") == kg.zone_areas("zone-idlib")
    assert remote.agreement("memorandum") == kg.agreement("memorandum")
    assert remote.events() == kg.events()
    assert remote.evidence("memorandum", AKG + "signedAt", "astana") == kg.evidence("memorandum", AKG + "signedAt", "astana")
    assert remote.neighbours("russia") == kg.neighbours("russia")
    assert remote.shortest_path("Lavrov", "zone-idlib") == kg.shortest_path("Lavrov", "zone-idlib")
    with pytest.raises(Ambiguous):
        remote.entity("Idlib")


def test_an_answer_cut_at_the_row_cap_is_fetched_in_pages(built, kg):
    """The index query returns thousands of rows; a server capped at 2,000 answers it in pages."""
    with astana_kg_server(built.out, "--row-cap", "2000") as base:
        capped = astana_kg.connect(base)
        local_rows = kg.select("index")
        remote_rows = capped.select("index")
        assert len(local_rows) > 3 * 2000  # four pages at least
        key = lambda row: tuple(sorted((name, str(term)) for name, term in row.items()))  # noqa: E731
        assert sorted(map(key, remote_rows)) == sorted(map(key, local_rows))
        assert capped.shortest_path("Lavrov", "zone-idlib") == kg.shortest_path("Lavrov", "zone-idlib")
        assert capped.neighbours("russia") == kg.neighbours("russia")


def test_an_unreachable_endpoint_is_a_clear_error():
    from astana_kg.api.graph import RemoteError
    with pytest.raises(RemoteError, match="cannot reach"):
        astana_kg.connect("http://127.0.0.1:9", timeout=2).entity("Russia")
