"""The endpoint through Flask's test client: protocol forms, formats, errors, safety, caching."""

import json
import shutil

import pyoxigraph as ox
import pytest
from rdflib import Graph

from astana_kg.http import create_app
from astana_kg.http.negotiation import choose

GUARANTORS = (pytest.importorskip("astana_kg.query.queries").load("cq/01-guarantors").text)
LABEL = "SELECT ?l WHERE { <https://w3id.org/astana-kg/id/russia> <http://www.w3.org/2000/01/rdf-schema#label> ?l }"


@pytest.fixture(scope="module")
def app(built):
    app = create_app({"BUILD_DIR": str(built.out), "QUERY_TIMEOUT": 2, "ROW_CAP": 50, "TESTING": True})
    yield app
    app.extensions["astana_kg"]().close()


@pytest.fixture
def client(app):
    return app.test_client()


def test_query_by_get_returns_sparql_json_by_default(client):
    response = client.get("/sparql", query_string={"query": GUARANTORS})
    assert response.status_code == 200
    assert response.content_type == "application/sparql-results+json"
    labels = [b["label"]["value"] for b in response.json["results"]["bindings"]]
    assert labels == ["Iran", "Russia", "Turkey"]


def test_query_by_urlencoded_post_and_by_direct_post(client):
    form = client.post("/sparql", data={"query": LABEL})
    direct = client.post("/sparql", data=LABEL.encode(), content_type="application/sparql-query")
    assert form.status_code == direct.status_code == 200
    assert form.json == direct.json


@pytest.mark.parametrize("accept, media_type", [
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv; charset=utf-8"),
    ("text/tab-separated-values", "text/tab-separated-values; charset=utf-8"),
    ("application/json", "application/sparql-results+json"),
    ("*/*", "application/sparql-results+json"),
    ("text/csv;q=0.2, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
])
def test_select_results_are_negotiated_by_accept(client, accept, media_type):
    response = client.get("/sparql", query_string={"query": LABEL}, headers={"Accept": accept})
    assert response.status_code == 200 and response.headers["Content-Type"] == media_type
    if media_type.startswith("text/csv"):
        assert response.data.decode().splitlines() == ["l", "Russia"]
        return
    parsed = ox.parse_query_results(response.data, format=ox.QueryResultsFormat.from_media_type(media_type))
    assert [s["l"].value for s in parsed] == ["Russia"]


@pytest.mark.parametrize("accept", ["text/turtle", "application/n-triples", "application/n-quads", "application/trig",
                                    "application/ld+json", "application/rdf+xml"])
def test_construct_results_are_negotiated_and_parse(client, accept):
    query = "CONSTRUCT WHERE { ?s a <https://w3id.org/astana-kg/ontology#State> }"
    response = client.get("/sparql", query_string={"query": query}, headers={"Accept": accept})
    assert response.status_code == 200 and response.headers["Content-Type"].startswith(accept)
    quads = list(ox.parse(response.data, format=ox.RdfFormat.from_media_type(accept)))
    assert len({q.subject for q in quads}) == 8


def test_the_format_parameter_overrides_accept(client):
    response = client.get("/sparql", query_string={"query": LABEL, "format": "csv"}, headers={"Accept": "application/json"})
    assert response.data.decode().splitlines() == ["l", "Russia"]


def test_an_accept_nothing_matches_is_406_listing_what_is_supported(client):
    response = client.get("/sparql", query_string={"query": LABEL}, headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert response.content_type == "application/problem+json"
    assert "text/csv; charset=utf-8" in response.json["supported"]


def test_a_syntax_error_is_400_with_line_and_column(client):
    response = client.get("/sparql", query_string={"query": "SELECT ?x WHERE {\n  ?x ?y \n}"})
    assert response.status_code == 400
    assert (response.json["line"], response.json["column"]) == (3, 2)
    assert "not valid SPARQL" in response.json["detail"]


def test_other_methods_are_405_and_unsupported_bodies_415(client):
    assert client.put("/sparql", data="x").status_code == 405
    assert client.post("/sparql", data="ASK {}", content_type="text/plain").status_code == 415


def test_an_update_on_the_read_only_endpoint_is_403(client):
    response = client.post("/sparql", data="INSERT DATA { <urn:a> <urn:b> <urn:c> }",
                           content_type="application/sparql-update")
    assert response.status_code == 403


def test_a_request_over_the_size_limit_is_413(built):
    app = create_app({"BUILD_DIR": str(built.out), "MAX_CONTENT_LENGTH": 1000})
    response = app.test_client().post("/sparql", data=b"ASK {} #" + b"x" * 2000, content_type="application/sparql-query")
    assert response.status_code == 413 and response.content_type == "application/problem+json"


def test_a_query_past_its_deadline_is_stopped_with_503_and_retry_after(client):
    cartesian = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    response = client.get("/sparql", query_string={"query": cartesian, "timeout": "0.5"})
    assert response.status_code == 503 and "Retry-After" in response.headers
    assert client.get("/sparql", query_string={"query": LABEL}).status_code == 200


def test_a_service_off_the_allow_list_is_403_naming_the_iri(client):
    query = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    response = client.get("/sparql", query_string={"query": query})
    assert response.status_code == 403 and response.json["service"] == "http://127.0.0.1:9/sparql"


def test_a_service_with_a_variable_endpoint_is_refused(client):
    response = client.get("/sparql", query_string={"query": "SELECT * WHERE { SERVICE ?e { ?s ?p ?o } }"})
    assert response.status_code == 403


def test_a_service_in_a_comment_or_a_string_is_not_a_service(client):
    query = 'SELECT ?x WHERE { BIND("SERVICE <http://127.0.0.1:9/>" AS ?x) } # SERVICE <http://127.0.0.1:9/>'
    assert client.get("/sparql", query_string={"query": query}).status_code == 200


def test_results_over_the_row_cap_are_truncated_and_said_so(client):
    response = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert response.status_code == 200
    assert len(response.json["results"]["bindings"]) == 50
    assert response.headers["X-Result-Truncated"] == "true; row-cap=50"


def test_etag_and_if_none_match_give_304(client):
    first = client.get("/sparql", query_string={"query": LABEL})
    again = client.get("/sparql", query_string={"query": LABEL}, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    other = client.get("/sparql", query_string={"query": LABEL, "format": "csv"},
                       headers={"If-None-Match": first.headers["ETag"]})
    assert other.status_code == 200
    assert "max-age" in first.headers["Cache-Control"]


def test_a_repeated_query_is_served_from_the_cache(client):
    client.get("/sparql", query_string={"query": LABEL + " # cache"})
    assert client.get("/sparql", query_string={"query": LABEL + " # cache"}).headers["X-Cache"] == "hit"


def test_cors_headers_are_sent_and_can_be_turned_off(built, client):
    assert client.get("/sparql", query_string={"query": LABEL}).headers["Access-Control-Allow-Origin"] == "*"
    assert client.options("/sparql").status_code == 204
    app = create_app({"BUILD_DIR": str(built.out), "CORS": False})
    response = app.test_client().get("/health")
    assert "Access-Control-Allow-Origin" not in response.headers


def test_a_bare_get_returns_the_service_description_with_void_statistics(client):
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    graph = Graph().parse(data=response.data, format="turtle")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    answer = graph.query(f"""SELECT ?name ?n WHERE {{ ?s <{sd}namedGraph> ?ng . ?ng <{sd}name> ?name .
        ?name <http://rdfs.org/ns/void#triples> ?n }}""")
    counts = {str(name): int(n) for name, n in answer}
    assert counts["https://w3id.org/astana-kg/graph/source/001"] > 1000
    assert (None, None, None) in graph
    assert "https://query.wikidata.org/sparql" in response.data.decode()


def test_health_and_examples(client):
    assert client.get("/health").json["status"] == "ok"
    examples = client.get("/examples.json").json
    titles = [e["title"] for e in examples]
    assert "Guarantors of the Syrian ceasefire" in titles and all(e["query"] for e in examples)


def test_updates_need_the_token_in_writable_mode(built, tmp_path):
    copy = tmp_path / "build"
    shutil.copytree(built.out, copy)
    app = create_app({"BUILD_DIR": str(copy), "ALLOW_UPDATE": True, "UPDATE_TOKEN": "s3cret"})
    client = app.test_client()
    update = "INSERT DATA { <urn:a> <urn:b> <urn:c> }"
    assert client.post("/update", data=update, content_type="application/sparql-update").status_code == 401
    ok = client.post("/update", data=update, content_type="application/sparql-update",
                     headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 204
    ask = client.get("/sparql", query_string={"query": "ASK { <urn:a> <urn:b> <urn:c> }"})
    assert ask.json["boolean"] is True


@pytest.mark.parametrize("accept, expected", [
    (None, "application/sparql-results+json"),
    ("", "application/sparql-results+json"),
    ("text/*", "text/csv; charset=utf-8"),
    ("application/xml", "application/sparql-results+xml"),
    ("text/csv;q=0, */*;q=0.1", "application/sparql-results+json"),
])
def test_negotiation_table_for_solutions(accept, expected):
    assert choose("solutions", accept).media_type == expected


@pytest.fixture
def stand_in():
    """A local SPARQL endpoint standing in for a remote one; it records what it received."""
    import http.server
    import threading

    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append({"headers": dict(self.headers), "body": body.decode()})
            out = json.dumps({"head": {"vars": ["capital"]}, "results": {"bindings": [
                {"capital": {"type": "uri", "value": "http://www.wikidata.org/entity/Q649"}}]}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sparql", seen
    server.shutdown()


def test_service_calls_go_to_the_configured_mirror_with_a_descriptive_user_agent(built, stand_in):
    url, seen = stand_in
    app = create_app({"BUILD_DIR": str(built.out), "SERVICE_MIRRORS": {"https://query.wikidata.org/sparql": url}})
    try:
        query = """PREFIX wdt: <http://www.wikidata.org/prop/direct/>
            SELECT ?capital WHERE { SERVICE <https://query.wikidata.org/sparql> { ?x wdt:P36 ?capital } }"""
        response = app.test_client().get("/sparql", query_string={"query": query})
        assert response.status_code == 200, response.data
        assert response.json["results"]["bindings"][0]["capital"]["value"] == "http://www.wikidata.org/entity/Q649"
        assert len(seen) == 1
        assert seen[0]["headers"]["User-Agent"].startswith("astana-kg/")
        assert "P36" in seen[0]["body"]
    finally:
        app.extensions["astana_kg"]().close()


def test_a_failing_remote_service_is_502_unless_silent(built):
    app = create_app({"BUILD_DIR": str(built.out), "SERVICE_MIRRORS": {"https://query.wikidata.org/sparql": "http://127.0.0.1:1/"}})
    try:
        client = app.test_client()
        query = "SELECT * WHERE { SERVICE <https://query.wikidata.org/sparql> { ?s ?p ?o } }"
        assert client.get("/sparql", query_string={"query": query}).status_code == 502
        silent = query.replace("SERVICE", "SERVICE SILENT")
        assert client.get("/sparql", query_string={"query": silent}).status_code == 200
    finally:
        app.extensions["astana_kg"]().close()


def test_protocol_graphs_and_a_using_clause_in_the_update_conflict(built, tmp_path):
    copy = tmp_path / "build"
    shutil.copytree(built.out, copy)
    app = create_app({"BUILD_DIR": str(copy), "ALLOW_UPDATE": True, "UPDATE_TOKEN": "t"})
    update = "DELETE { ?s ?p ?o } USING <urn:g> WHERE { ?s ?p ?o }"
    response = app.test_client().post("/update?using-graph-uri=urn:h", data=update,
                                      content_type="application/sparql-update", headers={"Authorization": "Bearer t"})
    assert response.status_code == 400 and "USING" in response.json["detail"]


def test_a_method_the_route_does_not_take_is_405_with_allow(client):
    response = client.delete("/sparql")
    assert response.status_code == 405
    assert response.content_type == "application/problem+json"
    assert {"GET", "POST"} <= {m.strip() for m in response.headers["Allow"].split(",")}


def test_a_browser_opening_the_endpoint_is_sent_to_the_query_page(client):
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = client.get("/sparql", headers={"Accept": browser})
    assert response.status_code == 303 and response.headers["Location"].endswith("/")
    assert "Accept" in response.headers["Vary"]
    description = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert description.status_code == 200 and description.content_type.startswith("text/turtle")
