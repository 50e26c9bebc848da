"""Real clients against a running `astana-kg serve`: SPARQLWrapper, rdflib's SPARQLStore and curl,
each checking the real answer; and a differential test of every competency question against
`oxigraph serve-read-only` on the same data.

The server is started once per module (a subprocess on a free 127.0.0.1 port, from the session's
build), so these tests see exactly what a user of `astana-kg serve` sees: granian, the query
processes, the HTTP layer.
"""

from __future__ import annotations

import collections
import csv
import io
import json
import shutil
import subprocess
import sys
import urllib.error
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import RDFS, Graph, Literal, Namespace, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, POSTDIRECTLY, RDF, RDFXML, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.Wrapper import _allowedFormats as SPARQLWRAPPER_FORMATS

from astana_kg.query import queries

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from helpers_server import astana_kg_server, executable, oxigraph_server, sparql_get  # noqa: E402

ID = Namespace("https://w3id.org/astana-kg/id/")
GUARANTORS = queries.load("cq/01-guarantors")
GUARANTOR_LABELS = ["Iran", "Russia", "Turkey"]
GUARANTOR_PARTIES = {ID.iran, ID.russia, ID.turkey}
CQ = queries.load_all("cq")

PREFIXES = """PREFIX akg: <https://w3id.org/astana-kg/ontology#>
PREFIX id: <https://w3id.org/astana-kg/id/>
"""
IS_GUARANTOR = PREFIXES + """ASK { ?role a akg:GuarantorRole ; akg:roleOf id:%s ; akg:roleIn [ a akg:Ceasefire ] }"""
GUARANTOR_GRAPH = PREFIXES + """CONSTRUCT { ?party akg:hasRole ?role }
WHERE { ?role a akg:GuarantorRole ; akg:roleOf ?party ; akg:roleIn [ a akg:Ceasefire ] }"""


@pytest.fixture(scope="module")
def server(built):
    """The base URL of `astana-kg serve` on the session's build."""
    with astana_kg_server(built.out, "--timeout", "20") as base:
        yield base


@pytest.fixture(scope="module")
def endpoint(server):
    return server + "/sparql"


# ---------------------------------------------------------------------------------------------
# SPARQLWrapper
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("only_conneg", [False, True], ids=["format-parameter", "accept-header-only"])
@pytest.mark.parametrize("method", ["GET", POST, POSTDIRECTLY])
def test_sparqlwrapper_select_json_gives_the_three_guarantors(endpoint, method, only_conneg):
    client = SPARQLWrapper(endpoint)
    client.setQuery(GUARANTORS.text)
    client.setReturnFormat(JSON)
    client.setOnlyConneg(only_conneg)  # by default SPARQLWrapper also sends format=json&output=json&results=json
    if method == POSTDIRECTLY:
        client.setMethod(POST)
        client.setRequestMethod(POSTDIRECTLY)
    elif method == POST:
        client.setMethod(POST)
    results = client.query().convert()
    assert results["head"]["vars"] == ["party", "label", "sources"]
    bindings = results["results"]["bindings"]
    assert [b["label"]["value"] for b in bindings] == GUARANTOR_LABELS
    assert {URIRef(b["party"]["value"]) for b in bindings} == GUARANTOR_PARTIES


@pytest.mark.parametrize("party, expected", [("russia", True), ("iran", True), ("turkey", True),
                                             ("united-states", False)])
def test_sparqlwrapper_ask(endpoint, party, expected):
    client = SPARQLWrapper(endpoint)
    client.setQuery(IS_GUARANTOR % party)
    client.setReturnFormat(JSON)
    assert client.query().convert()["boolean"] is expected


def test_sparqlwrapper_construct_turtle(endpoint):
    client = SPARQLWrapper(endpoint)
    client.setQuery(GUARANTOR_GRAPH)
    client.setReturnFormat(TURTLE)
    response = client.query()
    assert response.info()["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=response.convert(), format="turtle")
    assert set(graph.subjects()) == GUARANTOR_PARTIES


# SPARQLWrapper's default mode sends its return format three times over, as format=, output= and
# results= (twice each for TSV, JSON-LD and RDF/XML: the short name, then its Accept header), and
# an Accept header, which is */* where the format does not fit the query form.
SOLUTION_FORMATS = [XML, JSON, CSV, TSV]
GRAPH_FORMATS = [XML, RDF, RDFXML, JSON, JSONLD, TURTLE, N3]
EVERY_FORMAT = list(SPARQLWRAPPER_FORMATS)
SOLUTION_MEDIA_TYPES = {XML: "application/sparql-results+xml", JSON: "application/sparql-results+json",
                        CSV: "text/csv", TSV: "text/tab-separated-values"}
GRAPH_MEDIA_TYPES = {XML: "application/rdf+xml", RDF: "application/rdf+xml", RDFXML: "application/rdf+xml",
                     JSON: "application/ld+json", JSONLD: "application/ld+json", TURTLE: "text/turtle",
                     N3: "text/turtle"}
DESCRIBE_RUSSIA = PREFIXES + "DESCRIBE id:russia"


def _default_mode(endpoint: str, query: str, return_format: str, method: str):
    client = SPARQLWrapper(endpoint)  # format=, output= and results= as well as Accept
    client.setQuery(query)
    client.setReturnFormat(return_format)
    client.setMethod(method)
    return client


def _guarantor_labels(return_format: str, converted) -> list[str]:
    if return_format == JSON:
        return [b["label"]["value"] for b in converted["results"]["bindings"]]
    if return_format == XML:
        return [binding.getElementsByTagName("literal")[0].firstChild.data
                for binding in converted.getElementsByTagName("binding") if binding.getAttribute("name") == "label"]
    if return_format == TSV:  # terms in Turtle syntax
        return [row["label"].value for row in ox.parse_query_results(converted, format=ox.QueryResultsFormat.TSV)]
    return [row["label"] for row in csv.DictReader(io.StringIO(converted.decode("utf-8")))]


def _ask_answer(return_format: str, converted) -> str:
    if return_format == JSON:
        return str(converted["boolean"]).lower()
    if return_format == XML:
        return converted.getElementsByTagName("boolean")[0].firstChild.data
    return converted.decode("utf-8").splitlines()[-1]


def _graph(return_format: str, converted) -> Graph:
    if isinstance(converted, bytes):  # Turtle and N3 come back as text
        return Graph().parse(data=converted, format="turtle")
    return converted


@pytest.mark.parametrize("method", ["GET", POST])
@pytest.mark.parametrize("return_format", SOLUTION_FORMATS)
def test_sparqlwrapper_default_mode_answers_select_and_ask_in_every_results_format(endpoint, return_format, method):
    response = _default_mode(endpoint, GUARANTORS.text, return_format, method).query()
    assert response.info()["content-type"].startswith(SOLUTION_MEDIA_TYPES[return_format])
    assert _guarantor_labels(return_format, response.convert()) == GUARANTOR_LABELS
    response = _default_mode(endpoint, IS_GUARANTOR % "russia", return_format, method).query()
    assert response.info()["content-type"].startswith(SOLUTION_MEDIA_TYPES[return_format])
    assert _ask_answer(return_format, response.convert()) == "true"


@pytest.mark.parametrize("method", ["GET", POST])
@pytest.mark.parametrize("return_format", GRAPH_FORMATS)
def test_sparqlwrapper_default_mode_answers_construct_and_describe_in_every_rdf_format(endpoint, return_format,
                                                                                     method):
    response = _default_mode(endpoint, GUARANTOR_GRAPH, return_format, method).query()
    assert response.info()["content-type"].startswith(GRAPH_MEDIA_TYPES[return_format])
    assert set(_graph(return_format, response.convert()).subjects()) == GUARANTOR_PARTIES
    response = _default_mode(endpoint, DESCRIBE_RUSSIA, return_format, method).query()
    assert response.info()["content-type"].startswith(GRAPH_MEDIA_TYPES[return_format])
    assert (ID.russia, RDFS.label, Literal("Russia", lang="en")) in _graph(return_format, response.convert())


QUERY_FORMS = {"SELECT": GUARANTORS.text, "ASK": IS_GUARANTOR % "russia", "CONSTRUCT": GUARANTOR_GRAPH,
               "DESCRIBE": DESCRIBE_RUSSIA}
MISFITS = [(form, return_format) for form in QUERY_FORMS for return_format in EVERY_FORMAT
           if return_format not in (SOLUTION_FORMATS if form in ("SELECT", "ASK") else GRAPH_FORMATS)]


def test_every_format_sparqlwrapper_offers_is_answered_for_some_query_form():
    assert set(SOLUTION_FORMATS) | set(GRAPH_FORMATS) == set(EVERY_FORMAT)


@pytest.mark.parametrize("form, return_format", MISFITS, ids=[f"{form}-{f}" for form, f in MISFITS])
def test_sparqlwrapper_default_mode_gets_406_naming_a_format_the_query_form_does_not_have(endpoint, form,
                                                                                        return_format):
    solutions = form in ("SELECT", "ASK")
    query = QUERY_FORMS[form]
    with pytest.raises(urllib.error.HTTPError) as refused, \
            pytest.warns(RuntimeWarning, match="unexpected returned format"):  # SPARQLWrapper's own word
        _default_mode(endpoint, query, return_format, "GET").query()
    assert refused.value.code == 406
    problem = json.loads(refused.value.read())
    assert f"the format '{return_format}' is " in problem["detail"]
    assert ("SELECT or ASK" if solutions else "CONSTRUCT or DESCRIBE") in problem["detail"]


# ---------------------------------------------------------------------------------------------
# rdflib's SPARQLStore
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
def test_rdflib_sparqlstore_select(endpoint, method):
    graph = Graph(store=SPARQLStore(endpoint, method=method))
    rows = list(graph.query(GUARANTORS.text))
    assert [str(row.label) for row in rows] == GUARANTOR_LABELS
    assert {row.party for row in rows} == GUARANTOR_PARTIES
    assert all(row.sources == Literal(5) for row in rows)


def test_rdflib_sparqlstore_construct(endpoint):
    graph = Graph(store=SPARQLStore(endpoint, returnFormat="xml"))
    result = graph.query(GUARANTOR_GRAPH)
    assert set(result.graph.subjects()) == GUARANTOR_PARTIES
    assert len(result.graph) >= 3


def test_rdflib_sparqlstore_reads_triples_of_a_pattern(endpoint):
    # graph.triples() is SPARQLStore's own SELECT over the default graph.
    graph = Graph(store=SPARQLStore(endpoint))
    labels = {str(o) for o in graph.objects(ID.russia, URIRef("http://www.w3.org/2000/01/rdf-schema#label"))}
    assert "Russia" in labels


# ---------------------------------------------------------------------------------------------
# curl
# ---------------------------------------------------------------------------------------------

CURL = shutil.which("curl")
needs_curl = pytest.mark.skipif(CURL is None, reason="curl is not installed")  # Debian's curl package


def curl(*args: str) -> bytes:
    done = subprocess.run([CURL, "-sS", "--fail-with-body", "--max-time", "30", *args], capture_output=True,
                          timeout=60)
    assert done.returncode == 0, f"curl {' '.join(args)}: exit {done.returncode}: {done.stderr!r} {done.stdout[:300]!r}"
    return done.stdout


@needs_curl
@pytest.mark.parametrize("how", ["GET", "POST form"])
def test_curl_url_encoded_query(endpoint, how):
    get = ["-G"] if how == "GET" else []
    body = curl(*get, "-H", "Accept: application/sparql-results+json", "--data-urlencode",
                f"query={GUARANTORS.text}", endpoint)
    labels = [b["label"]["value"] for b in json.loads(body)["results"]["bindings"]]
    assert labels == GUARANTOR_LABELS


@needs_curl
def test_curl_direct_post_from_a_file_as_csv(endpoint):
    body = curl("-H", "Accept: text/csv", "-H", "Content-Type: application/sparql-query", "--data-binary",
                f"@{GUARANTORS.path}", endpoint)
    lines = body.decode("utf-8").splitlines()
    assert lines[0] == "party,label,sources"
    assert [line.split(",")[1] for line in lines[1:]] == GUARANTOR_LABELS


@needs_curl
def test_curl_construct_as_n_triples(endpoint):
    body = curl("-G", "-H", "Accept: application/n-triples", "--data-urlencode", f"query={GUARANTOR_GRAPH}", endpoint)
    graph = Graph().parse(data=body, format="nt")
    assert set(graph.subjects()) == GUARANTOR_PARTIES


@needs_curl
def test_curl_sees_a_problem_document_for_a_bad_query(endpoint):
    done = subprocess.run([CURL, "-sS", "-G", "-o", "-", "-w", "\n%{http_code} %{content_type}",
                           "--data-urlencode", "query=SELECT * WHERE { ?s ?p }", endpoint],
                          capture_output=True, timeout=60)
    body, _, status_line = done.stdout.decode().rpartition("\n")
    assert status_line == "400 application/problem+json"
    assert json.loads(body)["status"] == 400


# ---------------------------------------------------------------------------------------------
# Differential: every competency question, here and on oxigraph's own server
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def oxigraph_store(built, tmp_path_factory) -> Path:
    """An oxigraph store made from the build's dump alone, with the default graph the merge of
    the named graphs (as `astana-kg build` makes it)."""
    location = tmp_path_factory.mktemp("oxigraph") / "store"
    store = ox.Store(str(location))
    store.bulk_load(path=str(built.out / "astana-kg.nq"), format=ox.RdfFormat.N_QUADS)
    store.update("INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")
    store.flush()
    del store  # the last reference: closes the store before the CLI opens it
    return location


@pytest.fixture(scope="module")
def oxigraph_endpoint(oxigraph_store):
    # The on-disk format is RocksDB's, versioned with oxigraph: the CLI must be of pyoxigraph's series.
    version = subprocess.run([executable("oxigraph"), "--version"], capture_output=True, text=True,
                             check=True).stdout.split()[-1]
    assert version.split(".")[:2] == ox.__version__.split(".")[:2], (
        f"oxigraph CLI {version} and pyoxigraph {ox.__version__} may not share a store format")
    with oxigraph_server(oxigraph_store) as url:
        yield url


def _solutions(body: bytes) -> tuple[list[str], list[tuple]]:
    """The variables and the rows of a SPARQL JSON result, each row a hashable tuple of terms in
    N-Triples syntax (blank nodes all written _:b: labels are local to one answer)."""
    results = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
    variables = [v.value for v in results.variables]
    rows = []
    for solution in results:
        row = []
        for name in variables:
            term = solution[name]
            row.append(None if term is None else "_:b" if isinstance(term, ox.BlankNode) else str(term))
        rows.append(tuple(row))
    return variables, rows


def _query(url: str, text: str) -> tuple[list[str], list[tuple]]:
    status, headers, body = sparql_get(url, text)
    assert status == 200, f"{url}: {status} {body[:300]!r}"
    return _solutions(body)


def test_the_oxigraph_copy_holds_the_same_dataset(endpoint, oxigraph_endpoint, built):
    info = json.loads((built.out / "build-info.json").read_text())
    # The dump leaves out the offline Wikidata cache, which the store holds as graphs of their own.
    count_named = ('SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } '
                   'FILTER(!STRSTARTS(STR(?g), "https://w3id.org/astana-kg/graph/cache/")) }')
    count_default = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert _query(oxigraph_endpoint, count_named) == _query(endpoint, count_named) == (["n"], [(str(ox.Literal(
        str(info["quads"]), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))),)])
    assert _query(oxigraph_endpoint, count_default) == _query(endpoint, count_default)


def test_the_competency_questions_were_found():
    assert len(CQ) >= 10, "queries/cq/*.rq matched fewer files than the project has"


@pytest.mark.parametrize("query", CQ, ids=[q.name.removeprefix("cq/") for q in CQ])
def test_competency_question_answers_match_oxigraph_server(endpoint, oxigraph_endpoint, query):
    ours_vars, ours = _query(endpoint, query.text)
    theirs_vars, theirs = _query(oxigraph_endpoint, query.text)
    assert ours_vars == theirs_vars
    assert ours, f"{query.name} gave no rows: the comparison would be vacuous"
    if query.ordered:
        assert ours == theirs
    else:
        assert collections.Counter(ours) == collections.Counter(theirs)
