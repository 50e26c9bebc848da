import owlrl
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SDO, SKOS, TIME

from astana_kg.pipeline.build import DUMP_NAME, project_root
from astana_kg.namespaces import (
    AKG, DATA, GRAPH, INFERRED_GRAPHS, ONTOLOGY_GRAPH, PROV, PROVENANCE_GRAPH, SHARED_INFERRED_GRAPH, WD, WIKIDATA_GRAPH,
)
from astana_kg.pipeline.reasoning import (
    InconsistentData, UnsupportedSchema, compile_rules, fed_to, infer, infer_by_source, inferred_graph_name,
    is_trivial, owlrl_inferred,
)

SOURCES = sorted(p.stem for p in (project_root() / "data" / "claims").glob("*.yaml"))


def inferred_graphs(built) -> dict[URIRef, Graph]:
    return {name: graph for name, graph in built.graphs.items() if str(name).startswith(INFERRED_GRAPHS)}


def inferred(built) -> Graph:
    """The union of the inferred graphs (made once per build)."""
    if id(built) not in _UNIONS:
        union = Graph()
        for graph in inferred_graphs(built).values():
            union += graph
        _UNIONS[id(built)] = union
    return _UNIONS[id(built)]


_UNIONS: dict[int, Graph] = {}


def asserted(built) -> Graph:
    union = Graph()
    for name, graph in built.graphs.items():
        if not str(name).startswith(INFERRED_GRAPHS):
            union += graph
    return union


def ontology() -> Graph:
    return Graph().parse(project_root() / "ontology" / "astana-kg.ttl", format="turtle")


def test_the_source_globs_match_the_five_sources():
    assert SOURCES == ["000", "001", "002", "003", "004"]


def test_each_source_has_an_inferred_graph_and_the_curation_graph_one_of_its_own(built):
    assert set(inferred_graphs(built)) == {GRAPH[f"inferred/{n}"] for n in SOURCES} | {SHARED_INFERRED_GRAPH}
    assert all(len(graph) for graph in inferred_graphs(built).values())


def test_an_inferred_graph_holds_nothing_its_source_or_the_curation_and_ontology_graphs_assert(built):
    common = built.graphs[WIKIDATA_GRAPH] + built.graphs[ONTOLOGY_GRAPH]
    for number in SOURCES:
        source = built.graphs[GRAPH[f"source/{number}"]]
        assert not [t for t in built.graphs[GRAPH[f"inferred/{number}"]] if t in source or t in common]
    union = asserted(built)
    assert not [t for t in built.graphs[SHARED_INFERRED_GRAPH] if t in union]


@pytest.mark.parametrize("number", SOURCES)
def test_a_source_entails_under_the_compiled_rules_exactly_what_owlrl_entails_from_it(built, number):
    """owlrl over the ontology, the source's graph and the curation triples it is fed gives, less
    what the curation graph gives alone (graph/inferred/shared), exactly graph/inferred/NNN."""
    schema = built.graphs[ONTOLOGY_GRAPH]
    source, curation = built.graphs[GRAPH[f"source/{number}"]], built.graphs[WIKIDATA_GRAPH]
    fed = fed_to(source, curation, compile_rules(schema).terms)
    assert len(fed), "the source is fed no curation triple"
    expected = set(owlrl_inferred(schema + source + fed)) - set(curation) - set(built.graphs[SHARED_INFERRED_GRAPH])
    got = set(built.graphs[GRAPH[f"inferred/{number}"]])
    assert sorted(expected - got) == [] and sorted(got - expected) == []


def test_the_inferred_graphs_together_are_what_owlrl_entails_from_every_graph_together(built):
    """Nothing is lost by reasoning source by source: owlrl over the union of the ontology, the
    sources and the curation graph entails, beyond what some graph asserts, exactly the union of
    the inferred graphs."""
    union = Graph()
    for name, graph in built.graphs.items():
        if name == ONTOLOGY_GRAPH or name == WIKIDATA_GRAPH or str(name).startswith(GRAPH["source/"]):
            union += graph
    expected = set(owlrl_inferred(union))
    got = {t for t in inferred(built) if t not in union}
    assert sorted(expected - got) == [] and sorted(got - expected) == []


def test_what_a_source_entails_is_made_of_the_iris_the_sources_hold(built):
    """Each IRI of a source's inferred graph is the object the source graphs hold for it, not an
    equal copy: a build holds every inferred triple until it ends (a million at 500 articles)."""
    held: dict[str, URIRef] = {}
    for name, graph in built.graphs.items():
        if str(name).startswith(str(GRAPH["source/"])):
            held.update((str(term), term) for triple in graph for term in triple if isinstance(term, URIRef))
    shared = [term for name, graph in inferred_graphs(built).items() if name != SHARED_INFERRED_GRAPH
              for triple in graph for term in triple if isinstance(term, URIRef) and str(term) in held]
    assert len(shared) > 1000
    assert all(term is held[str(term)] for term in shared)


def test_the_un_is_an_observer_according_to_source_003_alone(built):
    observer = (DATA["united-nations"], RDF.type, AKG.Observer)
    assert [str(name).rsplit("/", 1)[-1] for name, graph in inferred_graphs(built).items() if observer in graph] == ["003"]


def test_russia_is_a_guarantor_according_to_each_of_the_five_sources(built):
    guarantor = (DATA.russia, RDF.type, AKG.Guarantor)
    assert sorted(str(name).rsplit("/", 1)[-1] for name, graph in inferred_graphs(built).items()
                  if guarantor in graph) == SOURCES


def test_each_inferred_graph_is_derived_from_its_source_and_the_ontology(built):
    provenance = built.graphs[PROVENANCE_GRAPH]
    for number in SOURCES:
        name = GRAPH[f"inferred/{number}"]
        assert {GRAPH[f"source/{number}"], ONTOLOGY_GRAPH, WIKIDATA_GRAPH} == set(provenance.objects(name, PROV.wasDerivedFrom))
        assert (name, PROV.wasGeneratedBy, DATA["owl-rl-reasoning"]) in provenance
        assert f"source {number}" in str(provenance.value(name, RDFS.label))
    assert {ONTOLOGY_GRAPH, WIKIDATA_GRAPH} <= set(provenance.objects(SHARED_INFERRED_GRAPH, PROV.wasDerivedFrom))


def test_what_follows_only_from_two_sources_together_is_in_the_shared_graph():
    one = Graph().parse(data="<https://w3id.org/astana-kg/id/a> <https://w3id.org/astana-kg/ontology#locatedIn> "
                             "<https://w3id.org/astana-kg/id/b> .", format="turtle")
    two = Graph().parse(data="<https://w3id.org/astana-kg/id/b> <https://w3id.org/astana-kg/ontology#locatedIn> "
                             "<https://w3id.org/astana-kg/id/c> .", format="turtle")
    result = infer_by_source(ontology(), {GRAPH["source/901"]: one, GRAPH["source/902"]: two}, {})
    located = (DATA.a, AKG.locatedIn, DATA.c)
    assert located in result.graphs[SHARED_INFERRED_GRAPH]
    assert located not in result.graphs[GRAPH["inferred/901"]] and located not in result.graphs[GRAPH["inferred/902"]]
    assert (DATA.a, RDF.type, AKG.Place) in result.graphs[GRAPH["inferred/901"]]
    assert {t for t in result.graphs[SHARED_INFERRED_GRAPH] if t[0] in (DATA.a, DATA.c)} == {
        located, (DATA.c, AKG.containsPlace, DATA.a),  # and their super-properties of schema.org
        (DATA.a, URIRef("https://schema.org/containedInPlace"), DATA.c), (DATA.c, URIRef("https://schema.org/containsPlace"), DATA.a)}
    assert result.together == 4


def test_a_role_given_two_holders_by_two_sources_makes_the_union_inconsistent():
    """Each source alone is consistent; the functional akg:roleOf is broken only by both."""
    one = Graph().parse(data="<https://w3id.org/astana-kg/id/role> <https://w3id.org/astana-kg/ontology#roleOf> "
                             "<https://w3id.org/astana-kg/id/iran> .", format="turtle")
    two = Graph().parse(data="<https://w3id.org/astana-kg/id/role> <https://w3id.org/astana-kg/ontology#roleOf> "
                             "<https://w3id.org/astana-kg/id/russia> .", format="turtle")
    with pytest.raises(InconsistentData, match="id/iran and https://w3id.org/astana-kg/id/russia are distinct entities"):
        infer_by_source(ontology(), {GRAPH["source/901"]: one, GRAPH["source/902"]: two}, {})


def test_an_ontology_using_a_construct_the_rules_do_not_compile_is_refused():
    schema = Graph().parse(data="""
        @prefix owl: <http://www.w3.org/2002/07/owl#> .
        <urn:Russian> owl:equivalentClass [ a owl:Restriction ; owl:onProperty <urn:of> ; owl:hasValue <urn:russia> ] .
    """, format="turtle")
    with pytest.raises(UnsupportedSchema, match="owl#hasValue"):
        compile_rules(schema)


def test_the_graph_of_a_source_is_named_after_it():
    assert inferred_graph_name(GRAPH["source/003"]) == GRAPH["inferred/003"]


def test_no_trivial_triples_are_kept(built):
    assert not [t for t in inferred(built) if is_trivial(t)]
    assert (DATA.russia, OWL.sameAs, DATA.russia) not in inferred(built)
    assert not list(inferred(built).triples((None, RDF.type, OWL.Thing)))


def test_a_party_holding_a_guarantor_role_is_a_guarantor(built):
    for party in ("russia", "iran", "turkey"):
        assert (DATA[party], RDF.type, AKG.Guarantor) in inferred(built)
    assert (DATA["united-states"], RDF.type, AKG.Guarantor) not in inferred(built)
    assert (DATA["united-states"], RDF.type, AKG.Observer) in inferred(built)


def test_has_role_is_inferred_as_the_inverse_of_role_of(built):
    assert (DATA.russia, AKG.hasRole, DATA["role-guarantor-russia"]) in inferred(built)


def test_subclass_entailments_reach_the_aligned_vocabularies(built):
    assert (DATA["sergey-lavrov"], RDF.type, AKG.Agent) in inferred(built)
    assert (DATA["sergey-lavrov"], RDF.type, PROV.Person) in inferred(built)
    assert (DATA["russia"], RDF.type, AKG.Agent) in inferred(built)
    assert (DATA["memorandum"], RDF.type, AKG.Agreement) in inferred(built)


def test_a_state_is_an_agent_and_never_a_place_though_places_are_located_in_it(built):
    """Agents and places are disjoint; akg:locatedIn has no range, so a state it points to stays a party."""
    assert (DATA["homs"], AKG.locatedIn, DATA.syria) in asserted(built)
    assert (DATA.syria, RDF.type, AKG.Place) not in inferred(built)
    assert (DATA.syria, RDF.type, AKG.Party) in inferred(built)


def test_covering_part_of_a_place_entails_covering_the_area(built):
    assert (DATA["zone-idlib"], AKG.coversArea, DATA["latakia-province"]) in inferred(built)


def test_place_containment_is_transitive(built):
    # Astana is the capital of Kazakhstan (capitalOf is a sub-property of locatedIn).
    assert (DATA.astana, AKG.locatedIn, DATA.kazakhstan) in inferred(built)
    assert (DATA.kazakhstan, AKG.containsPlace, DATA.astana) in inferred(built)


def test_affiliation_follows_positions_up_the_hierarchy(built):
    assert (DATA["igor-konashenkov"], AKG.affiliatedWith, DATA["russian-defense-ministry"]) in inferred(built)
    assert (DATA["igor-konashenkov"], AKG.affiliatedWith, DATA.russia) in inferred(built)


def test_a_delegation_is_not_inferred_part_of_the_party_it_represents(built):
    """akg:represents is no sub-property of akg:partOf: the opposition delegation speaks for the
    armed opposition without being one of its organizations."""
    for delegation, party in (("opposition-delegation", "syrian-armed-opposition"),
                              ("russian-delegation", "russia"), ("syrian-government-delegation", "syrian-government")):
        assert (DATA[delegation], AKG.represents, DATA[party]) in asserted(built)
        assert (DATA[delegation], AKG.partOf, DATA[party]) not in inferred(built)
        assert (DATA[party], AKG.hasPart, DATA[delegation]) not in inferred(built)
    assert (AKG.represents, RDFS.subPropertyOf, AKG.partOf) not in asserted(built)


def test_events_are_sub_events_of_larger_events_transitively_and_schema_superevent_follows(built):
    from rdflib import URIRef

    superevent = URIRef("https://schema.org/superEvent")
    assert (DATA["memorandum-signing"], AKG.subEventOf, DATA["astana-round-4-plenary-meeting"]) in asserted(built)
    assert (DATA["memorandum-signing"], AKG.subEventOf, DATA["astana-process"]) in inferred(built)
    assert (DATA["memorandum-signing"], superevent, DATA["astana-round-4"]) in inferred(built)
    assert (DATA["astana-process"], AKG.hasSubEvent, DATA["astana-round-4"]) in inferred(built)


def test_no_event_is_part_of_anything_in_the_organizational_sense(built):
    union = asserted(built) + inferred(built)
    events = set(union.subjects(RDF.type, AKG.Event))
    assert DATA["astana-round-4"] in events
    assert not [(s, o) for s, o in union.subject_objects(AKG.partOf) if s in events or o in events]
    assert (DATA["russian-main-operational-directorate"], AKG.partOf, DATA.russia) in inferred(built)


def test_involvement_is_entailed_from_any_role(built):
    assert (DATA.jordan, AKG.involvedIn, DATA["astana-round-4"]) in inferred(built)


def test_inconsistent_data_is_reported_naming_the_individual_and_its_disjoint_classes():
    schema = Graph().parse(data="""
        @prefix owl: <http://www.w3.org/2002/07/owl#> .
        <urn:A> owl:disjointWith <urn:B> .
    """, format="turtle")
    data = Graph().parse(data="<urn:x> a <urn:A>, <urn:B> .", format="turtle")
    with pytest.raises(InconsistentData, match="inconsistent") as error:
        infer(schema, data)
    assert [m for m, _ in error.value.findings] == ["Disjoint classes urn:A and urn:B have a common individual urn:x"]


def test_an_identifier_record_is_not_taken_for_a_wikidata_alignment(built):
    records = [s for s in built.graphs[WIKIDATA_GRAPH].subjects(AKG.alignedEntity, None)
               if str(s).startswith(str(DATA["identifier-"]))]
    assert records, "the curation graph has no identifier record to check"
    for record in records:
        assert (record, RDF.type, AKG.WikidataAlignment) not in inferred(built)


def test_no_event_is_taken_for_a_prov_activity_since_some_are_only_planned_or_alleged(built):
    union = asserted(built)
    assert list(union.subjects(AKG.eventStatus, AKG.Planned)) and list(union.subjects(AKG.eventStatus, AKG.Alleged))
    entailed = inferred(built)
    events = set(entailed.subjects(RDF.type, AKG.Event)) | set(union.subjects(RDF.type, AKG.Event))
    assert events
    assert not [e for e in events if (e, RDF.type, PROV.Activity) in entailed]


def test_a_date_derivation_is_not_taken_for_a_time_instant(built):
    derivations = set(asserted(built).subjects(RDF.type, AKG.DateDerivation))
    assert derivations
    entailed = inferred(built)
    assert not [d for d in derivations if (d, RDF.type, TIME.Instant) in entailed]


def test_no_date_derivation_is_a_time_instant_under_owl_time_either(built):
    """OWL-Time gives time:inXSDDate the domain time:Instant; the derived value is akg:derivedDate."""
    union = asserted(built)
    derivations = set(union.subjects(RDF.type, AKG.DateDerivation))
    assert len([d for d in derivations if (d, AKG.derivedDate, None) in union]) > 100
    assert not list(union.triples((None, TIME.inXSDDate, None)))
    union.add((TIME.inXSDDate, RDFS.domain, TIME.Instant))  # OWL-Time's own axiom
    owlrl.DeductiveClosure(owlrl.RDFS_Semantics, axiomatic_triples=False).expand(union)
    assert not [d for d in derivations if (d, RDF.type, TIME.Instant) in union]



def test_the_inferred_graph_restates_no_axiom_about_a_class_or_a_property(built):
    ontology_terms = {s for s in built.graphs[ONTOLOGY_GRAPH].subjects() if str(s).startswith(str(AKG))}
    assert ontology_terms
    assert not [t for t in inferred(built) if t[0] in ontology_terms and t[1] != RDF.type]
    assert not list(inferred(built).triples((None, RDFS.domain, None)))
    assert not list(inferred(built).triples((None, RDFS.range, None)))
    assert not list(inferred(built).triples((None, RDFS.subClassOf, None)))
    assert (DATA.russia, RDF.type, AKG.Guarantor) in inferred(built)


def test_a_domain_or_range_of_owl_thing_is_trivial():
    assert is_trivial((URIRef("urn:p"), RDFS.domain, OWL.Thing))
    assert is_trivial((URIRef("urn:p"), RDFS.range, OWL.Thing))
    assert not is_trivial((URIRef("urn:p"), RDFS.range, AKG.Agent))


#: The domain and range axioms of the SKOS Reference (W3C Recommendation, section 8 and 10): every
#: semantic relation, the mapping relations among them, links two skos:Concept.
SKOS_AXIOMS = """
@prefix skos: <http://www.w3.org/2004/02/skos/core#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
skos:semanticRelation rdfs:domain skos:Concept ; rdfs:range skos:Concept .
skos:broaderTransitive rdfs:subPropertyOf skos:semanticRelation . skos:broader rdfs:subPropertyOf skos:broaderTransitive .
skos:narrowerTransitive rdfs:subPropertyOf skos:semanticRelation . skos:narrower rdfs:subPropertyOf skos:narrowerTransitive .
skos:related rdfs:subPropertyOf skos:semanticRelation .
skos:mappingRelation rdfs:subPropertyOf skos:semanticRelation .
skos:closeMatch rdfs:subPropertyOf skos:mappingRelation . skos:exactMatch rdfs:subPropertyOf skos:closeMatch .
skos:broadMatch rdfs:subPropertyOf skos:mappingRelation , skos:broader .
skos:narrowMatch rdfs:subPropertyOf skos:mappingRelation , skos:narrower .
skos:relatedMatch rdfs:subPropertyOf skos:mappingRelation , skos:related .
"""


@pytest.fixture(scope="module")
def skos_closure(built) -> Graph:
    """Every graph of the build with the SKOS axioms, closed under RDFS (the tests only read it)."""
    union = Graph()
    for graph in built.graphs.values():
        union += graph
    union.parse(data=SKOS_AXIOMS, format="turtle")
    owlrl.DeductiveClosure(owlrl.RDFS_Semantics, axiomatic_triples=False).expand(union)
    return union


def test_the_wikidata_links_are_schema_same_as_and_the_output_has_no_skos_exact_match(built):
    dump = (built.out / DUMP_NAME).read_text(encoding="utf-8")
    assert str(SKOS.exactMatch) not in dump
    assert (DATA.russia, SDO.sameAs, WD.Q159) in built.graphs[WIKIDATA_GRAPH]
    assert len(set(built.graphs[WIKIDATA_GRAPH].subjects(SDO.sameAs, None))) >= 30


def test_no_entity_linked_to_wikidata_is_inferred_a_skos_concept(built, skos_closure):
    closure = skos_closure
    linked = set(built.graphs[WIKIDATA_GRAPH].subjects(SDO.sameAs, None))
    assert DATA.russia in linked
    assert not {entity for entity in linked if (entity, RDF.type, SKOS.Concept) in closure}


def test_no_entity_of_the_graph_is_inferred_a_skos_concept(built, skos_closure):
    """Not by a Wikidata link, nor by the link of two events that may be one."""
    closure = skos_closure
    assert (DATA["astana-meeting-july"], AKG.possiblySameEventAs, DATA["astana-round-5"]) in closure
    assert (DATA["astana-round-5"], AKG.possiblySameEventAs, DATA["astana-meeting-july"]) in inferred(built)
    assert not [s for s in closure.subjects(RDF.type, SKOS.Concept) if str(s).startswith(str(DATA))]


def test_the_reasoners_store_keeps_the_labels_of_the_blank_nodes_it_is_given():
    # The store is loaded from N-Triples text; a blank node must stay the node the graphs (and the
    # ontology's closure, which the findings are looked up in) name by that label.
    import pyoxigraph as ox
    from rdflib import BNode

    from astana_kg.pipeline.reasoning import saturate

    data = Graph()
    data.add((BNode("kept-label"), RDF.type, AKG.Person))
    data.add((DATA["somebody"], AKG.roleOf, BNode("kept-label")))
    store = saturate(compile_rules(ontology()), data)
    blank = ox.BlankNode("kept-label")
    assert ox.Quad(blank, ox.NamedNode(str(RDF.type)), ox.NamedNode(str(AKG.Person))) in store
    assert ox.Quad(ox.NamedNode(str(DATA["somebody"])), ox.NamedNode(str(AKG.roleOf)), blank) in store


def test_the_rules_read_back_from_the_cache_are_the_rules_compiled(tmp_path, monkeypatch):
    from astana_kg.pipeline import reasoning
    from astana_kg.pipeline.cache import Cache

    monkeypatch.setattr(reasoning, "_COMPILED", {})
    cache, schema = Cache(tmp_path), ontology()
    compiled = compile_rules(schema, cache)
    reasoning._COMPILED.clear()  # as in another process
    read = compile_rules(schema, cache)
    assert cache.counts["schema"] == {"hits": 1, "misses": 1}
    assert read is not compiled
    assert (read.updates, read.rules, read.disjoint, read.terms) == (compiled.updates, compiled.rules, compiled.disjoint,
                                                                      compiled.terms)
    for name in ("facts", "entailed", "schema"):
        assert set(getattr(read, name)) == set(getattr(compiled, name)) and len(getattr(read, name)) > 0, name
