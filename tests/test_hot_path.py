"""The front's hot path: a query request (a cache hit, a 304, a miss that runs the query) is
answered without the framework, with exactly the status, headers and body the app would write."""

from __future__ import annotations

import asyncio
import hashlib
import re
import urllib.parse

import pytest

from astana_kg.http import create_app
from astana_kg.http.front import Front, HotPath, call

QUERY = "SELECT ?p ?o WHERE { <https://w3id.org/astana-kg/id/russia> ?p ?o }"  # several rows: cut at the cap of 1


def fresh(front):
    """``front`` as if just made: no cached answer, no view counted (its app and query processes
    are made once per module: starting them is most of a test's time)."""
    front.app.extensions["astana_kg"]().cache.clear()
    front.views.clear()
    return front


def make_front(config: dict, hot: bool = True) -> Front:
    app = create_app(dict(config))
    views = []
    app.before_request(lambda: views.append(1) and None)
    front = Front(app, 1024 * 1024, 10.0, 2, hot_path=HotPath(app) if hot else None)
    front.views = views
    return front


@pytest.fixture(scope="module", params=[True, False], ids=["cors", "no-cors"])
def front_of_module(built, request):
    front = make_front({"BUILD_DIR": str(built.out), "TESTING": True, "QUERY_WORKERS": 1, "EAGER": True,
                        "SERVER_URL": "http://127.0.0.1:8000/", "CORS": request.param, "ROW_CAP": 1})
    yield front
    front.app.extensions["astana_kg"]().close()


@pytest.fixture
def front(front_of_module):
    return fresh(front_of_module)


def get(front, query: str, *headers: tuple[bytes, bytes]):
    query_string = urllib.parse.urlencode({"query": query}).encode()
    return asyncio.run(call(front, "GET", "/sparql", headers=headers, query_string=query_string, full=True))


@pytest.mark.parametrize("accept", [b"application/sparql-results+json", b"text/csv", b"*/*"])
def test_a_cache_hit_skips_the_framework_and_keeps_every_header(front, accept):
    status, first, body = get(front, QUERY, (b"accept", accept))
    assert status == 200 and first["x-cache"] == "miss"
    status, again, body_again = get(front, QUERY, (b"accept", accept))
    assert status == 200 and body_again == body
    assert len(front.views) == 0  # the app saw neither
    assert again.pop("x-cache") == "hit" and first.pop("x-cache") == "miss"
    assert again == first
    for name in ("etag", "vary", "cache-control", "content-type", "x-result-rows", "x-result-truncated"):
        assert name in again
    assert ("access-control-allow-origin" in again) == bool(front.app.config["CORS"])


def test_a_304_skips_the_framework_and_keeps_every_header(front):
    status, first, _ = get(front, QUERY)
    status, not_modified, body = get(front, QUERY, (b"if-none-match", first["etag"].encode()))
    assert status == 304 and body == b"" and len(front.views) == 0
    assert not_modified["etag"] == first["etag"]
    for name in ("vary", "cache-control"):
        assert not_modified[name] == first[name]
    assert ("access-control-allow-origin" in not_modified) == bool(front.app.config["CORS"])


def test_what_the_hot_path_cannot_read_goes_on_to_the_app(front):
    query_string = urllib.parse.urlencode([("query", QUERY), ("query", QUERY)]).encode()
    status, _ = asyncio.run(call(front, "GET", "/sparql", query_string=query_string))
    assert status == 400 and len(front.views) == 1  # two queries in one request: the app says what is wrong
    status, _ = asyncio.run(call(front, "POST", "/sparql", QUERY.encode(),
                                 headers=[(b"content-type", b"application/sparql-query")]))
    assert status == 200 and len(front.views) == 2


@pytest.fixture(scope="module", params=[True, False], ids=["cors", "no-cors"])
def twins_of_module(built, request):
    """Two fronts over two apps of one configuration: one with the hot path, one without it."""
    config = {"BUILD_DIR": str(built.out), "TESTING": True, "QUERY_WORKERS": 1, "EAGER": True,
              "SERVER_URL": "http://127.0.0.1:8000/", "CORS": request.param, "ROW_CAP": 1,
              "SERVICE_ALLOW": ["https://query.wikidata.org/sparql"]}
    fronts = [make_front(config, hot) for hot in (True, False)]
    yield fronts
    for front in fronts:
        front.app.extensions["astana_kg"]().close()


@pytest.fixture
def twins(twins_of_module):
    return [fresh(front) for front in twins_of_module]


MISSES = {  # a request's query parameters and Accept header, each answered by running a query
    "select-json": ({"query": QUERY}, b"application/sparql-results+json"),
    "select-csv": ({"query": QUERY}, b"text/csv"),
    "select-any": ({"query": QUERY}, b"*/*"),
    "select-format": ({"query": QUERY, "format": "xml"}, None),
    "construct": ({"query": "CONSTRUCT WHERE { <https://w3id.org/astana-kg/id/russia> ?p ?o }"}, b"text/turtle"),
    "ask": ({"query": "ASK { ?s ?p ?o }"}, b"application/sparql-results+xml"),
    "syntax-error": ({"query": "SELECT ?x WHERE { ?s ?p }"}, None),
    "service-refused": ({"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"}, None),
    "not-acceptable": ({"query": "CONSTRUCT WHERE { ?s ?p ?o }"}, b"application/sparql-results+json"),
    "bad-timeout": ({"query": QUERY, "timeout": "soon"}, None),
}


@pytest.mark.parametrize("name", sorted(MISSES))
def test_a_miss_is_answered_without_the_framework_with_the_status_headers_and_body_the_app_writes(twins, name):
    params, accept = MISSES[name]
    query_string = urllib.parse.urlencode(params).encode()
    request = {"headers": [(b"accept", accept)] if accept else [], "query_string": query_string, "full": True}
    answers = [asyncio.run(call(front, "GET", "/sparql", **request)) for front in twins]
    hot, app = twins
    assert len(hot.views) == 0 and len(app.views) == 1  # the hot path ran it without the framework
    assert answers[0] == answers[1]
    status, headers, _ = answers[0]
    if status == 200:
        assert headers["x-cache"] == "miss"
        for header in ("etag", "vary", "cache-control", "content-type", "x-result-rows"):
            assert header in headers
    else:
        assert headers["content-type"] == "application/problem+json"
    assert ("access-control-allow-origin" in headers) == bool(hot.app.config["CORS"])
    again = asyncio.run(call(hot, "GET", "/sparql", **request))
    if status == 200:  # the miss filled the cache the hits are answered from
        assert again[1]["x-cache"] == "hit" and again[2] == answers[0][2]
    assert len(hot.views) == 0


def test_each_query_request_writes_one_access_line_by_either_path(front, caplog):
    """The hot path (a miss, then a hit) and the app (a POST) log the same line: method, path,
    status, time, the query's hash, the rows."""
    caplog.set_level("INFO", logger="astana_kg.access")
    get(front, QUERY)
    get(front, QUERY)
    asyncio.run(call(front, "POST", "/sparql", QUERY.encode(), headers=[(b"content-type", b"application/sparql-query")]))
    lines = [record for record in caplog.records if record.name == "astana_kg.access"]
    assert [record.levelname for record in lines] == ["INFO"] * 3
    digest = hashlib.sha256(QUERY.encode()).hexdigest()[:12]
    pattern = rf"(GET|POST) /sparql 200 \d+\.\dms query={digest} rows=1"
    assert [re.fullmatch(pattern, record.getMessage()).group(1) for record in lines] == ["GET", "GET", "POST"]
