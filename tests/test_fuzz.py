"""Property tests of the endpoint's robustness and of its SERVICE allow-list.

Robustness: hypothesis sends malformed queries, random bytes as bodies, random Content-Type and
Accept headers and random methods through Flask's test client. Whatever comes in, the answer is
never a server fault (5xx, except 502 and 503, which name a remote or a deadline), every error
is JSON problem details, and the app still answers a good query afterwards.

The allow-list: a canary HTTP server on 127.0.0.1 counts every connection made to it. Queries
(and updates) that try to reach it, in every way SPARQL allows, must be refused (403, or 400)
and the canary must see no connection at all. A control app that allow-lists the canary shows
that the canary does see a SERVICE call that is let through.
"""

from __future__ import annotations

import itertools
import json
import sys
from urllib.parse import urlencode
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from astana_kg.query import queries
from astana_kg.http import create_app

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from helpers_server import Canary  # noqa: E402

FUZZ = settings(max_examples=300, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
CANARY_EXAMPLES = settings(max_examples=150, deadline=None, database=None,
                           suppress_health_check=[HealthCheck.too_slow])

RUSSIA_LABEL = ("SELECT ?l WHERE { <https://w3id.org/astana-kg/id/russia> "
                "<http://www.w3.org/2000/01/rdf-schema#label> ?l }")
CQ_TEXTS = [q.text for q in queries.load_all("cq")]
TOKEN = "fuzz-update-token"
PROBLEM_FIELDS = {"type", "title", "status", "detail"}


@pytest.fixture(scope="module")
def app(built):
    app = create_app({"BUILD_DIR": str(built.out), "TESTING": True, "QUERY_TIMEOUT": 1.5, "ROW_CAP": 100,
                      "QUERY_WORKERS": 2})
    yield app
    app.extensions["astana_kg"]().close()


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


_probe = itertools.count()


def assert_still_answers(client) -> None:
    """A good query, made unique by a comment so that it runs (is not answered from the cache)."""
    response = client.get("/sparql", query_string={"query": f"# probe {next(_probe)}\n{RUSSIA_LABEL}"})
    assert response.status_code == 200, response.data[:500]
    assert [b["l"]["value"] for b in response.json["results"]["bindings"]] == ["Russia"]


def assert_well_formed(response, method: str = "GET") -> None:
    """No server fault, and an error is JSON problem details."""
    status = response.status_code
    assert status < 500 or status in (502, 503), f"{status}: {response.data[:800]!r}"
    if status >= 400:
        assert response.content_type == "application/problem+json", (status, response.content_type)
        if method != "HEAD":
            problem = json.loads(response.data)
            assert PROBLEM_FIELDS <= set(problem), problem
            assert problem["status"] == status and isinstance(problem["detail"], str) and problem["detail"]


# ---------------------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------------------

SPARQL_TOKENS = ["SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "{", "}", "(", ")", ".", ";", ",", "*",
                 "?s", "?p", "?o", "$x", "<http://ex/a>", "<>", "<", ">", "a", "OPTIONAL", "UNION", "MINUS",
                 "FILTER", "BIND", "AS", "VALUES", "GRAPH", "FROM", "NAMED", "ORDER BY", "GROUP BY", "HAVING",
                 "LIMIT", "OFFSET", "COUNT", "DISTINCT", "REGEX", "STR", "LANG", "1", "-1", "1.5e3", "'x'",
                 '"y"@en', '"""z"""', "'''w'''", "^^", "PREFIX", "BASE", "rdfs:label", "akg:", ":", "#", "\n",
                 "\\", "\\u0000", "'", '"', "|", "/", "+", "^", "!", "&&", "||", "SERVICE", "SILENT", "EXISTS",
                 "NOT", "IN", "\u00e9", "\U0001f600", "INSERT", "DELETE", "DATA", "LOAD", "CLEAR", "DROP"]

token_soup = st.lists(st.sampled_from(SPARQL_TOKENS), max_size=40).map(" ".join)


@st.composite
def mutated_queries(draw) -> str:
    """A competency question with a slice cut out, replaced or repeated."""
    text = draw(st.sampled_from(CQ_TEXTS))
    start = draw(st.integers(0, len(text)))
    end = draw(st.integers(start, min(len(text), start + 80)))
    how = draw(st.sampled_from(["cut", "replace", "repeat", "truncate"]))
    if how == "cut":
        return text[:start] + text[end:]
    if how == "replace":
        return text[:start] + draw(st.one_of(st.text(max_size=20), st.sampled_from(SPARQL_TOKENS))) + text[end:]
    if how == "repeat":
        return text[:end] + text[start:end] + text[end:]
    return text[:start]


query_texts = st.one_of(st.text(max_size=300), token_soup, mutated_queries())

header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="\x7f"),
                      max_size=60)

MEDIA_TYPES = ["application/sparql-query", "application/sparql-update", "application/x-www-form-urlencoded",
               "multipart/form-data; boundary=xyz", "text/plain", "application/json", "text/turtle",
               "application/sparql-results+json", "application/sparql-results+xml", "text/csv",
               "text/tab-separated-values", "application/n-triples", "application/ld+json",
               "application/rdf+xml", "application/trig", "application/n-quads", "application/xml", "text/*",
               "*/*", "*", "image/png", "application/octet-stream", "", ";", "/", "a/b/c"]
media_parameters = st.sampled_from(["", ";charset=utf-8", "; charset=UTF-16", ";q=0.5", ";q=0", ";q=nan", ";q=inf",
                                    ";q=-1", ";q=1e999", ";q=", ";q=abc", ";level=1", ";;", ";charset"])
media_range = st.one_of(st.tuples(st.sampled_from(MEDIA_TYPES), media_parameters).map("".join), header_text)
accept_headers = st.one_of(st.none(), st.lists(media_range, max_size=5).map(", ".join))
content_types = st.one_of(st.none(), media_range)

METHODS = ["GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH", "TRACE"]
methods = st.sampled_from(["GET"] * 5 + ["POST"] * 7 + METHODS + ["get", "Post", "FOO", "M-SEARCH", "PROPFIND"])
PARAMETER_NAMES = ["query", "update", "format", "timeout", "output", "x"]
DATASET_PARAMETERS = ["default-graph-uri", "named-graph-uri", "using-graph-uri", "using-named-graph-uri"]
# Dataset parameters get IRIs (so that queries run on a chosen dataset) and any text (which must be a 400).
iris = st.one_of(st.sampled_from(["https://w3id.org/astana-kg/graph/source/000", "http://example.org/g", "urn:x:y"]),
                 st.text(st.characters(min_codepoint=0x30, max_codepoint=0x7A, whitelist_categories=("Ll", "Nd")),
                         max_size=20).map(lambda local: "http://example.org/" + local),
                 header_text, st.text(max_size=30))
raw_query_strings = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=200)
parameter_lists = st.lists(st.one_of(st.tuples(st.sampled_from(PARAMETER_NAMES), st.one_of(query_texts, header_text)),
                                     st.tuples(st.sampled_from(DATASET_PARAMETERS), iris)),
                           max_size=4)


# ---------------------------------------------------------------------------------------------
# Robustness
# ---------------------------------------------------------------------------------------------

@FUZZ
@given(text=query_texts, how=st.sampled_from(["GET", "form", "direct"]))
def test_malformed_queries_are_never_a_server_fault(client, text, how):
    if how == "GET":
        response = client.get("/sparql", query_string={"query": text})
    elif how == "form":
        response = client.post("/sparql", data={"query": text})
    else:
        response = client.post("/sparql", data=text.encode("utf-8"), content_type="application/sparql-query")
    event(f"status {response.status_code}")
    assert_well_formed(response)
    assert_still_answers(client)


@FUZZ
@given(method=methods, path=st.sampled_from(["/sparql"] * 4 + ["/update"] * 2 + ["/", "/health", "/nowhere"]),
       query_string=st.one_of(raw_query_strings, parameter_lists), content_type=content_types,
       accept=accept_headers, body=st.one_of(st.binary(max_size=2000), query_texts.map(str.encode)))
def test_random_requests_are_never_a_server_fault(client, method, path, query_string, content_type, accept, body):
    headers = {} if accept is None else {"Accept": accept}
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = client.open(path, method=method, query_string=query_string, headers=headers, data=body)
    event(f"status {response.status_code}")
    assert_well_formed(response, method)
    assert_still_answers(client)


@FUZZ
@given(query=st.sampled_from([RUSSIA_LABEL, "ASK { ?s ?p ?o }", "CONSTRUCT WHERE { ?s a ?t } LIMIT 3",
                              "DESCRIBE <https://w3id.org/astana-kg/id/russia>"]),
       accept=accept_headers, format_name=st.one_of(st.none(), st.sampled_from(["json", "xml", "csv", "tsv", "ttl",
                                                                                 "nt", "jsonld", "rdfxml", "x"]),
                                                     header_text),
       content_type=st.tuples(st.sampled_from(["application/sparql-query", "application/x-www-form-urlencoded"]),
                              media_parameters).map("".join))
def test_random_accept_and_format_on_good_queries(client, query, accept, format_name, content_type):
    headers = {} if accept is None else {"Accept": accept}
    query_string = {} if format_name is None else {"format": format_name}
    if content_type.startswith("application/x-www-form-urlencoded"):
        body = urlencode({"query": query}).encode()
    else:
        body = query.encode()
    response = client.post("/sparql", query_string=query_string, headers={**headers, "Content-Type": content_type},
                           data=body)
    event(f"status {response.status_code}")
    assert_well_formed(response)
    # A good query is answered, or refused only for its format (406, or 400 for an unknown format=).
    assert response.status_code in (200, 400, 406), response.data[:300]
    if response.status_code == 400:
        assert format_name is not None and "format" in response.json["detail"]
    if response.status_code == 200:
        media_type = response.headers["Content-Type"]
        results_format = ox.QueryResultsFormat.from_media_type(media_type)
        if results_format == ox.QueryResultsFormat.CSV:  # lossy: pyoxigraph does not read it back
            assert response.data.decode("utf-8")
        elif results_format is not None:
            ox.parse_query_results(response.data, format=results_format)
        else:
            list(ox.parse(response.data, format=ox.RdfFormat.from_media_type(media_type)))


@pytest.mark.parametrize("parameter, value", [("default-graph-uri", ""), ("default-graph-uri", "relative"),
                                              ("named-graph-uri", "not an iri")])
def test_a_dataset_parameter_that_is_not_an_iri_is_a_400(client, parameter, value):
    response = client.get("/sparql", query_string={"query": "ASK {}", parameter: value})
    assert response.status_code == 400
    assert_well_formed(response)


def test_an_oversized_body_is_413_problem_details(client, app):
    body = b"SELECT * WHERE { ?s ?p ?o } #" + b"x" * int(app.config["MAX_CONTENT_LENGTH"])
    response = client.post("/sparql", data=body, content_type="application/sparql-query")
    assert response.status_code == 413
    assert_well_formed(response)
    assert_still_answers(client)


# ---------------------------------------------------------------------------------------------
# The SERVICE allow-list canary
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def canary():
    with Canary() as canary:
        yield canary
    assert canary.connections == 0, f"the canary was reached: {canary.requests}"


@pytest.fixture(scope="module")
def writable_client(tmp_path_factory):
    """A writable app (ALLOW_UPDATE, with a token) over a small store of its own."""
    build = tmp_path_factory.mktemp("writable") / "build"
    build.mkdir()
    store = ox.Store(str(build / "store"))
    ex = "http://example.org/"
    store.add(ox.Quad(ox.NamedNode(ex + "s"), ox.NamedNode(ex + "p"), ox.NamedNode(ex + "o"), ox.DefaultGraph()))
    store.add(ox.Quad(ox.NamedNode(ex + "s"), ox.NamedNode(ex + "p"), ox.NamedNode(ex + "o"), ox.NamedNode(ex + "g")))
    store.flush()
    del store
    app = create_app({"BUILD_DIR": str(build), "TESTING": True, "ALLOW_UPDATE": True, "UPDATE_TOKEN": TOKEN,
                      "QUERY_TIMEOUT": 5})
    yield app.test_client()
    app.extensions["astana_kg"]().close()


# Each template is formatted with c (the canary's endpoint), port and wikidata (the allowed endpoint).
REFUSED_QUERIES = {
    "plain": "SELECT * WHERE {{ SERVICE <{c}> {{ ?s ?p ?o }} }}",
    "silent": "SELECT * WHERE {{ SERVICE SILENT <{c}> {{ ?s ?p ?o }} }}",
    "lower-case": "select * where {{ service <{c}> {{ ?s ?p ?o }} }}",
    "lower-case-silent": "select * where {{ service silent <{c}> {{ ?s ?p ?o }} }}",
    "mixed-case-newlines": "SELECT * WHERE {{ SeRvIcE\n\t<{c}>\n{{ ?s ?p ?o }} }}",
    "no-spaces": "SELECT*WHERE{{SERVICE<{c}>{{?s?p?o}}}}",
    "comment-before-iri": "SELECT * WHERE {{ SERVICE # a comment\n <{c}> {{ ?s ?p ?o }} }}",
    "silent-comment": "SELECT * WHERE {{ SERVICE SILENT#\n<{c}>{{ ?s ?p ?o }} }}",
    "prefixed-name": "PREFIX c: <http://127.0.0.1:{port}/> SELECT * WHERE {{ SERVICE c:sparql {{ ?s ?p ?o }} }}",
    "empty-prefix": "PREFIX : <http://127.0.0.1:{port}/> SELECT * WHERE {{ SERVICE :sparql {{ ?s ?p ?o }} }}",
    "bare-prefix": "PREFIX c: <{c}> SELECT * WHERE {{ SERVICE c: {{ ?s ?p ?o }} }}",
    "redeclared-prefix": "PREFIX w: <{wikidata}> PREFIX w: <{c}> SELECT * WHERE {{ SERVICE w: {{ ?s ?p ?o }} }}",
    "relative-iri": "BASE <http://127.0.0.1:{port}/> SELECT * WHERE {{ SERVICE <sparql> {{ ?s ?p ?o }} }}",
    "network-path": "BASE <{wikidata}> SELECT * WHERE {{ SERVICE <//127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
    "escaped-iri": "SELECT * WHERE {{ SERVICE <http\\u003A//127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
    "localhost": "SELECT * WHERE {{ SERVICE <http://localhost:{port}/sparql> {{ ?s ?p ?o }} }}",
    "query-string": "SELECT * WHERE {{ SERVICE <{c}?x=1> {{ ?s ?p ?o }} }}",
    "optional": "SELECT * WHERE {{ VALUES ?a {{ 1 }} OPTIONAL {{ SERVICE <{c}> {{ ?s ?p ?o }} }} }}",
    "union": "SELECT * WHERE {{ {{ VALUES ?a {{ 1 }} }} UNION {{ SERVICE <{c}> {{ ?s ?p ?o }} }} }}",
    "subquery": "SELECT * WHERE {{ {{ SELECT ?s WHERE {{ SERVICE <{c}> {{ ?s ?p ?o }} }} }} }}",
    "exists": "SELECT * WHERE {{ VALUES ?a {{ 1 }} FILTER EXISTS {{ SERVICE <{c}> {{ ?s ?p ?o }} }} }}",
    "not-exists": "SELECT * WHERE {{ VALUES ?a {{ 1 }} FILTER NOT EXISTS {{ SERVICE <{c}> {{ ?s ?p ?o }} }} }}",
    "minus": "SELECT * WHERE {{ VALUES ?a {{ 1 }} MINUS {{ SERVICE <{c}> {{ ?s ?p ?o }} }} }}",
    "graph": "SELECT * WHERE {{ GRAPH ?g {{ SERVICE <{c}> {{ ?s ?p ?o }} }} }}",
    "aggregate": "SELECT (COUNT(*) AS ?n) WHERE {{ SERVICE <{c}> {{ ?s ?p ?o }} }} GROUP BY ?s HAVING (COUNT(*) > 0)",
    "variable-values": "SELECT * WHERE {{ VALUES ?x {{ <{c}> }} SERVICE ?x {{ ?s ?p ?o }} }}",
    "variable-bind": "SELECT * WHERE {{ BIND(<{c}> AS ?x) SERVICE ?x {{ ?s ?p ?o }} }}",
    "dollar-variable-trailing-values": "SELECT * WHERE {{ SERVICE $x {{ ?s ?p ?o }} }} VALUES $x {{ <{c}> }}",
    "silent-variable": "SELECT * WHERE {{ SERVICE SILENT ?x {{ ?s ?p ?o }} VALUES ?x {{ <{c}> }} }}",
    "ask": "ASK {{ SERVICE <{c}> {{ ?s ?p ?o }} }}",
    "ask-empty-group": "ASK WHERE {{ SERVICE <{c}> {{ }} }}",
    "construct": "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{c}> {{ ?s ?p ?o }} }}",
    "describe": "DESCRIBE ?s WHERE {{ SERVICE <{c}> {{ ?s ?p ?o }} }}",
    "beside-allowed-service": "SELECT * WHERE {{ SERVICE <{wikidata}> {{ ?s ?p ?o }} SERVICE <{c}> {{ ?s ?p ?o }} }}",
    "allowed-one-in-a-comment": "SELECT * WHERE {{ SERVICE <{c}> {{ ?s ?p ?o }} # SERVICE <{wikidata}>\n}}",
    "allowed-one-in-a-string": "SELECT * WHERE {{ ?s ?p \"SERVICE <{wikidata}>\" . SERVICE <{c}> {{ ?s ?p ?o }} }}",
    # Look-alikes of the keyword: an engine that folded them to SERVICE would call the canary.
    "long-s": "SELECT * WHERE {{ \u017fERVICE <{c}> {{ ?s ?p ?o }} }}",
    "dotted-capital-i": "SELECT * WHERE {{ SERV\u0130CE <{c}> {{ ?s ?p ?o }} }}",
    "escaped-keyword": "SELECT * WHERE {{ \\u0053ERVICE <{c}> {{ ?s ?p ?o }} }}",
    "escaped-keyword-letter": "SELECT * WHERE {{ SERVIC\\U00000045 <{c}> {{ ?s ?p ?o }} }}",
    "fullwidth": "SELECT * WHERE {{ \uff33\uff25\uff32\uff36\uff29\uff23\uff25 <{c}> {{ ?s ?p ?o }} }}",
}

REFUSED_UPDATES = {
    "insert-where": "INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{c}> {{ ?s ?p ?o }} }}",
    "delete-where-silent": "DELETE {{ ?s ?p ?o }} WHERE {{ SERVICE SILENT <{c}> {{ ?s ?p ?o }} }}",
    "second-operation": "delete where {{ ?s ?p ?o }} ; insert {{ ?s ?p ?o }} where {{ service <{c}> {{ ?s ?p ?o }} }}",
    "optional-after-insert-data": "INSERT DATA {{ <http://example.org/a> <http://example.org/b> <http://example.org/c> }} ;\n"
                                  "INSERT {{ ?s ?p ?o }} WHERE {{ OPTIONAL {{ SERVICE <{c}> {{ ?s ?p ?o }} }} }}",
    "with-variable": "WITH <http://example.org/g> INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE ?x {{ ?s ?p ?o }} "
                     "VALUES ?x {{ <{c}> }} }}",
    "prefixed-name": "PREFIX c: <http://127.0.0.1:{port}/> INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE c:sparql {{ ?s ?p ?o }} }}",
}


def send_query(client, query: str, how: str):
    """Send a query by one of the protocol's forms: "GET", "form" (URL-encoded POST) or "direct"."""
    if how == "GET":
        return client.get("/sparql", query_string={"query": query})
    if how == "form":
        return client.post("/sparql", data={"query": query})
    return client.post("/sparql", data=query.encode(), content_type="application/sparql-query")


def assert_refused(response, query: str, canary: Canary) -> None:
    """The query was refused (403, or 400), as problem details, and the canary saw no connection."""
    assert response.status_code in (403, 400), (query, response.status_code, response.data[:300])
    assert_well_formed(response)
    assert canary.connections == 0, (query, canary.requests)


def aimed_at(template: str, canary: Canary) -> str:
    return template.format(c=canary.url, port=canary.port, wikidata="https://query.wikidata.org/sparql")


ALLOWED_CALLS = {
    "iri": "SELECT * WHERE {{ SERVICE <{c}> {{ ?s ?p ?o }} }}",
    "silent-lower-case": "select * where {{ service silent <{c}> {{ ?s ?p ?o }} }}",
    "prefixed-name": "PREFIX c: <http://127.0.0.1:{port}/> SELECT * WHERE {{ SERVICE c:sparql {{ ?s ?p ?o }} }}",
    "nested": "SELECT * WHERE {{ SERVICE <{c}> {{ SERVICE <{c}> {{ ?s ?p ?o }} }} }}",
}
ALLOWED_CALLS_XFAIL: dict[str, str] = {}  # none at present: a nested SERVICE parses (rdflib #2136 worked around)


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=[pytest.mark.xfail(strict=True, reason=ALLOWED_CALLS_XFAIL[name])]
                 if name in ALLOWED_CALLS_XFAIL else []) for name in ALLOWED_CALLS])
def test_the_canary_sees_a_service_call_that_is_allowed(built, name):
    """The control: allow-list a canary, and its SERVICE call does reach it (through the proxy)."""
    with Canary() as allowed:
        app = create_app({"BUILD_DIR": str(built.out), "TESTING": True, "QUERY_WORKERS": 1, "QUERY_TIMEOUT": 10,
                          "SERVICE_ALLOW": [allowed.url]})
        try:
            response = app.test_client().get("/sparql", query_string={"query": aimed_at(ALLOWED_CALLS[name], allowed)})
        finally:
            app.extensions["astana_kg"]().close()
        assert response.status_code == 200, response.data[:500]
        assert allowed.connections >= 1 and allowed.requests


def test_a_service_nested_in_an_allowed_one_is_left_to_the_remote_endpoint(built):
    """Only the outer SERVICE is ours to call; the inner one travels in its text, unchanged."""
    with Canary() as allowed, Canary() as other:
        app = create_app({"BUILD_DIR": str(built.out), "TESTING": True, "QUERY_WORKERS": 1, "QUERY_TIMEOUT": 10,
                          "SERVICE_ALLOW": [allowed.url]})
        query = f"SELECT * WHERE {{ SERVICE <{allowed.url}> {{ SERVICE <{other.url}> {{ ?s ?p ?o }} }} }}"
        try:
            response = app.test_client().get("/sparql", query_string={"query": query})
        finally:
            app.extensions["astana_kg"]().close()
        assert response.status_code == 200, response.data[:500]
        assert allowed.connections >= 1
        assert other.connections == 0, other.requests
        assert any(f"SERVICE <{other.url}>" in body for body in allowed.bodies), allowed.bodies


@pytest.mark.parametrize("name", REFUSED_QUERIES)
@pytest.mark.parametrize("how", ["GET", "direct"])
def test_a_query_that_calls_a_service_off_the_allow_list_is_refused(client, canary, name, how):
    query = aimed_at(REFUSED_QUERIES[name], canary)
    assert_refused(send_query(client, query, how), query, canary)


@pytest.mark.parametrize("name", REFUSED_UPDATES)
def test_an_update_that_calls_a_service_off_the_allow_list_is_refused(writable_client, canary, name):
    update = aimed_at(REFUSED_UPDATES[name], canary)
    response = writable_client.post("/update", data=update.encode(), content_type="application/sparql-update",
                                    headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code in (403, 400), (update, response.status_code, response.data[:300])
    assert_well_formed(response)
    assert canary.connections == 0, (update, canary.requests)


def test_a_good_update_is_accepted_by_the_writable_app(writable_client):
    # So that the refusals above are refusals of SERVICE, not of every update.
    response = writable_client.post("/update", data=b"INSERT DATA { <http://example.org/x> <http://example.org/y> 1 }",
                                    content_type="application/sparql-update",
                                    headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 204, response.data[:300]


@pytest.mark.parametrize("update", ["LOAD <{c}>", "LOAD SILENT <{c}> INTO GRAPH <http://example.org/g>"])
def test_an_update_that_loads_from_a_url_off_the_allow_list_is_refused(writable_client, update):
    with Canary() as own:  # its own canary: a failure here must not spoil the others
        response = writable_client.post("/update", data=update.format(c=own.url).encode(),
                                        content_type="application/sparql-update",
                                        headers={"Authorization": f"Bearer {TOKEN}"})
        assert_well_formed(response)
        assert own.connections == 0, own.requests
        assert response.status_code in (403, 400)


@pytest.mark.parametrize("template", [
    "SELECT * WHERE {{ ?s ?p ?o # SERVICE <{c}> {{ ?s ?p ?o }}\n}} LIMIT 1",
    "SELECT * WHERE {{ ?s ?p ?o FILTER(?o != \"SERVICE <{c}> {{ ?s ?p ?o }}\") }} LIMIT 1",
    "SELECT * WHERE {{ ?s ?p ?o FILTER(?o != '''SERVICE\n<{c}> {{ }}''') }} LIMIT 1",
    "SELECT ?service WHERE {{ BIND(<{c}> AS ?service) }}",
    "PREFIX service: <{c}#> SELECT * WHERE {{ ?s service:p ?o }} LIMIT 1",
    "SELECT * WHERE {{ <http://example.org/SERVICE> ?p ?o }} LIMIT 1",
    "SELECT * FROM <{c}> WHERE {{ ?s ?p ?o }} LIMIT 1",
    "SELECT * FROM NAMED <{c}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }} LIMIT 1",
])
def test_service_in_a_comment_a_string_or_a_name_is_not_refused(client, canary, template):
    query = template.format(c=canary.url)
    response = client.get("/sparql", query_string={"query": query})
    assert response.status_code == 200, (query, response.data[:300])
    assert canary.connections == 0, (query, canary.requests)


# A SERVICE call to the canary, generated: keyword case, spacing, SILENT, how the endpoint is
# written, and the constructs it is nested in.

SEPARATORS = [" ", "\n", "\t", "  ", "\r\n", " # SERVICE <https://query.wikidata.org/sparql>\n", "#\n"]
WRAPPERS = [
    "{{ {} }}",
    "VALUES ?a {{ 1 }} OPTIONAL {{ {} }}",
    "{{ VALUES ?a {{ 1 }} }} UNION {{ {} }}",
    "{{ {} }} UNION {{ VALUES ?a {{ 1 }} }}",
    "{{ SELECT * WHERE {{ {} }} }}",
    "GRAPH ?g {{ {} }}",
    "VALUES ?a {{ 1 }} FILTER EXISTS {{ {} }}",
    "VALUES ?a {{ 1 }} MINUS {{ {} }}",
    "BIND(1 AS ?one) {}",
]
#: Inside an allowed SERVICE, the canary's SERVICE is the remote endpoint's to call (or not),
#: never ours: the query passes the check and the call to the remote fails here (no network).
ALLOWED_WRAPPER = "SERVICE <https://query.wikidata.org/sparql> {{ {} }}"
FORMS = ["SELECT * WHERE {{ {} }}", "ASK {{ {} }}", "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {} }}",
         "SELECT (COUNT(*) AS ?n) WHERE {{ {} }}", "DESCRIBE ?s WHERE {{ {} }}"]


@st.composite
def canary_calls(draw, port: int) -> str:
    c = f"http://127.0.0.1:{port}/sparql"
    keyword = "".join(ch.upper() if up else ch.lower() for ch, up in zip("service", draw(
        st.lists(st.booleans(), min_size=7, max_size=7))))
    silent = draw(st.sampled_from(["", "SILENT", "silent", "Silent"]))
    prologue, endpoint, binding = draw(st.sampled_from([
        ("", f"<{c}>", ""),
        (f"PREFIX c: <http://127.0.0.1:{port}/>\n", "c:sparql", ""),
        (f"PREFIX : <http://127.0.0.1:{port}/>\n", ":sparql", ""),
        (f"PREFIX c: <{c}>\n", "c:", ""),
        (f"BASE <http://127.0.0.1:{port}/>\n", "<sparql>", ""),
        ("", "?x", f"VALUES ?x {{ <{c}> }} "),
        ("", "?x", f"BIND(<{c}> AS ?x) "),
        ("", "$x", f"VALUES $x {{ <{c}> }} "),
    ]))
    sep = st.sampled_from(SEPARATORS)
    pattern = f"{binding}{keyword}{draw(sep)}{silent}{draw(sep) if silent else ''}{endpoint}{draw(sep)}{{ ?s ?p ?o }}"
    wrappers = draw(st.lists(st.sampled_from(WRAPPERS + [ALLOWED_WRAPPER]), max_size=3))
    for wrapper in wrappers:
        pattern = wrapper.format(pattern)
    return prologue + draw(st.sampled_from(FORMS)).format(pattern), ALLOWED_WRAPPER in wrappers


def test_generated_canary_calls_are_refused(client, canary):
    @CANARY_EXAMPLES
    @given(call=canary_calls(canary.port), how=st.sampled_from(["GET", "form", "direct"]))
    def check(call, how):
        query, nested_in_allowed = call
        response = send_query(client, query, how)
        if nested_in_allowed:
            # 502 as a rule; 200 where the failed call sits in FILTER EXISTS, whose errors pyoxigraph absorbs.
            assert response.status_code in (200, 403, 400, 502), (query, response.status_code, response.data[:300])
            assert_well_formed(response)
            assert canary.connections == 0, (query, canary.requests)
        else:
            assert_refused(response, query, canary)

    check()


def test_the_canary_saw_no_connection_at_all(canary):
    assert canary.connections == 0 and not canary.requests
