"""A Python API over the knowledge graph: look entities up, read typed answers, traverse.

One class, :class:`KnowledgeGraph`, with two backends: a local pyoxigraph store (:func:`open`,
:meth:`KnowledgeGraph.from_store`) and a remote endpoint of ours spoken to over the SPARQL
protocol (:func:`connect`). Both give the same answers. Every query is a file of
``queries/api/`` run by :meth:`KnowledgeGraph.select`; values are bound with pyoxigraph
substitutions locally and with an inline ``VALUES`` block of serialized terms remotely.

Lookups and traversal use an index built once per graph object from one query
(``queries/api/index.rq``): labels, alternative labels with the sources that use them, types,
Wikidata links, and the links between entities.

>>> import astana_kg
>>> kg = astana_kg.open()
>>> kg.entity("Erdoğan").label
'Recep Tayyip Erdogan'
>>> [step.predicate.label for step in kg.shortest_path("russia", "zone-idlib")]
[...]
"""

from __future__ import annotations

import collections
import dataclasses
import json
import re
import threading
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import pyoxigraph as ox

from ..paths import STORE_NAME, project_root
from ..query import queries
from ..query.sparqltext import bind_values

__all__ = [
    "KnowledgeGraph", "open", "connect", "GraphError", "NotFound", "Ambiguous", "RemoteError",
    "Ref", "Alias", "Entity", "Role", "Statement", "ZoneArea", "Dated", "Deadline", "AgreementRole",
    "Agreement", "Event", "Evidence", "Neighbour", "Edge", "Subgraph",
]

ID = "https://w3id.org/astana-kg/id/"
AKG = "https://w3id.org/astana-kg/ontology#"
GRAPH_BASE = "https://w3id.org/astana-kg/graph/"
SOURCE_GRAPHS = GRAPH_BASE + "source/"
#: The prefix of the inferred graphs (``inferred/NNN`` for source NNN, ``inferred/shared``).
INFERRED_GRAPHS = GRAPH_BASE + "inferred/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SKOS_ALT = SKOS + "altLabel"
SCHEMA_SAME_AS = "https://schema.org/sameAs"
PROV_DERIVED = "http://www.w3.org/ns/prov#wasDerivedFrom"
WIKIDATA = "http://www.wikidata.org/entity/"
XSD_DATE = "http://www.w3.org/2001/XMLSchema#date"

#: Namespaces of schema and provenance plumbing: never followed unless asked for.
PLUMBING_NAMESPACES = (
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "http://www.w3.org/2000/01/rdf-schema#",
    "http://www.w3.org/2002/07/owl#", "http://www.w3.org/ns/prov#", "http://www.w3.org/ns/oa#",
    SKOS, "http://purl.org/dc/terms/", "https://schema.org/",
)
#: Properties of our ontology that are plumbing too: derivations of values, and the links from
#: statements to the articles (which would make every two facts of an article neighbours).
PLUMBING_PROPERTIES = frozenset(AKG + name for name in (
    "derivation", "forProperty", "certainty", "reportedIn", "sharesTextWith", "alignedEntity",
    "wikidataItem", "allowsServiceEndpoint",
))
#: Entity IRIs that are evidence, not things: annotations and their selectors.
_EVIDENCE_PREFIXES = (ID + "ann-", ID + "span-", ID + "target-")

_ROLE_CLASSES_OF_PARTIES = (AKG + "SignatoryRole", AKG + "PartyToAgreementRole")
_SLUG = re.compile(r"^(?:id/)?([a-z0-9][a-z0-9-]*)$")
_QID = re.compile(r"^(?:wd:)?(Q[1-9][0-9]*)$", re.IGNORECASE)
_MODIFIERS = re.compile(r"\b(?:ORDER\s+BY|LIMIT|OFFSET)\b", re.IGNORECASE)


# ------------------------------------------------------------------------------------------------
# Errors
# ------------------------------------------------------------------------------------------------


class GraphError(Exception):
    """Something asked of the graph cannot be answered."""


class NotFound(GraphError, LookupError):
    """No entity (or no path) answers to what was asked; ``ref`` is what was asked for."""

    def __init__(self, ref, message: str | None = None):
        super().__init__(message or f"no entity matches {ref!r}")
        self.ref = ref


class Ambiguous(GraphError, LookupError):
    """Several entities answer to a name; ``candidates`` lists them (best first)."""

    def __init__(self, ref, candidates: list["Entity"]):
        listed = "; ".join(f"{c.label} <{c.iri}>" for c in candidates)
        super().__init__(f"{ref!r} is ambiguous: it may be {listed}. Pass one of these IRIs instead.")
        self.ref = ref
        self.candidates = candidates


class RemoteError(GraphError):
    """The remote endpoint did not answer a query as expected."""


# ------------------------------------------------------------------------------------------------
# Answers
# ------------------------------------------------------------------------------------------------


def _plain(value):
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class _Answer:
    def to_dict(self) -> dict:
        """The answer as JSON-ready dictionaries and lists (IRIs and dates as strings)."""
        return _plain(self)


@dataclass(frozen=True, order=True)
class Ref(_Answer):
    """A node of the graph: its IRI and its label (the IRI's last segment when it has none)."""

    iri: str
    label: str


@dataclass(frozen=True)
class Alias(_Answer):
    """Another name of an entity, with the sources that use it so."""

    label: str
    sources: list[Ref]


@dataclass(frozen=True)
class Entity(_Answer):
    """An entity: IRI, label, asserted classes, other names, Wikidata items."""

    iri: str
    label: str
    types: list[Ref]
    aliases: list[Alias]
    wikidata: list[str]

    @property
    def ref(self) -> Ref:
        return Ref(self.iri, self.label)


@dataclass(frozen=True)
class Role(_Answer):
    """A role a party holds, in a context, with the dates known and the sources that attest it."""

    iri: str
    role_class: Ref
    holder: Ref
    context: Ref | None
    title: str | None
    position_in: Ref | None
    supports_party: Ref | None
    start: str | None
    end: str | None
    not_before: str | None
    not_after: str | None
    context_start: str | None
    context_end: str | None
    sources: list[Ref]


@dataclass(frozen=True)
class Statement(_Answer):
    """A statement as one source reports it: quoted and/or reported words, date, place."""

    iri: str
    speaker: Ref
    quotation: str | None
    paraphrase: str | None
    date: str | None
    not_before: str | None
    not_after: str | None
    place: Ref | None
    event: Ref | None
    on_behalf_of: Ref | None
    source: Ref
    about: list[Ref]
    supports: list[Ref]
    opposes: list[Ref]


@dataclass(frozen=True)
class ZoneArea(_Answer):
    """A place a zone covers according to one source; ``disputed`` when another source that
    describes the zone's areas does not name it."""

    zone: Ref
    area: Ref
    coverage: str
    source: Ref
    disputed: bool


@dataclass(frozen=True)
class Dated(_Answer):
    """A value as one source gives it."""

    value: str
    source: Ref


@dataclass(frozen=True)
class Deadline(_Answer):
    """A deadline an agreement sets; each source's dating kept apart."""

    iri: str
    label: str
    due_date: list[Dated]
    due_within: list[Dated]
    not_before: list[Dated]
    not_after: list[Dated]
    responsible: list[Ref]
    sources: list[Ref]


@dataclass(frozen=True)
class AgreementRole(_Answer):
    """A role held in an agreement (signatory, proposer, mediator...) with its sources."""

    iri: str
    role_class: Ref
    holder: Ref
    sources: list[Ref]


@dataclass(frozen=True)
class Agreement(_Answer):
    """An agreement: who is party to it, who signed it, when and where, its term and deadlines."""

    iri: str
    label: str
    parties: list[Ref]
    signatories: list[Ref]
    roles: list[AgreementRole]
    signed_on: list[Dated]
    signed_at: list[Dated]
    in_force_from: list[Dated]
    term: list[Dated]
    adopted_at: list[Dated]
    deadlines: list[Deadline]
    sources: list[Ref]


@dataclass(frozen=True)
class Event(_Answer):
    """An event with its dates (the earliest a source gives) and the sources that report it."""

    iri: str
    label: str
    event_class: Ref
    start: str | None
    end: str | None
    not_before: str | None
    not_after: str | None
    status: Ref | None
    sources: list[Ref]

    @property
    def sort_date(self) -> str | None:
        return self.start or self.not_before


@dataclass(frozen=True)
class Evidence(_Answer):
    """A quote of a source that supports a node: the exact words and their code-point offsets."""

    source: Ref
    graph: str
    annotation: str
    body: str
    exact: str
    start: int
    end: int
    prefix: str | None
    suffix: str | None


@dataclass(frozen=True)
class Neighbour(_Answer):
    """A node linked to another by ``predicate``; ``direction`` "out" when the other node is the subject."""

    predicate: Ref
    node: Ref
    direction: str


@dataclass(frozen=True)
class Edge(_Answer):
    """A triple between two nodes."""

    subject: Ref
    predicate: Ref
    object: Ref


@dataclass(frozen=True)
class Subgraph(_Answer):
    """Nodes and the edges between them."""

    nodes: list[Ref]
    edges: list[Edge]

    def to_rdflib(self):
        """The subgraph as an rdflib ``Graph`` (the edges, and an ``rdfs:label`` for each node).

        >>> import astana_kg
        >>> g = astana_kg.open().expand("russia", depth=1).to_rdflib()
        >>> len(g) > 10
        True
        """
        from rdflib import Graph, Literal, URIRef
        from rdflib.namespace import RDFS

        graph = Graph()
        graph.bind("akg", AKG)
        graph.bind("id", ID)
        for node in self.nodes:
            graph.add((URIRef(node.iri), RDFS.label, Literal(node.label)))
        for edge in self.edges:
            graph.add((URIRef(edge.subject.iri), URIRef(edge.predicate.iri), URIRef(edge.object.iri)))
        return graph

    def to_networkx(self):
        """The subgraph as a NetworkX ``MultiDiGraph``: nodes are IRIs with a ``label``; each edge
        is keyed by its predicate IRI and carries ``predicate`` and ``label``.

        >>> import astana_kg
        >>> g = astana_kg.open().expand("russia", depth=1).to_networkx()
        >>> g.nodes["https://w3id.org/astana-kg/id/russia"]["label"]
        'Russia'
        """
        import networkx as nx

        graph = nx.MultiDiGraph()
        for node in self.nodes:
            graph.add_node(node.iri, label=node.label)
        for edge in self.edges:
            graph.add_edge(edge.subject.iri, edge.object.iri, key=edge.predicate.iri,
                           predicate=edge.predicate.iri, label=edge.predicate.label)
        return graph


# ------------------------------------------------------------------------------------------------
# Backends
# ------------------------------------------------------------------------------------------------


def _term(value) -> ox.NamedNode | ox.Literal | ox.BlankNode:
    """A binding as an RDF term: strings are IRIs; terms, entities and refs pass through."""
    if isinstance(value, (ox.NamedNode, ox.Literal, ox.BlankNode)):
        return value
    if isinstance(value, (Entity, Ref)):
        return ox.NamedNode(value.iri)
    if isinstance(value, bool):
        return ox.Literal("true" if value else "false", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean"))
    if isinstance(value, int):
        return ox.Literal(str(value), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
    if isinstance(value, str):
        try:
            return ox.NamedNode(value)
        except ValueError:
            raise ValueError(f"not an IRI: {value!r} (pass a pyoxigraph Literal for a literal)") from None
    raise TypeError(f"cannot bind {type(value).__name__} as an RDF term")


class _LocalBackend:
    def __init__(self, store: ox.Store, description: str):
        self.store = store
        self.description = description

    def select(self, text: str, bindings: dict[str, ox.NamedNode | ox.Literal]) -> list[dict]:
        subs = {ox.Variable(name): term for name, term in bindings.items()}
        results = self.store.query(text, substitutions=subs or None)
        names = [v.value for v in results.variables]
        rows = []
        for solution in results:
            row = {}
            for name in names:
                value = solution[name]
                if value is not None:
                    row[name] = value
            rows.append(row)
        return rows


class _RemoteBackend:
    def __init__(self, endpoint: str, timeout: float):
        self.endpoint = endpoint
        self.timeout = timeout
        self.description = endpoint

    def select(self, text: str, bindings: dict) -> list[dict]:
        """The rows of the query; an answer the endpoint cut at its row cap is fetched again in
        pages of that size, ordered by every variable, so that no row is lost or repeated."""
        query = bind_values(text, bindings)
        names, rows, truncated = self._post(query)
        if not truncated:
            return rows
        if _MODIFIERS.search(query):
            raise RemoteError(f"{self.endpoint} cut the answer at {len(rows)} rows, and the query has its own "
                              "ORDER BY, LIMIT or OFFSET, so it cannot be fetched in pages")
        size, rows = len(rows), []
        order = " ".join(f"?{name}" for name in names)
        while True:
            _, page, truncated = self._post(f"{query}\nORDER BY {order}\nLIMIT {size} OFFSET {len(rows)}")
            rows += page
            if len(page) < size:
                return rows

    def _post(self, query: str) -> tuple[list[str], list[dict], bool]:
        """One request: the variables, the rows, and whether the endpoint cut them at its row cap."""
        body = urllib.parse.urlencode({"query": query}).encode("utf-8")
        request = urllib.request.Request(self.endpoint, data=body, method="POST", headers={
            "Accept": "application/sparql-results+json",
            "Content-Type": "application/x-www-form-urlencoded",
        })
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                truncated = response.headers.get("X-Result-Truncated", "").lower().startswith(("true", "1", "yes"))
                data = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as error:
            detail = error.read()[:500].decode("utf-8", "replace")
            raise RemoteError(f"{self.endpoint} answered {error.code}: {detail}") from None
        except urllib.error.URLError as error:
            raise RemoteError(f"cannot reach {self.endpoint}: {error.reason}") from None
        rows = [{name: self._term(cell) for name, cell in binding.items()} for binding in data["results"]["bindings"]]
        return data["head"]["vars"], rows, truncated

    @staticmethod
    def _term(cell: dict):
        kind = cell["type"]
        if kind == "uri":
            return ox.NamedNode(cell["value"])
        if kind == "bnode":
            return ox.BlankNode(cell["value"])
        if "xml:lang" in cell:
            return ox.Literal(cell["value"], language=cell["xml:lang"])
        if "datatype" in cell:
            return ox.Literal(cell["value"], datatype=ox.NamedNode(cell["datatype"]))
        return ox.Literal(cell["value"])


# ------------------------------------------------------------------------------------------------
# The index
# ------------------------------------------------------------------------------------------------


def normalize(text: str) -> str:
    """A name as lookups compare it: accents dropped, case folded, quotes and spaces unified.

    >>> normalize("  Recep Tayyip  ERDOĞAN ")
    'recep tayyip erdogan'
    >>> normalize("Ja’afari")
    "ja'afari"
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    stripped = stripped.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'").replace("\u00a0", " ")
    stripped = stripped.replace("ı", "i")
    return " ".join(stripped.casefold().split())


def _words(name: str) -> list[str]:
    """The words of a normalized name, apostrophes dropped ("al-Ja'afari" -> al, jaafari)."""
    return re.findall(r"\w+", name.replace("'", ""))


def _names_any(text: str, names: list[str]) -> bool:
    """Whether ``text`` has one of ``names`` as whole words (accents, case and punctuation aside).

    >>> _names_any("Kazakhstan’s capital Astana ended", ["astana"]), _names_any("the Astanaville", ["Astana"])
    (True, False)
    """
    words = " " + " ".join(_words(normalize(text))) + " "
    return any(f" {' '.join(_words(normalize(name)))} " in words for name in names if _words(normalize(name)))


def _local_name(iri: str) -> str:
    for sep in ("#", "/"):
        if sep in iri:
            tail = iri.rsplit(sep, 1)[1]
            if tail:
                return tail
    return iri


def _is_plumbing(predicate: str) -> bool:
    return predicate in PLUMBING_PROPERTIES or predicate.startswith(PLUMBING_NAMESPACES)


def _is_thing(iri: str) -> bool:
    return iri.startswith(ID) and not iri.startswith(_EVIDENCE_PREFIXES)


class _Index:
    """Labels, names, types, Wikidata links and adjacency, from the answer of index.rq."""

    def __init__(self, rows: list[dict]):
        labels: dict[str, set[str]] = collections.defaultdict(set)
        self.aliases: dict[str, dict[str, set[str]]] = collections.defaultdict(lambda: collections.defaultdict(set))
        self.types_all: dict[str, set[str]] = collections.defaultdict(set)
        self.types_asserted: dict[str, set[str]] = collections.defaultdict(set)
        self.wikidata: dict[str, set[str]] = collections.defaultdict(set)
        self.by_wikidata: dict[str, set[str]] = collections.defaultdict(set)
        self.graph_source: dict[str, str] = {}
        core: set[tuple[str, str, str]] = set()
        full: set[tuple[str, str, str]] = set()
        alias_rows = []
        headlines: dict[str, set[str]] = collections.defaultdict(set)
        derived: dict[str, set[str]] = collections.defaultdict(set)
        for row in rows:
            s, p, o, g = row["s"].value, row["p"].value, row["o"], row["g"].value
            if p == RDFS_LABEL and isinstance(o, ox.Literal):
                if not g.startswith(INFERRED_GRAPHS):
                    labels[s].add(o.value)
                continue
            if p == SKOS_ALT and isinstance(o, ox.Literal):
                alias_rows.append((s, o.value, g))
                continue
            if p == AKG + "headline" and isinstance(o, ox.Literal):
                headlines[s].add(o.value)
                continue
            if not isinstance(o, ox.NamedNode):
                continue
            o = o.value
            full.add((s, p, o))
            if p == RDF_TYPE:
                self.types_all[s].add(o)
                if not g.startswith(INFERRED_GRAPHS):
                    self.types_asserted[s].add(o)
            elif p == SCHEMA_SAME_AS and o.startswith(WIKIDATA):
                self.wikidata[s].add(o)
                self.by_wikidata[o].add(s)
            elif p == PROV_DERIVED and s.startswith(SOURCE_GRAPHS):
                derived[s].add(o)
            if g.startswith(SOURCE_GRAPHS) and _is_thing(s) and _is_thing(o) and not _is_plumbing(p):
                core.add((s, p, o))
        # One label per node (the shortest, then alphabetical, for determinism); a source without
        # one is named by its headline.
        for iri, names in headlines.items():
            if iri not in labels:
                labels[iri] = names
        self.labels = {iri: sorted(names, key=lambda n: (len(n), n))[0] for iri, names in labels.items()}
        for graph, origins in derived.items():
            articles = sorted(o for o in origins if AKG + "Source" in self.types_all.get(o, ()))
            if articles:
                self.graph_source[graph] = articles[0]
        for s, name, g in alias_rows:
            self.aliases[s][name].add(self.graph_source.get(g, g))
        # Names, normalized, of the entities (IRIs under id/ that are not evidence).
        self.by_label: dict[str, set[str]] = collections.defaultdict(set)
        self.by_alias: dict[str, set[str]] = collections.defaultdict(set)
        self.names: list[tuple[str, str, bool]] = []  # (normalized name, iri, is the label)
        for iri, name in self.labels.items():
            if _is_thing(iri):
                self.by_label[normalize(name)].add(iri)
                self.names.append((normalize(name), iri, True))
        for iri, names in self.aliases.items():
            if _is_thing(iri):
                for name in names:
                    self.by_alias[normalize(name)].add(iri)
                    self.names.append((normalize(name), iri, False))
        self.entities = {iri for iri in set(self.labels) | set(self.types_asserted) if _is_thing(iri)}
        self.known = set(self.labels) | {t[0] for t in full} | {t[2] for t in full}
        self.core = self._adjacency(core)
        self.full = self._adjacency(full)

    @staticmethod
    def _adjacency(triples: set[tuple[str, str, str]]):
        out: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)
        into: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)
        for s, p, o in sorted(triples):
            out[s].append((p, o))
            into[o].append((p, s))
        return dict(out), dict(into)


# ------------------------------------------------------------------------------------------------
# The graph
# ------------------------------------------------------------------------------------------------


class KnowledgeGraph:
    """The knowledge graph, local or remote: lookups, typed accessors and traversal.

    Build one with :func:`open`, :func:`connect` or :meth:`from_store`. An object is safe to
    share between threads; its index is built on first use.

    >>> import astana_kg
    >>> kg = astana_kg.open()
    >>> kg
    <KnowledgeGraph .../store>
    """

    def __init__(self, backend):
        self._backend = backend
        self._index: _Index | None = None
        self._lock = threading.Lock()
        self._queries: dict[str, queries.Query] = {}

    def __repr__(self) -> str:
        return f"<KnowledgeGraph {self._backend.description}>"

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    def from_store(cls, store: ox.Store, description: str = "store") -> "KnowledgeGraph":
        """The graph over an open pyoxigraph store (for instance a server's read-only store).

        >>> import astana_kg
        >>> store = astana_kg.open().store  # or astana_kg.query.store.open_store(build_dir)
        >>> KnowledgeGraph.from_store(store).entity("russia").label
        'Russia'
        """
        return cls(_LocalBackend(store, description))

    @property
    def store(self) -> ox.Store | None:
        """The pyoxigraph store of a local graph (``None`` for a remote one).

        >>> import astana_kg
        >>> astana_kg.connect("http://127.0.0.1:1").store is None
        True
        """
        return self._backend.store if isinstance(self._backend, _LocalBackend) else None

    @classmethod
    def from_endpoint(cls, endpoint: str, timeout: float = 60.0) -> "KnowledgeGraph":
        """The graph behind a SPARQL endpoint URL (see :func:`connect`)."""
        return cls(_RemoteBackend(endpoint, timeout))

    @property
    def is_remote(self) -> bool:
        """Whether the graph is read over HTTP.

        >>> import astana_kg
        >>> astana_kg.open().is_remote
        False
        """
        return isinstance(self._backend, _RemoteBackend)

    # -- queries --------------------------------------------------------------------------------

    def query(self, name: str) -> queries.Query:
        """The API query ``queries/api/NAME.rq`` (title, description, text).

        >>> import astana_kg
        >>> astana_kg.open().query("roles").title
        'The roles of a party'
        """
        if name not in self._queries:
            self._queries[name] = queries.load(f"api/{name}")
        return self._queries[name]

    def select(self, name: str, **bindings) -> list[dict]:
        """Run ``queries/api/NAME.rq`` with variables bound, and return its rows as dictionaries of
        pyoxigraph terms (unbound variables left out). A string value is an IRI; pass a
        ``pyoxigraph.Literal`` to bind a literal.

        >>> import astana_kg
        >>> rows = astana_kg.open().select("zone-areas", zone="https://w3id.org/astana-kg/id/zone-southern")
        >>> sorted({row["area"].value.rsplit("/", 1)[1] for row in rows})
        ['daraa-province', 'quneitra-province']
        """
        terms = {key: _term(value) for key, value in bindings.items()}
        return self._backend.select(self.query(name).text, terms)

    # -- the index ------------------------------------------------------------------------------

    @property
    def index(self) -> _Index:
        if self._index is None:
            with self._lock:
                if self._index is None:
                    self._index = _Index(self.select("index"))
        return self._index

    def refresh(self) -> None:
        """Forget the index (after the store changed); the next call rebuilds it.

        >>> import astana_kg
        >>> kg = astana_kg.open(); kg.refresh(); kg.label("https://w3id.org/astana-kg/id/iran")
        'Iran'
        """
        with self._lock:
            self._index = None

    def label(self, iri: str) -> str:
        """The label of a node (its IRI's last segment when it has none).

        >>> import astana_kg
        >>> astana_kg.open().label("https://w3id.org/astana-kg/ontology#GuarantorRole")
        'guarantor role'
        """
        return self.index.labels.get(iri) or _local_name(iri)

    def ref(self, iri: str) -> Ref:
        """A node as a :class:`Ref` (IRI and label).

        >>> import astana_kg
        >>> astana_kg.open().ref("https://w3id.org/astana-kg/id/iran")
        Ref(iri='https://w3id.org/astana-kg/id/iran', label='Iran')
        """
        return Ref(iri, self.label(iri))

    def _refs(self, iris: Iterable[str]) -> list[Ref]:
        return sorted({self.ref(i) for i in iris}, key=lambda r: (r.label.casefold(), r.iri))

    # -- lookup ---------------------------------------------------------------------------------

    def _describe(self, iri: str) -> Entity:
        index = self.index
        types = self._refs(index.types_asserted.get(iri, ()))
        aliases = [Alias(name, self._refs(sources)) for name, sources in sorted(index.aliases.get(iri, {}).items())]
        return Entity(iri, self.label(iri), types, aliases, sorted(index.wikidata.get(iri, ())))

    def _ambiguous(self, ref, iris: Iterable[str]) -> Ambiguous:
        return Ambiguous(ref, [self._describe(i) for i in sorted(iris, key=lambda i: (self.label(i), i))])

    def iri(self, ref) -> str:
        """The IRI of an entity given by any of the forms :meth:`entity` accepts.

        >>> import astana_kg
        >>> astana_kg.open().iri("Q159")
        'https://w3id.org/astana-kg/id/russia'
        """
        if isinstance(ref, (Entity, Ref)):
            return ref.iri
        if isinstance(ref, ox.NamedNode):
            ref = ref.value
        if not isinstance(ref, str) or not ref.strip():
            raise NotFound(ref, f"not an entity reference: {ref!r}")
        index = self.index
        text = ref.strip()
        if text.startswith(("http://", "https://")):
            if text.startswith(WIKIDATA):
                return self._one(ref, index.by_wikidata.get(text, set()))
            if text in index.known:
                return text
            raise NotFound(ref, f"no node of the graph has the IRI <{text}>")
        match = _QID.match(text)
        if match:
            return self._one(ref, index.by_wikidata.get(WIKIDATA + match.group(1).upper(), set()))
        match = _SLUG.match(text)
        if match and ID + match.group(1) in index.known:
            return ID + match.group(1)
        name = normalize(text)
        for table in (index.by_label, index.by_alias):
            found = table.get(name)
            if found:
                return self._one(ref, found)
        # Last, the names that contain every word asked for: one entity, or one person whose name
        # ends with them ("Erdogan", "Lavrov"); several are ambiguous.
        words = _words(name)
        extra: dict[str, int] = {}
        surname = set()
        for candidate, iri, _ in index.names:
            tokens = _words(candidate)
            if all(w in tokens for w in words):
                extra[iri] = min(extra.get(iri, 1 << 30), len(tokens) - len(words))
                if tokens[-len(words):] == words and AKG + "Person" in index.types_all.get(iri, ()):
                    surname.add(iri)
        if len(extra) == 1:
            return next(iter(extra))
        if len(surname) == 1:
            return next(iter(surname))
        if extra:
            ranked = sorted(extra, key=lambda i: (extra[i], self.label(i), i))[:10]
            raise Ambiguous(ref, [self._describe(i) for i in ranked])
        raise NotFound(ref)

    def _one(self, ref, iris: set[str]) -> str:
        if not iris:
            raise NotFound(ref)
        if len(iris) > 1:
            raise self._ambiguous(ref, iris)
        return next(iter(iris))

    def entity(self, ref) -> Entity:
        """Find an entity by IRI, slug (``"russia"`` or ``"id/russia"``), label or other name
        (case- and accent-insensitive), or Wikidata identifier (``"Q159"`` or its IRI).

        A name is looked up among labels first, then among the other names the sources use, then
        as words of a name: found if only one entity's name has them all, or only one person's
        name ends with them (``"Lavrov"``). Raises :class:`NotFound`, or :class:`Ambiguous` with the
        candidates when several entities answer equally well.

        >>> import astana_kg
        >>> kg = astana_kg.open()
        >>> kg.entity("Erdogan").iri
        'https://w3id.org/astana-kg/id/recep-tayyip-erdogan'
        >>> moscow = kg.entity("moscow")
        >>> moscow.label, [a.sources for a in moscow.aliases if a.label == "Moscow"][0][0].label
        ('Russia', ...)
        >>> kg.entity("Q159").label
        'Russia'
        >>> kg.entity("Homs zone").iri
        'https://w3id.org/astana-kg/id/zone-northern-homs'
        >>> kg.entity("Atlantis")
        Traceback (most recent call last):
        ...
        astana_kg.api.graph.NotFound: no entity matches 'Atlantis'
        """
        return self._describe(self.iri(ref))

    def search(self, text: str, limit: int = 20, classes: Iterable[str] | None = None) -> list[Entity]:
        """Entities whose label or other name matches ``text`` (case- and accent-insensitive):
        exact names first, then names starting with it, then names with a word starting with it,
        then names containing it. ``classes`` keeps entities of one of those classes (inferred
        classes count).

        >>> import astana_kg
        >>> kg = astana_kg.open()
        >>> [e.label for e in kg.search("lavr", classes=["https://w3id.org/astana-kg/ontology#Person"])]
        ['Sergey Lavrov', 'Alexander Lavrentyev']
        >>> [e.label for e in kg.search("lavr")][:2]  # then their positions and statements, by their labels
        ['Sergey Lavrov', 'Alexander Lavrentyev']
        """
        query = normalize(text)
        if not query:
            return []
        wanted = set(classes) if classes else None
        best: dict[str, tuple] = {}
        for name, iri, is_label in self.index.names:
            if name == query:
                rank = 0
            elif name.startswith(query):
                rank = 1
            elif any(word.startswith(query) for word in name.split()):
                rank = 2
            elif query in name:
                rank = 3
            else:
                continue
            if wanted and not (self.index.types_all.get(iri, set()) & wanted):
                continue
            key = (rank, 0 if is_label else 1, len(name), self.label(iri).casefold())
            if iri not in best or key < best[iri]:
                best[iri] = key
        ordered = sorted(best, key=lambda i: (best[i], i))
        return [self._describe(i) for i in ordered[:limit]]

    # -- typed accessors ------------------------------------------------------------------------

    def _source_refs(self, rows: list[dict], key: str = "source") -> list[Ref]:
        return sorted({self.ref(row[key].value) for row in rows if key in row})

    def roles(self, party) -> list[Role]:
        """The roles ``party`` holds: class, context, title, dates and the sources attesting each.

        >>> import astana_kg
        >>> kg = astana_kg.open()
        >>> [(r.role_class.label, r.context.label, len(r.sources)) for r in kg.roles("Russia")][0]
        ('guarantor role', 'Syria-wide ceasefire of December 2016', 5)
        """
        iri = self.iri(party)
        by_role: dict[str, list[dict]] = collections.defaultdict(list)
        for row in self.select("roles", party=iri):
            by_role[row["role"].value].append(row)
        roles = []
        for role, rows in by_role.items():
            classes = {r["class"].value for r in rows}
            specific = sorted(c for c in classes if c != AKG + "Role") or sorted(classes)

            def first(key):
                values = sorted({r[key].value for r in rows if key in r})
                return values[0] if values else None

            def first_ref(key):
                value = first(key)
                return self.ref(value) if value else None

            roles.append(Role(
                iri=role, role_class=self.ref(specific[0]), holder=self.ref(iri), context=first_ref("context"),
                title=first("title"), position_in=first_ref("positionIn"), supports_party=first_ref("supportsParty"),
                start=first("start"), end=first("end"), not_before=first("notBefore"), not_after=first("notAfter"),
                context_start=first("contextStart"),
                context_end=max((r["contextEnd"].value for r in rows if "contextEnd" in r), default=None),
                sources=self._source_refs(rows)))
        roles.sort(key=lambda r: (r.role_class.label, r.context.label if r.context else "", r.iri))
        return roles

    def statements(self, speaker) -> list[Statement]:
        """What ``speaker`` said, one :class:`Statement` per statement and source, in order of
        date (undated last).

        >>> import astana_kg
        >>> said = astana_kg.open().statements("Lavrov")
        >>> said[0].speaker.label, said[0].source.iri
        ('Sergey Lavrov', 'https://w3id.org/astana-kg/id/source-...')
        """
        iri = self.iri(speaker)
        grouped: dict[tuple[str, str], list[dict]] = collections.defaultdict(list)
        for row in self.select("statements", speaker=iri):
            grouped[(row["statement"].value, row["source"].value)].append(row)
        statements = []
        for (statement, source), rows in grouped.items():
            def one(key):
                values = sorted({r[key].value for r in rows if key in r})
                return values[0] if values else None

            def linked(link):
                return self._refs(r["target"].value for r in rows if r.get("link") and r["link"].value == AKG + link)

            place, event, behalf = one("place"), one("event"), one("onBehalfOf")
            statements.append(Statement(
                iri=statement, speaker=self.ref(iri), quotation=one("quotation"), paraphrase=one("paraphrase"),
                date=one("date"), not_before=one("notBefore"), not_after=one("notAfter"),
                place=self.ref(place) if place else None, event=self.ref(event) if event else None,
                on_behalf_of=self.ref(behalf) if behalf else None, source=self.ref(source),
                about=linked("about"), supports=linked("supports"), opposes=linked("opposes")))
        statements.sort(key=lambda s: (s.date or s.not_before or "9999", s.source.iri, s.iri))
        return statements

    def zone_areas(self, zone) -> list[ZoneArea]:
        """The places ``zone`` covers, one row per place and source; the sources disagree, and an
        area is ``disputed`` when a source that lists the zone's areas leaves it out.

        >>> import astana_kg
        >>> areas = astana_kg.open().zone_areas("zone-idlib")
        >>> sorted({(a.area.label, a.source.label[-3:]) for a in areas if a.disputed})[:3]
        [...]
        """
        iri = self.iri(zone)
        rows = self.select("zone-areas", zone=iri)
        describing = {row["source"].value for row in rows}
        asserting: dict[str, set[str]] = collections.defaultdict(set)
        for row in rows:
            asserting[row["area"].value].add(row["source"].value)
        seen = set()
        answer = []
        for row in rows:
            area, source = row["area"].value, row["source"].value
            coverage = "part" if row["covers"].value == AKG + "coversPartOf" else "whole"
            if (area, coverage, source) in seen:
                continue
            seen.add((area, coverage, source))
            answer.append(ZoneArea(self.ref(iri), self.ref(area), coverage, self.ref(source),
                                   asserting[area] != describing))
        answer.sort(key=lambda a: (a.area.label, a.source.iri, a.coverage))
        return answer

    def agreement(self, agreement) -> Agreement:
        """An agreement's parties, signatories, other roles, dates, place, term and deadlines,
        each value with the source that gives it.

        >>> import astana_kg
        >>> memo = astana_kg.open().agreement("memorandum")
        >>> [p.label for p in memo.signatories], sorted({d.value for d in memo.signed_on})
        (['Iran', 'Russia', 'Turkey'], ['2017-05-04'])
        """
        iri = self.iri(agreement)
        facts = self.select("agreement", agreement=iri)

        def dated(prop: str) -> list[Dated]:
            values = {(r["value"].value, r["source"].value) for r in facts if r["property"].value == AKG + prop}
            return [Dated(v, self.ref(s)) for v, s in sorted(values)]

        role_rows = self.select("agreement-roles", agreement=iri)
        grouped: dict[tuple[str, str], list[dict]] = collections.defaultdict(list)
        for row in role_rows:
            grouped[(row["role"].value, row["holder"].value)].append(row)
        roles = []
        for (role, holder), rows in grouped.items():
            classes = sorted({r["class"].value for r in rows if r["class"].value != AKG + "Role"})
            if not classes:
                continue
            roles.append(AgreementRole(role, self.ref(classes[0]), self.ref(holder), self._source_refs(rows)))
        roles.sort(key=lambda r: (r.role_class.label, r.holder.label))
        signatories = self._refs(r.holder.iri for r in roles if r.role_class.iri == AKG + "SignatoryRole")
        parties = self._refs(r.holder.iri for r in roles if r.role_class.iri in _ROLE_CLASSES_OF_PARTIES)

        deadline_rows: dict[str, list[dict]] = collections.defaultdict(list)
        for row in self.select("agreement-deadlines", agreement=iri):
            deadline_rows[row["deadline"].value].append(row)
        deadlines = []
        for deadline, rows in sorted(deadline_rows.items()):
            def per_source(key):
                return [Dated(v, self.ref(s)) for v, s in sorted({(r[key].value, r["source"].value) for r in rows if key in r})]

            deadlines.append(Deadline(deadline, self.label(deadline), per_source("dueDate"), per_source("dueWithin"),
                                      per_source("notBefore"), per_source("notAfter"),
                                      self._refs(r["responsible"].value for r in rows if "responsible" in r),
                                      self._source_refs(rows)))
        sources = self._source_refs(facts + role_rows)
        return Agreement(iri, self.label(iri), parties, signatories, roles, dated("signedOn"), dated("signedAt"),
                         dated("inForceFrom"), dated("term"), dated("adoptedAt"), deadlines, sources)

    def events(self) -> list[Event]:
        """Every event in order of its start (or earliest possible) day; undated events last.

        >>> import astana_kg
        >>> events = astana_kg.open().events()
        >>> dated = [e.sort_date for e in events if e.sort_date]
        >>> dated == sorted(dated)
        True
        """
        grouped: dict[str, list[dict]] = collections.defaultdict(list)
        for row in self.select("events"):
            grouped[row["event"].value].append(row)
        events = []
        for event, rows in grouped.items():
            def earliest(key):
                return min((r[key].value for r in rows if key in r), default=None)

            def latest(key):
                return max((r[key].value for r in rows if key in r), default=None)

            classes = {r["class"].value for r in rows}
            specific = sorted(classes - {AKG + "Event"}) or sorted(classes)
            status = sorted({r["status"].value for r in rows if "status" in r})
            events.append(Event(event, self.label(event), self.ref(specific[0]), earliest("start"), latest("end"),
                                earliest("notBefore"), latest("notAfter"), self.ref(status[0]) if status else None,
                                self._source_refs(rows)))
        events.sort(key=lambda e: (e.sort_date or "9999", e.label.casefold(), e.iri))
        return events

    def evidence(self, subject, predicate: str | None = None, obj=None) -> list[Evidence]:
        """The quotes that attest a node, or a fact (``predicate`` and ``obj`` given; ``obj`` an
        entity reference or a pyoxigraph ``Literal``).

        A node's quotes are the annotations whose body is the node. The graph does not tie a fact
        to the quote of the claim that states it: a claim's annotations name the nodes its quote
        is about (by default the subjects of its facts), not its triples. So a fact's quotes are,
        for each source whose graph asserts the triple, the quotes that source gives the subject
        (or, where it annotates only the object, the object), narrowed to those that also attest
        the other end of the fact: its quote is annotated with the other end as well, or its
        words name it (a label or other name of an entity, accents and case aside; the value of a
        literal, or a phrase the source derived that date from). A source none of whose quotes
        does gives all of them.

        >>> import astana_kg
        >>> kg = astana_kg.open()
        >>> quotes = kg.evidence("role-guarantor-iran")
        >>> len({q.source.iri for q in quotes})
        5
        >>> fact = kg.evidence("memorandum", "https://w3id.org/astana-kg/ontology#signedAt", "astana")
        >>> all("Astana" in q.exact for q in fact), len({q.source.iri for q in fact})
        (True, 5)
        >>> text = kg.source_path(fact[0].source).read_text(encoding="utf-8")
        >>> text[fact[0].start:fact[0].end] == fact[0].exact
        True
        """
        s = self.iri(subject)
        quotes = self._evidence_rows(s)
        if predicate is None and obj is None:
            return quotes
        if predicate is None or obj is None:
            raise ValueError("give both the predicate and the object of the fact, or neither")
        o = obj if isinstance(obj, ox.Literal) else ox.NamedNode(self.iri(obj))
        rows = self.select("fact-graphs", subject=s, predicate=_term(predicate), object=o)
        graphs = {row["g"].value for row in rows}
        if not graphs:
            raise NotFound((subject, predicate, obj), "no source asserts this fact")
        if isinstance(o, ox.NamedNode):
            object_quotes, phrases = self._evidence_rows(o.value), {}
        else:
            object_quotes, phrases = [], collections.defaultdict(list)
            for row in self.select("fact-phrases", subject=s, predicate=_term(predicate), object=o):
                phrases[row["g"].value].append(row["phrase"].value)
        answer = []
        for graph in sorted(graphs):
            of_subject = [q for q in quotes if q.graph == graph]
            of_object = [q for q in object_quotes if q.graph == graph]
            found, other, other_quotes = (of_subject, o, of_object) if of_subject else (of_object, ox.NamedNode(s), [])
            spans = {(q.start, q.end) for q in other_quotes}
            names = self._names(other) + phrases.get(graph, [])
            attesting = [q for q in found if (q.start, q.end) in spans or _names_any(q.exact, names)]
            answer += attesting or found
        return sorted(answer, key=lambda q: (q.source.iri, q.start, q.annotation))

    def _names(self, term) -> list[str]:
        """What a quote may call a node: its label and other names; a literal, its value."""
        if isinstance(term, ox.Literal):
            return [term.value]
        label = self.index.labels.get(term.value)  # a class or a source has a label and no other name
        return [name for name, iri, _ in self.index.names if iri == term.value] + ([label] if label else [])

    def _evidence_rows(self, body: str) -> list[Evidence]:
        answer = []
        for row in self.select("evidence", body=body):
            answer.append(Evidence(
                source=self.ref(row["source"].value), graph=row["g"].value, annotation=row["annotation"].value,
                body=body, exact=row["exact"].value, start=int(row["start"].value), end=int(row["end"].value),
                prefix=row["prefix"].value if "prefix" in row else None,
                suffix=row["suffix"].value if "suffix" in row else None))
        return answer

    def source_path(self, source) -> Path:
        """The file of a source (where the offsets of its quotes count code points).

        >>> import astana_kg
        >>> astana_kg.open().source_path("source-001").name
        '001...'
        """
        iri = self.iri(source)
        rows = self.select("source-file", source=iri)
        if not rows:
            raise NotFound(source, f"{iri} is not a source")
        return project_root() / rows[0]["file"].value

    # -- traversal ------------------------------------------------------------------------------

    def _adjacency(self, include_plumbing: bool):
        return self.index.full if include_plumbing else self.index.core

    def _steps(self, node: str, direction: str, predicates, classes, include_plumbing: bool):
        out, into = self._adjacency(include_plumbing)
        if direction not in ("out", "in", "both"):
            raise ValueError(f"direction must be 'out', 'in' or 'both', not {direction!r}")
        types = self.index.types_all
        if direction in ("out", "both"):
            for p, o in out.get(node, ()):
                if (predicates is None or p in predicates) and (classes is None or types.get(o, set()) & classes):
                    yield p, o, "out"
        if direction in ("in", "both"):
            for p, s in into.get(node, ()):
                if (predicates is None or p in predicates) and (classes is None or types.get(s, set()) & classes):
                    yield p, s, "in"

    @staticmethod
    def _set(values) -> frozenset[str] | None:
        if values is None:
            return None
        if isinstance(values, str):
            return frozenset((values,))
        return frozenset(values)

    def neighbours(self, node, direction: str = "both", predicates: Iterable[str] | str | None = None,
                   classes: Iterable[str] | str | None = None, include_plumbing: bool = False) -> list[Neighbour]:
        """The nodes linked to ``node``: by links going out of it (``direction="out"``), coming
        in (``"in"``) or both; only by the ``predicates`` given, and only to nodes of the
        ``classes`` given (inferred classes count), if any. Schema and provenance plumbing
        (types, annotations, derivations, the ontology and inferred graphs) is left out unless
        ``include_plumbing``.

        >>> import astana_kg
        >>> kg = astana_kg.open()
        >>> AKG = "https://w3id.org/astana-kg/ontology#"
        >>> sorted(n.node.label for n in kg.neighbours("role-guarantor-russia", "out"))
        ['Russia', 'Syria-wide ceasefire of December 2016']
        >>> [n.node.label for n in kg.neighbours("memorandum", "in", predicates=AKG + "deadlineOf")]
        [...]
        """
        iri = self.iri(node)
        label = self.label
        return [Neighbour(Ref(p, label(p)), Ref(other, label(other)), d)
                for p, other, d in self._steps(iri, direction, self._set(predicates), self._set(classes), include_plumbing)]

    def expand(self, node, depth: int = 1, max_nodes: int = 500, direction: str = "both",
               predicates: Iterable[str] | str | None = None, classes: Iterable[str] | str | None = None,
               include_plumbing: bool = False) -> Subgraph:
        """The nodes within ``depth`` links of ``node`` (breadth first, at most ``max_nodes``) and
        the links followed to reach them, filtered as in :meth:`neighbours`.

        >>> import astana_kg
        >>> sub = astana_kg.open().expand("zone-idlib", depth=1)
        >>> "Idlib province" in {n.label for n in sub.nodes}
        True
        """
        start = self.iri(node)
        predicates, classes = self._set(predicates), self._set(classes)
        seen = {start: 0}
        edges: set[tuple[str, str, str]] = set()
        frontier = [start]
        for level in range(depth):
            following = []
            for current in frontier:
                for p, other, d in self._steps(current, direction, predicates, classes, include_plumbing):
                    if other not in seen:
                        if len(seen) >= max_nodes:
                            continue
                        seen[other] = level + 1
                        following.append(other)
                    edges.add((current, p, other) if d == "out" else (other, p, current))
            frontier = following
            if not frontier:
                break
        return self._subgraph(seen, edges)

    def _subgraph(self, nodes: Iterable[str], edges: Iterable[tuple[str, str, str]]) -> Subgraph:
        ref = self.ref
        return Subgraph([ref(n) for n in nodes],
                        [Edge(ref(s), ref(p), ref(o)) for s, p, o in sorted(edges)])

    def subgraph(self, nodes: Iterable, include_plumbing: bool = False) -> Subgraph:
        """The given nodes and every link between two of them.

        >>> import astana_kg
        >>> sub = astana_kg.open().subgraph(["russia", "role-guarantor-russia", "ceasefire-2016"])
        >>> sorted(e.predicate.label for e in sub.edges)
        ['role in', 'role of']
        """
        iris = [self.iri(n) for n in nodes]
        members = set(iris)
        out, _ = self._adjacency(include_plumbing)
        edges = {(s, p, o) for s in iris for p, o in out.get(s, ()) if o in members}
        return self._subgraph(dict.fromkeys(iris), edges)

    def shortest_path(self, source, target, predicates: Iterable[str] | str | None = None,
                      include_plumbing: bool = False, directed: bool = False) -> list[Edge]:
        """A shortest chain of links from ``source`` to ``target`` (each :class:`Edge` in its own
        direction), over the graph's own relations; links may be followed backwards unless
        ``directed``. Empty when both are the same node; :class:`NotFound` when no chain exists.

        >>> import astana_kg
        >>> kg = astana_kg.open()
        >>> path = kg.shortest_path("Lavrentyev", "Iran")
        >>> path[0].subject.label, len(path) <= 4
        ('...', True)
        """
        start, goal = self.iri(source), self.iri(target)
        if start == goal:
            return []
        predicates = self._set(predicates)
        direction = "out" if directed else "both"
        parent: dict[str, tuple[str, str, str, str] | None] = {start: None}
        frontier = collections.deque([start])
        while frontier:
            current = frontier.popleft()
            for p, other, d in self._steps(current, direction, predicates, None, include_plumbing):
                if other in parent:
                    continue
                parent[other] = (current, p, other, d)
                if other == goal:
                    steps = []
                    node = goal
                    while parent[node] is not None:
                        previous, p, here, d = parent[node]
                        s, o = (previous, here) if d == "out" else (here, previous)
                        steps.append(Edge(self.ref(s), self.ref(p), self.ref(o)))
                        node = previous
                    return steps[::-1]
                frontier.append(other)
        raise NotFound((source, target), f"no path links {start} and {goal}")

    def nodes(self, include_plumbing: bool = False) -> list[str]:
        """Every node that takes part in a link (of the graph's own relations, by default).

        >>> import astana_kg
        >>> "https://w3id.org/astana-kg/id/russia" in astana_kg.open().nodes()
        True
        """
        out, into = self._adjacency(include_plumbing)
        return sorted(set(out) | set(into))


# ------------------------------------------------------------------------------------------------
# Entry points
# ------------------------------------------------------------------------------------------------


def open(path: str | Path | None = None) -> KnowledgeGraph:  # noqa: A001 (the package's entry point)
    """Open a local build (default: the project's ``build/``), building it first if it is missing.

    >>> import astana_kg
    >>> astana_kg.open().entity("Iran").wikidata
    ['http://www.wikidata.org/entity/Q794']
    """
    from ..pipeline.build import build
    from ..query.store import open_store

    build_dir = Path(path) if path is not None else project_root() / "build"
    if not (build_dir / STORE_NAME).is_dir():
        build(build_dir, project_root())
    return KnowledgeGraph.from_store(open_store(build_dir), str(build_dir / STORE_NAME))


def connect(url: str, timeout: float = 60.0) -> KnowledgeGraph:
    """Talk to a running ``astana-kg serve`` (its base URL, or its ``/sparql`` endpoint) over the
    SPARQL protocol.

    >>> kg = connect("http://127.0.0.1:1")
    >>> kg.is_remote, kg
    (True, <KnowledgeGraph http://127.0.0.1:1/sparql>)
    """
    endpoint = url.rstrip("/")
    if not endpoint.endswith(("/sparql", "/query")):
        endpoint += "/sparql"
    return KnowledgeGraph.from_endpoint(endpoint, timeout)
