"""Writable mode (``--allow-update``): the token, the deadline, run-time failures, and what a
write changes (the default graph, the pages, the fragments) without a restart."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from astana_kg.http import create_app

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from helpers_server import Canary  # noqa: E402

TOKEN = "update-mode-token"
EX = "http://example.org/"
RUNAWAY_UPDATE = "INSERT { ?a <http://example.org/n> ?f } WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@pytest.fixture
def writable(tmp_path):
    build = tmp_path / "build"
    build.mkdir()
    store = ox.Store(str(build / "store"))
    for i in range(40):
        store.add(ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(EX + "p"), ox.Literal(str(i)), ox.NamedNode(EX + "g")))
        store.add(ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(EX + "p"), ox.Literal(str(i)), ox.DefaultGraph()))
    store.flush()
    del store
    with Canary(body=b"this is not RDF", content_type="text/plain") as not_rdf:
        app = create_app({"BUILD_DIR": str(build), "TESTING": True, "ALLOW_UPDATE": True, "UPDATE_TOKEN": TOKEN,
                          "QUERY_TIMEOUT": 20, "SERVICE_ALLOW": [not_rdf.url], "NETWORK_ISOLATION": "off"})
        app.not_rdf = not_rdf.url
        yield app
        app.extensions["astana_kg"]().close()


def update(client, text: str, authorization: str | None = f"Bearer {TOKEN}", **params):
    headers = {"Authorization": authorization} if authorization else {}
    return client.post("/update", data=text.encode(), content_type="application/sparql-update", headers=headers,
                       query_string=params)


def ask(client, text: str) -> bool:
    response = client.get("/sparql", query_string={"query": text})
    assert response.status_code == 200, response.data[:300]
    return response.json["boolean"]


@pytest.mark.parametrize("authorization", [TOKEN, f"Basic {TOKEN}", f"Bearer{TOKEN}", "Bearer", f"Bearer {TOKEN}x"])
def test_an_update_without_a_well_formed_bearer_token_is_refused(writable, authorization):
    response = update(writable.test_client(), f"INSERT DATA {{ <{EX}a> <{EX}b> 1 }}", authorization)
    assert response.status_code == 401, (authorization, response.status_code)
    assert not ask(writable.test_client(), f"ASK {{ <{EX}a> <{EX}b> 1 }}")


def test_an_update_past_its_deadline_is_stopped_and_leaves_the_store_as_it_was(writable):
    client = writable.test_client()
    started = time.monotonic()
    response = update(client, RUNAWAY_UPDATE, timeout="1")
    took = time.monotonic() - started
    assert response.status_code == 503 and "Retry-After" in response.headers, response.data[:300]
    assert took < 1 + 5, took
    assert not ask(client, f"ASK {{ ?a <{EX}n> ?f }}")
    assert update(client, f"INSERT DATA {{ <{EX}a> <{EX}b> 1 }}").status_code == 204  # the writer was replaced
    assert ask(client, f"ASK {{ <{EX}a> <{EX}b> 1 }}")


@pytest.mark.parametrize("text, status", [
    (f"CREATE GRAPH <{EX}g>", 400),
    (f"DROP GRAPH <{EX}nothing-here>", 400),
])
def test_an_update_that_cannot_be_applied_is_a_4xx_not_a_server_fault(writable, text, status):
    response = update(writable.test_client(), text)
    assert response.status_code == status, response.data[:300]
    assert response.content_type == "application/problem+json"


def test_loading_a_document_that_is_not_rdf_is_a_4xx_or_a_bad_gateway(writable):
    response = update(writable.test_client(), f"LOAD <{writable.not_rdf}> INTO GRAPH <{EX}loaded>")
    assert response.status_code in (400, 502), response.data[:300]
    assert response.content_type == "application/problem+json"


def test_a_write_to_a_named_graph_shows_in_the_default_graph_the_pages_and_the_fragments(writable):
    client = writable.test_client()
    new = f"{EX}new-thing"
    assert update(client, f"INSERT DATA {{ GRAPH <{EX}g> {{ <{new}> <{EX}p> \"fresh\" }} }}").status_code == 204
    assert ask(client, f'ASK {{ <{new}> <{EX}p> "fresh" }}')  # the default graph is the merge
    fragment = client.get("/fragments", query_string={"subject": new}, headers={"Accept": "application/n-triples"})
    assert fragment.status_code == 200 and b"fresh" in fragment.data
    # Removed from the last named graph that held it: gone from the default graph too.
    assert update(client, f"DELETE DATA {{ GRAPH <{EX}g> {{ <{EX}s1> <{EX}p> \"1\" }} }}").status_code == 204
    assert not ask(client, f'ASK {{ <{EX}s1> <{EX}p> "1" }}')
    assert ask(client, f'ASK {{ <{EX}s2> <{EX}p> "2" }}')
    # What an update writes to the default graph itself stays there.
    assert update(client, f"INSERT DATA {{ <{EX}own> <{EX}p> 1 }}").status_code == 204
    assert update(client, f"INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}x> <{EX}p> 2 }} }}").status_code == 204
    assert ask(client, f"ASK {{ <{EX}own> <{EX}p> 1 }}")


def test_a_write_shows_on_the_entity_pages_at_once(writable):
    client = writable.test_client()
    iri = "https://w3id.org/astana-kg/id/written-thing"
    assert client.get("/id/written-thing.nt").status_code == 404
    label = "http://www.w3.org/2000/01/rdf-schema#label"
    for value in ("first", "second"):
        text = f'DELETE WHERE {{ GRAPH <{EX}g> {{ <{iri}> <{label}> ?old }} }} ; ' \
               f'INSERT DATA {{ GRAPH <{EX}g> {{ <{iri}> <{label}> "{value}" }} }}'
        assert update(client, text).status_code == 204
        page = client.get("/id/written-thing.nt")
        assert page.status_code == 200 and f'"{value}"'.encode() in page.data, (value, page.data[:300])
