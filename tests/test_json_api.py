"""The JSON API (/api/...): its answers, its errors, its OpenAPI description, and schemathesis
fuzzing every operation against that description with all its default checks."""

from __future__ import annotations

import json
import re
import urllib.parse

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from astana_kg.http import create_app
from astana_kg.http.api import OPENAPI_PATH

ID = "https://w3id.org/astana-kg/id/"
AKG = "https://w3id.org/astana-kg/ontology#"
SPEC = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def app(built):
    application = create_app({"BUILD_DIR": str(built.out), "QUERY_WORKERS": 1})
    yield application
    application.extensions["astana_kg"]().close()


@pytest.fixture
def client(app):
    with app.test_client() as test_client:
        yield test_client


def get(client, path: str, **params) -> tuple[int, dict]:
    response = client.get(path + ("?" + urllib.parse.urlencode(params, doseq=True) if params else ""))
    expected = "application/json" if response.status_code == 200 else "application/problem+json"
    assert response.headers["Content-Type"] == expected
    return response.status_code, response.get_json()


# --- the description matches the routes -------------------------------------------------------------

def test_the_openapi_description_lists_exactly_the_api_routes(app):
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            routes.add(re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule))
    assert routes and routes == set(SPEC["paths"])
    assert all(set(operations) == {"get"} for operations in SPEC["paths"].values())


def test_the_openapi_description_is_served(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.get_json() == SPEC
    assert SPEC["openapi"].startswith("3.")


def test_every_operation_documents_its_errors_as_problem_details():
    for path, operations in SPEC["paths"].items():
        responses = operations["get"]["responses"]
        if path == "/api/openapi.json":
            continue
        assert "400" in responses, path
        for status, response in responses.items():
            media = "application/json" if status == "200" else "application/problem+json"
            assert set(response["content"]) == {media}, (path, status)


# --- answers --------------------------------------------------------------------------------------

@pytest.mark.parametrize("ref", ["Erdogan", "erdoğan", "recep-tayyip-erdogan", ID + "recep-tayyip-erdogan"])
def test_an_entity_is_found_by_iri_slug_or_accent_insensitive_name(client, ref):
    status, body = get(client, "/api/entity", ref=ref)
    assert status == 200
    assert body["@id"] == ID + "recep-tayyip-erdogan" and "@context" in body
    assert body["label"].startswith("Recep Tayyip Erdo")


def test_an_entity_is_found_by_its_wikidata_item(client):
    status, body = get(client, "/api/wikidata/Q159")
    assert status == 200 and body["@id"] == ID + "russia"
    assert {"@id": "http://www.wikidata.org/entity/Q159"} in body["wikidata"]
    assert any(alias["label"] == "Moscow" for alias in body["aliases"])


def test_an_unknown_or_ambiguous_name_is_a_problem(client):
    status, body = get(client, "/api/entity", ref="Atlantis")
    assert status == 404 and body["status"] == 404 and "Atlantis" in body["detail"]
    status, body = get(client, "/api/entity", ref="al")
    assert status == 409 and len(body["candidates"]) > 1
    assert all(c["@id"].startswith(ID) and c["label"] for c in body["candidates"])


@pytest.mark.parametrize("path, params, parameter", [
    ("/api/entity", {}, "ref"), ("/api/search", {"q": "a", "limit": "0"}, "limit"),
    ("/api/search", {"q": "a", "offset": "-1"}, "offset"), ("/api/neighbours", {"node": "russia", "direction": "up"}, "direction"),
    ("/api/path", {"from": "russia", "to": "iran", "directed": "yes"}, "directed"), ("/api/wikidata/159", {}, "qid"),
])
def test_bad_parameters_are_400_problems_naming_the_parameter(client, path, params, parameter):
    status, body = get(client, path, **params)
    assert status == 400 and body["parameter"] == parameter


def test_search_autocompletes_accent_insensitive_prefixes(client):
    status, body = get(client, "/api/search", q="lavr")
    assert status == 200
    assert [e["label"] for e in body["items"]][:2] == ["Sergey Lavrov", "Alexander Lavrentyev"]
    status, body = get(client, "/api/search", q="erdo")
    assert ID + "recep-tayyip-erdogan" in [e["@id"] for e in body["items"]]


def test_long_lists_are_paged_with_links(client):
    status, first = get(client, "/api/events", limit=5)
    assert status == 200 and len(first["items"]) == 5 and first["total"] > 5 and first["previous"] is None
    seen = [e["@id"] for e in first["items"]]
    following = first["next"]
    while following:
        query = urllib.parse.urlsplit(following).query
        status, next_page = get(client, "/api/events", **dict(urllib.parse.parse_qsl(query)))
        seen += [e["@id"] for e in next_page["items"]]
        assert next_page["previous"]
        following = next_page["next"]
    assert len(seen) == first["total"]


def test_neighbours_and_a_shortest_path(client):
    status, body = get(client, "/api/neighbours", node="role-guarantor-russia", direction="out")
    assert status == 200
    assert {n["node"]["label"] for n in body["items"]} == {"Russia", "Syria-wide ceasefire of December 2016"}
    status, body = get(client, "/api/path", **{"from": "Lavrentyev", "to": "Iran"})
    assert status == 200 and body["length"] == len(body["edges"]) >= 1
    ends = {body["edges"][0]["subject"]["@id"], body["edges"][0]["object"]["@id"]}
    assert body["from"]["@id"] in ends


def test_typed_accessors_answer_with_sources(client):
    status, body = get(client, "/api/roles", party="Russia")
    assert status == 200 and body["items"][0]["role_class"]["@id"] == AKG + "GuarantorRole"
    assert len(body["items"][0]["sources"]) == 5
    status, body = get(client, "/api/zone-areas", zone="zone-southern")
    assert {z["area"]["@id"].rsplit("/", 1)[1] for z in body["items"]} == {"daraa-province", "quneitra-province"}
    status, body = get(client, "/api/agreement", agreement="memorandum")
    assert status == 200 and {d["value"] for d in body["signed_on"]} == {"2017-05-04"}
    status, body = get(client, "/api/statements", speaker="Lavrentyev")
    assert status == 200 and body["items"] and all(s["source"]["@id"] for s in body["items"])
    status, body = get(client, "/api/fact-evidence", subject="memorandum", predicate=AKG + "signedOn",
                       object='"2017-05-04"^^http://www.w3.org/2001/XMLSchema#date')
    assert status == 200 and body["items"] and all(q["exact"] for q in body["items"])


def test_answers_read_as_json_ld(client):
    from rdflib import Graph, Literal, URIRef
    from rdflib.namespace import RDF, RDFS, SDO

    response = client.get("/api/entity?ref=russia")
    graph = Graph().parse(data=response.data, format="json-ld")
    russia = URIRef(ID + "russia")
    assert (russia, RDFS.label, Literal("Russia")) in graph
    assert (russia, SDO.sameAs, URIRef("http://www.wikidata.org/entity/Q159")) in graph
    assert (russia, RDF.type, URIRef(AKG + "State")) in graph
    response = client.get("/api/roles?party=russia&limit=2")
    graph = Graph().parse(data=response.data, format="json-ld")
    assert (None, URIRef("http://purl.org/dc/terms/source"), URIRef(ID + "source-000")) in graph


def test_unsupported_methods_answer_405_with_allow(client):
    response = client.post("/api/entity?ref=russia")
    assert response.status_code == 405 and response.headers["Allow"] == "GET, HEAD"
    assert response.headers["Content-Type"] == "application/problem+json"


# --- schemathesis ---------------------------------------------------------------------------------

# The schema is loaded from an app made at import time: the app opens its store only on the first
# request that needs it, after the fixture below has pointed it at the session's build.
FUZZED = create_app({"QUERY_WORKERS": 1})
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", FUZZED)


@pytest.fixture(scope="module")
def fuzzed(built):
    FUZZED.config["BUILD_DIR"] = str(built.out)
    yield FUZZED
    FUZZED.extensions["astana_kg"]().close()


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_conforms_to_its_openapi_description(fuzzed, case):
    case.call_and_validate()
