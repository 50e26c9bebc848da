"""The SPARQL Service Description of the endpoint, with VoID statistics of its dataset."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from ..query import queries as query_files

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
FORMATS = "http://www.w3.org/ns/formats/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
#: akg:allowsServiceEndpoint (written out: this module does not load rdflib for the closed namespace).
ALLOWS_SERVICE_ENDPOINT = "https://w3id.org/astana-kg/ontology#allowsServiceEndpoint"

RESULT_FORMAT_IRIS = ["SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                      "Turtle", "N-Triples", "N-Quads", "TriG", "JSON-LD", "RDF_XML"]


WIKIDATA_ENTITIES = "http://www.wikidata.org/entity/"


@dataclass
class Statistics:
    """VoID statistics of a store: the default graph (the merge), each named graph, the classes and
    properties used, and the links into Wikidata."""

    triples: int
    distinct_subjects: int
    distinct_objects: int
    graphs: list[tuple[str, int, str | None]]  # (graph IRI, triples, label)
    classes: list[tuple[str, int]]  # (class IRI, instances)
    properties: list[tuple[str, int]]  # (property IRI, triples)
    wikidata_links: int
    wikidata_subjects: int
    wikidata_items: int


def select(store: ox.Store, name: str, **bindings) -> list[dict]:
    """Rows of ``queries/overview/NAME.rq`` as dicts of variable -> term (None where unbound);
    ``bindings`` are bound with pyoxigraph's substitutions."""
    query = query_files.load(f"overview/{name}")
    substitutions = {ox.Variable(key): value for key, value in bindings.items()}
    solutions = store.query(query.text, substitutions=substitutions or None)
    names = [v.value for v in solutions.variables]
    return [{n: solution[n] for n in names} for solution in solutions]


def _int(term) -> int:
    return int(term.value) if term is not None else 0


def graph_statistics(store: ox.Store) -> tuple[int, list[tuple[str, int]]]:
    """Triples in the default graph, and per named graph."""
    default = _int(select(store, "void-triples")[0]["triples"])
    return default, [(row["g"].value, _int(row["n"])) for row in select(store, "void-graphs")]


def statistics(store: ox.Store) -> Statistics:
    """Everything a VoID description counts, from the queries in ``queries/overview/void-*.rq``."""
    totals = select(store, "void-triples")[0]
    graphs = [(row["g"].value, _int(row["n"]), row["label"].value if row["label"] is not None else None)
              for row in select(store, "void-graphs")]
    classes = [(row["class"].value, _int(row["entities"])) for row in select(store, "void-classes")]
    properties = [(row["property"].value, _int(row["triples"])) for row in select(store, "void-properties")]
    links = select(store, "void-linkset", space=ox.Literal(WIKIDATA_ENTITIES))
    link = links[0] if links else {}
    return Statistics(_int(totals["triples"]), _int(totals["subjects"]), _int(totals["objects"]), graphs, classes,
                      properties, _int(link.get("triples")), _int(link.get("subjects")), _int(link.get("objects")))


def service_description(endpoint: str, store: ox.Store, allow_list: list[str], update: bool) -> list[ox.Triple]:
    """The description as triples: endpoint, languages, formats, features, dataset, federation."""
    def iri(value):
        return ox.NamedNode(value)

    service = iri(endpoint + "#service")
    dataset = iri(endpoint + "#dataset")
    default_graph = iri(endpoint + "#default-graph")
    triples = [
        ox.Triple(service, RDF_TYPE, iri(SD + "Service")),
        ox.Triple(service, iri(SD + "endpoint"), iri(endpoint)),
        ox.Triple(service, iri(SD + "supportedLanguage"), iri(SD + "SPARQL11Query")),
        ox.Triple(service, iri(SD + "feature"), iri(SD + "UnionDefaultGraph")),
        ox.Triple(service, iri(SD + "feature"), iri(SD + "BasicFederatedQuery")),
        ox.Triple(service, iri(SD + "defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, iri(SD + "Dataset")),
        ox.Triple(dataset, iri(SD + "defaultGraph"), default_graph),
        ox.Triple(default_graph, RDF_TYPE, iri(SD + "Graph")),
        ox.Triple(default_graph, RDF_TYPE, iri(VOID + "Dataset")),
    ]
    if update:
        triples.append(ox.Triple(service, iri(SD + "supportedLanguage"), iri(SD + "SPARQL11Update")))
    for name in RESULT_FORMAT_IRIS:
        triples.append(ox.Triple(service, iri(SD + "resultFormat"), iri(FORMATS + name)))
    default_count, named = graph_statistics(store)
    triples.append(ox.Triple(default_graph, iri(VOID + "triples"), ox.Literal(str(default_count), datatype=XSD_INTEGER)))
    for name, count in named:
        node = iri(name + "#named-graph")
        graph = iri(name)
        triples += [
            ox.Triple(dataset, iri(SD + "namedGraph"), node),
            ox.Triple(node, RDF_TYPE, iri(SD + "NamedGraph")),
            ox.Triple(node, iri(SD + "name"), graph),
            ox.Triple(node, iri(SD + "graph"), graph),
            ox.Triple(graph, RDF_TYPE, iri(SD + "Graph")),
            ox.Triple(graph, RDF_TYPE, iri(VOID + "Dataset")),
            ox.Triple(graph, iri(VOID + "triples"), ox.Literal(str(count), datatype=XSD_INTEGER)),
        ]
    for allowed in allow_list:
        # The endpoints a SERVICE clause may call from here.
        triples.append(ox.Triple(service, iri(ALLOWS_SERVICE_ENDPOINT), iri(allowed)))
    return triples
