"""The W3C SPARQL 1.1 Protocol test suite, replayed against the app through Flask's test client.

The manifest (tests/w3c/sparql11-protocol/, under the W3C test suite licence in tests/w3c/) is
read with rdflib; each mf:ProtocolTest becomes one test, run on a fresh build directory whose
store holds the test's data (each ut:graphData file in the named graph its rdfs:label names,
ut:data / qt:data in the default graph). Its ht:Requests are sent in order, each checked against
mf:expectedStatus (the status class), mf:expectedFormat and mf:expectedBoolean.

Tests that touch SPARQL Update run on a writable app (ALLOW_UPDATE) with a bearer token; the
others on the read-only app, through its query processes, as the endpoint is deployed.

A test known not to pass is listed in XFAIL by its IRI with the reason; it is run all the same and
must fail (strict), so that a fix shows up as an unexpected pass.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest
from rdflib import RDF, RDFS, Graph, Namespace
from rdflib.collection import Collection
from rdflib.query import Result

from astana_kg.http import create_app

SUITE = Path(__file__).parent / "w3c" / "sparql11-protocol"
MANIFEST = SUITE / "manifest.ttl"
BASE = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/protocol/manifest#"

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HT = Namespace("http://www.w3.org/2011/http#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = Namespace("http://www.w3.org/2011/content#")

TOKEN = "w3c-protocol-test-token"

#: Tests known to fail, by IRI, with the reason (the server bug each one shows); none at present.
XFAIL: dict[str, str] = {}

STATUS_CLASSES = {HTS.StatusCode2xx: 2, HTS.StatusCode3xx: 3, HTS.StatusCode4xx: 4, HTS.StatusCode5xx: 5}

RESULT_FORMATS = {  # media type -> rdflib's SPARQL results parser
    "application/sparql-results+json": "json", "application/json": "json",
    "application/sparql-results+xml": "xml", "application/xml": "xml", "text/xml": "xml",
    "text/csv": "csv", "text/tab-separated-values": "tsv",
}


@dataclass
class Request:
    method: str
    path: str
    query_string: str
    headers: dict[str, str]
    body: bytes | None
    statuses: set[int]
    expected_format: str | None
    expected_boolean: bool | None


@dataclass
class ProtocolTest:
    iri: str
    name: str
    graph_data: list[tuple[Path, str]] = field(default_factory=list)   # (file, graph name)
    default_data: list[Path] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)

    @property
    def updates(self) -> bool:
        """Whether the test is about SPARQL Update (and needs a writable endpoint)."""
        return "update" in self.iri.rsplit("#", 1)[-1]


def _list(graph: Graph, head) -> list:
    return list(Collection(graph, head)) if head is not None else []


def _body(graph: Graph, node) -> bytes | None:
    if node is None:
        return None
    chars = graph.value(node, CNT.chars)
    encoding = str(graph.value(node, CNT.characterEncoding) or "UTF-8")
    return str(chars).encode(encoding)


def _request(graph: Graph, node) -> Request:
    absolute = str(graph.value(node, HT.absolutePath))
    parts = urlsplit(absolute)
    if not parts.path.startswith("/sparql/"):
        raise ValueError(f"{absolute}: every path in the manifest starts with /sparql/")
    headers = {}
    for header in _list(graph, graph.value(node, HT.headers)):
        headers[str(graph.value(header, HT.fieldName))] = str(graph.value(header, HT.fieldValue))
    response = graph.value(node, HT.resp)
    statuses = {STATUS_CLASSES[s] for s in graph.objects(response, MF.expectedStatus)}
    expected_format = graph.value(response, MF.expectedFormat)
    expected_boolean = graph.value(response, MF.expectedBoolean)
    return Request(
        method=str(graph.value(node, HT.methodName)),
        path="/sparql" + parts.path[len("/sparql/"):],
        query_string=parts.query,
        headers=headers,
        body=_body(graph, graph.value(node, HT.body)),
        statuses=statuses,
        expected_format=None if expected_format is None else str(expected_format),
        expected_boolean=None if expected_boolean is None else bool(expected_boolean.toPython()),
    )


def load_manifest(path: Path = MANIFEST) -> list[ProtocolTest]:
    graph = Graph().parse(path, format="turtle", publicID=BASE.rstrip("#"))
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    tests = []
    for iri in _list(graph, graph.value(manifest, MF.entries)):
        test = ProtocolTest(str(iri), str(graph.value(iri, MF.name)))
        for data in graph.objects(iri, UT.graphData):
            file = graph.value(data, UT.graph)
            test.graph_data.append((SUITE / Path(urlsplit(str(file)).path).name, str(graph.value(data, RDFS.label))))
        for predicate in (UT.data, QT.data):
            for file in graph.objects(iri, predicate):
                test.default_data.append(SUITE / Path(urlsplit(str(file)).path).name)
        action = graph.value(iri, MF.action)
        test.requests = [_request(graph, node) for node in _list(graph, graph.value(action, HT.requests))]
        tests.append(test)
    return tests


TESTS = load_manifest()


def test_the_manifest_was_read_whole():
    # 34 entries in the 2013 manifest; a parse that finds none would make every check below vacuous.
    assert len(TESTS) == 34
    assert all(t.requests for t in TESTS)
    assert all(r.statuses for t in TESTS for r in t.requests)
    assert set(XFAIL) <= {t.iri for t in TESTS}, "an XFAIL key names no test of the manifest"


def _params():
    for test in TESTS:
        marks = [pytest.mark.xfail(strict=True, reason=XFAIL[test.iri])] if test.iri in XFAIL else []
        yield pytest.param(test, id=test.iri.rsplit("#", 1)[-1], marks=marks)


def make_build(directory: Path, test: ProtocolTest) -> Path:
    """A build-like directory holding ``store/`` with the test's data (no build-info.json)."""
    directory.mkdir(parents=True)
    store = ox.Store(str(directory / "store"))
    for file, name in test.graph_data:
        store.load(path=str(file), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(name))
    for file in test.default_data:
        store.load(path=str(file), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.DefaultGraph())
    store.flush()
    del store  # closes the store, so that the app can open it (read-only or not)
    return directory


def check_response(request: Request, response) -> None:
    where = f"{request.method} {request.path}?{request.query_string}"
    assert response.status_code // 100 in request.statuses, (
        f"{where}: status {response.status_code}, expected {sorted(request.statuses)}xx; "
        f"body: {response.data[:400]!r}")
    if response.status_code >= 400:
        assert response.content_type == "application/problem+json"
        problem = json.loads(response.data)
        assert problem["status"] == response.status_code and problem["detail"]
    media_type = (response.content_type or "").split(";")[0].strip()
    if request.expected_format in ("boolean", "tabular"):
        assert media_type in RESULT_FORMATS, f"{where}: {media_type} is not a SPARQL results format"
        result = Result.parse(io.BytesIO(response.data), format=RESULT_FORMATS[media_type])
        if request.expected_format == "boolean":
            assert result.type == "ASK"
        else:
            assert result.type == "SELECT" and result.vars
    elif request.expected_format == "RDF":
        Graph().parse(data=response.data, format=media_type)  # rdflib knows parsers by media type
    elif request.expected_format is not None:
        raise AssertionError(f"unknown mf:expectedFormat {request.expected_format!r}")
    if request.expected_boolean is not None:
        result = Result.parse(io.BytesIO(response.data), format=RESULT_FORMATS[media_type])
        assert result.askAnswer is request.expected_boolean


@pytest.mark.parametrize("test", list(_params()))
def test_w3c_protocol(test: ProtocolTest, tmp_path):
    build = make_build(tmp_path / "build", test)
    config = {"BUILD_DIR": str(build), "TESTING": True, "QUERY_WORKERS": 1, "QUERY_TIMEOUT": 20}
    if test.updates:
        config.update(ALLOW_UPDATE=True, UPDATE_TOKEN=TOKEN)
    app = create_app(config)
    client = app.test_client()
    try:
        for request in test.requests:
            headers = dict(request.headers)
            if test.updates:
                headers["Authorization"] = f"Bearer {TOKEN}"
            response = client.open(request.path, method=request.method, query_string=request.query_string,
                                   headers=headers, data=request.body)
            check_response(request, response)
    finally:
        app.extensions["astana_kg"]().close()


def test_update_tests_need_the_token(tmp_path):
    # The suite above sends the token with every update; without it, the same update is refused.
    update = next(t for t in TESTS if t.iri.endswith("#update_post_direct"))
    app = create_app({"BUILD_DIR": str(make_build(tmp_path / "build", update)), "TESTING": True,
                      "ALLOW_UPDATE": True, "UPDATE_TOKEN": TOKEN})
    request = update.requests[0]
    try:
        response = app.test_client().open(request.path, method="POST", headers=request.headers, data=request.body)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    finally:
        app.extensions["astana_kg"]().close()


def test_a_literal_body_is_sent_in_its_declared_encoding():
    # The non-UTF-8 tests are only meaningful if their bodies really are UTF-16 bytes.
    non_utf8 = next(t for t in TESTS if t.iri.endswith("#bad_query_non_utf8"))
    assert non_utf8.requests[0].body == "ASK {}".encode("utf-16")
