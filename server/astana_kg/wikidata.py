"""An offline cache of the Wikidata items the graph links to.

``astana-kg wikidata fetch`` asks Wikidata's SPARQL endpoint (or any endpoint given) for the
English labels and the direct claims, with the properties of data/wikidata/verified-pids.tsv, of
every item the graph links to (``skos:exactMatch`` in the curated links graph), and the labels of
the items those claims name. It writes them as N-Quads in the named graph :data:`CACHE_GRAPH`,
with the retrieval time and the endpoint (PROV-O), to ``var/wikidata-cache.nq`` by default.

The build loads that file, if present, into the store as that named graph only: it is not part of
the default graph, of the dump, of validation or of reasoning. The SERVICE proxy answers requests
for Wikidata's endpoint from it when the endpoint's mirror is ``"cache"`` (``astana-kg serve
--wikidata-cache``), so that the federated example queries run unchanged without a network.

>>> with_values("SELECT * { VALUES ?item { } ?item ?p ?o }", "item", ["http://www.wikidata.org/entity/Q159"])
'SELECT * { VALUES ?item { <http://www.wikidata.org/entity/Q159> } ?item ?p ?o }'
>>> with_values("SELECT * { VALUES ?item { } }", "item", ["http://example.org/x> } ?s ?p ?o {"])
Traceback (most recent call last):
...
ValueError: not a Wikidata item or direct-claim property IRI: 'http://example.org/x> } ?s ?p ?o {'
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import re
import urllib.parse
import urllib.request
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from . import queries as query_files
from .paths import BASE
from .paths import project_root

WIKIDATA_ENDPOINT = "https://query.wikidata.org/sparql"
CACHE_GRAPH = BASE + "graph/cache/wikidata"
CACHE_FILE = Path("var/wikidata-cache.nq")  # relative to the project directory
ENTITY = "http://www.wikidata.org/entity/"
DIRECT = "http://www.wikidata.org/prop/direct/"
PROV = "http://www.w3.org/ns/prov#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
BATCH = 50
_SAFE_IRI = re.compile(r"^http://www\.wikidata\.org/(entity/Q|prop/direct/P)[1-9][0-9]*$|"
                       r"^http://(www\.w3\.org/2000/01/rdf-schema#label|schema\.org/name)$")


class FetchError(Exception):
    """The endpoint could not be asked, or gave something that is not SPARQL results."""


class CacheError(Exception):
    """A cache file that is not N-Quads in the cache graph alone."""


def default_cache_path(root: Path | None = None) -> Path:
    """Where the cache file lives: ``var/wikidata-cache.nq`` in the project directory."""
    return (root or project_root()) / CACHE_FILE


def verified_pids(root: Path | None = None) -> list[str]:
    """The properties of data/wikidata/verified-pids.tsv, as direct-claim IRIs."""
    path = (root or project_root()) / "data/wikidata/verified-pids.tsv"
    with path.open(encoding="utf-8", newline="") as handle:
        return [DIRECT + row["pid"] for row in csv.DictReader(handle, delimiter="\t")]


def with_values(text: str, variable: str, iris: Iterable[str]) -> str:
    """Fill the empty ``VALUES ?variable { }`` block of ``text`` with ``iris``, each checked to be
    a Wikidata item or direct-claim property (or the label properties) first."""
    terms = []
    for iri in iris:
        if not _SAFE_IRI.match(iri):
            raise ValueError(f"not a Wikidata item or direct-claim property IRI: {iri!r}")
        terms.append(f"<{iri}>")
    pattern = re.compile(r"VALUES\s+\?" + re.escape(variable) + r"\s*\{\s*\}")
    if not pattern.search(text):
        raise ValueError(f"no empty VALUES ?{variable} block in the query")
    return pattern.sub(lambda _: f"VALUES ?{variable} {{ {' '.join(terms)} }}", text, count=1)


def linked_items(store: ox.Store) -> list[str]:
    """The Wikidata item IRIs of the curated links graph of a built store."""
    return [s["item"].value for s in store.query(query_files.load("wikidata/linked-items").text)]


def select(endpoint: str, text: str, timeout: float = 60.0) -> list[tuple[str, str, ox.Literal | ox.NamedNode]]:
    """POST a SELECT ?item ?property ?value query to ``endpoint`` with a descriptive User-Agent."""
    from .server.federation import USER_AGENT

    request = urllib.request.Request(
        endpoint, data=urllib.parse.urlencode({"query": text}).encode("utf-8"), method="POST",
        headers={"User-Agent": USER_AGENT, "Accept": "application/sparql-results+json",
                 "Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
    except OSError as error:
        raise FetchError(f"could not query {endpoint}: {error}") from None
    try:
        solutions = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
    except (SyntaxError, ValueError) as error:
        raise FetchError(f"{endpoint} did not answer with SPARQL JSON results: {error}") from None
    rows = []
    for solution in solutions:
        item, prop, value = solution["item"], solution["property"], solution["value"]
        if isinstance(item, ox.NamedNode) and isinstance(prop, ox.NamedNode) and value is not None \
                and not isinstance(value, ox.BlankNode):
            rows.append((item.value, prop.value, value))
    return rows


def fetch(endpoint: str, items: list[str], properties: list[str], *, timeout: float = 60.0,
          now: datetime.datetime | None = None) -> list[ox.Quad]:
    """The cache's quads: claims and labels of ``items``, labels of the items the claims name,
    and the cache graph's provenance (retrieval time, endpoint)."""
    graph = ox.NamedNode(CACHE_GRAPH)
    claims_query = query_files.load("wikidata/claims").text
    labels_query = query_files.load("wikidata/labels").text
    rows = []
    for start in range(0, len(items), BATCH):
        batch = items[start:start + BATCH]
        rows += select(endpoint, with_values(with_values(claims_query, "item", batch), "property", properties), timeout)
    named = sorted({v.value for _, _, v in rows if isinstance(v, ox.NamedNode) and _SAFE_IRI.match(v.value)
                    and v.value.startswith(ENTITY)} | set(items))
    for start in range(0, len(named), BATCH):
        rows += select(endpoint, with_values(labels_query, "item", named[start:start + BATCH]), timeout)
    quads = {ox.Quad(ox.NamedNode(s), ox.NamedNode(p), o, graph) for s, p, o in rows}
    when = (now or datetime.datetime.now(datetime.timezone.utc)).replace(microsecond=0).isoformat()
    quads |= {
        ox.Quad(graph, ox.NamedNode(RDFS + "label"), ox.Literal("Cached labels and direct claims of the Wikidata "
                                                                  "items the graph links to", language="en"), graph),
        ox.Quad(graph, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), ox.NamedNode(PROV + "Entity"), graph),
        ox.Quad(graph, ox.NamedNode(PROV + "generatedAtTime"), ox.Literal(when, datatype=ox.NamedNode(XSD + "dateTime")), graph),
        ox.Quad(graph, ox.NamedNode(PROV + "wasDerivedFrom"), ox.NamedNode(endpoint), graph),
    }
    return sorted(quads, key=str)


def write_cache(quads: list[ox.Quad], path: Path) -> None:
    """Write the quads as sorted N-Quads (atomically: a partial file never replaces a good one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = sorted(set(ox.serialize(quads, format=ox.RdfFormat.N_QUADS).decode("utf-8").splitlines()))
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)


def read_cache(path: Path) -> tuple[list[ox.Quad], str]:
    """The quads of a cache file and its SHA-256; raise CacheError unless all are in the cache graph."""
    data = path.read_bytes()
    try:
        quads = list(ox.parse(data, format=ox.RdfFormat.N_QUADS))
    except SyntaxError as error:
        raise CacheError(f"{path}: not valid N-Quads: {error}") from None
    for quad in quads:
        if quad.graph_name != ox.NamedNode(CACHE_GRAPH):
            raise CacheError(f"{path}: a quad outside the graph <{CACHE_GRAPH}>: {quad}")
    return quads, hashlib.sha256(data).hexdigest()


def cache_store(store: ox.Store) -> ox.Store | None:
    """An in-memory store whose default graph holds the cache graph of ``store`` (None if empty)."""
    local = ox.Store()
    local.extend(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph())
                 for q in store.quads_for_pattern(None, None, None, ox.NamedNode(CACHE_GRAPH)))
    return local if len(local) else None
