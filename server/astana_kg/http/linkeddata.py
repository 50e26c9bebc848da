"""Linked data: every IRI of the graph under the public base answers on this server.

An IRI ``{PUBLIC_BASE}id/russia`` is served at ``/id/russia``, a named graph
``{PUBLIC_BASE}graph/source/001`` at ``/graph/source/001``. The ``/id/`` IRIs are slash IRIs
that name things (states, persons, roles, statements, news articles), not documents, so, as the
W3C note "Cool URIs for the Semantic Web" (section 4.3) advises, the IRI itself answers
``303 See Other`` to a document about the thing, chosen by the Accept header:
``/id/russia.html`` for browsers, ``/id/russia.ttl`` (or ``.jsonld``, ``.nt``, ``.rdf``,
``.nq``, ``.trig``) for programs. The documents answer ``200``. Named graphs are dereferenced
the same way (``/graph/source/001`` -> ``/graph/source/001.html``, a description of the graph),
and the triples of a graph are a document of their own, ``/graph/source/001/content``, which
negotiates directly (``200`` with ``Content-Location``). An unknown ``/id/NAME`` that names one
entity (``/id/lavrentyev``, see :func:`named_entity`) answers ``303`` to that entity's IRI.

What an entity's RDF holds (the query ``queries/ld/describe-entity.rq``): its own triples and
the triples pointing at it, the whole description of its roles, statements and Wikidata
alignments with their date derivations, and the W3C Web Annotation evidence for each. The
triple formats (Turtle, N-Triples, RDF/XML, JSON-LD) are the merge of the asserted graphs only
(the entailments are left out), and carry the attribution in two ways: every fact has its
``oa:Annotation`` (body the fact, target a span whose ``oa:hasSource`` is the article), and the
document says which named graphs it was taken from (``prov:wasDerivedFrom``) and from which
article each graph comes. The quad formats (N-Quads, TriG) hold those same triples in the
default graph, and besides keep every triple in the named graph that asserts it, the OWL RL
entailments included (``graph/inferred/NNN``, what source NNN entails, and
``graph/inferred/shared``): a client that reads quads and queries the default
graph (Comunica) finds the entity's triples, one that asks for graphs finds their sources.

The views only parse the request and shape the response; the logic is in plain functions
(:func:`choose_variant`, :func:`describe`, :func:`render_rdf`, :func:`entity_view`,
:func:`source_view`, :func:`highlight`, ...), which the tests call without a server.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from urllib.parse import quote

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, render_template, request
from markupsafe import Markup, escape

from ..query import queries as query_files
from ..api.graph import Ambiguous, NotFound
from ..paths import project_root
from ..prefixes import TURTLE_PREFIXES
from . import origin
from .api import graph as knowledge_graph
from .errors import PROBLEM_JSON, HttpError, not_acceptable
from .negotiation import parse_accept

blueprint = Blueprint("linkeddata", __name__)


@blueprint.record_once
def _warm(state) -> None:
    """With EAGER set, read the labels and IRIs at start-up rather than on the first request."""
    app = state.app
    if app.config.get("EAGER"):
        endpoint = app.extensions["astana_kg"]()
        index_for(endpoint.store, endpoint.build_id)

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SCHEMA = "https://schema.org/"
OA = "http://www.w3.org/ns/oa#"
PROV = "http://www.w3.org/ns/prov#"
XSD = "http://www.w3.org/2001/XMLSchema#"
FOAF = "http://xmlns.com/foaf/0.1/"
DCTERMS = "http://purl.org/dc/terms/"
AKG = TURTLE_PREFIXES["akg"]
WIKIDATA_ENTITY = "http://www.wikidata.org/entity/"

#: Where the IRIs of the data live, whatever the configured public base: the build mints them.
DATA_BASE = "https://w3id.org/astana-kg/"
#: The prefix of the inferred graphs: ``graph/inferred/NNN`` (what source NNN entails), ``graph/inferred/shared``.
INFERRED = DATA_BASE + "graph/inferred/"
ONTOLOGY_GRAPH = DATA_BASE + "graph/ontology"
PROVENANCE_GRAPH = DATA_BASE + "graph/provenance"
SOURCE_GRAPH = DATA_BASE + "graph/source/"
DRAFT_GRAPH = DATA_BASE + "graph/draft/"  # draft claims, built with --include-drafts, not reviewed
#: Graphs left out of the triple formats' merge: entailments, and the ontology (served at /ontology).
NOT_MERGED = {ONTOLOGY_GRAPH}


def is_merged(graph: str) -> bool:
    """Whether the triple formats' merge takes the triples of named graph ``graph``.

    >>> [is_merged(DATA_BASE + g) for g in ("graph/source/003", "graph/inferred/003", "graph/ontology")]
    [True, False, False]
    """
    return graph not in NOT_MERGED and not is_inferred(graph)


def is_inferred(graph) -> bool:
    """Whether ``graph`` (a name, or a quad's graph name) is one of the inferred graphs."""
    if isinstance(graph, ox.NamedNode):
        graph = graph.value
    return isinstance(graph, str) and graph.startswith(INFERRED)
#: Properties that link a fact node (role, position, statement, alignment) to the entity it is about.
FACT_LINKS = {AKG + name for name in ("roleOf", "roleIn", "positionIn", "speaker", "about", "supports",
                                      "opposes", "onBehalfOf", "alignedEntity")}
#: The prefixes of the triple documents: the project's own and those of the Web Annotation model.
DOCUMENT_PREFIXES = {**{k: v for k, v in TURTLE_PREFIXES.items() if k not in ("graph", "sd")}, "foaf": FOAF}


# ---------------------------------------------------------------------------------------------
# Variants and content negotiation
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Variant:
    """One representation: its file extension, media types (its own first) and RDF format."""

    extension: str
    media_types: tuple[str, ...]
    rdf_format: ox.RdfFormat | None  # None: HTML
    label: str

    @property
    def media_type(self) -> str:
        return self.media_types[0]

    @property
    def content_type(self) -> str:
        return self.media_type + ("; charset=utf-8" if self.rdf_format is None or self.media_type.startswith("text/")
                                  else "")

    @property
    def is_dataset(self) -> bool:
        return self.rdf_format in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG)


HTML = Variant("html", ("text/html", "application/xhtml+xml"), None, "HTML")
TURTLE = Variant("ttl", ("text/turtle", "application/x-turtle"), ox.RdfFormat.TURTLE, "Turtle")
JSON_LD = Variant("jsonld", ("application/ld+json", "application/json"), ox.RdfFormat.JSON_LD, "JSON-LD")
N_TRIPLES = Variant("nt", ("application/n-triples", "text/plain"), ox.RdfFormat.N_TRIPLES, "N-Triples")
RDF_XML = Variant("rdf", ("application/rdf+xml", "application/xml", "text/xml"), ox.RdfFormat.RDF_XML, "RDF/XML")
N_QUADS = Variant("nq", ("application/n-quads",), ox.RdfFormat.N_QUADS, "N-Quads")
TRIG = Variant("trig", ("application/trig",), ox.RdfFormat.TRIG, "TriG")

#: Every variant of a page, in the server's order of preference (for ties and for */*).
VARIANTS = (HTML, TURTLE, JSON_LD, N_TRIPLES, RDF_XML, N_QUADS, TRIG)
#: The variants of a graph's content (no HTML: the graph's page is its description).
CONTENT_VARIANTS = (TURTLE, TRIG, N_QUADS, N_TRIPLES, JSON_LD, RDF_XML)
BY_EXTENSION = {v.extension: v for v in VARIANTS}


def _specificity(media_range: str, media_type: str) -> int:
    if media_range == media_type:
        return 3
    major, _, minor = media_range.partition("/")
    if minor == "*" and media_type.startswith(major + "/"):
        return 2
    if media_range in ("*/*", "*"):
        return 1
    return 0


def _quality(variant: Variant, ranges: list[tuple[str, float]]) -> float:
    """The q of the most specific media range that matches one of the variant's media types;
    an alias (``application/json`` for JSON-LD) counts a little less than the variant's own type."""
    best = (0, 0.0, 0.0)
    for media_range, q in ranges:
        for index, media_type in enumerate(variant.media_types):
            specificity = _specificity(media_range, media_type)
            if specificity:
                rank = (specificity, 1.0 if index == 0 else 0.999, q)
                if rank[:2] > best[:2]:
                    best = rank
    return best[2] * best[1]


def choose_variant(accept: str | None, variants: tuple[Variant, ...] = VARIANTS) -> Variant:
    """The variant an Accept header asks for (RFC 9110: the most specific range gives the q;
    ties go to the server's order); ``HttpError(406)`` listing the media types if none fits.

    >>> choose_variant("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8").extension
    'html'
    >>> choose_variant("text/turtle;q=0.9, application/ld+json").extension
    'jsonld'
    >>> choose_variant("*/*").extension, choose_variant(None).extension
    ('html', 'html')
    >>> choose_variant("text/html;q=0, */*").extension
    'ttl'
    >>> choose_variant("image/png").status
    Traceback (most recent call last):
    ...
    astana_kg.query.problems.Problem: none of the media types accepted (image/png) can be produced; supported: text/html, ...
    """
    ranges = parse_accept(accept)
    chosen, chosen_q = None, 0.0
    for variant in variants:
        q = _quality(variant, ranges)
        if q > chosen_q:
            chosen, chosen_q = variant, q
    if chosen is None:
        raise not_acceptable(accept or "", [v.media_type for v in variants])
    return chosen


def split_extension(path: str) -> tuple[str, Variant | None]:
    """A document path split into the resource path and the variant its extension names.

    >>> split_extension("id/russia.ttl")
    ('id/russia', Variant(extension='ttl', media_types=('text/turtle', 'application/x-turtle'), rdf_format=<RdfFormat Turtle>, label='Turtle'))
    >>> split_extension("id/russia")
    ('id/russia', None)
    """
    stem, dot, extension = path.rpartition(".")
    if dot and "/" not in extension and extension in BY_EXTENSION:
        return stem, BY_EXTENSION[extension]
    return path, None


def local_url(iri: str, public_base: str) -> str | None:
    """The path on this server that answers for ``iri``, or None if it is not under the base.

    >>> local_url("https://w3id.org/astana-kg/id/russia", "https://w3id.org/astana-kg/")
    '/id/russia'
    >>> local_url("https://w3id.org/astana-kg/ontology#GuarantorRole", "https://w3id.org/astana-kg/")
    '/ontology#GuarantorRole'
    >>> local_url("http://www.wikidata.org/entity/Q159", "https://w3id.org/astana-kg/") is None
    True
    """
    for base in dict.fromkeys((public_base, DATA_BASE)):
        if iri.startswith(base):
            return "/" + iri[len(base):]
    return None


#: The schemes of the IRIs a page may link to; any other IRI (``javascript:``, ``data:``,
#: ``vbscript:``, ``file:``...) is shown as text.
LINK_SCHEMES = ("http", "https")


def link_href(iri: str, public_base: str, script_root: str = "") -> str | None:
    """Where a page's link to ``iri`` leads: this server's path for an IRI under the base, the
    IRI itself if it is an http(s) IRI, else None (the page shows the IRI as text, not a link).

    >>> link_href("https://w3id.org/astana-kg/id/russia", "https://w3id.org/astana-kg/", "/kg")
    '/kg/id/russia'
    >>> link_href("http://www.wikidata.org/entity/Q159", "https://w3id.org/astana-kg/")
    'http://www.wikidata.org/entity/Q159'
    >>> link_href("javascript:alert(1)", "https://w3id.org/astana-kg/") is None
    True
    >>> link_href("JaVaScRiPt://w3id.org/astana-kg/%0aalert(1)", "https://w3id.org/astana-kg/") is None
    True
    """
    local = local_url(iri, public_base)
    if local is not None:
        return script_root + local
    scheme, colon, _ = iri.partition(":")
    return iri if colon and scheme.lower() in LINK_SCHEMES else None


def public_iri(path: str, public_base: str = DATA_BASE) -> str:
    """The IRI a server path stands for (the inverse of :func:`local_url`).

    >>> public_iri("/id/russia")
    'https://w3id.org/astana-kg/id/russia'
    """
    return public_base + path.lstrip("/")


def data_iri(path: str) -> str:
    """The IRI in the store that a server path stands for (the data is minted under DATA_BASE)."""
    return DATA_BASE + path.lstrip("/")


# ---------------------------------------------------------------------------------------------
# A per-build index: labels, types, the IRIs that exist
# ---------------------------------------------------------------------------------------------

def _run(store: ox.Store, name: str, **bindings) -> list:
    substitutions = {ox.Variable(k): (v if isinstance(v, (ox.NamedNode, ox.Literal)) else ox.NamedNode(v))
                     for k, v in bindings.items()}
    return list(store.query(query_files.load(f"ld/{name}").text, substitutions=substitutions or None))


def _value(term) -> str | None:
    return None if term is None else term.value


@dataclass
class Index:
    """What every page needs about every node, computed once per build."""

    labels: dict[str, str]
    types: dict[str, list[str]]
    nodes: set[str]
    graphs: set[str]
    parts: dict[str, dict] = field(default_factory=dict)

    def label(self, iri: str) -> str:
        """A readable name for any IRI: its rdfs:label, a name made from its parts, or its end."""
        if iri in self.labels:
            return self.labels[iri]
        made = self._made_label(iri)
        if made:
            return made
        if iri.startswith(WIKIDATA_ENTITY):
            return "Wikidata " + iri[len(WIKIDATA_ENTITY):]
        return _compact(iri)

    def _made_label(self, iri: str) -> str | None:
        part = self.parts.get(iri)
        if not part:
            return None
        kind = part["kind"]
        if kind == "role":
            classes = [c for c in self.types.get(iri, []) if c.startswith(AKG)]
            what = part.get("text") or (self.labels.get(_most_specific(classes)) if classes else None) or "role"
            name = f"{what} of {self.labels.get(part['a'], _compact(part['a']))}"
            if part.get("b"):
                name += f" in {self.labels.get(part['b'], _compact(part['b']))}"
            return name
        if kind == "statement":
            speaker = self.labels.get(part["a"], _compact(part["a"]))
            words = part.get("text") or ""
            return f"statement by {speaker}" + (f": “{_shorten(words, 70)}”" if words else "")
        if kind == "annotation":
            return f"evidence for {self.label(part['a'])} in {self.label(part['b'])}"
        if kind == "span":
            return f"“{_shorten(part.get('text') or '', 60)}” in {self.label(part['b'])}"
        if kind == "selector":
            return f"{_compact(part['a']).replace('oa:', '')} in {self.label(part['b'])}"
        if kind == "derivation":
            return f"how the {self.labels.get(part['a'], _compact(part['a']))} was derived" + (
                f" from “{part['text']}”" if part.get("text") else "")
        return None


def _most_specific(classes: list[str]) -> str:
    """The class with the longest local name (GuarantorRole before Role): a cheap, stable choice."""
    return max(sorted(classes), key=lambda c: len(c.rsplit("#", 1)[-1]))


def _shorten(text: str, limit: int) -> str:
    """``text`` cut at a word boundary near ``limit`` characters.

    >>> _shorten("The countries-guarantors of ceasefire", 30)
    'The countries-guarantors of…'
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + "…"


def _compact(iri: str) -> str:
    """A prefixed name for ``iri`` if one of the project's prefixes fits, else the IRI.

    >>> _compact("https://w3id.org/astana-kg/ontology#roleOf")
    'akg:roleOf'
    """
    for prefix, namespace in DOCUMENT_PREFIXES.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return iri


_INDEXES: list[tuple[ox.Store, str, Index]] = []  # (store, build id, index), the newest last
_INDEX_LOCK = threading.Lock()


def build_index(store: ox.Store) -> Index:
    """Read the labels, asserted types, naming parts and IRIs of a store (a few tens of ms)."""
    labels: dict[str, str] = {}
    for row in sorted(_run(store, "labels"), key=lambda r: (r["label"].language != "en", r["label"].value)):
        labels.setdefault(row["node"].value, row["label"].value)  # English first, then the first in order
    for quad in store.quads_for_pattern(None, ox.NamedNode(AKG + "headline"), None, None):  # a source has no rdfs:label
        if isinstance(quad.subject, ox.NamedNode):
            labels.setdefault(quad.subject.value, quad.object.value)
    types: dict[str, list[str]] = defaultdict(list)
    for row in _run(store, "asserted-types"):
        types[row["node"].value].append(row["class"].value)
    parts: dict[str, dict] = {}
    for row in _run(store, "node-parts"):
        node = row["node"].value
        if node in labels or node in parts:
            continue
        parts[node] = {"kind": row["kind"].value, "a": _value(row["a"]), "b": _value(row["b"]),
                       "text": _value(row["text"])}
    nodes = {row["node"].value for row in _run(store, "base-iris", base=ox.Literal(DATA_BASE + "id/"))}
    graphs = {g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)}
    return Index(labels, dict(types), nodes, graphs, parts)


def index_for(store: ox.Store, build_id: str) -> Index:
    """The index of this store, built on first use and kept while the build is served.

    Entries hold their store, so a store is recognised by identity (never by an ``id()`` that a
    new store may take over); the four most recent are kept.
    """
    with _INDEX_LOCK:
        for held, held_build, index in _INDEXES:
            if held is store and held_build == build_id:
                return index
        index = build_index(store)
        _INDEXES[:] = [entry for entry in _INDEXES if entry[0] is not store][-3:] + [(store, build_id, index)]
        return index


# ---------------------------------------------------------------------------------------------
# RDF descriptions
# ---------------------------------------------------------------------------------------------

def describe(store: ox.Store, iri: str) -> list[ox.Quad]:
    """The quads that describe an entity (``queries/ld/describe-entity.rq``), in a stable order."""
    entity = ox.NamedNode(iri)
    nodes = {entity} | {row["node"] for row in _run(store, "describe-entity", entity=iri)}
    quads = [q for node in sorted(nodes, key=lambda n: (n != entity, n.value))
             for q in store.quads_for_pattern(node, None, None) if not isinstance(q.graph_name, ox.DefaultGraph)]
    quads += [q for q in store.quads_for_pattern(None, None, entity)
              if not isinstance(q.graph_name, ox.DefaultGraph) and q.subject not in nodes]
    return quads


def describe_graph(store: ox.Store, graph: str) -> list[ox.Triple]:
    """The provenance of a named graph and its statistics (as VoID)."""
    triples = [ox.Triple(row["s"], row["p"], row["o"]) for row in _run(store, "graph-description", graph=graph)]
    node = ox.NamedNode(graph)
    void = "http://rdfs.org/ns/void#"
    for row in _run(store, "graph-statistics", graph=graph):
        for name, prop in (("triples", "triples"), ("subjects", "distinctSubjects"),
                           ("predicates", "properties"), ("objects", "distinctObjects")):
            triples.append(ox.Triple(node, ox.NamedNode(void + prop), row[name]))
    triples.append(ox.Triple(node, ox.NamedNode(RDF_TYPE), ox.NamedNode(void + "Dataset")))
    return triples


def document_header(iri: str, doc: str, quads: list[ox.Quad], store: ox.Store) -> list[ox.Triple]:
    """What the document says about itself: its topic, its other formats, the named graphs it
    was taken from and the article each of them comes from (the attribution of the merge)."""
    doc_node = ox.NamedNode(doc)
    header = [ox.Triple(doc_node, ox.NamedNode(RDF_TYPE), ox.NamedNode(FOAF + "Document")),
              ox.Triple(doc_node, ox.NamedNode(FOAF + "primaryTopic"), ox.NamedNode(iri))]
    stem = doc.rpartition(".")[0]
    for variant in VARIANTS:
        if not doc.endswith("." + variant.extension):
            header.append(ox.Triple(doc_node, ox.NamedNode(DCTERMS + "hasFormat"),
                                    ox.NamedNode(f"{stem}.{variant.extension}")))
    graphs = sorted({q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)
                     and (doc.endswith((".nq", ".trig")) or is_merged(q.graph_name.value))})
    derived = ox.NamedNode(PROV + "wasDerivedFrom")
    for graph in graphs:
        header.append(ox.Triple(doc_node, derived, ox.NamedNode(graph)))
        if not is_merged(graph):
            continue  # an inferred graph's derivation is in its own description, /graph/inferred/NNN
        for quad in store.quads_for_pattern(ox.NamedNode(graph), derived, None, ox.NamedNode(PROVENANCE_GRAPH)):
            header.append(ox.Triple(quad.subject, quad.predicate, quad.object))
    return header


def merge(quads: list[ox.Quad]) -> list[ox.Triple]:
    """The triples of the asserted graphs, once each (the triple formats' flat merge)."""
    seen: dict[ox.Triple, None] = {}
    for quad in quads:
        if isinstance(quad.graph_name, ox.NamedNode) and not is_merged(quad.graph_name.value):
            continue
        seen.setdefault(quad.triple, None)
    return list(seen)


def render_rdf(quads: list[ox.Quad], header: list[ox.Triple], variant: Variant, context_url: str) -> bytes:
    """Serialize a description: triple formats get the header and the merge; quad formats hold
    the same triples in the default graph, and every quad in its own graph besides (a client that
    reads quads and queries the default graph finds what Turtle gives). JSON-LD is compacted with
    the published context.

    >>> g, s, p = ox.NamedNode("http://ex/g"), ox.NamedNode("http://ex/s"), ox.NamedNode("http://ex/p")
    >>> print(render_rdf([ox.Quad(s, p, s, g)], [], N_QUADS, "").decode(), end="")
    <http://ex/s> <http://ex/p> <http://ex/s> .
    <http://ex/s> <http://ex/p> <http://ex/s> <http://ex/g> .
    """
    seen = set(header)
    triples = header + [t for t in merge(quads) if t not in seen]
    if variant.is_dataset:
        default = [ox.Quad(t.subject, t.predicate, t.object) for t in triples]
        dataset = list(dict.fromkeys(default + list(quads)))
        return ox.serialize(dataset, format=variant.rdf_format, prefixes=DOCUMENT_PREFIXES)
    if variant is JSON_LD:
        return json.dumps(compact_jsonld(triples, context_url), ensure_ascii=False, indent=1).encode("utf-8")
    if variant.rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML):
        return ox.serialize(triples, format=variant.rdf_format, prefixes=DOCUMENT_PREFIXES)
    return ox.serialize(triples, format=variant.rdf_format)


# ---------------------------------------------------------------------------------------------
# JSON-LD: the published context, and compaction with it
# ---------------------------------------------------------------------------------------------

_CONTEXT: dict | None = None


def jsonld_context() -> dict:
    """The published ``@context``: the project's prefixes, every ontology term as a short name
    (``roleOf``, ``GuarantorRole``), object properties typed ``@id``, dated ones ``xsd:date``.

    Read from the ontology file, so it is the same for every build of the same ontology.

    >>> ctx = jsonld_context()["@context"]
    >>> ctx["roleOf"], ctx["GuarantorRole"], ctx["statedOn"]
    ({'@id': 'akg:roleOf', '@type': '@id'}, 'akg:GuarantorRole', {'@id': 'akg:statedOn', '@type': 'xsd:date'})
    """
    global _CONTEXT
    if _CONTEXT is not None:
        return _CONTEXT
    ontology = ox.Store()
    ontology.load(path=str(project_root() / "ontology" / "astana-kg.ttl"), format=ox.RdfFormat.TURTLE)
    context: dict = {prefix: namespace for prefix, namespace in sorted(DOCUMENT_PREFIXES.items())}
    kinds = {"http://www.w3.org/2002/07/owl#ObjectProperty": "object",
             "http://www.w3.org/2002/07/owl#DatatypeProperty": "data",
             "http://www.w3.org/2002/07/owl#Class": "class",
             "http://www.w3.org/2002/07/owl#NamedIndividual": "individual"}
    # xsd:date is not in the OWL 2 datatype map: the shapes, not rdfs:range, say which properties take dates.
    shapes = ox.Store()
    shapes.load(path=str(project_root() / "shapes" / "data-shapes.ttl"), format=ox.RdfFormat.TURTLE)
    sh = "http://www.w3.org/ns/shacl#"
    dated = {path.value for path in (
        shapes.query(f"SELECT ?path WHERE {{ ?shape <{sh}path> ?path ; <{sh}datatype> <{XSD}date> }}"))
        for path in [path["path"]] if isinstance(path, ox.NamedNode)}
    terms: dict[str, str] = {}
    for quad in ontology.quads_for_pattern(None, None, None):
        if isinstance(quad.subject, ox.NamedNode) and quad.subject.value.startswith(AKG):
            kind = kinds.get(quad.object.value, "other") if quad.predicate.value == RDF_TYPE else "other"
            if terms.get(quad.subject.value) not in ("object", "data"):
                terms[quad.subject.value] = kind if kind != "other" else terms.get(quad.subject.value, "other")
    for iri, kind in sorted(terms.items()):
        name = iri[len(AKG):]
        if kind == "object":
            context[name] = {"@id": f"akg:{name}", "@type": "@id"}
        elif kind == "data":
            if iri in dated:
                context[name] = {"@id": f"akg:{name}", "@type": "xsd:date"}
            else:
                context[name] = f"akg:{name}"
        else:
            context[name] = f"akg:{name}"
    _CONTEXT = {"@context": context}
    return _CONTEXT


def compact_jsonld(triples: list[ox.Triple], context_url: str) -> dict:
    """A JSON-LD document of ``triples`` in the terms of the published context, which it names
    by URL; one node object per subject, the document's own node first."""
    context = jsonld_context()["@context"]
    by_iri: dict[str, tuple[str, dict]] = {}
    for term, definition in context.items():
        if isinstance(definition, dict):
            by_iri[AKG + term] = (term, definition)
        elif definition.startswith("akg:"):
            by_iri[AKG + term] = (term, {"@id": definition})

    def iri_ref(iri: str) -> str:
        compact = _compact(iri)
        if compact.startswith("akg:") and compact[4:] in context:
            return compact[4:]
        return compact

    def node_ref(term) -> str:
        # A prefixed name whose prefix the context defines, or the absolute IRI; blank nodes as _:b.
        return "_:" + term.value if isinstance(term, ox.BlankNode) else _compact(term.value)

    nodes: dict[str, dict] = {}
    for triple in triples:
        subject = node_ref(triple.subject)
        node = nodes.setdefault(subject, {"@id": subject})
        predicate = triple.predicate.value
        if predicate == RDF_TYPE and isinstance(triple.object, ox.NamedNode):
            node.setdefault("@type", []).append(iri_ref(triple.object.value))
            continue
        term, definition = by_iri.get(predicate, (iri_ref(predicate), {}))
        coercion = definition.get("@type")
        value = triple.object
        if isinstance(value, (ox.NamedNode, ox.BlankNode)):
            ref = node_ref(value)
            out = ref if coercion == "@id" else {"@id": ref}
        elif value.language:
            out = {"@value": value.value, "@language": value.language}
        elif coercion and coercion != "@id" and value.datatype.value == XSD + coercion.partition(":")[2]:
            out = value.value
        elif value.datatype.value == XSD + "string" and not coercion:
            out = value.value
        else:
            out = {"@value": value.value, "@type": _compact(value.datatype.value)}
        node.setdefault(term, []).append(out)
    graph = []
    for node in nodes.values():
        graph.append({key: (values[0] if isinstance(values, list) and len(values) == 1 else values)
                      for key, values in node.items()})
    return {"@context": context_url, "@graph": graph}


# ---------------------------------------------------------------------------------------------
# Pages: what the templates show
# ---------------------------------------------------------------------------------------------

@dataclass
class Value:
    """A value shown on a page: a link (with its label) or a literal, and the graphs that say it."""

    text: str
    href: str | None = None
    iri: str | None = None
    note: str = ""
    graphs: list[str] = field(default_factory=list)


class Pages:
    """Turns quads into what the templates show; links are local paths for IRIs under the base."""

    def __init__(self, index: Index, public_base: str, script_root: str = ""):
        self.index = index
        self.public_base = public_base
        self.root = script_root

    def href(self, iri: str) -> str | None:
        """The link to ``iri`` (None: not one to follow, see :func:`link_href`)."""
        return link_href(iri, self.public_base, self.root)

    def term(self, term) -> Value:
        if isinstance(term, ox.NamedNode):
            return Value(self.index.label(term.value), self.href(term.value), term.value)
        if isinstance(term, ox.BlankNode):
            return Value("_:" + term.value)
        note = term.language or ("" if term.datatype.value == XSD + "string" else _compact(term.datatype.value))
        return Value(term.value, note=note)

    def source_ref(self, graph: str) -> dict:
        """A named graph shown as the article it comes from."""
        if graph.startswith(SOURCE_GRAPH):
            number = graph[len(SOURCE_GRAPH):]
            source = DATA_BASE + f"id/source-{number}"
            return {"graph": graph, "number": number, "label": f"source {number}", "href": self.href(source),
                    "title": self.index.labels.get(source, "")}
        if graph.startswith(INFERRED) and graph[len(INFERRED):].isdigit():
            number = graph[len(INFERRED):]
            return {"graph": graph, "number": number, "label": f"entailed by source {number}",
                    "href": self.href(graph), "title": self.index.labels.get(graph, "")}
        if graph.startswith(DRAFT_GRAPH):
            number = graph[len(DRAFT_GRAPH):]
            source = DATA_BASE + f"id/source-{number}"
            return {"graph": graph, "number": f"{number} draft", "label": f"draft of source {number}",
                    "href": self.href(source), "draft": True,
                    "title": f"not reviewed: {self.index.labels.get(source, '')}"}
        short = graph[len(DATA_BASE + "graph/"):] if graph.startswith(DATA_BASE + "graph/") else _compact(graph)
        return {"graph": graph, "number": "", "label": short, "href": self.href(graph),
                "title": self.index.labels.get(graph, "")}

    def grouped(self, quads: list[ox.Quad], key) -> list[dict]:
        """Quads grouped by predicate, values in order, each value with the graphs that assert it."""
        rows: dict[str, dict[str, Value]] = {}
        for quad in quads:
            predicate = quad.predicate.value
            other = key(quad)
            values = rows.setdefault(predicate, {})
            ident = str(other)
            if ident not in values:
                values[ident] = self.term(other)
            graph = quad.graph_name.value if isinstance(quad.graph_name, ox.NamedNode) else ""
            if graph and graph not in values[ident].graphs:
                values[ident].graphs.append(graph)
        out = []
        for predicate, values in rows.items():
            listed = sorted(values.values(), key=lambda v: (v.text.lower(), v.iri or ""))
            for value in listed:
                value.graphs = [self.source_ref(g) for g in sorted(value.graphs)]
            out.append({"predicate": self.term(ox.NamedNode(predicate)), "values": listed})
        return sorted(out, key=lambda row: (row["predicate"].iri != RDF_TYPE, row["predicate"].text.lower()))


def entity_view(store: ox.Store, index: Index, iri: str, public_base: str, script_root: str = "") -> dict:
    """Everything the entity page shows, from the entity's description (one query)."""
    pages = Pages(index, public_base, script_root)
    quads = describe(store, iri)
    asserted = [q for q in quads if isinstance(q.graph_name, ox.NamedNode) and not is_inferred(q.graph_name)]
    said = {q.triple for q in asserted}
    by_subject: dict[str, list[ox.Quad]] = defaultdict(list)
    for quad in asserted:
        by_subject[quad.subject.value].append(quad)
    own = [q for q in asserted if q.subject.value == iri]
    incoming = [q for q in asserted if isinstance(q.object, ox.NamedNode) and q.object.value == iri
                and q.subject.value != iri and q.predicate.value != OA + "hasBody"]
    inferred = [q for q in quads if is_inferred(q.graph_name) and q.subject.value == iri and q.triple not in said]

    def first(subject: str, predicate: str) -> str | None:
        for quad in by_subject.get(subject, ()):
            if quad.predicate.value == predicate:
                return quad.object.value
        return None

    def all_values(subject: str, predicate: str) -> list:
        seen = {}
        for quad in by_subject.get(subject, ()):
            if quad.predicate.value == predicate:
                seen.setdefault(str(quad.object), quad.object)
        return list(seen.values())

    def graphs_of(subject: str) -> list[dict]:
        graphs = sorted({q.graph_name.value for q in by_subject.get(subject, ())})
        return [pages.source_ref(g) for g in graphs]

    # Evidence: annotation -> body, span, offsets, quote, source graph.
    evidence: dict[str, list[dict]] = defaultdict(list)
    for quad in asserted:
        if quad.predicate.value != OA + "hasBody":
            continue
        annotation, body = quad.subject.value, quad.object.value
        span = first(annotation, OA + "hasTarget")
        selectors = [s.value for s in all_values(span, OA + "hasSelector")] if span else []
        start = end = exact = None
        for selector in selectors:
            start = start or first(selector, OA + "start")
            end = end or first(selector, OA + "end")
            exact = exact or first(selector, OA + "exact")
        source = first(span, OA + "hasSource") if span else None
        if exact is None or source is None:
            continue
        slug = annotation.rsplit("/", 1)[-1]
        source_href = pages.href(source)
        evidence[body].append({"annotation": annotation, "quote": exact, "start": int(start), "end": int(end),
                               "source": pages.term(ox.NamedNode(source)),
                               "href": source_href + "#" + slug if source_href else None,
                               "graph": quad.graph_name.value,
                               "source_ref": pages.source_ref(quad.graph_name.value)})
    for items in evidence.values():
        items.sort(key=lambda e: (e["graph"], e["start"], e["annotation"]))

    relations_of: dict[str, set[str]] = defaultdict(set)
    for q in asserted:
        if q.predicate.value in FACT_LINKS and isinstance(q.object, ox.NamedNode) and q.object.value == iri:
            relations_of[q.subject.value].add(q.predicate.value)
    facts = set(relations_of)
    roles, statements, other_facts = [], [], []
    for fact in sorted(facts):
        classes = [c for c in index.types.get(fact, [])]
        fact_quads = by_subject.get(fact, [])
        if any(q.predicate.value == AKG + "roleOf" for q in fact_quads):
            holder = first(fact, AKG + "roleOf")
            context = first(fact, AKG + "roleIn") or first(fact, AKG + "positionIn")
            dates = [(pages.term(ox.NamedNode(q.predicate.value)).text, q.object.value, pages.source_ref(q.graph_name.value))
                     for q in fact_quads if q.predicate.value in (AKG + "startDate", AKG + "endDate", AKG + "notBefore",
                                                                  AKG + "notAfter")]
            if not dates and context:
                # A role without dates of its own holds from its context's start, as each source dates it.
                for name in ("startDate", "signedOn", "inForceFrom"):
                    for q in store.quads_for_pattern(ox.NamedNode(context), ox.NamedNode(AKG + name), None):
                        if isinstance(q.graph_name, ox.NamedNode) and not is_inferred(q.graph_name):
                            dates.append((f"context {index.label(AKG + name)}", q.object.value,
                                          pages.source_ref(q.graph_name.value)))
            roles.append({"iri": fact, "href": pages.href(fact), "label": index.label(fact),
                          "kind": pages.term(ox.NamedNode(_most_specific([c for c in classes if c.startswith(AKG)] or [AKG + "Role"]))),
                          "title": first(fact, AKG + "title"),
                          "holder": pages.term(ox.NamedNode(holder)) if holder else None,
                          "context": pages.term(ox.NamedNode(context)) if context else None,
                          "held": holder == iri, "dates": dates, "sources": graphs_of(fact),
                          "evidence": evidence.get(fact, [])})
        elif any(q.predicate.value == AKG + "speaker" for q in fact_quads) or AKG + "Statement" in classes:
            speaker = first(fact, AKG + "speaker")
            relations = sorted(index.label(p) for p in relations_of[fact])
            date = first(fact, AKG + "statedOn")
            bounds = (first(fact, AKG + "notBefore"), first(fact, AKG + "notAfter"))
            statements.append({"iri": fact, "href": pages.href(fact),
                               "speaker": pages.term(ox.NamedNode(speaker)) if speaker else None,
                               "quotation": first(fact, AKG + "quotation"), "paraphrase": first(fact, AKG + "paraphrase"),
                               "date": date, "bounds": bounds if not date and any(bounds) else None,
                               "relations": relations, "by_entity": speaker == iri,
                               "reported_in": [pages.term(t) for t in all_values(fact, AKG + "reportedIn")],
                               "sources": graphs_of(fact), "evidence": evidence.get(fact, [])})
        else:
            other_facts.append(fact)

    types = [pages.term(ox.NamedNode(c)) for c in index.types.get(iri, [])]
    description = first(iri, RDFS + "comment") or first(iri, SKOS + "definition") or first(iri, "https://schema.org/description")
    wikidata = [pages.term(ox.NamedNode(q.object.value)) for q in own
                if q.predicate.value == SCHEMA + "sameAs" and q.object.value.startswith(WIKIDATA_ENTITY)]
    for link in wikidata:
        link.href = link.iri
        link.text = link.iri[len(WIKIDATA_ENTITY):]
    own_rows = pages.grouped([q for q in own if q.predicate.value not in (RDFS + "label",)], lambda q: q.object)
    incoming_rows = pages.grouped(incoming, lambda q: q.subject)
    sources = sorted({q.graph_name.value for q in own}, key=str)
    return {
        "iri": iri, "label": index.label(iri), "types": types, "description": description,
        "aliases": sorted({q.object.value for q in own if q.predicate.value == SKOS + "altLabel"}),
        "properties": own_rows, "incoming": incoming_rows, "roles": roles, "statements": statements,
        "evidence": evidence.get(iri, []), "wikidata": wikidata,
        "inferred": pages.grouped(inferred, lambda q: q.object),
        "sources": [pages.source_ref(g) for g in sources],
        "draft": bool(sources) and all(g.startswith(DRAFT_GRAPH) for g in sources),
        "query": entity_query(iri), "triples": len(quads), "quads": asserted,
    }


def _without_header(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith("# ")).strip() + "\n"


def search_query(words: str) -> str:
    """The query page's label search for some words: ``queries/ld/search-labels.rq``.

    >>> 'VALUES ?words { "lavrentyev" }' in search_query("lavrentyev")
    True
    """
    text = _without_header(query_files.load("ld/search-labels").text)
    return text.replace('VALUES ?words { "russia" }', "VALUES ?words { " + str(ox.Literal(words)) + " }")


def entity_query(iri: str) -> str:
    """The query page's query about one entity: ``queries/ld/about-entity.rq`` with its IRI.

    >>> "VALUES ?entity { <https://w3id.org/astana-kg/id/iran> }" in entity_query("https://w3id.org/astana-kg/id/iran")
    True
    """
    text = _without_header(query_files.load("ld/about-entity").text)
    return text.replace("VALUES ?entity { id:russia }", "VALUES ?entity { " + str(ox.NamedNode(iri)) + " }")


# ---------------------------------------------------------------------------------------------
# Source pages: the article with its annotated spans
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Span:
    """One annotated stretch of the text, by code-point offsets; ``ident`` becomes the mark's id."""

    start: int
    end: int
    ident: str
    group: str = ""
    title: str = ""


def highlight(text: str, spans: list[Span], ref_for=None) -> Markup:
    """The text as HTML with one ``<mark id=...>`` per span. Overlapping spans that do not nest
    are split: the later one is closed and reopened around the earlier one's end (its first
    piece carries the id, every piece ``data-span``). ``ref_for(group)`` may return HTML put
    after the last span of a group closes.

    >>> str(highlight("abcdef", [Span(0, 4, "x"), Span(2, 6, "y")]))
    '<mark id="x" data-span="x">ab<mark id="y" data-span="y">cd</mark></mark><mark data-span="y" class="cont">ef</mark>'
    >>> str(highlight("a<b>", [Span(1, 4, "t", title='"q"')]))
    'a<mark id="t" data-span="t" title="&#34;q&#34;">&lt;b&gt;</mark>'
    """
    spans = sorted((s for s in spans if 0 <= s.start < s.end <= len(text)), key=lambda s: (s.start, -s.end, s.ident))
    group_ends: dict[str, int] = {}
    for span in spans:
        if span.group:
            group_ends[span.group] = max(group_ends.get(span.group, 0), span.end)
    events = sorted({0, len(text)} | {s.start for s in spans} | {s.end for s in spans})
    out: list[str] = []
    open_stack: list[Span] = []
    opened: set[str] = set()
    pending = list(spans)
    position = 0
    refs_done: set[str] = set()

    def open_mark(span: Span) -> str:
        first = span.ident not in opened
        opened.add(span.ident)
        attributes = f' id="{escape(span.ident)}"' if first else ""
        attributes += f' data-span="{escape(span.ident)}"'
        if not first:
            attributes += ' class="cont"'
        if span.title and first:
            attributes += f' title="{escape(span.title)}"'
        return f"<mark{attributes}>"

    for point in events:
        if point > position:
            out.append(str(escape(text[position:point])))
            position = point
        # Close the spans that end here; reopen those closed only because they sat inside.
        if any(s.end == point for s in open_stack):
            reopen = []
            while open_stack and any(s.end == point for s in open_stack):
                span = open_stack.pop()
                out.append("</mark>")
                if span.end != point:
                    reopen.append(span)
                elif ref_for and span.group and group_ends.get(span.group) == point and span.group not in refs_done \
                        and not any(s.group == span.group for s in open_stack):
                    refs_done.add(span.group)
                    out.append(str(ref_for(span.group)))
            for span in reversed(reopen):
                open_stack.append(span)
                out.append(open_mark(span))
        while pending and pending[0].start == point:
            span = pending.pop(0)
            open_stack.append(span)
            out.append(open_mark(span))
    return Markup("".join(out))


def source_text(store: ox.Store, source: str) -> str | None:
    """The article's text, read from the file the source names (akg:sourceFile), or None."""
    for quad in store.quads_for_pattern(ox.NamedNode(source), ox.NamedNode(AKG + "sourceFile"), None):
        path = project_root() / quad.object.value
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return None


def source_view(store: ox.Store, index: Index, iri: str, public_base: str, script_root: str = "") -> dict | None:
    """The source page: metadata, the text with every annotated span marked, the facts each
    span supports. None if ``iri`` is not a source with a text."""
    text = source_text(store, iri)
    if text is None:
        return None
    pages = Pages(index, public_base, script_root)
    view = entity_view(store, index, iri, public_base, script_root)
    rows = _run(store, "source-annotations", source=iri)
    spans, groups = [], {}
    mismatches = []
    for row in rows:
        start, end = int(row["start"].value), int(row["end"].value)
        span_iri, annotation = row["span"].value, row["annotation"].value
        if text[start:end] != row["exact"].value:
            mismatches.append(span_iri)
        group_id = span_iri.rsplit("/", 1)[-1]
        group = groups.setdefault(group_id, {"id": group_id, "iri": span_iri, "href": pages.href(span_iri),
                                             "start": start, "end": end, "quote": row["exact"].value, "facts": []})
        body = pages.term(row["body"])
        ann_slug = annotation.rsplit("/", 1)[-1]
        group["facts"].append({"annotation": ann_slug, "annotation_href": pages.href(annotation), "body": body})
        spans.append(Span(start, end, ann_slug, group_id, "evidence for " + body.text))
    # A number stands where its span ends (an inner span's before its outer one's): numbered in that order,
    # the numbers run in the order of the text.
    ordered = sorted(groups.values(), key=lambda g: (g["end"], -g["start"]))
    for number, group in enumerate(ordered, 1):
        group["number"] = number
    numbers = {g["id"]: g["number"] for g in ordered}
    marked = highlight(text, spans, lambda group: Markup(
        f'<sup class="ref"><a href="#facts-{escape(group)}" title="the facts this supports">{numbers[group]}</a></sup>'))
    # The article's own metadata, with how its date was derived.
    derivations = []
    own = view["quads"]
    for quad in own:
        if quad.subject.value == iri and quad.predicate.value == AKG + "derivation":
            node = quad.object.value
            parts = {q.predicate.value: q.object for q in own if q.subject.value == node}
            derivations.append({
                "property": pages.term(parts[AKG + "forProperty"]) if AKG + "forProperty" in parts else None,
                "phrase": _value(parts.get(AKG + "phrase")), "value": _value(parts.get(AKG + "derivedDate")),
                "certainty": pages.term(parts[AKG + "certainty"]) if AKG + "certainty" in parts else None,
                "comment": _value(parts.get(RDFS + "comment")), "href": pages.href(node)})
    meta = {q.predicate.value: q.object for q in own if q.subject.value == iri}
    view.update({
        "text": marked, "groups": ordered, "annotations": len(spans), "mismatches": mismatches,
        "headline": _value(meta.get(AKG + "headline")),
        "publisher": pages.term(meta[AKG + "publisher"]) if AKG + "publisher" in meta else None,
        "published": _value(meta.get(AKG + "publishedOn")), "dateline": _value(meta.get(AKG + "dateline")),
        "file": _value(meta.get(AKG + "sourceFile")), "derivations": derivations,
        "graph_href": pages.href((DRAFT_GRAPH if view["draft"] else SOURCE_GRAPH) + iri.rsplit("-", 1)[-1]),
        "graph_name": ("graph/draft/" if view["draft"] else "graph/source/") + iri.rsplit("-", 1)[-1],
    })
    return view


# ---------------------------------------------------------------------------------------------
# Named graphs
# ---------------------------------------------------------------------------------------------

def graph_view(store: ox.Store, index: Index, graph: str, public_base: str, script_root: str = "") -> dict:
    """The page of a named graph: its provenance, its statistics, its classes, its content's links."""
    pages = Pages(index, public_base, script_root)
    description = [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(PROVENANCE_GRAPH))
                   for t in _run_graph_description(store, graph)]
    statistics = _run(store, "graph-statistics", graph=graph)
    stats = {k: int(statistics[0][k].value) for k in ("triples", "subjects", "predicates", "objects", "annotations")} \
        if statistics else {}
    classes = [{"class": pages.term(row["class"]), "instances": int(row["instances"].value)}
               for row in _run(store, "graph-classes", graph=graph)[:40]]
    path = local_url(graph, DATA_BASE) or ""
    return {"iri": graph, "label": index.label(graph), "path": path,
            "provenance": pages.grouped([q for q in description if q.subject.value == graph], lambda q: q.object),
            "activities": pages.grouped([q for q in description if q.subject.value != graph], lambda q: q.object),
            "statistics": stats, "classes": classes,
            "source": pages.source_ref(graph) if graph.startswith(SOURCE_GRAPH) else None,
            "content": [(v, f"{script_root}{path}/content.{v.extension}") for v in CONTENT_VARIANTS]}


def _run_graph_description(store: ox.Store, graph: str) -> list[ox.Triple]:
    return [ox.Triple(row["s"], row["p"], row["o"]) for row in _run(store, "graph-description", graph=graph)]


def graph_content(store: ox.Store, graph: str, variant: Variant, context_url: str) -> bytes:
    """The triples of one named graph in ``variant`` (as quads of that graph in N-Quads and TriG)."""
    quads = list(store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))
    if variant.is_dataset:
        return ox.serialize(quads, format=variant.rdf_format, prefixes=DOCUMENT_PREFIXES)
    triples = [q.triple for q in quads]
    if variant is JSON_LD:
        return json.dumps(compact_jsonld(triples, context_url), ensure_ascii=False, indent=1).encode("utf-8")
    if variant.rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML):
        return ox.serialize(triples, format=variant.rdf_format, prefixes=DOCUMENT_PREFIXES)
    return ox.serialize(triples, format=variant.rdf_format)


# ---------------------------------------------------------------------------------------------
# Not found: suggestions
# ---------------------------------------------------------------------------------------------

def suggestions(index: Index, path: str, limit: int = 8) -> list[tuple[str, str]]:
    """(IRI, label) of the entities whose slug or label is closest to what ``path`` asked for."""
    wanted = path.rsplit("/", 1)[-1].rpartition(".")[0] or path.rsplit("/", 1)[-1]
    wanted = wanted.lower().replace("_", "-")
    words = wanted.replace("-", " ")
    candidates: dict[str, str] = {}
    for iri in index.nodes:
        slug = iri.rsplit("/", 1)[-1]
        if slug.startswith(("ann-", "span-", "node-")):
            continue
        candidates[slug.lower()] = iri
        label = index.labels.get(iri)
        if label:
            candidates[label.lower()] = iri
    found: list[str] = []
    for key in difflib.get_close_matches(wanted, list(candidates), n=limit, cutoff=0.5) + \
            difflib.get_close_matches(words, list(candidates), n=limit, cutoff=0.5):
        if candidates[key] not in found:
            found.append(candidates[key])
    if len(found) < limit and len(words) >= 3:
        for key in sorted(candidates):
            if words in key and candidates[key] not in found:
                found.append(candidates[key])
    return [(iri, index.label(iri)) for iri in found[:limit]]


def named_entity(kg, stem: str, nodes: set[str]) -> tuple[str | None, list[str]]:
    """The entity an unknown ``id/NAME`` names, as :meth:`KnowledgeGraph.entity` reads a name (a
    label, another name the sources use, the words of one name, a Wikidata identifier), tried as
    written and with its hyphens as spaces; ``(None, candidates)`` if several entities answer as
    well, ``(None, [])`` if none does. Only an IRI of this graph's ``id/`` is an answer.

    ``id/lavrentyev`` names ``id/alexander-lavrentyev``, ``id/homs-zone`` (another name of it,
    hyphenated) ``id/zone-northern-homs``; ``id/zone`` fits several.
    """
    name = stem.removeprefix("id/")
    if not stem.startswith("id/") or not name or "/" in name:
        return None, []
    candidates: list[str] = []
    for text in dict.fromkeys((name, " ".join(re.split(r"[-_]+", name)).strip())):
        try:
            iri = kg.iri(text)
        except Ambiguous as error:
            candidates = candidates or [c.iri for c in error.candidates if c.iri in nodes]
            continue
        except NotFound:
            continue
        if iri in nodes and iri.startswith(DATA_BASE + "id/"):
            return iri, []
    return None, candidates


# ---------------------------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------------------------

class _Bodies:
    """Rendered documents, kept while their build is served (bounded in bytes, least recent out)."""

    def __init__(self, max_bytes: int = 32 * 1024 * 1024):
        self.max_bytes, self.size = max_bytes, 0
        self.entries: OrderedDict[str, bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get_or_make(self, key: str, make) -> bytes:
        with self.lock:
            body = self.entries.get(key)
            if body is not None:
                self.entries.move_to_end(key)
                return body
        body = make()
        body = body.encode("utf-8") if isinstance(body, str) else body
        with self.lock:
            if key not in self.entries and len(body) < self.max_bytes // 8:
                self.entries[key] = body
                self.size += len(body)
                while self.size > self.max_bytes:
                    self.size -= len(self.entries.popitem(last=False)[1])
        return body


_BODIES = _Bodies()


def _cached(endpoint, headers: dict[str, str], make) -> bytes:
    """The body for this ETag (which names the build and the document) and this server root."""
    key = json.dumps([endpoint.instance, headers["ETag"], origin.root_url(), request.script_root])
    return _BODIES.get_or_make(key, make)


def _document(endpoint, headers: dict[str, str], variant: Variant, make) -> Response:
    """A document's answer: 304 if the client has it, else its body (made once per ETag)."""
    cached = _not_modified(headers)
    if cached is not None:
        return cached
    return Response(_cached(endpoint, headers, make), 200, {**headers, "Content-Type": variant.content_type})


def _endpoint():
    return current_app.extensions["astana_kg"]()


def _state():
    endpoint = _endpoint()
    return endpoint, index_for(endpoint.store, endpoint.build_id)


def _public_base() -> str:
    return str(current_app.config.get("PUBLIC_BASE") or DATA_BASE)


def _etag(endpoint, *parts: str) -> str:
    digest = hashlib.sha256(json.dumps([endpoint.build_id, *parts]).encode()).hexdigest()[:32]
    return f'"{digest}"'


def _cache_headers(endpoint, *parts: str) -> dict[str, str]:
    return {"ETag": _etag(endpoint, *parts), "Vary": "Accept",
            "Cache-Control": f"public, max-age={int(current_app.config.get('CACHE_MAX_AGE', 3600))}"}


def _not_modified(headers: dict[str, str]) -> Response | None:
    given = request.headers.get("If-None-Match")
    if given and (given.strip() == "*" or headers["ETag"] in [t.strip() for t in given.split(",")]):
        return Response(b"", 304, headers)
    return None


def _alternates(stem: str, variants=VARIANTS) -> str:
    return ", ".join(f'<{quote(stem)}.{v.extension}>; rel="alternate"; type="{v.media_type}"' for v in variants)


def document_links(stem: str, variant: Variant, variants=VARIANTS) -> dict[str, str]:
    """The ``Link`` header of a document: its alternate formats, except on a JSON-LD document.

    A JSON-LD client reads ``rel="alternate"`` on a response that is not JSON as the way to its
    JSON-LD (JSON-LD 1.1 API, section 9.1), and pyld's document loader reads the relation as
    one link: several of them on its JSON-LD answer stop it. An entity's JSON-LD document names
    its other formats in its own triples (``dcterms:hasFormat``).

    >>> document_links("/id/russia", TURTLE)["Link"].count('rel="alternate"')
    7
    >>> document_links("/id/russia", JSON_LD)
    {}
    """
    if variant is JSON_LD:
        return {}
    return {"Link": _alternates(stem, variants)}


def _context_url() -> str:
    return origin.absolute("/context.jsonld")


def _not_found(path: str, variant: Variant | None, candidates: list[str] = ()):
    """404: an HTML page with suggestions for a browser, problem+json for a program; the
    ``candidates`` a name fits (several entities) come first."""
    if variant is None:
        try:
            variant = choose_variant(request.headers.get("Accept"))
        except HttpError:
            variant = TURTLE
    _, index = _state()
    iri = public_iri(path, _public_base())
    found = [(i, index.label(i)) for i in candidates]
    found += [(i, label) for i, label in suggestions(index, path) if i not in candidates]
    if variant is HTML:
        pages = Pages(index, _public_base(), request.script_root)
        words = re.sub(r"[-_]+", " ", split_extension(path)[0].rsplit("/", 1)[-1]).strip()
        body = render_template("not_found.html", iri=iri, path=path, search_query=search_query(words),
                               suggestions=[{"iri": i, "label": label, "href": pages.href(i)} for i, label in found])
        return Response(body, 404, {"Content-Type": HTML.content_type, "Vary": "Accept"})
    detail = f"{iri} is not an IRI of this graph"
    if candidates:
        detail += f"; as a name it fits {len(candidates)} entities, the first suggestions"
    error = HttpError(404, detail, suggestions=[i for i, _ in found])
    return Response(error.body(), 404, {"Content-Type": PROBLEM_JSON, "Vary": "Accept"})


def _see_other(path: str, variant: Variant, endpoint) -> Response:
    headers = _cache_headers(endpoint, path, "303", variant.extension)
    location = f"{request.script_root}/{quote(path)}.{variant.extension}"
    headers.update({"Location": location, "Link": _alternates(f"{request.script_root}/{path}"),
                    "Content-Type": "text/plain; charset=utf-8"})
    return Response(f"303 See Other: {location}\n", 303, headers)


@blueprint.route("/id/<path:path>", methods=["GET", "HEAD"])
def entity(path: str):
    """An /id/ IRI (303 to a document by Accept) or one of its documents (by extension)."""
    endpoint, index = _state()
    full = "id/" + path
    if data_iri(full) in index.nodes:
        variant = choose_variant(request.headers.get("Accept"))
        return _see_other(full, variant, endpoint)
    stem, variant = split_extension(full)
    iri = data_iri(stem)
    if variant is None or iri not in index.nodes:
        named, candidates = named_entity(knowledge_graph(), stem, index.nodes)
        if named is None:
            return _not_found(full, variant, candidates)
        return _see_entity(stem, local_url(named, DATA_BASE), variant, endpoint)
    headers = _cache_headers(endpoint, full)
    headers.update(document_links(f"{request.script_root}/{stem}", variant))
    return _document(endpoint, headers, variant, lambda: _entity_document(endpoint, index, full, stem, iri, variant))


def _see_entity(stem: str, target: str, variant: Variant | None, endpoint) -> Response:
    """303 from a name to the IRI of the entity it names (or to the same document of it).

    See Other, not a permanent redirect (301, 308): the name is no IRI of the graph that moved,
    only what the lookup makes of it in this build; a later build may give it to two entities.
    """
    extension = f".{variant.extension}" if variant else ""
    headers = _cache_headers(endpoint, stem + extension, "named", target)
    location = f"{request.script_root}{quote(target)}{extension}"
    headers.update({"Location": location, "Content-Type": "text/plain; charset=utf-8"})
    return Response(f"303 See Other: {location}\n", 303, headers)


def _entity_document(endpoint, index: Index, full: str, stem: str, iri: str, variant: Variant):
    if variant is HTML:
        if stem.startswith("id/source-") and source_text(endpoint.store, iri) is not None:
            view = source_view(endpoint.store, index, iri, _public_base(), request.script_root)
            return render_template("source.html", v=view, stem=f"{request.script_root}/{stem}", variants=VARIANTS)
        view = entity_view(endpoint.store, index, iri, _public_base(), request.script_root)
        return render_template("entity.html", v=view, stem=f"{request.script_root}/{stem}", variants=VARIANTS)
    quads = describe(endpoint.store, iri)
    doc = public_iri(full, _public_base())
    return render_rdf(quads, document_header(iri, doc, quads, endpoint.store), variant, _context_url())


@blueprint.route("/graph/<path:path>", methods=["GET", "HEAD"])
def named_graph(path: str):
    """A named graph's IRI (303 to its description), its description, or its content."""
    endpoint, index = _state()
    full = "graph/" + path
    if data_iri(full) in index.graphs:
        return _see_other(full, choose_variant(request.headers.get("Accept")), endpoint)
    content = full.endswith("/content") or re.search(r"/content\.[a-z]+$", full)
    if content:
        stem, variant = split_extension(full)
        graph = data_iri(stem[: -len("/content")])
        if graph not in index.graphs:
            return _not_found(full, variant or TURTLE)
        if variant is None:
            variant = choose_variant(request.headers.get("Accept"), CONTENT_VARIANTS)
        elif variant is HTML:
            return _not_found(full, HTML)
        headers = _cache_headers(endpoint, full, variant.extension)
        headers["Content-Location"] = f"{request.script_root}/{stem}.{variant.extension}"
        headers.update(document_links(f"{request.script_root}/{stem}", variant, CONTENT_VARIANTS))
        return _document(endpoint, headers, variant, lambda: graph_content(endpoint.store, graph, variant, _context_url()))
    stem, variant = split_extension(full)
    graph = data_iri(stem)
    if variant is None or graph not in index.graphs:
        return _not_found(full, variant)
    headers = _cache_headers(endpoint, full)
    headers.update(document_links(f"{request.script_root}/{stem}", variant))
    return _document(endpoint, headers, variant, lambda: _graph_document(endpoint, index, full, stem, graph, variant))


def _graph_document(endpoint, index: Index, full: str, stem: str, graph: str, variant: Variant):
    if variant is HTML:
        view = graph_view(endpoint.store, index, graph, _public_base(), request.script_root)
        return render_template("graph.html", v=view, stem=f"{request.script_root}/{stem}", variants=VARIANTS)
    triples = describe_graph(endpoint.store, graph)
    doc = public_iri(full, _public_base())
    header = [ox.Triple(ox.NamedNode(doc), ox.NamedNode(FOAF + "primaryTopic"), ox.NamedNode(graph)),
              ox.Triple(ox.NamedNode(graph), ox.NamedNode("http://rdfs.org/ns/void#dataDump"),
                        ox.NamedNode(public_iri(stem + "/content.nq", _public_base())))]
    quads = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples]
    return render_rdf(quads, header, variant, _context_url())


@blueprint.get("/context.jsonld")
def context():
    """The published JSON-LD context."""
    endpoint = _endpoint()
    headers = {"ETag": _etag(endpoint, "context"), "Content-Type": "application/ld+json",
               "Cache-Control": f"public, max-age={int(current_app.config.get('CACHE_MAX_AGE', 3600))}"}
    cached = _not_modified({**headers, "Vary": "Accept"})
    if cached is not None:
        return cached
    return Response(json.dumps(jsonld_context(), indent=1) + "\n", 200, headers)


#: Media types of the project's input files that the provenance graph names.
FILE_TYPES = {".yaml": "application/yaml; charset=utf-8", ".tsv": "text/tab-separated-values; charset=utf-8",
              ".ttl": "text/turtle; charset=utf-8", ".txt": "text/plain; charset=utf-8",
              ".md": "text/markdown; charset=utf-8"}


@blueprint.route("/files/<path:path>", methods=["GET", "HEAD"])
def input_file(path: str):
    """An input file of the build (a claims file, a curation table) that the graph names by IRI.

    Only files whose IRI occurs in the graph are served, from this checkout of the project.
    """
    endpoint = _endpoint()
    try:
        node = ox.NamedNode(data_iri("files/" + path))
    except ValueError:  # not an IRI (a space, a backslash, a control character): no file has it
        return _not_found("files/" + path, None)
    named = next(endpoint.store.quads_for_pattern(node, None, None), None) or \
        next(endpoint.store.quads_for_pattern(None, None, node), None)
    file = project_root() / path
    if named is None or not file.is_file():
        return _not_found("files/" + path, None)
    data = file.read_bytes()
    headers = {"ETag": f'"{hashlib.sha256(data).hexdigest()[:40]}"',
               "Content-Type": FILE_TYPES.get(file.suffix, "application/octet-stream"),
               "Cache-Control": f"public, max-age={int(current_app.config.get('CACHE_MAX_AGE', 3600))}"}
    cached = _not_modified(headers)
    if cached is not None:
        return cached
    return Response(data, 200, headers)
