"""The SPARQL Service Description of the endpoint, with VoID statistics of its dataset."""

from __future__ import annotations

import pyoxigraph as ox

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
FORMATS = "http://www.w3.org/ns/formats/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
#: akg:allowsServiceEndpoint (written out: this module does not load rdflib for the closed namespace).
ALLOWS_SERVICE_ENDPOINT = "https://w3id.org/astana-kg/ontology#allowsServiceEndpoint"

RESULT_FORMAT_IRIS = ["SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                      "Turtle", "N-Triples", "N-Quads", "TriG", "JSON-LD", "RDF_XML"]


def graph_statistics(store: ox.Store) -> tuple[int, list[tuple[str, int]]]:
    """Triples in the default graph, and per named graph."""
    default = next(iter(store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")))["n"].value
    named = [(row["g"].value, int(row["n"].value)) for row in store.query(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g")]
    return int(default), named


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
