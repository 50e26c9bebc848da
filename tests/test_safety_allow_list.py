"""Attacks on the SERVICE and LOAD allow-list, each with a canary on loopback counting what leaks.

Two guards stand in the way, and each is attacked alone:

- the text check (``sparqltext``, ``safety``): run with ``NETWORK_ISOLATION=off``, so that a
  query the check lets through would reach the canary;
- the containment (``isolation``): a query process whose text was never checked, sent straight
  to the pool, cannot reach anything but the proxy.

Where two readers see one text (our lexer and pyoxigraph's parser), a differential test runs
pyoxigraph itself on generated texts and checks that it calls exactly the endpoints the lexer
finds.
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from astana_kg.query import sparqltext
from astana_kg.query.worker import Job, ProcessOptions, QueryPool
from astana_kg.http import create_app
from astana_kg.http.errors import HttpError

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from helpers_server import Canary  # noqa: E402

WIKIDATA = "https://query.wikidata.org/sparql"
TOKEN = "allow-list-token"
EXAMPLES = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def _app(build: Path, **config):
    return create_app({"BUILD_DIR": str(build), "TESTING": True, "QUERY_WORKERS": 1, "QUERY_TIMEOUT": 10,
                       "NETWORK_ISOLATION": "off", **config})


@pytest.fixture(scope="module")
def canary():
    with Canary() as canary:
        yield canary


@pytest.fixture(scope="module")
def unguarded(built):
    """The endpoint with the text check as its only guard (no network isolation), Wikidata allowed."""
    app = _app(built.out)
    yield app.test_client()
    app.extensions["astana_kg"]().close()


def send(client, text: str, how: str):
    if how == "GET":
        return client.get("/sparql", query_string={"query": text})
    if how == "form":
        return client.post("/sparql", data={"query": text})
    return client.post("/sparql", data=text.encode(), content_type="application/sparql-query")


# The seven carriage-return variants: a comment that ends at \r for the engine.
CARRIAGE_RETURN = {
    "plain": "SELECT ?x WHERE {{ #\rSERVICE <{c}> {{ ?x ?p ?o }}\n}}",
    "silent": "SELECT ?x WHERE {{ #\rSERVICE SILENT <{c}> {{ ?x ?p ?o }}\n}}",
    "comment-text": "SELECT ?x WHERE {{ # nothing to see\rSERVICE <{c}> {{ ?x ?p ?o }}\n}}",
    "two-lines": "SELECT ?x WHERE {{ #\r#\rSERVICE <{c}> {{ ?x ?p ?o }}\n}}",
    "between-keyword-and-iri": "SELECT ?x WHERE {{ SERVICE #\r<{c}> {{ ?x ?p ?o }}\n}}",
    "nested-in-allowed": "SELECT ?x WHERE {{ SERVICE <" + WIKIDATA + "> {{ ?a ?b ?c }} #\rSERVICE <{c}> {{ ?x ?p ?o }}\n}}",
    "in-prologue": "#\rPREFIX c: <{c}>\nSELECT ?x WHERE {{ SERVICE c: {{ ?x ?p ?o }} }}",
}


@pytest.mark.parametrize("how", ["GET", "form", "direct"])
@pytest.mark.parametrize("name", CARRIAGE_RETURN)
def test_a_carriage_return_ends_a_comment_for_the_check_as_for_the_engine(unguarded, canary, name, how):
    text = CARRIAGE_RETURN[name].format(c=canary.url)
    response = send(unguarded, text, how)
    assert response.status_code == 403, (text, response.status_code, response.data[:300])
    assert canary.url in response.json["detail"]
    assert canary.connections == 0, canary.requests


@pytest.mark.parametrize("decoy", [
    "# PREFIX w: <{other}>\n",
    "#\rPREFIX w: <{allowed}>\n# PREFIX w: <{other}>\n",
])
def test_a_prefix_redeclared_in_a_comment_does_not_steer_the_proxy(built, decoy):
    with Canary() as allowed, Canary() as other:
        base_allowed, base_other = allowed.url.rsplit("/", 1)[0] + "/", other.url.rsplit("/", 1)[0] + "/"
        text = (f"PREFIX w: <{base_allowed}>\n" + decoy.format(other=base_other, allowed=base_allowed)
                + "SELECT ?s WHERE { BIND(\"PREFIX w: <" + base_other + ">\" AS ?x) SERVICE w:sparql { ?s ?p ?o } }")
        app = _app(built.out, SERVICE_ALLOW=[allowed.url])
        try:
            response = app.test_client().get("/sparql", query_string={"query": text})
        finally:
            app.extensions["astana_kg"]().close()
        assert response.status_code == 200, response.data[:300]
        assert allowed.connections >= 1
        assert other.connections == 0, other.requests


def test_a_nesting_deeper_than_the_engine_parses_is_a_400_not_a_dead_process(unguarded):
    response = send(unguarded, "SELECT * WHERE " + "{" * 3000 + "}" * 3000, "direct")
    assert response.status_code == 400, response.data[:300]
    assert "nests" in response.json["detail"]
    assert send(unguarded, "ASK {}", "GET").status_code == 200


def test_a_query_holding_the_word_service_is_not_refused_for_its_nesting(unguarded):
    text = "SELECT ?x WHERE { BIND(" + "(" * 24 + '"service"' + ")" * 24 + " AS ?x) }"
    response = send(unguarded, text, "GET")
    assert response.status_code == 200, response.data[:300]
    assert response.json["results"]["bindings"][0]["x"]["value"] == "service"


# ---------------------------------------------------------------------------------------------
# Containment: a query process reaches only the proxy, whatever text it runs
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def isolated_pool(built):
    pool = QueryPool(str(built.out / "store"), 1, ProcessOptions(isolation="required"), long_slots=0)
    yield pool
    pool.close()


@pytest.mark.parametrize("template", [
    "SELECT * WHERE {{ SERVICE <{c}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ SERVICE <http://localhost:{port}/sparql> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ SERVICE <http://[::1]:{port}/sparql> {{ ?s ?p ?o }} }}",
])
def test_an_unchecked_service_call_from_an_isolated_query_process_reaches_nothing(isolated_pool, canary, template):
    assert isolated_pool.isolated, isolated_pool.why_not_isolated
    text = template.format(c=canary.url, port=canary.port)
    with pytest.raises(HttpError) as refused:
        isolated_pool.run(Job(text, "application/sparql-results+json", None, [], [], 100), 10)
    assert refused.value.status == 502
    assert canary.connections == 0, canary.requests


def test_an_unchecked_service_call_does_reach_a_canary_from_a_process_left_on_the_host_network(built):
    """The control: without isolation the same raw job does reach the canary."""
    with Canary() as own:
        pool = QueryPool(str(built.out / "store"), 1, ProcessOptions(isolation="off"), long_slots=0)
        try:
            pool.run(Job(f"SELECT * WHERE {{ SERVICE <{own.url}> {{ ?s ?p ?o }} }}",
                         "application/sparql-results+json", None, [], [], 100), 10)
        finally:
            pool.close()
        assert own.connections >= 1


def test_an_isolated_query_process_reaches_an_allowed_endpoint_through_the_proxy(built):
    with Canary() as allowed:
        app = _app(built.out, SERVICE_ALLOW=[allowed.url], NETWORK_ISOLATION="required")
        try:
            response = app.test_client().get(
                "/sparql", query_string={"query": f"SELECT * WHERE {{ SERVICE <{allowed.url}> {{ ?s ?p ?o }} }}"})
            health = app.test_client().get("/health").json
        finally:
            app.extensions["astana_kg"]().close()
        assert response.status_code == 200, response.data[:300]
        assert health["network_isolation"] is True
        assert allowed.connections >= 1 and all(ua.startswith("astana-kg/") for ua in allowed.user_agents)


# ---------------------------------------------------------------------------------------------
# Update mode: LOAD and SERVICE leave through the proxy; remote JSON-LD contexts are not fetched
# ---------------------------------------------------------------------------------------------

def _writable(tmp_path: Path, **config):
    build = tmp_path / "build"
    build.mkdir()
    store = ox.Store(str(build / "store"))
    store.add(ox.Quad(ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p"),
                      ox.NamedNode("http://example.org/o"), ox.NamedNode("http://example.org/g")))
    store.flush()
    del store
    return _app(build, ALLOW_UPDATE=True, UPDATE_TOKEN=TOKEN, **config)


def _update(client, text: str):
    return client.post("/update", data=text.encode(), content_type="application/sparql-update",
                       headers={"Authorization": f"Bearer {TOKEN}"})


@pytest.mark.parametrize("isolation", ["off", "required"])
def test_a_loaded_json_ld_document_cannot_make_the_server_fetch_its_remote_context(tmp_path, isolation):
    with Canary(content_type="text/plain") as context:
        document = json.dumps({"@context": context.url + "/context.jsonld", "@id": "http://example.org/a",
                               "name": "a"}).encode()
        with Canary(body=document, content_type="application/ld+json") as source:
            app = _writable(tmp_path, SERVICE_ALLOW=[source.url], NETWORK_ISOLATION=isolation)
            try:
                response = _update(app.test_client(), f"LOAD <{source.url}> INTO GRAPH <http://example.org/loaded>")
            finally:
                app.extensions["astana_kg"]().close()
            assert source.connections >= 1 and all(ua.startswith("astana-kg/") for ua in source.user_agents)
            assert response.status_code in (204, 400, 502), response.data[:300]
        assert context.connections == 0, context.requests


def test_an_update_calls_an_allowed_service_through_the_proxy_and_its_mirror(tmp_path):
    with Canary() as mirror:
        app = _writable(tmp_path, SERVICE_MIRRORS={WIKIDATA: mirror.url}, NETWORK_ISOLATION="required")
        try:
            response = _update(app.test_client(), "PREFIX w: <https://query.wikidata.org/>\n"
                               "INSERT { <http://example.org/a> <http://example.org/b> 1 } "
                               "WHERE { SERVICE w:sparql { } }")
        finally:
            app.extensions["astana_kg"]().close()
        assert response.status_code == 204, response.data[:300]
        assert mirror.connections >= 1 and all(ua.startswith("astana-kg/") for ua in mirror.user_agents)


UPDATE_CARRIAGE_RETURN = {
    "load": "INSERT DATA {{ <http://example.org/a> <http://example.org/b> 1 }} ; #\rLOAD <{c}>",
    "load-prefix": "PREFIX c: <" + WIKIDATA + "> #\rPREFIX c: <{c}>\nLOAD c:",
    "service": "INSERT {{ ?s ?p ?o }} WHERE {{ #\rSERVICE <{c}> {{ ?s ?p ?o }}\n}}",
    "service-silent-prefix": "PREFIX c: <" + WIKIDATA + "> #\rPREFIX c: <{c}>\n"
                             "INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE SILENT c: {{ ?s ?p ?o }} }}",
}


@pytest.mark.parametrize("name", UPDATE_CARRIAGE_RETURN)
def test_an_update_cannot_pass_the_load_and_service_checks_with_a_carriage_return(tmp_path, name, canary):
    text = UPDATE_CARRIAGE_RETURN[name]
    app = _writable(tmp_path)
    try:
        response = _update(app.test_client(), text.format(c=canary.url))
    finally:
        app.extensions["astana_kg"]().close()
    assert response.status_code in (400, 403), response.data[:300]
    assert canary.connections == 0, canary.requests


# ---------------------------------------------------------------------------------------------
# Generated texts: comments, strings, escapes and line breaks around SERVICE, LOAD and PREFIX
# ---------------------------------------------------------------------------------------------

EOL = ["\n", "\r", "\r\n"]
_names = itertools.count()


@st.composite
def decoys(draw, target: str) -> str:
    """Text that holds the target's SERVICE only where the engine does not read it as one."""
    n = next(_names)
    eol = draw(st.sampled_from(EOL))
    service = f"SERVICE <{target}> {{ ?q ?r ?t }}"
    return draw(st.sampled_from([
        f"# {service}{eol}",
        f"#{eol}",
        f'BIND("{service}" AS ?d1_{n})',
        f"BIND('{service}' AS ?d2_{n})",
        f'BIND("""{eol}{service}{eol}""" AS ?d3_{n})',
        f"BIND('''{eol}{service}{eol}''' AS ?d4_{n})",
        f'BIND("a\\"{service}" AS ?d5_{n})',
        f'BIND("a\\u0022{service}" AS ?d6_{n})',
        f"BIND(<http://example.org/#{eol.strip() or 'x'}> AS ?d7_{n})",
        f"OPTIONAL {{ BIND(1 AS ?a{n}) BIND(2 AS ?b{n}) FILTER(?a{n}<?b{n}) }}",
        f"OPTIONAL {{ BIND(1 AS ?a{n}) FILTER(?a{n}<2) }} # {service}{eol}",
        f"VALUES (?v1 ?v2) {{ (<http://example.org/a> <http://example.org/b>) }}",
        f"OPTIONAL {{ ?s <http://example.org/p\\u0023> ?o }}",
    ]))


@st.composite
def texts(draw, port: int) -> str:
    """A query with real SERVICE calls to /real/N of the canary, among decoys aimed at /decoy."""
    decoy = f"http://127.0.0.1:{port}/decoy"
    prologue = draw(st.sampled_from(["", f"PREFIX c: <http://127.0.0.1:{port}/real/>\n",
                                     f"# PREFIX c: <{decoy}/>\rPREFIX c: <http://127.0.0.1:{port}/real/>\n"]))
    items = []
    for index in range(draw(st.integers(min_value=1, max_value=3))):
        items += draw(st.lists(decoys(decoy), max_size=3))
        endpoint = f"c:p{index}" if prologue and draw(st.booleans()) else f"<http://127.0.0.1:{port}/real/p{index}>"
        keyword = draw(st.sampled_from(["SERVICE", "service", "Service"]))
        silent = draw(st.sampled_from(["", " SILENT"]))
        items.append(f"{keyword}{silent}{draw(st.sampled_from([' ', chr(10), chr(13), ' #x' + chr(13)]))}"
                     f"{endpoint} {{ BIND({index} AS ?z{index}) }}")
    items += draw(st.lists(decoys(decoy), max_size=2))
    return prologue + "SELECT * WHERE {\n" + "\n".join(items) + "\n}"


def test_generated_calls_reach_only_the_allowed_endpoint_and_decoys_never(built):
    """Allow /real/*; every decoy aimed at /decoy stays unreached, with the text check alone."""
    with Canary() as target:
        reals = [f"http://127.0.0.1:{target.port}/real/p{i}" for i in range(3)]
        app = _app(built.out, SERVICE_ALLOW=reals)
        client = app.test_client()
        try:
            @EXAMPLES
            @given(text=texts(target.port), how=st.sampled_from(["GET", "form", "direct"]))
            def check(text, how):
                response = send(client, text, how)
                assert response.status_code == 200, (text, response.status_code, response.data[:300])
                assert not any("/decoy" in r for r in target.requests), (text, target.requests)

            check()
        finally:
            app.extensions["astana_kg"]().close()
        assert target.connections > 0


def test_the_lexer_finds_exactly_the_calls_the_engine_makes():
    """Differential: pyoxigraph runs each generated text (no check, no rewrite) against a canary."""
    store = ox.Store()
    compared = []
    with Canary() as target:
        @EXAMPLES
        @given(text=texts(target.port))
        def check(text):
            with target._lock:
                target.requests.clear()
            try:
                list(store.query(text))
            except SyntaxError:
                return  # the engine makes no call at all
            engine = {r.split(" ", 1)[1].split("?", 1)[0] for r in target.requests}
            lexer = {sparqltext.calls(text, "query")[i].endpoint.split(str(target.port), 1)[1]
                     for i in range(len(sparqltext.calls(text, "query")))}
            assert engine == lexer, (text, engine, lexer)
            compared.append(len(engine))

        check()
    assert len(compared) > 100 and sum(compared) > 100, compared  # the engine did run most texts, and call


# ---------------------------------------------------------------------------------------------
# The offline cache answers Wikidata's part when Wikidata cannot be reached: in a query process
# ---------------------------------------------------------------------------------------------

def test_a_service_nested_in_wikidatas_part_is_not_called_when_the_offline_cache_answers(unguarded, canary):
    text = f"SELECT * WHERE {{ SERVICE <{WIKIDATA}> {{ SERVICE <{canary.url}> {{ ?s ?p ?o }} }} }}"
    response = send(unguarded, text, "GET")
    assert response.status_code in (400, 502), response.data[:300]
    assert canary.connections == 0, canary.requests


def test_a_memory_hog_in_wikidatas_part_is_stopped_in_a_query_process_not_in_the_server(unguarded):
    hog = ("SELECT ?x WHERE { BIND('" + "x" * 32 + "' AS ?a0) "
           + " ".join(f"BIND(CONCAT(?a{i},?a{i}) AS ?a{i + 1})" for i in range(29)) + " BIND(?a29 AS ?x) }")
    before = _rss()
    response = send(unguarded, f"SELECT * WHERE {{ SERVICE <{WIKIDATA}> {{ {hog[len('SELECT ?x WHERE '):]} }} }}", "GET")
    assert response.status_code in (502, 503), response.data[:300]
    assert _rss() - before < 300 * 1024 * 1024
    assert send(unguarded, "ASK {}", "GET").status_code == 200


def _rss() -> int:
    import os

    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
