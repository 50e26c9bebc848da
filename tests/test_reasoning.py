import owlrl
from rdflib import Graph
from rdflib.namespace import OWL, RDF, RDFS, SDO, SKOS, TIME

from astana_kg.build import DUMP_NAME
from astana_kg.namespaces import AKG, DATA, INFERRED_GRAPH, ONTOLOGY_GRAPH, PROV, WD, WIKIDATA_GRAPH
from astana_kg.reasoning import infer, is_trivial


def inferred(built) -> Graph:
    return built.graphs[INFERRED_GRAPH]


def asserted(built) -> Graph:
    union = Graph()
    for name, graph in built.graphs.items():
        if name != INFERRED_GRAPH:
            union += graph
    return union


def test_inferred_triples_are_only_new_ones(built):
    union = asserted(built)
    assert len(inferred(built)) > 0
    assert not [t for t in inferred(built) if t in union]


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


def test_inconsistent_data_is_reported():
    from astana_kg.reasoning import InconsistentData
    import pytest

    graph = Graph().parse(data="""
        @prefix owl: <http://www.w3.org/2002/07/owl#> .
        <urn:A> owl:disjointWith <urn:B> .
        <urn:x> a <urn:A>, <urn:B> .
    """, format="turtle")
    with pytest.raises(InconsistentData, match="inconsistent"):
        infer(graph)


def test_an_identifier_record_is_not_taken_for_a_wikidata_alignment(built):
    records = [s for s in built.graphs[WIKIDATA_GRAPH].subjects(AKG.alignedEntity, None)
               if str(s).startswith(str(DATA["identifier-"]))]
    assert records, "the curation graph has no identifier record to check"
    for record in records:
        assert (record, RDF.type, AKG.WikidataAlignment) not in inferred(built)


def test_no_event_is_taken_for_a_prov_activity_since_some_are_only_planned_or_alleged(built):
    union = asserted(built)
    assert list(union.subjects(AKG.eventStatus, AKG.Planned)) and list(union.subjects(AKG.eventStatus, AKG.Alleged))
    events = set(inferred(built).subjects(RDF.type, AKG.Event)) | set(union.subjects(RDF.type, AKG.Event))
    assert events
    assert not [e for e in events if (e, RDF.type, PROV.Activity) in inferred(built)]


def test_a_date_derivation_is_not_taken_for_a_time_instant(built):
    derivations = set(asserted(built).subjects(RDF.type, AKG.DateDerivation))
    assert derivations
    assert not [d for d in derivations if (d, RDF.type, TIME.Instant) in inferred(built)]


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


def with_skos_semantics(built) -> Graph:
    """Every graph of the build with the SKOS axioms, closed under RDFS."""
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


def test_no_entity_linked_to_wikidata_is_inferred_a_skos_concept(built):
    closure = with_skos_semantics(built)
    linked = set(built.graphs[WIKIDATA_GRAPH].subjects(SDO.sameAs, None))
    assert DATA.russia in linked
    assert not {entity for entity in linked if (entity, RDF.type, SKOS.Concept) in closure}


def test_no_entity_of_the_graph_is_inferred_a_skos_concept(built):
    """Not by a Wikidata link, nor by the link of two events that may be one."""
    closure = with_skos_semantics(built)
    assert (DATA["astana-meeting-july"], AKG.possiblySameEventAs, DATA["astana-round-5"]) in closure
    assert (DATA["astana-round-5"], AKG.possiblySameEventAs, DATA["astana-meeting-july"]) in inferred(built)
    assert not [s for s in closure.subjects(RDF.type, SKOS.Concept) if str(s).startswith(str(DATA))]
