"""Bad input gets a 4xx that says what is wrong, never a 500 nor a wrong answer.

Four kinds of attack on a running server, each replayed here through Flask's test client:

- paths and parameters that are not what a route expects (malformed IRIs in a dataset
  parameter, a backslash or a NUL byte under ``/files/``, a raw ``{`` in a fragment's query
  string): hypothesis sends any text to every route that takes a path or a parameter, and the
  answer is never a 5xx, and its errors are problem details;
- requests in two forms at once (a POST body and a ``query=`` in the URL), and Accept headers
  whose q-values RFC 9110 does not allow;
- a forged ``Host`` header, which must never reach the absolute URLs of cached answers;
- ``javascript:``, ``data:`` and ``vbscript:`` IRIs in the data, which must never become links.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urlencode

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from astana_kg.pipeline.build import materialize_default_graph
from astana_kg.paths import DUMP_NAME, INFO_NAME, STORE_NAME
from astana_kg.http import config_from_environment, create_app, linkeddata, negotiation, origin
from astana_kg.http.errors import HttpError
from astana_kg.http.fragments import page_iri
from astana_kg.http.overview import local_url

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from helpers_server import astana_kg_server, http_get  # noqa: E402

FUZZ = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
PROBLEM_FIELDS = {"type", "title", "status", "detail"}
BASE = "https://w3id.org/astana-kg/"
ASK = "ASK { ?s ?p ?o }"
EVIL = "evil.example"


@pytest.fixture(scope="module")
def app(built):
    app = create_app({"BUILD_DIR": str(built.out), "TESTING": True, "QUERY_WORKERS": 1})
    yield app
    app.extensions["astana_kg"]().close()


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


def assert_client_error(response, *statuses: int) -> dict:
    """A 4xx among ``statuses`` with a problem-details body; the problem."""
    assert response.status_code in statuses, (response.status_code, response.data[:500])
    assert response.content_type == "application/problem+json", response.content_type
    problem = json.loads(response.data)
    assert PROBLEM_FIELDS <= set(problem) and problem["status"] == response.status_code
    return problem


def assert_no_server_fault(response) -> None:
    """Not a 5xx; an error answer (to a program asking for JSON) is problem details."""
    assert response.status_code < 500, (response.status_code, response.data[:800])
    if response.status_code >= 400:
        assert_client_error(response, response.status_code)


# Any text a path or parameter may hold: control characters, backslashes, spaces, braces,
# percent signs, characters beyond the Basic Multilingual Plane (no lone surrogates: no client
# can send them, UTF-8 cannot encode them).
any_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
tricky = st.sampled_from(["{", "}", "..\\pyproject.toml", "a b", "\x00", "%", "%zz", "%00", "\\", "//", "/..",
                          "..", "?", "#", "<>", '"', "`", "^", "|", "http://[", "javascript:alert(1)", "_:",
                          '"x"@', '"x"^^', "\U0010ffff", "\ufffd", "é"])
path_text = st.one_of(any_text, tricky, st.lists(st.one_of(tricky, any_text), max_size=4).map("/".join))
JSON_ACCEPT = {"Accept": "application/json"}


# ---------------------------------------------------------------------------------------------
# 1. No 5xx for any path or parameter
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["default-graph-uri", "named-graph-uri"])
@pytest.mark.parametrize("value", ["http://[", "http://a b/", "http://example.org/{x}", "urn:x\\y", "relative/g"])
def test_a_malformed_dataset_iri_answers_400_naming_the_parameter(client, name, value):
    response = client.get("/sparql", query_string={"query": ASK, name: value})
    problem = assert_client_error(response, 400)
    assert problem["parameter"] == name and name in problem["detail"]


def test_a_malformed_update_dataset_iri_answers_400_before_the_update_is_looked_at(client):
    response = client.post("/update", query_string={"using-graph-uri": "http://["}, data=b"CLEAR DEFAULT",
                           content_type="application/sparql-update")
    assert assert_client_error(response, 400)["parameter"] == "using-graph-uri"


@pytest.mark.parametrize("path", ["..%5cpyproject.toml", "a%20b", "%00", "%5c", "data/%7Bx%7D.yaml"])
def test_files_route_refuses_a_path_that_is_no_iri_with_404(client, path):
    response = client.get("/files/" + path, headers=JSON_ACCEPT)
    assert_client_error(response, 404)


@FUZZ
@given(path=path_text)
def test_files_route_answers_any_path_without_a_server_fault(client, path):
    assert_no_server_fault(client.get("/files/" + quote(path, safe="/"), headers=JSON_ACCEPT))


@FUZZ
@given(prefix=st.sampled_from(["/id/", "/graph/", "/graph/source/001/content.", "/download/", "/ontology.",
                               "/.well-known/void.", "/download.", "/api/wikidata/"]),
       path=path_text, accept=st.sampled_from(["application/json", "text/turtle", "text/html"]))
def test_linked_data_and_download_paths_never_answer_a_server_fault(client, prefix, path, accept):
    response = client.get(prefix + quote(path, safe="/"), headers={"Accept": accept})
    assert response.status_code < 500, (response.status_code, response.data[:800])
    if response.status_code >= 400 and accept == "application/json":
        assert_client_error(response, response.status_code)


def test_a_raw_brace_in_a_fragment_query_string_is_answered_and_its_page_named_by_a_valid_iri(client):
    response = client.get("/fragments", query_string="x={", headers={"Accept": "application/n-triples"})
    assert response.status_code == 200, response.data[:500]
    page = "http://localhost/fragments?x=%7B"
    triples = list(ox.parse(response.data, format=ox.RdfFormat.N_TRIPLES))
    assert ox.NamedNode(page) in {t.subject for t in triples}


@pytest.mark.parametrize("query_string, expected", [
    ("x={", "http://localhost/fragments?x=%7B"),
    ("subject=a b", "http://localhost/fragments?subject=a%20b"),
    ("object=100%", "http://localhost/fragments?object=100%25"),
    ("object=%22a%22", "http://localhost/fragments?object=%22a%22"),
    ("x=\\^`|<>", "http://localhost/fragments?x=%5C%5E%60%7C%3C%3E"),
])
def test_a_fragment_page_iri_is_the_requested_url_with_what_an_iri_cannot_hold_escaped(query_string, expected):
    assert page_iri("http://localhost/fragments", query_string) == expected
    ox.NamedNode(expected)


@pytest.mark.parametrize("escape", ["\\UFFFFFFFF", "\\U00110000", "\\uD800", "\\UDFFFDFFF"])
def test_a_bindings_escape_that_names_no_unicode_character_answers_400(client, escape):
    values = '(?o) { ("' + escape + '") }'
    response = client.get("/fragments", query_string={"values": values}, headers={"Accept": "text/html"})
    assert assert_client_error(response, 400)["parameter"] == "values"


fragment_parameters = st.lists(st.tuples(st.sampled_from(["subject", "predicate", "object", "graph", "values", "page",
                                                          "format", "x", ""]),
                                         st.one_of(path_text, st.sampled_from(['(?s) { ("\\U0011FFFF") }', "?s",
                                                                               '(?o) { (<a b>) }', '"x"@en-',
                                                                               "html", "ttl", "0", "99999999"]))),
                               max_size=4)
raw_query_strings = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=80)


@FUZZ
@given(parameters=st.one_of(fragment_parameters.map(urlencode), raw_query_strings),
       path=st.sampled_from(["/fragments", "/fragments/quads"]),
       accept=st.sampled_from(["application/json", "text/turtle", "application/n-quads", "text/html", "*/*"]))
def test_fragment_parameters_never_answer_a_server_fault(client, parameters, path, accept):
    response = client.get(path, query_string=parameters, headers={"Accept": accept})
    assert response.status_code < 500, (parameters, response.status_code, response.data[:800])
    if response.status_code >= 400:
        assert_client_error(response, response.status_code)


API_ROUTES = {"entity": ["ref"], "search": ["q"], "neighbours": ["node"], "expand": ["node"], "path": ["from", "to"],
              "roles": ["party"], "statements": ["speaker"], "zone-areas": ["zone"], "agreement": ["agreement"],
              "events": [], "evidence": ["subject"], "fact-evidence": ["subject", "predicate", "object"]}
API_OPTIONS = ["limit", "offset", "depth", "max_nodes", "direction", "plumbing", "directed", "predicate", "class"]


@FUZZ
@given(route=st.sampled_from(sorted(API_ROUTES)), data=st.data())
def test_api_parameters_never_answer_a_server_fault(client, route, data):
    known = st.sampled_from(["russia", "Russia", "Q159", BASE + "id/russia", BASE + "ontology#roleOf", "iran"])
    parameters = [(name, data.draw(st.one_of(path_text, known), label=name)) for name in API_ROUTES[route]]
    parameters += data.draw(st.lists(st.tuples(st.sampled_from(API_OPTIONS), st.one_of(path_text, known)),
                                     max_size=3), label="options")
    assert_no_server_fault(client.get(f"/api/{route}", query_string=urlencode(parameters)))


# ---------------------------------------------------------------------------------------------
# 2. Conflicting protocol forms; invalid q-values
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("in_url", ["query", "update"])
@pytest.mark.parametrize("content_type, body", [
    ("application/sparql-query", ASK.encode()),
    ("application/sparql-update", b"CLEAR SILENT GRAPH <http://example.org/g>"),
    ("application/x-www-form-urlencoded", urlencode({"query": ASK}).encode()),
    ("application/x-www-form-urlencoded", urlencode({"update": "CLEAR SILENT GRAPH <http://example.org/g>"}).encode()),
    ("application/x-www-form-urlencoded", b"format=json"),
])
def test_a_post_with_an_operation_in_the_url_answers_400_for_conflicting_forms(client, in_url, content_type, body):
    text = "SELECT * { ?s ?p ?o } LIMIT 1" if in_url == "query" else "CLEAR ALL"
    response = client.post("/sparql", query_string={in_url: text}, data=body, content_type=content_type)
    problem = assert_client_error(response, 400)
    assert "conflicting forms" in problem["detail"] and problem["parameter"] == in_url


def test_a_post_may_still_name_its_dataset_and_format_in_the_url(client):
    response = client.post("/sparql", data=b"SELECT (COUNT(*) AS ?n) { ?s ?p ?o }",
                           content_type="application/sparql-query",
                           query_string={"default-graph-uri": BASE + "graph/source/001", "format": "csv"})
    assert response.status_code == 200, response.data[:300]
    assert response.content_type.startswith("text/csv") and int(response.data.decode().split()[1]) > 0


RESULTS_XML = "application/sparql-results+xml"
RESULTS_JSON = "application/sparql-results+json"


@pytest.mark.parametrize("accept, chosen", [
    # An invalid q-value gives its range no weight at all: the valid range is chosen.
    ("text/csv;q=NaN, application/sparql-results+xml;q=0.5", RESULTS_XML),
    ("text/csv;q=nan, application/sparql-results+xml;q=0.5", RESULTS_XML),
    ("text/csv;q=inf, application/sparql-results+xml;q=0.5", RESULTS_XML),
    ("text/csv;q=-inf, application/sparql-results+xml;q=0.5", RESULTS_XML),
    ("text/csv;q=1e400, application/sparql-results+xml;q=0.5", RESULTS_XML),
    ("text/csv;q=1e-1, application/sparql-results+xml;q=0.05", RESULTS_XML),
    ("text/csv;q=-1, application/sparql-results+xml;q=0.5", RESULTS_XML),
    ("text/csv;q=2, application/sparql-results+xml;q=0.5", RESULTS_XML),
    ("text/csv;q=1.001, application/sparql-results+xml;q=0.5", RESULTS_XML),
    ("text/csv;q=0.12345, application/sparql-results+xml;q=0.1", RESULTS_XML),
    ("text/csv;q=.5, application/sparql-results+xml;q=0.1", RESULTS_XML),
    ("text/csv;q=, application/sparql-results+xml;q=0.1", RESULTS_XML),
    ("text/csv;q=0x1, application/sparql-results+xml;q=0.1", RESULTS_XML),
    ("text/csv;q=\"0.9\", application/sparql-results+xml;q=0.1", RESULTS_XML),
    ("text/csv;q=0.9;q=7, application/sparql-results+xml;q=0.1", RESULTS_XML),
    ("*/*;q=2, application/sparql-results+xml;q=0.1", RESULTS_XML),
    # Valid q-values, the largest and smallest RFC 9110 allows, still rank as written.
    ("text/csv;q=0.123, application/sparql-results+xml;q=0.1", "text/csv"),
    ("text/csv;q=1.000, application/sparql-results+xml;q=0.999", "text/csv"),
    ("text/csv;Q=0.5, application/sparql-results+xml;q=0.4", "text/csv"),
    ("text/csv;q=0.001, application/sparql-results+xml;q=0", "text/csv"),
    ("text/csv;q=0., application/sparql-results+xml;q=0", None),
    # Nothing valid left: nothing is accepted.
    ("text/csv;q=NaN", None),
    ("*/*;q=1e400", None),
])
def test_an_invalid_q_value_never_counts_as_a_preference(accept, chosen):
    if chosen is None:
        with pytest.raises(HttpError) as refused:
            negotiation.choose("solutions", accept)
        assert refused.value.status == 406
    else:
        assert negotiation.choose("solutions", accept).media_type.split(";")[0] == chosen


@pytest.mark.parametrize("accept, status, media_type", [
    ("text/csv;q=NaN, application/sparql-results+xml;q=0.5", 200, RESULTS_XML),
    ("text/csv;q=2, application/sparql-results+json;q=0.1", 200, RESULTS_JSON),
    ("text/csv;q=inf", 406, "application/problem+json"),
])
def test_the_endpoint_ignores_a_media_range_with_an_invalid_q_value(client, accept, status, media_type):
    response = client.get("/sparql", query_string={"query": "SELECT * { ?s ?p ?o } LIMIT 1"},
                          headers={"Accept": accept})
    assert response.status_code == status and response.content_type.startswith(media_type)


@pytest.mark.parametrize("accept, extension", [
    ("text/turtle;q=NaN, text/html;q=0.5", "html"),
    ("text/html;q=2, application/ld+json;q=0.1", "jsonld"),
    ("application/n-triples;q=1.5, text/turtle;q=0.1", "ttl"),
])
def test_linked_data_negotiation_ignores_a_media_range_with_an_invalid_q_value(client, accept, extension):
    response = client.get("/id/russia", headers={"Accept": accept})
    assert response.status_code == 303 and response.headers["Location"] == f"/id/russia.{extension}"


def test_an_accept_header_of_only_invalid_q_values_gets_406_from_the_service_description(client):
    response = client.get("/sparql", headers={"Accept": "text/html;q=2, text/turtle;q=NaN"})
    assert_client_error(response, 406)


# ---------------------------------------------------------------------------------------------
# 3. The Host header never reaches an absolute URL
# ---------------------------------------------------------------------------------------------

#: The routes that write absolute URLs, with the Accept header that asks for those URLs.
ABSOLUTE_URL_ROUTES = [
    ("/sparql", "text/turtle"),
    ("/download.json", "application/json"),
    ("/download", "application/json"),
    ("/.well-known/void", "text/turtle"),
    ("/.well-known/void.jsonld", "*/*"),
    ("/fragments", "text/turtle"),
    ("/fragments?subject=https%3A%2F%2Fw3id.org%2Fastana-kg%2Fid%2Frussia", "application/n-triples"),
    ("/fragments/quads", "application/trig"),
    ("/fragments", "text/html"),
    ("/id/russia.jsonld", "*/*"),
    ("/graph/source/001.jsonld", "*/*"),
    ("/graph/source/001/content.jsonld", "*/*"),
    ("/api/search?q=a&limit=1", "application/json"),
    ("/api/events?limit=1", "application/json"),
]


def answer_text(response) -> str:
    return response.get_data(as_text=True) + "\n" + "\n".join(f"{k}: {v}" for k, v in response.headers.items())


@pytest.fixture(scope="module")
def served_app(built):
    """An app told the URL it is reached at, as `astana-kg serve` tells it."""
    app = create_app({"BUILD_DIR": str(built.out), "TESTING": True, "QUERY_WORKERS": 1,
                      "SERVER_URL": "https://kg.example.org/astana-kg"})
    yield app
    app.extensions["astana_kg"]().close()


@pytest.mark.parametrize("path, accept", ABSOLUTE_URL_ROUTES)
def test_a_forged_host_never_reaches_an_answer_of_a_server_told_its_url(served_app, path, accept):
    response = served_app.test_client().get(path, headers={"Host": EVIL, "Accept": accept})
    assert response.status_code == 200, response.data[:300]
    text = answer_text(response)
    assert EVIL not in text
    assert "https://kg.example.org/astana-kg/" in text


def test_relative_iris_in_a_query_resolve_against_the_server_url_not_the_host(served_app):
    response = served_app.test_client().get("/sparql", query_string={"query": "SELECT (<x> AS ?i) {}"},
                                            headers={"Host": EVIL})
    assert response.status_code == 200, response.data[:300]
    assert response.json["results"]["bindings"][0]["i"]["value"] == "https://kg.example.org/astana-kg/x"


@pytest.mark.parametrize("path", ["/id//russia", "/graph//source/001", "/api//entity"])
def test_a_doubled_slash_is_not_redirected_to_the_host_header(served_app, path):
    response = served_app.test_client().get(path, headers={"Host": EVIL})
    assert EVIL not in response.headers.get("Location", "") and EVIL not in answer_text(response)
    assert response.status_code in (303, 404), response.status_code


@pytest.mark.parametrize("path, accept", ABSOLUTE_URL_ROUTES)
def test_a_forged_host_is_refused_with_400_by_a_server_not_told_its_url(client, path, accept):
    response = client.get(path, headers={"Host": EVIL, "Accept": accept})
    assert_client_error(response, 400)
    assert EVIL not in answer_text(response)


@pytest.mark.parametrize("path, accept", ABSOLUTE_URL_ROUTES)
def test_a_loopback_host_is_answered_with_its_own_urls(client, path, accept):
    response = client.get(path, headers={"Host": "127.0.0.1:8000", "Accept": accept})
    assert response.status_code == 200 and "http://127.0.0.1:8000/" in answer_text(response)


def test_a_host_named_in_allowed_hosts_is_answered_with_its_own_urls(built):
    app = create_app({"BUILD_DIR": str(built.out), "TESTING": True, "QUERY_WORKERS": 1,
                      "ALLOWED_HOSTS": ["kg.internal"]})
    try:
        client = app.test_client()
        allowed = client.get("/download.json", headers={"Host": "KG.internal:8080"})
        assert allowed.status_code == 200 and allowed.json["void"] == "http://KG.internal:8080/.well-known/void"
        assert_client_error(client.get("/download.json", headers={"Host": "kg.internal.evil.example"}), 400)
    finally:
        app.extensions["astana_kg"]().close()


@pytest.mark.parametrize("host", ["localhost:80@evil.example", "localhost/evil.example", "localhost:x",
                                  "[::1", "localhost\\evil", ""])
def test_a_malformed_host_header_is_refused(host):
    with pytest.raises(HttpError) as refused:
        origin.server_url({}, "http", host)
    assert refused.value.status == 400


def test_the_server_url_comes_from_the_environment_and_a_bad_one_is_refused_at_start():
    assert config_from_environment({"ASTANA_KG_SERVER_URL": "http://127.0.0.1:8000"})["SERVER_URL"] == \
        "http://127.0.0.1:8000/"
    assert config_from_environment({"ASTANA_KG_ALLOWED_HOSTS": "a.example b.example"})["ALLOWED_HOSTS"] == \
        ["a.example", "b.example"]
    for bad in ("javascript:alert(1)", "ftp://example.org/", "http:///path", "http://a b/", "https://x/?q=1"):
        with pytest.raises(ValueError):
            config_from_environment({"ASTANA_KG_SERVER_URL": bad})


def test_astana_kg_serve_names_its_own_address_whatever_the_host_header(server):
    status, _, body = http_get(server + "/download.json", {"Host": EVIL})
    assert status == 200 and json.loads(body)["void"] == server + "/.well-known/void"


def test_astana_kg_serve_writes_the_server_url_it_is_given(built):
    with astana_kg_server(built.out, "--server-url", "https://kg.example.org/astana-kg") as base:
        status, _, body = http_get(base + "/.well-known/void", {"Host": EVIL, "Accept": "application/n-triples"})
    assert status == 200 and EVIL not in body.decode()
    assert "<https://kg.example.org/astana-kg/sparql>" in body.decode()


# ---------------------------------------------------------------------------------------------
# 4. Only http(s) IRIs and the site's own paths become links
# ---------------------------------------------------------------------------------------------

HOSTILE = ["javascript:alert(1)", "data:text/html,%3Cscript%3Ealert(2)%3C/script%3E", "vbscript:msgbox(3)",
           "JavaScript:alert(4)", "javascript:alert(5)", "data:text/html,x6", "javascript:alert(7)",
           "VBScript:msgbox(8)"]
UNSAFE_HREF = re.compile(r"^\s*(javascript|data|vbscript):", re.IGNORECASE)


def hostile_quads() -> list[ox.Quad]:
    """Facts about Russia and an event, in source 001's graph, and a provenance fact about that graph,
    that name IRIs no page may link to."""
    n, lit = ox.NamedNode, ox.Literal
    akg, rdfs = BASE + "ontology#", "http://www.w3.org/2000/01/rdf-schema#"
    russia, graph = n(BASE + "id/russia"), n(BASE + "graph/source/001")
    a = n("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    role, context, statement, event = (n(iri) for iri in HOSTILE[1:5])
    triples = [
        (russia, n(rdfs + "seeAlso"), n(HOSTILE[0])),
        (role, a, n(akg + "GuarantorRole")), (role, n(akg + "roleOf"), russia), (role, n(akg + "roleIn"), context),
        (context, n(rdfs + "label"), lit("A hostile context", language="en")),
        (statement, a, n(akg + "Statement")), (statement, n(akg + "speaker"), russia),
        (event, a, n(akg + "Event")), (event, n(rdfs + "label"), lit("A hostile event", language="en")),
        (event, n(akg + "startDate"), lit("2017-05-04", datatype=n("http://www.w3.org/2001/XMLSchema#date"))),
        (n(HOSTILE[5]), n(akg + "about"), russia),
        (russia, n(akg + "memberOf"), n(HOSTILE[6])),
    ]
    provenance = ox.Quad(graph, n("http://www.w3.org/ns/prov#wasInfluencedBy"), n(HOSTILE[7]),
                         n(BASE + "graph/provenance"))
    return [ox.Quad(s, p, o, graph) for s, p, o in triples] + [provenance]


@pytest.fixture(scope="module")
def hostile_app(built, tmp_path_factory):
    """An app over the real build plus facts that name javascript:, data: and vbscript: IRIs."""
    out = tmp_path_factory.mktemp("hostile") / "build"
    out.mkdir()
    shutil.copy(built.out / INFO_NAME, out / INFO_NAME)
    store = ox.Store(str(out / STORE_NAME))
    store.bulk_load(path=str(built.out / DUMP_NAME), format=ox.RdfFormat.N_QUADS)
    store.extend(hostile_quads())
    materialize_default_graph(store)
    store.flush()
    del store
    app = create_app({"BUILD_DIR": str(out), "TESTING": True, "QUERY_WORKERS": 1})
    yield app
    app.extensions["astana_kg"]().close()


class Links(HTMLParser):
    """The targets of a page's links: the href of every <a> and <area>, in HTML or in SVG."""

    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("a", "area"):
            self.hrefs += [value or "" for name, value in attrs if name in ("href", "xlink:href")]


def hrefs(html: str) -> list[str]:
    """The link targets of a page (HTML, or an SVG image)."""
    parser = Links()
    parser.feed(html)
    return parser.hrefs


@pytest.mark.parametrize("path, shown", [
    ("/id/russia.html", [HOSTILE[0], HOSTILE[5], HOSTILE[6], "A hostile context"]),
    ("/roles", ["A hostile context"]),
    ("/roles.svg", ["A hostile context"]),
    ("/timeline", ["A hostile event"]),
    ("/graph/source/001.html", [HOSTILE[7]]),
])
def test_an_iri_that_is_not_http_is_shown_as_text_never_as_a_link(hostile_app, path, shown):
    response = hostile_app.test_client().get(path, headers={"Accept": "text/html"})
    assert response.status_code == 200, response.data[:300]
    page = response.get_data(as_text=True)
    links = hrefs(page)
    assert links, "the page has links"
    assert [link for link in links if UNSAFE_HREF.match(link)] == []
    for text in shown:  # the hostile facts are on the page, as text
        assert str(escape(text)) in page, text


@pytest.mark.parametrize("iri, href", [
    ("https://w3id.org/astana-kg/id/russia", "/id/russia"),
    ("http://www.wikidata.org/entity/Q159", "http://www.wikidata.org/entity/Q159"),
    ("HTTPS://example.org/x", "HTTPS://example.org/x"),
    ("javascript:alert(1)", None),
    ("JAVASCRIPT:alert(1)", None),
    ("data:text/html,<script>alert(1)</script>", None),
    ("vbscript:msgbox(1)", None),
    ("file:///etc/passwd", None),
    ("urn:isbn:0451450523", None),
    ("mailto:someone@example.org", None),
])
def test_a_link_is_made_only_for_an_http_iri_or_a_path_of_the_site(iri, href):
    assert linkeddata.link_href(iri, BASE) == href
    assert local_url(iri, BASE) == href
