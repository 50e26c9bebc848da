"""The front's hot path: a repeated query (a cache hit) and a 304 are answered before the
framework, with exactly the headers the app would write."""

from __future__ import annotations

import asyncio
import urllib.parse

import pytest

from astana_kg.server import create_app
from astana_kg.server.front import Front, HotPath, call

QUERY = "SELECT ?p ?o WHERE { <https://w3id.org/astana-kg/id/russia> ?p ?o }"  # several rows: cut at the cap of 1


@pytest.fixture(params=[True, False], ids=["cors", "no-cors"])
def front(built, request):
    app = create_app({"BUILD_DIR": str(built.out), "TESTING": True, "QUERY_WORKERS": 1, "EAGER": True,
                      "SERVER_URL": "http://127.0.0.1:8000/", "CORS": request.param, "ROW_CAP": 1})
    views = []
    app.before_request(lambda: views.append(1) and None)
    front = Front(app, 1024 * 1024, 10.0, 2, hot_path=HotPath(app))
    front.views = views
    yield front
    app.extensions["astana_kg"]().close()


def get(front, query: str, *headers: tuple[bytes, bytes]):
    query_string = urllib.parse.urlencode({"query": query}).encode()
    return asyncio.run(call(front, "GET", "/sparql", headers=headers, query_string=query_string, full=True))


@pytest.mark.parametrize("accept", [b"application/sparql-results+json", b"text/csv", b"*/*"])
def test_a_cache_hit_skips_the_framework_and_keeps_every_header(front, accept):
    status, first, body = get(front, QUERY, (b"accept", accept))
    assert status == 200 and first["x-cache"] == "miss" and len(front.views) == 1
    status, again, body_again = get(front, QUERY, (b"accept", accept))
    assert status == 200 and body_again == body
    assert len(front.views) == 1  # the app did not see it
    assert again.pop("x-cache") == "hit" and first.pop("x-cache") == "miss"
    assert again == first
    for name in ("etag", "vary", "cache-control", "content-type", "x-result-rows", "x-result-truncated"):
        assert name in again
    assert ("access-control-allow-origin" in again) == bool(front.app.config["CORS"])


def test_a_304_skips_the_framework_and_keeps_every_header(front):
    status, first, _ = get(front, QUERY)
    status, not_modified, body = get(front, QUERY, (b"if-none-match", first["etag"].encode()))
    assert status == 304 and body == b"" and len(front.views) == 1
    assert not_modified["etag"] == first["etag"]
    for name in ("vary", "cache-control"):
        assert not_modified[name] == first[name]
    assert ("access-control-allow-origin" in not_modified) == bool(front.app.config["CORS"])


def test_what_the_hot_path_cannot_answer_goes_on_to_the_app(front):
    status, _, _ = get(front, "SELECT ?x WHERE { ?s ?p }")  # a syntax error: the app says what is wrong
    assert status == 400 and len(front.views) == 1
    status, headers, _ = get(front, f"# a new text\n{QUERY}")  # a miss
    assert status == 200 and headers["x-cache"] == "miss" and len(front.views) == 2
