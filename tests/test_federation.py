"""Federation with Wikidata, for real: a stand-in Wikidata endpoint (`oxigraph serve-read-only`
loaded with tests/fixtures/wikidata/wikidata.trig) on loopback, `astana-kg serve` sending SERVICE
calls for Wikidata's endpoint IRI to it, Comunica federating over both, the stand-in federating
with us, the offline cache fetched from the stand-in and served without it, and the checked claims
of data/wikidata/ (the cache every build holds) answering when Wikidata cannot be reached.

Every answer is checked against the expected answer beside its query (queries/federated/NAME.srj),
which the oracle test recomputes from one store holding our dump and the fixture together. The
examples ask only for what the checked claims hold, so the same answer comes from the stand-in,
from a fetched cache and from the checked claims. No test reaches past 127.0.0.1: "Wikidata
cannot be reached" is the endpoint in this process with its HTTPS connections failing at once.
"""

from __future__ import annotations

import contextlib
import http.client
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from astana_kg import cli
from astana_kg.query import queries
from astana_kg.pipeline import wikidata
from astana_kg.pipeline.build import build, materialize_default_graph
from astana_kg.http import create_app
from astana_kg.pipeline.wikidata import USER_AGENT
sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
import helpers_endpoints  # noqa: E402
from helpers_project import build_report  # noqa: E402
from helpers_server import astana_kg_server, executable, oxigraph_server, short_directory  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_DIR = ROOT / "tests" / "fixtures" / "wikidata"
FIXTURE = FIXTURE_DIR / "wikidata.trig"
WIKIDATA = "https://query.wikidata.org/sparql"
FEDERATED = queries.load_all("federated")
SERVICE_CLAUSE = re.compile(r"SERVICE\s*<https://query\.wikidata\.org/sparql>")
CHECKED = "https://w3id.org/astana-kg/test/wikidata-fixture/checked"
ILLUSTRATIVE = "https://w3id.org/astana-kg/test/wikidata-fixture/illustrative"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SCHEMA_NAME = "http://schema.org/name"
PROV = "http://www.w3.org/ns/prov#"
# What a cache says of itself, asked through Wikidata's SERVICE (live Wikidata holds none of it):
# the query the web page sends after an answer that called Wikidata.
CACHE_PROVENANCE = f"""PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX void: <http://rdfs.org/ns/void#>
SELECT ?graph ?generated ?source ?property WHERE {{
  SERVICE <{WIKIDATA}> {{
    VALUES ?graph {{ <{wikidata.CACHE_GRAPH}> <{wikidata.CHECKED_GRAPH}> }}
    ?graph rdfs:label ?label .
    OPTIONAL {{ ?graph prov:generatedAtTime ?generated }}
    OPTIONAL {{ ?graph prov:wasDerivedFrom ?source }}
    OPTIONAL {{ ?graph void:propertyPartition/void:property ?property }}
  }}
}}"""


def test_the_federated_queries_are_there_with_titles_and_expected_answers():
    assert len(FEDERATED) >= 5
    for query in FEDERATED:
        assert query.title != query.name and query.description
        assert query.expected_path.is_file(), query.name
        assert "schema:sameAs ?" in query.text and SERVICE_CLAUSE.search(query.text), query.name


# --- the fixture ---------------------------------------------------------------------------------

def tsv(name: str) -> list[dict[str, str]]:
    lines = (ROOT / "data" / "wikidata" / name).read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"))) for line in lines[1:] if line]


def fixture_quads(graph: str) -> list[ox.Quad]:
    return [q for q in ox.parse(path=str(FIXTURE)) if q.graph_name == ox.NamedNode(graph)]


def test_the_fixture_is_what_its_script_writes():
    result = subprocess.run([executable("python"), str(FIXTURE_DIR / "make_fixture.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_fixture_claims_are_exactly_the_verified_claims():
    claims = {(wikidata.ENTITY + r["subject"], wikidata.DIRECT + r["pid"], wikidata.ENTITY + r["object"])
              for r in tsv("verified-claims.tsv")}
    direct = {(q.subject.value, q.predicate.value, q.object.value) for q in fixture_quads(CHECKED)
              if q.predicate.value.startswith(wikidata.DIRECT)}
    assert direct == claims
    pids = {wikidata.DIRECT + r["pid"] for r in tsv("verified-pids.tsv")}
    assert {p for _, p, _ in direct} <= pids


def test_every_checked_item_has_its_english_label_in_the_fixture():
    labels = {(q.subject.value, q.object.value) for q in fixture_quads(CHECKED)
              if q.predicate.value == "http://www.w3.org/2000/01/rdf-schema#label" and q.object.language == "en"}
    assert {(wikidata.ENTITY + r["qid"], r["label"]) for r in tsv("verified-qids.tsv")} <= labels


def test_illustrative_values_are_kept_apart_and_marked_as_not_facts():
    quads = fixture_quads(ILLUSTRATIVE)
    marker = ox.NamedNode(ILLUSTRATIVE)
    assert any(q.subject == marker and "not facts" in q.object.value for q in quads)
    values = [q for q in quads if q.subject != marker]
    assert values and {q.predicate.value for q in values} == {wikidata.DIRECT + "P625", wikidata.DIRECT + "P1082"}
    points = [q.object for q in values if q.predicate.value.endswith("P625")]
    assert all(p.datatype.value == "http://www.opengis.net/ont/geosparql#wktLiteral"
               and re.fullmatch(r"Point\(-?[\d.]+ -?[\d.]+\)", p.value) for p in points)


# --- expected answers ------------------------------------------------------------------------------

def rows(results_json: bytes) -> list[tuple]:
    """The solutions as tuples of (variable, term) pairs, comparable across engines."""
    solutions = ox.parse_query_results(results_json, format=ox.QueryResultsFormat.JSON)
    names = [v.value for v in solutions.variables]
    out = []
    for solution in solutions:
        row = []
        for name in names:
            term = solution[name]
            row.append((name, None if term is None else str(term)))
        out.append(tuple(row))
    return out


def assert_same_answer(got: list[tuple], query: queries.Query, *, ordered: bool = True) -> None:
    want = rows(query.expected_path.read_bytes())
    assert want, f"{query.name}: the expected answer is empty"
    if query.ordered and ordered:
        assert got == want, query.name
    else:
        assert Counter(got) == Counter(want), query.name


@pytest.fixture(scope="module")
def oracle(built):
    """One store holding our build (default graph = merge, as served) and the fixture together."""
    store = ox.Store()
    store.bulk_load(path=str(built.out / "astana-kg.nq"), format=ox.RdfFormat.N_QUADS)
    materialize_default_graph(store)
    store.extend(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in ox.parse(path=str(FIXTURE)))
    return store


def without_service(text: str) -> str:
    """The query with its Wikidata SERVICE blocks turned into plain groups."""
    return SERVICE_CLAUSE.sub("", text)


@pytest.mark.parametrize("query", FEDERATED, ids=[q.name for q in FEDERATED])
def test_expected_answer_is_the_answer_over_our_data_and_the_fixture_together(oracle, query):
    got = oracle.query(without_service(query.text)).serialize(format=ox.QueryResultsFormat.JSON)
    assert_same_answer(rows(got), query)


# --- the stand-in -------------------------------------------------------------------------------

class Recorder:
    """A loopback relay in front of the stand-in that records each request's User-Agent."""

    def __init__(self, target: str):
        self.target = target
        self.user_agents: list[str] = []
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                recorder.user_agents.append(self.headers.get("User-Agent", ""))
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                query = self.path.split("?", 1)[1] if "?" in self.path else ""
                headers = {k: v for k, v in self.headers.items() if k.lower() in ("accept", "content-type")}
                request = urllib.request.Request(recorder.target + ("?" + query if query else ""), data=body,
                                                 method=self.command, headers=headers)
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        status, data, media = response.status, response.read(), response.headers["Content-Type"]
                except urllib.error.HTTPError as error:
                    status, data, media = error.code, error.read(), error.headers.get("Content-Type", "text/plain")
                self.send_response(status)
                self.send_header("Content-Type", media or "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_POST = do_GET

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sparql"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory):
    """The stand-in Wikidata endpoint: (its /query URL, a recording relay in front of it)."""
    location = tmp_path_factory.mktemp("wikidata-stand-in") / "store"
    subprocess.run([executable("oxigraph"), "load", "--location", str(location), "--file", str(FIXTURE)],
                   check=True, capture_output=True)
    with oxigraph_server(location, "--union-default-graph") as endpoint:
        recorder = Recorder(endpoint)
        try:
            yield endpoint, recorder
        finally:
            recorder.close()


@pytest.fixture(scope="module")
def ours(built, stand_in):
    """`astana-kg serve` with Wikidata's endpoint mirrored to the stand-in (through the recorder)."""
    _, recorder = stand_in
    with astana_kg_server(built.out, "--service-mirror", f"{WIKIDATA}={recorder.url}") as base:
        yield base


def post_query(endpoint: str, text: str, accept: str = "application/sparql-results+json") -> bytes:
    request = urllib.request.Request(endpoint, data=text.encode("utf-8"), method="POST",
                                     headers={"Content-Type": "application/sparql-query", "Accept": accept})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
        return response.read()


@pytest.mark.parametrize("query", FEDERATED, ids=[q.name for q in FEDERATED])
def test_federated_query_through_our_endpoint_gives_its_expected_answer(ours, query):
    assert_same_answer(rows(post_query(ours + "/sparql", query.text)), query)


def test_the_stand_in_saw_our_descriptive_user_agent(ours, stand_in):
    _, recorder = stand_in
    post_query(ours + "/sparql", FEDERATED[0].text + "\n# user agent check")
    assert recorder.user_agents and all(ua == USER_AGENT for ua in recorder.user_agents)
    assert USER_AGENT.startswith("astana-kg/") and "https://w3id.org/astana-kg/" in USER_AGENT


def test_federated_queries_are_listed_among_the_web_page_examples(ours):
    with urllib.request.urlopen(ours + "/examples.json", timeout=30) as response:
        examples = json.loads(response.read())
    titles = {e["title"] for e in examples}
    assert {q.title for q in FEDERATED} <= titles


# --- Comunica over our endpoint and the stand-in ---------------------------------------------------

COMUNICA_QUERIES = FEDERATED


@pytest.mark.parametrize("query", COMUNICA_QUERIES, ids=[q.name for q in COMUNICA_QUERIES])
def test_comunica_over_both_endpoints_agrees_with_the_service_query(ours, stand_in, comunica, query):
    endpoint, _ = stand_in
    got, _ = comunica([f"sparql@{ours}/sparql", f"sparql@{endpoint}"], without_service(query.text))
    # Rows compared as a multiset: Comunica does not keep the order of a federated ORDER BY tie.
    assert_same_answer(rows(got), query, ordered=False)


# --- the stand-in federating with us -------------------------------------------------------------

def test_the_stand_in_can_federate_with_our_endpoint(ours, stand_in, oracle):
    endpoint, _ = stand_in
    text = (FIXTURE_DIR / "reverse-federation.rq").read_text(encoding="utf-8")
    got = rows(post_query(endpoint, text.replace("<http://our.endpoint.invalid/sparql>", f"<{ours}/sparql>")))
    local = text.replace("SERVICE <http://our.endpoint.invalid/sparql>", "")
    want = rows(oracle.query(local).serialize(format=ox.QueryResultsFormat.JSON))
    assert got == want
    parties = {dict(r)["party"] for r in got}
    assert {"<https://w3id.org/astana-kg/id/russia>", "<https://w3id.org/astana-kg/id/kazakhstan>"} <= parties


# --- the offline cache ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cached_build(built, stand_in, tmp_path_factory):
    """A build with a Wikidata cache fetched from the stand-in by `astana-kg wikidata fetch`."""
    _, recorder = stand_in
    recorder.user_agents.clear()
    cache = tmp_path_factory.mktemp("cache") / "wikidata-cache.nq"
    result = subprocess.run([executable("astana-kg"), "wikidata", "fetch", "--endpoint", recorder.url,
                             "--out", str(cache), "--build", str(built.out)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert recorder.user_agents and all(ua == USER_AGENT for ua in recorder.user_agents)
    out = tmp_path_factory.mktemp("cached") / "build"
    return build(out, ROOT, wikidata_cache=cache), cache


def test_the_cache_holds_labels_and_claims_in_its_own_graph_with_provenance(cached_build, stand_in):
    _, recorder = stand_in
    _, cache = cached_build
    quads, _ = wikidata.read_cache(cache)
    graph = ox.NamedNode(wikidata.CACHE_GRAPH)
    assert all(q.graph_name == graph for q in quads)
    about = {q.predicate.value: q.object for q in quads if q.subject == graph}
    assert about["http://www.w3.org/ns/prov#wasDerivedFrom"] == ox.NamedNode(recorder.url)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", about["http://www.w3.org/ns/prov#generatedAtTime"].value)
    triples = {(q.subject.value, q.predicate.value, q.object.value) for q in quads}
    assert (wikidata.ENTITY + "Q159", wikidata.DIRECT + "P36", wikidata.ENTITY + "Q649") in triples
    assert (wikidata.ENTITY + "Q649", "http://www.w3.org/2000/01/rdf-schema#label", "Moscow") in triples
    pids = {wikidata.DIRECT + r["pid"] for r in tsv("verified-pids.tsv")}
    assert {p for _, p, _ in triples if p.startswith(wikidata.DIRECT)} <= pids


def test_the_cache_is_in_the_store_only_as_its_own_named_graph(cached_build, built):
    result, _ = cached_build
    store = ox.Store.read_only(str(result.out / "store"))
    graph = ox.NamedNode(wikidata.CACHE_GRAPH)
    assert len(list(store.quads_for_pattern(None, None, None, graph))) > 50
    moscow = ox.NamedNode(wikidata.ENTITY + "Q649")
    assert not list(store.quads_for_pattern(moscow, None, None, ox.DefaultGraph())), "cache leaked into the default graph"
    assert wikidata.CACHE_GRAPH.encode() not in (result.out / "astana-kg.nq").read_bytes(), "cache is not in the dump"
    assert result.graphs.keys() == built.graphs.keys(), "the cache is not a source graph nor reasoned over"
    inferred = [g for g in built.graphs if "/graph/inferred/" in str(g)]
    assert inferred and [len(result.graphs[g]) for g in inferred] == [len(built.graphs[g]) for g in inferred]
    info = json.loads((result.out / "build-info.json").read_text())
    assert info["wikidata_cache"]["graph"] == wikidata.CACHE_GRAPH and info["wikidata_cache"]["quads"] > 50


@pytest.fixture(scope="module")
def offline(cached_build):
    """`astana-kg serve --wikidata-cache` on the cached build: no stand-in in its configuration."""
    result, _ = cached_build
    with astana_kg_server(result.out, "--wikidata-cache") as base:
        yield base


@pytest.mark.parametrize("query", FEDERATED, ids=[q.name for q in FEDERATED])
def test_federated_query_answered_from_the_offline_cache(offline, query):
    assert_same_answer(rows(post_query(offline + "/sparql", query.text)), query)


# --- the checked claims: the cache every build holds ------------------------------------------------

def checked_triples() -> set[tuple[str, str, str]]:
    """What the checked claims of data/wikidata/ say, read here from the tsv files: the claims, and
    an English label (rdfs:label and schema:name) for every listed item and every item of a claim."""
    triples = {(wikidata.ENTITY + r["subject"], wikidata.DIRECT + r["pid"], wikidata.ENTITY + r["object"])
               for r in tsv("verified-claims.tsv")}
    labels = {r["qid"]: r["label"] for r in tsv("verified-qids.tsv")}
    for r in tsv("verified-claims.tsv"):
        labels.setdefault(r["subject"], r["subject_label"])
        labels.setdefault(r["object"], r["object_label"])
    for qid, label in labels.items():
        triples |= {(wikidata.ENTITY + qid, RDFS_LABEL, label), (wikidata.ENTITY + qid, SCHEMA_NAME, label)}
    return triples


def test_the_checked_cache_holds_the_checked_claims_and_labels_and_nothing_else():
    quads = wikidata.checked_quads(ROOT)
    graph = ox.NamedNode(wikidata.CHECKED_GRAPH)
    assert quads and all(q.graph_name == graph for q in quads)
    about_itself = {q for q in quads if q.subject == graph or q.subject.value.startswith(wikidata.CHECKED_GRAPH + "#")}
    data = {(q.subject.value, q.predicate.value, q.object.value) for q in quads} - \
        {(q.subject.value, q.predicate.value, q.object.value) for q in about_itself}
    assert data == checked_triples(), "no value beyond the checked claims and labels (no population, no coordinates)"
    assert all(q.object.language == "en" for q in quads if q.predicate.value in (RDFS_LABEL, SCHEMA_NAME)
               and q.subject != graph)
    sources = {q.object.value for q in about_itself if q.predicate.value == PROV + "wasDerivedFrom"}
    assert sources == {wikidata.BASE + "files/" + name for name in wikidata.CHECKED_FILES}


def test_a_checked_claim_with_an_unlisted_property_is_refused_naming_its_line(project_copy):
    claims = project_copy / "data" / "wikidata" / "verified-claims.tsv"
    claims.write_text(claims.read_text(encoding="utf-8") + "Q159\tRussia\tP999999999\tQ649\tMoscow\n", encoding="utf-8")
    line = len(claims.read_text(encoding="utf-8").splitlines())
    with pytest.raises(wikidata.CacheError, match=rf"verified-claims.tsv line {line}: P999999999 is not in"):
        wikidata.checked_quads(project_copy)


def test_a_build_without_the_checked_claims_file_is_invalid_input_naming_it(project_copy, capsys):
    claims = project_copy / "data" / "wikidata" / "verified-claims.tsv"
    claims.unlink()
    status, err = build_report(project_copy, capsys)
    assert status == 1 and f"{claims}: no such file" in err, err
    assert not (project_copy / "build").exists()


def test_a_build_without_a_fetched_cache_holds_the_checked_claims_in_their_own_graph(built):
    store = ox.Store.read_only(str(built.out / "store"))
    graph = ox.NamedNode(wikidata.CHECKED_GRAPH)
    held = {(q.subject.value, q.predicate.value, q.object.value) for q in store.quads_for_pattern(None, None, None, graph)}
    assert checked_triples() <= held
    moscow = ox.NamedNode(wikidata.ENTITY + "Q649")
    assert not list(store.quads_for_pattern(moscow, None, None, ox.DefaultGraph())), "not in the default graph"
    assert wikidata.CHECKED_GRAPH.encode() not in (built.out / "astana-kg.nq").read_bytes(), "not in the dump"
    info = json.loads((built.out / "build-info.json").read_text())
    assert info["wikidata_cache"]["graph"] == wikidata.CHECKED_GRAPH and info["wikidata_cache"]["file"] is None


@pytest.fixture(scope="module")
def checked_offline(built):
    """`astana-kg serve --wikidata-cache` on the session's build: Wikidata answered by the checked claims."""
    with astana_kg_server(built.out, "--wikidata-cache") as base:
        yield base


@pytest.fixture(scope="module")
def refusing_port():
    """A loopback port that refuses every connection, for as long as the module runs."""
    with helpers_endpoints.refusing_port() as port:
        yield port


@contextlib.contextmanager
def without_network():
    """Every HTTPS connection made in this process fails at once, as on a machine without a network
    (nothing leaves the process); yields the list of the hosts tried."""
    tried: list[str] = []

    def no_network(connection):
        tried.append(connection.host)
        raise socket.gaierror(-3, "Temporary failure in name resolution")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(http.client.HTTPSConnection, "connect", no_network)
        yield tried


@pytest.fixture(scope="module")
def wikidata_unreachable(built):
    """The endpoint in its default mode (no mirror, no --wikidata-cache), in this process, without a
    network: its test client, and the hosts the proxy tried to connect to."""
    app = create_app({"BUILD_DIR": str(built.out)})
    with without_network() as tried:
        try:
            yield app.test_client(), tried
        finally:
            app.extensions["astana_kg"]().close()


def client_query(client, text: str) -> bytes:
    response = client.post("/sparql", data=text, content_type="application/sparql-query",
                           headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.data
    return response.data


@pytest.mark.parametrize("query", FEDERATED, ids=[q.name for q in FEDERATED])
def test_every_federated_example_answers_from_the_checked_claims_with_its_expected_answer(checked_offline, query):
    assert_same_answer(rows(post_query(checked_offline + "/sparql", query.text)), query)


@pytest.mark.parametrize("query", FEDERATED, ids=[q.name for q in FEDERATED])
def test_when_wikidata_cannot_be_reached_the_checked_claims_answer_every_federated_example(wikidata_unreachable,
                                                                                          query):
    client, tried = wikidata_unreachable
    assert_same_answer(rows(client_query(client, query.text)), query)
    assert tried and set(tried) == {"query.wikidata.org"}, "Wikidata itself was tried first"


def cache_provenance(endpoint) -> list[dict]:
    """What the cache that answers for Wikidata says of itself; ``endpoint`` is a base URL or a test client."""
    answer = ox.parse_query_results(post_query(endpoint + "/sparql", CACHE_PROVENANCE) if isinstance(endpoint, str)
                                    else client_query(endpoint, CACHE_PROVENANCE), format=ox.QueryResultsFormat.JSON)
    return [{name: solution[name].value for name in ("graph", "generated", "source", "property")
             if solution[name] is not None} for solution in answer]


def test_answers_from_the_checked_claims_say_which_graph_they_came_from(wikidata_unreachable, checked_offline):
    for endpoint in (wikidata_unreachable[0], checked_offline):
        found = cache_provenance(endpoint)
        assert {r["graph"] for r in found} == {wikidata.CHECKED_GRAPH}
        assert {r["source"] for r in found} == {wikidata.BASE + "files/" + name for name in wikidata.CHECKED_FILES}
        assert {r["property"] for r in found} == {wikidata.DIRECT + p for p in ("P35", "P36", "P150", "P463")}
        assert not any("generated" in r for r in found), "the checked claims were not fetched at any time"


def test_answers_from_a_fetched_cache_say_which_graph_and_when(offline):
    found = cache_provenance(offline)
    assert {r["graph"] for r in found} == {wikidata.CACHE_GRAPH}
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|\+00:00)", r["generated"]) for r in found), found


def test_answers_from_a_reachable_wikidata_name_no_cache(ours):
    assert cache_provenance(ours) == []


def federated_problem(build_dir: Path, mirror: str) -> dict:
    """The problem details a federated example gets from an app whose Wikidata mirror is ``mirror``."""
    app = create_app({"BUILD_DIR": str(build_dir), "SERVICE_MIRRORS": {WIKIDATA: mirror}})
    try:
        response = app.test_client().post("/sparql", data=FEDERATED[0].text, content_type="application/sparql-query",
                                          headers={"Accept": "application/sparql-results+json"})
    finally:
        app.extensions["astana_kg"]().close()
    assert response.status_code == 502, response.data
    assert "problem+json" in response.content_type
    return json.loads(response.data)


def assert_names_wikidata_not_the_proxy(problem: dict) -> None:
    assert f"<{WIKIDATA}>" in problem["detail"], problem["detail"]
    assert "127.0.0.1" not in json.dumps(problem) and "/service/" not in json.dumps(problem), problem
    assert problem["service"] == WIKIDATA


def test_a_failing_wikidata_is_a_bad_gateway_naming_it_and_the_offline_cache_never_the_proxy(built):
    with helpers_endpoints.failing_endpoint() as url:
        problem = federated_problem(built.out, url)
    assert_names_wikidata_not_the_proxy(problem)
    assert "500 Internal Server Error" in problem["detail"] and "TimeoutException" in problem["detail"]
    assert len(problem["detail"]) < 1000, "the remote error is quoted, not copied whole"
    assert problem["offline_cache"] == wikidata.CHECKED_GRAPH


@pytest.fixture(scope="module")
def build_without_cache(built, tmp_path_factory):
    """A copy of the session's build from which the cache graph was removed (as builds were before they held one)."""
    out = tmp_path_factory.mktemp("no-cache") / "build"
    shutil.copytree(built.out.resolve(), out)
    store = ox.Store(str(out / "store"))
    store.remove_graph(ox.NamedNode(wikidata.CHECKED_GRAPH))
    store.flush()
    del store
    info = json.loads((out / "build-info.json").read_text())
    del info["wikidata_cache"]
    (out / "build-info.json").write_text(json.dumps(info))
    return out


def test_cache_mirror_without_a_cache_is_a_clear_bad_gateway(build_without_cache):
    problem = federated_problem(build_without_cache, "cache")
    assert_names_wikidata_not_the_proxy(problem)
    assert "no offline Wikidata cache" in problem["detail"] and "offline_cache" not in problem


def test_an_unreachable_mirror_is_a_bad_gateway_naming_wikidata_and_is_not_replaced_by_the_cache(built,
                                                                                                   refusing_port):
    problem = federated_problem(built.out, f"http://127.0.0.1:{refusing_port}/sparql")
    assert_names_wikidata_not_the_proxy(problem)
    assert f"could not reach {WIKIDATA}" in problem["detail"]
    assert problem["offline_cache"] == wikidata.CHECKED_GRAPH, "the cache that could answer is named"


def test_an_unreachable_wikidata_without_a_cache_is_a_bad_gateway_naming_it(build_without_cache):
    app = create_app({"BUILD_DIR": str(build_without_cache)})
    try:
        with without_network() as tried:
            response = app.test_client().post("/sparql", data=FEDERATED[0].text, content_type="application/sparql-query",
                                              headers={"Accept": "application/sparql-results+json"})
    finally:
        app.extensions["astana_kg"]().close()
    assert response.status_code == 502 and tried == ["query.wikidata.org"]
    problem = response.get_json(force=True)
    assert_names_wikidata_not_the_proxy(problem)
    assert f"could not reach {WIKIDATA}" in problem["detail"] and "offline_cache" not in problem


def test_fetch_refuses_identifiers_that_are_not_wikidata_iris():
    with pytest.raises(ValueError):
        wikidata.with_values(queries.load("wikidata/labels").text, "item", ["http://example.org/> } ?s ?p ?o {"])


def test_a_cached_label_with_a_line_separator_is_read_back_whole(tmp_path):
    # U+2028 and U+0085 stay unescaped in N-Quads: a quad must not be split at them.
    graph = ox.NamedNode(wikidata.CACHE_GRAPH)
    quads = [ox.Quad(ox.NamedNode("http://www.wikidata.org/entity/Q1"), ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
                     ox.Literal(f"one{separator}two", language="en"), graph) for separator in ("\u2028", "\u0085")]
    path = tmp_path / "cache.nq"
    wikidata.write_cache(quads, path)
    read, _ = wikidata.read_cache(path)
    assert sorted(map(str, read)) == sorted(map(str, quads))


@pytest.mark.parametrize("config", [{"NETWORK_ISOLATION": "sometimes"}, {"QUERY_WORKERS": "two"}],
                         ids=["isolation", "workers"])
def test_an_app_that_fails_to_start_leaves_no_proxy_listening_and_no_socket(built, config):
    ports_before = _listening_ports()
    with short_directory("akg-run-") as runtime:
        with pytest.raises(ValueError):
            create_app({"BUILD_DIR": str(built.out), "TESTING": True, "EAGER": True, "RUNTIME_DIR": str(runtime),
                        **config})
        assert os.listdir(runtime) == []
        assert _listening_ports() <= ports_before  # the proxy's loopback port is closed again


def _listening_ports() -> set[int]:
    """The loopback TCP ports this process listens on."""
    found = set()
    inodes = {os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")
              if os.path.exists(f"/proc/self/fd/{fd}")} - {None}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and f"socket:[{fields[9]}]" in inodes:
            found.add(int(fields[1].split(":")[1], 16))
    return found


def test_a_proxy_never_closed_removes_its_socket_as_its_process_exits_but_not_as_a_forked_child_does():
    with short_directory("akg-run-") as directory:
        runtime = str(directory)
        script = f"""if True:
            import json, os, sys
            from astana_kg.http.federation import ServiceProxy
            proxy = ServiceProxy([], directory={runtime!r})
            made = os.listdir({runtime!r})
            child = os.fork()
            if child == 0:
                sys.exit(0)  # a forked child that runs the exit handlers as it ends
            os.waitpid(child, 0)
            print(json.dumps([made, os.listdir({runtime!r})]))
        """
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        made, after_child = json.loads(done.stdout)
        assert len(made) == 1 and made[0].startswith("astana-kg-proxy-"), made
        assert after_child == made  # the child left the proxy's socket to its owner
        assert os.listdir(runtime) == []  # which removed it as it exited, never closed
