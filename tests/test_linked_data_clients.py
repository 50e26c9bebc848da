"""Linked data as real clients meet it on a running `astana-kg serve`: Comunica given an entity
IRI, pyld's own document loader, and a reader following a name to its IRI.

The server is conftest's (one per module, on a free 127.0.0.1 port, over the session's build).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from pyld import jsonld

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from helpers_server import http_get  # noqa: E402

BASE = "https://w3id.org/astana-kg/"
ID = BASE + "id/"
AKG = BASE + "ontology#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
RUSSIA = ox.NamedNode(ID + "russia")
SOURCES = {BASE + f"graph/source/00{n}" for n in range(5)}


def solutions(comunica, source: str, query: str) -> list[dict]:
    """The solutions Comunica finds for ``query`` over one document (read as Comunica reads it)."""
    answer = json.loads(comunica(source, query)[0])
    answer.pop("metadata", None)  # Comunica's own addition (request counts)
    return [{name: solution[name] for name in answer["head"]["vars"] if solution[name] is not None}
            for solution in ox.parse_query_results(json.dumps(answer).encode(), format=ox.QueryResultsFormat.JSON)]


@pytest.mark.parametrize("path", ["/id/russia", "/id/russia.nq", "/id/russia.trig"])
def test_comunica_given_an_entity_iri_finds_its_triples_in_the_default_graph(server, comunica, path):
    status, _, body = http_get(server + "/id/russia.ttl")
    assert status == 200
    expected = {(str(t.predicate), str(t.object)) for t in ox.parse(body, format=ox.RdfFormat.TURTLE)
                if t.subject == RUSSIA}
    assert (f"<{RDFS}label>", '"Russia"@en') in expected
    found = solutions(comunica, server + path, f"SELECT ?p ?o WHERE {{ {RUSSIA} ?p ?o }}")
    assert {(str(row["p"]), str(row["o"])) for row in found} == expected


@pytest.mark.parametrize("path", ["/id/russia", "/id/russia.nq", "/id/russia.trig"])
def test_comunica_given_an_entity_iri_finds_the_sources_of_a_fact_by_graph(server, comunica, path):
    rows = solutions(comunica, server + path, f"SELECT ?g WHERE {{ GRAPH ?g {{ <{ID}role-guarantor-russia> <{AKG}roleOf> {RUSSIA} }} }}")
    assert {row["g"].value for row in rows} == SOURCES


# ---------------------------------------------------------------------------------------------
# pyld, with its own document loader (requests)
# ---------------------------------------------------------------------------------------------

def _node(expanded: list[dict], iri: str) -> dict:
    nodes = [node for node in expanded if node.get("@id") == iri]
    assert len(nodes) == 1, f"{iri}: {len(nodes)} nodes"
    return nodes[0]


@pytest.mark.parametrize("path", ["/id/russia", "/id/russia.jsonld"])
def test_pyld_expands_an_entity_document_with_its_default_loader(server, path):
    expanded = jsonld.expand(server + path)  # the document, then its @context, fetched by pyld itself
    assert {"@value": "Russia", "@language": "en"} in _node(expanded, ID + "russia")[RDFS + "label"]
    role = _node(expanded, ID + "role-guarantor-russia")
    assert role[AKG + "roleOf"] == [{"@id": ID + "russia"}]
    assert AKG + "GuarantorRole" in role["@type"]


@pytest.mark.parametrize("path, node, predicate", [
    ("/graph/source/001", BASE + "graph/source/001", "http://rdfs.org/ns/void#triples"),
    ("/graph/source/001/content", ID + "role-guarantor-russia", AKG + "roleOf"),
])
def test_pyld_expands_a_graph_description_and_its_content_with_its_default_loader(server, path, node, predicate):
    assert predicate in _node(jsonld.expand(server + path), node)


def test_a_json_ld_document_carries_no_alternate_links_and_names_its_formats_itself(server):
    _, headers, _ = http_get(server + "/id/russia", {"Accept": "application/ld+json"})
    assert headers["Content-Type"].startswith("application/ld+json") and "Link" not in headers
    document = _node(jsonld.expand(server + "/id/russia.jsonld"), ID + "russia.jsonld")
    assert {"@id": ID + "russia.ttl"} in document["http://purl.org/dc/terms/hasFormat"]
    _, headers, _ = http_get(server + "/id/russia.ttl")
    assert headers["Link"].count('rel="alternate"') == 7
    assert '</id/russia.jsonld>; rel="alternate"; type="application/ld+json"' in headers["Link"]


# ---------------------------------------------------------------------------------------------
# A name instead of the IRI
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("accept, media_type", [("text/turtle", "text/turtle"), ("application/ld+json", "application/ld+json"),
                                                ("text/html,application/xhtml+xml;q=0.9,*/*;q=0.8", "text/html")])
def test_a_name_leads_to_the_entitys_document_by_content_negotiation(server, accept, media_type):
    status, headers, body = http_get(server + "/id/lavrentyev", {"Accept": accept})  # follows both 303s
    assert status == 200 and headers["Content-Type"].split(";")[0] == media_type
    assert b"alexander-lavrentyev" in body and b"Lavrentyev" in body


def test_rdflib_reads_an_entity_by_a_name(server):
    graph = rdflib.Graph().parse(server + "/id/lavrentyev")
    assert (rdflib.URIRef(ID + "alexander-lavrentyev"), rdflib.RDFS.label, rdflib.Literal("Alexander Lavrentyev", lang="en")) \
        in graph
