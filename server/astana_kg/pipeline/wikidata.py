"""The offline Wikidata cache: what answers SERVICE calls to Wikidata when it cannot be asked.

Every build holds one cache, in a named graph of its store (not in the default graph, the dump,
validation or reasoning), that describes itself: label, comment, what it was derived from, the
properties it holds claims of (VoID property partitions) and, for a fetched copy, when.

- :data:`CHECKED_GRAPH`, by default: the checked claims of data/wikidata/ alone
  (verified-claims.tsv, with the properties of verified-pids.tsv) and the English labels of the
  items of verified-qids.tsv and of the claims: real Wikidata data, but only those few claims
  (:func:`checked_quads`). Nothing else is in it: no population, no coordinates.
- :data:`CACHE_GRAPH`, when ``var/wikidata-cache.nq`` exists: what ``astana-kg wikidata fetch``
  asked Wikidata's SPARQL endpoint (or any endpoint given) for: the English labels and the direct
  claims, with the properties of verified-pids.tsv, of every item the graph links to
  (``schema:sameAs`` in the curated links graph), the labels of the items those claims name,
  the retrieval time and the endpoint (PROV-O).

The SERVICE proxy answers requests for Wikidata's endpoint from the cache when the endpoint cannot
be reached, and always with ``astana-kg serve --wikidata-cache``, so that the federated example
queries run unchanged without a network.

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

from .. import __version__
from ..query import queries as query_files
from ..paths import BASE
from ..paths import project_root

WIKIDATA_ENDPOINT = "https://query.wikidata.org/sparql"
#: How the endpoint names itself to Wikidata and to the SERVICE endpoints it calls for its users.
USER_AGENT = (f"astana-kg/{__version__} (https://w3id.org/astana-kg/; SPARQL endpoint federating on behalf "
              "of its users)")
CACHE_GRAPH = BASE + "graph/cache/wikidata"
CHECKED_GRAPH = BASE + "graph/cache/wikidata-checked"
#: The cache graphs, the one that answers first: a fetched copy wins over the checked claims.
CACHE_GRAPHS = (CACHE_GRAPH, CHECKED_GRAPH)
CHECKED_FILES = ("data/wikidata/verified-claims.tsv", "data/wikidata/verified-qids.tsv",
                 "data/wikidata/verified-pids.tsv")
CACHE_FILE = Path("var/wikidata-cache.nq")  # relative to the project directory
ENTITY = "http://www.wikidata.org/entity/"
DIRECT = "http://www.wikidata.org/prop/direct/"
PROV = "http://www.w3.org/ns/prov#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SCHEMA_NAME = "http://schema.org/name"
VOID = "http://rdfs.org/ns/void#"
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


def _rows(root: Path, name: str) -> list[tuple[int, dict[str, str]]]:
    """The rows of a tsv file of the project, each with its line number (CacheError if it is missing)."""
    if not (root / name).is_file():
        raise CacheError(f"{root / name}: no such file (the checked claims of the offline Wikidata cache)")
    with (root / name).open(encoding="utf-8", newline="") as handle:
        return [(number, row) for number, row in enumerate(csv.DictReader(handle, delimiter="\t"), start=2)]


def describe_cache(graph: str, label: str, comment: str, derived_from: Iterable[str],
                   claims: Iterable[tuple[str, str, object]]) -> list[ox.Quad]:
    """What a cache graph says of itself: label, comment, sources (``prov:wasDerivedFrom``) and one
    VoID property partition (``<graph#Pn>``) per property it holds claims of, with their count."""
    g = ox.NamedNode(graph)
    quads = [ox.Quad(g, ox.NamedNode(RDF_TYPE), ox.NamedNode(PROV + "Entity"), g),
             ox.Quad(g, ox.NamedNode(RDFS + "label"), ox.Literal(label, language="en"), g),
             ox.Quad(g, ox.NamedNode(RDFS + "comment"), ox.Literal(comment, language="en"), g)]
    quads += [ox.Quad(g, ox.NamedNode(PROV + "wasDerivedFrom"), ox.NamedNode(iri), g) for iri in derived_from]
    counts: dict[str, int] = {}
    for _, prop, _ in claims:
        if prop.startswith(DIRECT):
            counts[prop] = counts.get(prop, 0) + 1
    for prop, count in sorted(counts.items()):
        partition = ox.NamedNode(f"{graph}#{prop[len(DIRECT):]}")
        triples = ox.Literal(str(count), datatype=ox.NamedNode(XSD + "integer"))
        quads += [ox.Quad(g, ox.NamedNode(VOID + "propertyPartition"), partition, g),
                  ox.Quad(partition, ox.NamedNode(VOID + "property"), ox.NamedNode(prop), g),
                  ox.Quad(partition, ox.NamedNode(VOID + "triples"), triples, g)]
    return quads


def checked_quads(root: Path | None = None) -> list[ox.Quad]:
    """The checked-claims cache: the claims of data/wikidata/verified-claims.tsv and the English
    labels (``rdfs:label``, ``schema:name``) of verified-qids.tsv and of the claims' items, in
    :data:`CHECKED_GRAPH`, described by :func:`describe_cache`. Nothing is added to them.

    Raises CacheError naming the file and line of a claim whose property is not in
    verified-pids.tsv, or whose subject or object is not a Wikidata item identifier.
    """
    root = root or project_root()
    claims_file, qids_file, pids_file = CHECKED_FILES
    pids = {row["pid"] for _, row in _rows(root, pids_file)}
    labels = {row["qid"]: row["label"] for _, row in _rows(root, qids_file)}
    claims = []
    for number, row in _rows(root, claims_file):
        if row["pid"] not in pids:
            raise CacheError(f"{claims_file} line {number}: {row['pid']} is not in {pids_file}")
        for qid in (row["subject"], row["object"]):
            if not _SAFE_IRI.match(ENTITY + qid):
                raise CacheError(f"{claims_file} line {number}: {qid!r} is not a Wikidata item identifier")
        labels.setdefault(row["subject"], row["subject_label"])
        labels.setdefault(row["object"], row["object_label"])
        claims.append((ENTITY + row["subject"], DIRECT + row["pid"], ox.NamedNode(ENTITY + row["object"])))
    rows = list(claims)
    for qid, text in labels.items():
        rows += [(ENTITY + qid, RDFS + "label", ox.Literal(text, language="en")),
                 (ENTITY + qid, SCHEMA_NAME, ox.Literal(text, language="en"))]
    graph = ox.NamedNode(CHECKED_GRAPH)
    quads = {ox.Quad(ox.NamedNode(s), ox.NamedNode(p), o, graph) for s, p, o in rows}
    quads |= set(describe_cache(
        CHECKED_GRAPH, "Checked Wikidata claims (offline cache)",
        "The direct claims of data/wikidata/verified-claims.tsv and the English labels of the checked "
        "identifiers, each seen in published Wikidata-derived data: capitals, heads of state as of 2017 "
        "(the sources' time), Syria's governorates, memberships. Not a copy of Wikidata: no other claim is "
        "in it (no population, no coordinates), so a query asking for one finds no value here.",
        [BASE + "files/" + name for name in CHECKED_FILES], claims))
    return sorted(quads, key=str)


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
    quads |= set(describe_cache(
        CACHE_GRAPH, "Cached labels and direct claims of the Wikidata items the graph links to",
        f"Fetched from {endpoint} by `astana-kg wikidata fetch` at {when}: the English labels and the direct "
        "claims (the properties of data/wikidata/verified-pids.tsv) of the linked items, and the labels of the "
        "items those claims name. Claims of other items are not in it.",
        [endpoint], set(rows)))
    quads.add(ox.Quad(graph, ox.NamedNode(PROV + "generatedAtTime"),
                      ox.Literal(when, datatype=ox.NamedNode(XSD + "dateTime")), graph))
    return sorted(quads, key=str)


def write_cache(quads: list[ox.Quad], path: Path) -> None:
    """Write the quads as sorted N-Quads (atomically: a partial file never replaces a good one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # One quad per "\n": N-Quads escapes line feeds and carriage returns, not U+2028 or U+0085,
    # which str.splitlines would also split at.
    lines = sorted(set(ox.serialize(quads, format=ox.RdfFormat.N_QUADS).decode("utf-8").split("\n")[:-1]))
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
    """An in-memory store whose default graph holds the first cache graph of :data:`CACHE_GRAPHS`
    that ``store`` holds (None if it holds neither): what answers SERVICE calls to Wikidata offline."""
    for graph in CACHE_GRAPHS:
        local = ox.Store()
        local.extend(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph())
                     for q in store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))
        if len(local):
            return local
    return None


def cache_graph_of(local: ox.Store) -> str | None:
    """Which cache graph a store of :func:`cache_store` holds (it describes itself), or None."""
    for graph in CACHE_GRAPHS:
        if next(local.quads_for_pattern(ox.NamedNode(graph), None, None), None) is not None:
            return graph
    return None
