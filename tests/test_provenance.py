from collections import Counter

from hypothesis import example, given, settings
from hypothesis import strategies as st
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS

from astana_kg.pipeline.build import census, unlinked_entities
from astana_kg.pipeline.claims import load_sources
from astana_kg.pipeline.rdftext import WrittenOnce
from astana_kg.namespaces import AKG, DATA, GRAPH, OA, PROV, PROVENANCE_GRAPH, SCHEMA, WIKIDATA_GRAPH


def source_graphs(built):
    return {name: g for name, g in built.graphs.items() if str(name).startswith(str(GRAPH["source/"]))}


def test_there_is_one_named_graph_per_source(built):
    assert sorted(str(n).rsplit("/", 1)[1] for n in source_graphs(built)) == ["000", "001", "002", "003", "004"]


def test_every_selector_points_at_its_exact_text(built, root):
    sources = {s.iri: s for s in load_sources(root / "data" / "sources").values()}
    checked = 0
    for graph in source_graphs(built).values():
        for target in graph.subjects(RDF.type, OA.SpecificResource):
            text = sources[graph.value(target, OA.hasSource)].text
            selectors = list(graph.objects(target, OA.hasSelector))
            quote = next(s for s in selectors if (s, RDF.type, OA.TextQuoteSelector) in graph)
            position = next(s for s in selectors if (s, RDF.type, OA.TextPositionSelector) in graph)
            start, end = int(graph.value(position, OA.start)), int(graph.value(position, OA.end))
            assert text[start:end] == str(graph.value(quote, OA.exact))
            assert text[:start].endswith(str(graph.value(quote, OA.prefix)))
            assert text[end:].startswith(str(graph.value(quote, OA.suffix)))
            checked += 1
    assert checked > 100


def test_every_evidence_annotation_has_the_created_time_and_curator_its_claim_file_gives(built, root):
    import datetime

    import yaml
    from rdflib.namespace import DCTERMS, FOAF, XSD

    checked = 0
    for name, graph in source_graphs(built).items():
        curation = yaml.safe_load((root / "data" / "claims" / f"{str(name).rsplit('/', 1)[1]}.yaml").read_text())
        for annotation in graph.subjects(RDF.type, OA.Annotation):
            [created], [creator] = graph.objects(annotation, DCTERMS.created), graph.objects(annotation, DCTERMS.creator)
            # The file's words, not rdflib's canonical form of the instant ("+00:00" for "Z").
            assert created.datatype == XSD.dateTime and str(created) == curation["created"]
            assert created.toPython() == datetime.datetime.fromisoformat(curation["created"].replace("Z", "+00:00"))
            assert str(creator) == curation["curator"]
            assert (creator, RDF.type, FOAF.Organization) in graph and (creator, RDF.type, PROV.Organization) in graph
            checked += 1
    assert checked > 500


def test_a_fact_several_sources_support_is_in_each_of_their_graphs(built):
    role = DATA["role-guarantor-iran"]
    holders = [name for name, g in source_graphs(built).items() if (role, AKG.roleOf, DATA.iran) in g]
    assert len(holders) == 5
    for name in holders:
        graph = built.graphs[name]
        assert list(graph.subjects(OA.hasBody, role)), f"no evidence for {role} in {name}"


def test_every_source_graph_is_described_with_prov(built):
    provenance = built.graphs[PROVENANCE_GRAPH]
    for name in source_graphs(built):
        assert (name, RDF.type, PROV.Entity) in provenance
        source_id = str(name).rsplit("/", 1)[1]
        assert (name, PROV.wasDerivedFrom, DATA[f"source-{source_id}"]) in provenance


def test_wikidata_links_live_in_the_curation_graph_with_their_basis(built):
    curation = built.graphs[WIKIDATA_GRAPH]
    from rdflib.namespace import SDO

    assert (DATA.russia, SDO.sameAs, None) in curation
    for name, graph in source_graphs(built).items():
        assert not list(graph.triples((None, SDO.sameAs, None))), name
    alignment = DATA["wikidata-alignment-russia"]
    assert "verified-qids.tsv line" in str(curation.value(alignment, AKG.basis))


def test_the_unlinked_entities_are_reported_for_curators(built):
    unlinked = (built.out / "unlinked.tsv").read_text().splitlines()
    assert unlinked[0] == "entity\tlabel\tclass"
    names = {line.split("\t")[0] for line in unlinked[1:]}
    assert str(DATA["sergey-lavrov"]) in names
    assert str(DATA.russia) not in names



def _unlinked_by_lookups(graphs):
    """The unlinked entities found by rdflib's lookups, graph by graph (the report read each graph
    so before it read them in one pass)."""
    linked = {s for graph in graphs.values() for s in graph.subjects(SCHEMA.sameAs)}
    zones = {s for graph in graphs.values() for s in graph.subjects(RDF.type, AKG.DeEscalationZone)}
    found = [(entity, cls) for cls in (AKG.Person, AKG.Party, AKG.Place, AKG.NewsOrganization)
             for entity in {s for graph in graphs.values() for s in graph.subjects(RDF.type, cls)}
             if isinstance(entity, URIRef) and str(entity).startswith(str(DATA))
             and entity not in linked and entity not in zones]
    names = {}
    for graph in graphs.values():
        for entity, label in graph.subject_objects(RDFS.label):
            if entity in {e for e, _ in found}:
                names[entity] = min(names.get(entity, str(label)), str(label))
    return sorted({(str(e), names.get(e, ""), f"akg:{str(c)[len(str(AKG)):]}") for e, c in found})


_NODES = [DATA.a, DATA.b, DATA.c, URIRef("urn:elsewhere"), BNode("n")]
_TRIPLES = st.one_of(
    st.tuples(st.sampled_from(_NODES), st.just(RDF.type),
              st.sampled_from([AKG.Person, AKG.Party, AKG.Place, AKG.NewsOrganization, AKG.DeEscalationZone,
                               AKG.Statement, PROV.Entity])),
    st.tuples(st.sampled_from(_NODES), st.just(SCHEMA.sameAs), st.just(URIRef("http://www.wikidata.org/entity/Q159"))),
    st.tuples(st.sampled_from(_NODES), st.sampled_from([RDFS.label, RDFS.comment]),
              st.sampled_from([Literal("b"), Literal("a", lang="en"), Literal("c")])),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(_TRIPLES, max_size=8), min_size=1, max_size=3), st.booleans())
@example([[(DATA.a, RDF.type, AKG.Person), (DATA.a, RDFS.label, Literal("b"))],
          [(DATA.a, RDFS.label, Literal("c")), (DATA.b, RDF.type, AKG.Place), (DATA.b, SCHEMA.sameAs, DATA.c)]], True)
def test_the_unlinked_entities_read_in_one_pass_are_those_the_lookups_find(contents, written_once):
    graphs = {}
    for index, triples in enumerate(contents):
        graph = Graph(store=WrittenOnce()) if written_once else Graph()
        for triple in triples:
            graph.add(triple)
        graphs[GRAPH[f"source/{index:03d}"]] = graph
    assert unlinked_entities(graphs) == _unlinked_by_lookups(graphs)
    # The entities per class of the build's summary, from the same pass: as rdflib's lookups count them.
    typed = {(s, o) for graph in graphs.values() for s, _, o in graph.triples((None, RDF.type, None))
             if isinstance(o, URIRef) and str(o).startswith(str(AKG)) and str(s).startswith(str(DATA))}
    assert census(graphs)[1] == Counter(o for _, o in typed)

def test_blank_nodes_of_the_claims_become_id_node_iris_that_owl_api_3_does_not_take_for_blank_nodes(built):
    iris = {str(t) for graph in built.graphs.values() for triple in graph for t in triple if str(t).startswith(str(DATA))}
    assert [iri for iri in iris if iri.startswith(str(DATA["node-"]))], "no claim's blank node was skolemized"
    assert not [iri for iri in iris if "/genid" in iri]
