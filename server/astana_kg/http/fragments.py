"""Linked Data Fragments: Triple Pattern Fragments at ``/fragments`` and Quad Pattern Fragments
at ``/fragments/quads``, over the built store.

A Triple Pattern Fragment holds the triples of the default graph (the merge of all graphs) that
match one pattern, one page at a time, with its metadata (the exact number of matches) and the
hypermedia controls (a ``hydra:IriTemplate`` search form) that lead to every other fragment
(https://linkeddatafragments.org/specification/triple-pattern-fragments/). The quad variant adds
a ``graph`` parameter (``sd:graph``) and names the default graph ``urn:ldf:defaultGraph`` with
``sd:defaultGraph``, as the Linked Data Fragments server and the Comunica client do, so that
queries with ``GRAPH`` can be answered too.

Pattern terms use the hydra explicit representation: an IRI is written bare, a literal as
``"text"``, ``"text"@lang`` or ``"text"^^datatype`` (``"text"^^<datatype>`` is accepted too), a
blank node as ``_:id``; an empty value or a ``?variable`` leaves the position unbound.

>>> parse_term("http://example.org/a", "subject")
<NamedNode value=http://example.org/a>
>>> parse_term('"Astana"@en', "object")
<Literal value=Astana language=en>
>>> parse_term('"4"^^<http://www.w3.org/2001/XMLSchema#integer>', "object").datatype.value
'http://www.w3.org/2001/XMLSchema#integer'
>>> parse_term("?who", "subject") is None
True
>>> term_string(ox.Literal("2017-05-04", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")))
'"2017-05-04"^^http://www.w3.org/2001/XMLSchema#date'

The views only parse the request; :func:`answer_fragment` does the work and is tested without a
socket.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, render_template, request

from . import negotiation, origin
from .errors import HttpError, bad_request, not_acceptable
from ..prefixes import TURTLE_PREFIXES

blueprint = Blueprint("fragments", __name__)

#: Triples per page.
PAGE_SIZE = 100
#: The highest page number accepted (a bound on the work one request can ask for).
MAX_PAGE = 100_000
#: The name the quad interface gives the default graph (as the Linked Data Fragments server does).
DEFAULT_GRAPH_NAME = "urn:ldf:defaultGraph"

HYDRA = "http://www.w3.org/ns/hydra/core#"
VOID = "http://rdfs.org/ns/void#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DCTERMS = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
SD = "http://www.w3.org/ns/sparql-service-description#"
XSD = "http://www.w3.org/2001/XMLSchema#"

#: Prefixes written in Turtle and TriG fragments.
PREFIXES = {**TURTLE_PREFIXES, "hydra": HYDRA, "foaf": FOAF}

#: The formats a quad fragment can be written in (those that hold named graphs).
DATASET_FORMATS = [ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG, ox.RdfFormat.JSON_LD]

_LITERAL = re.compile(r'^"(.*)"(?:@([^@"]+)|\^\^<?([^<>"]+?)>?)?$', re.DOTALL)


def _iri(text: str, position: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(text)
    except ValueError as error:
        raise bad_request(f"{position}={text!r} is not a valid absolute IRI: {error}", parameter=position) from None


def parse_term(value: str | None, position: str):
    """The RDF term a pattern parameter names, or None for an unbound position; 400 if invalid.

    >>> parse_term('"x"^^http://www.w3.org/2001/XMLSchema#string', "object")
    <Literal value=x datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#string>>
    >>> parse_term('"x', "object")
    Traceback (most recent call last):
    ...
    astana_kg.query.problems.Problem: object='"x' is not a valid literal: write "text", "text"@lang or "text"^^datatype
    """
    if value is None:
        return None
    text = value.strip()
    if not text or text.startswith("?"):
        return None
    if text.startswith("_:"):
        if position in ("predicate", "graph") or not re.fullmatch(r"_:[A-Za-z0-9_\-.]+", text):
            raise bad_request(f"{position}={value!r}: a blank node is not allowed here", parameter=position)
        return ox.BlankNode(text[2:])
    if text.startswith('"'):
        if position in ("predicate", "graph"):
            raise bad_request(f"{position}={value!r}: a literal is not allowed here", parameter=position)
        match = _LITERAL.match(text)
        if match is None:
            raise bad_request(f'{position}={value!r} is not a valid literal: write "text", "text"@lang or '
                              '"text"^^datatype', parameter=position)
        lexical, language, datatype = match.groups()
        try:
            if language:
                return ox.Literal(lexical, language=language)
            if datatype:
                return ox.Literal(lexical, datatype=_iri(datatype, position))
            return ox.Literal(lexical)
        except ValueError as error:
            raise bad_request(f"{position}={value!r} is not a valid literal: {error}", parameter=position) from None
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    return _iri(text, position)


def term_string(term) -> str:
    """A term in the hydra explicit representation (as the search template expects it)."""
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if term.language:
        return f'"{term.value}"@{term.language}'
    if term.datatype.value == XSD + "string":
        return f'"{term.value}"'
    return f'"{term.value}"^^{term.datatype.value}'


@dataclass(frozen=True)
class Pattern:
    """A triple pattern (``quads`` False: over the default graph) or a quad pattern.

    ``variables`` names the open positions written ``?name``; ``values`` restricts them to the
    rows of a bindings block (bindings-restricted TPF): the fragment is then the union of the
    pattern's matches under each row.
    """

    subject: object = None
    predicate: object = None
    object: object = None
    graph: object = None       # None: any graph (quad patterns only)
    quads: bool = False
    variables: tuple = ()      # ((position, variable name), ...)
    values: tuple = ()         # the rows: (((variable name, term), ...), ...)
    values_text: str | None = None

    def positions(self) -> tuple[str, ...]:
        return ("subject", "predicate", "object", "graph") if self.quads else ("subject", "predicate", "object")

    def parameters(self) -> list[tuple[str, str]]:
        """The bound positions as query parameters, in template order (with the bindings block)."""
        named = dict(self.variables)
        out = []
        for name in self.positions():
            if getattr(self, name) is not None:
                out.append((name, term_string(getattr(self, name))))
            elif self.values_text is not None and name in named:
                out.append((name, "?" + named[name]))
        if self.values_text is not None:
            out.append(("values", self.values_text))
        return out

    def store_graph(self):
        """The graph argument for ``Store.quads_for_pattern``."""
        return _store_graph(self.graph, self.quads)

    def key(self) -> tuple:
        return (self.quads, *(str(t) if t is not None else None
                              for t in (self.subject, self.predicate, self.object, self.graph)),
                self.variables,
                None if self.values_text is None else hashlib.sha256(self.values_text.encode()).hexdigest())

    def describe(self) -> str:
        named = dict(self.variables)
        terms = [str(getattr(self, n)) if getattr(self, n) is not None else "?" + named.get(n, n[0])
                 for n in ("subject", "predicate", "object", "graph")]
        text = " ".join(terms if self.quads else terms[:3])
        return text + (f" with {len(self.values)} rows of bindings" if self.values_text is not None else "")

    def concrete(self):
        """The (subject, predicate, object, graph) store lookups the pattern stands for."""
        base = {name: getattr(self, name) for name in ("subject", "predicate", "object", "graph")}
        if self.values_text is None:
            yield base["subject"], base["predicate"], base["object"], _store_graph(base["graph"], self.quads)
            return
        named = dict(self.variables)
        for row in self.values:
            bound = dict(row)
            terms = dict(base)
            for position, variable in named.items():
                if variable in bound:
                    terms[position] = bound[variable]
            yield terms["subject"], terms["predicate"], terms["object"], _store_graph(terms["graph"], self.quads)


def _store_graph(graph, quads: bool):
    if not quads:
        return ox.DefaultGraph()
    if isinstance(graph, ox.NamedNode) and graph.value == DEFAULT_GRAPH_NAME:
        return ox.DefaultGraph()
    return graph


_VALUES_TOKEN = re.compile(r'\s*(<[^<>"{}|^`\\\s]*>|_:[A-Za-z0-9_\-.]+|UNDEF|\?[A-Za-z0-9_]+|'
                           r'"(?:[^"\\]|\\.)*"(?:@[A-Za-z0-9\-]+|\^\^<[^<>"\s]*>)?|[(){}])')
_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
#: The most rows a bindings block may hold.
MAX_VALUES = 1000


def _unescape(text: str) -> str:
    def replace(match):
        code = match.group(1)
        if code[0] in "uU":
            point = int(code[1:], 16)
            if point > 0x10FFFF or 0xD800 <= point <= 0xDFFF:
                raise bad_request(f"values: \\{code} is not the escape of a Unicode character", parameter="values")
            return chr(point)
        return _ESCAPES[code]
    return re.sub(r'\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|[tnrbf"\'\\])', replace, text)


def _values_term(token: str):
    if token == "UNDEF":
        return None
    if token.startswith("<"):
        return _iri(token[1:-1], "values")
    if token.startswith("_:"):
        return ox.BlankNode(token[2:])
    end = token.rindex('"')
    lexical, suffix = _unescape(token[1:end]), token[end + 1:]
    try:
        if suffix.startswith("@"):
            return ox.Literal(lexical, language=suffix[1:])
        if suffix.startswith("^^"):
            return ox.Literal(lexical, datatype=_iri(suffix[3:-1], "values"))
        return ox.Literal(lexical)
    except ValueError as error:
        raise bad_request(f"values: {token!r} is not a valid literal: {error}", parameter="values") from None


def parse_values(text: str) -> tuple[tuple[str, ...], tuple]:
    """A bindings block as brTPF clients send it: ``(?a ?b) { (<x> "y"@en) (<z> UNDEF) }``.

    >>> names, rows = parse_values('(?s ?o) { (<http://example.org/a> "b"@en) (<http://example.org/c> UNDEF) }')
    >>> names, [dict(row) for row in rows][1]
    (('s', 'o'), {'s': <NamedNode value=http://example.org/c>})
    """
    tokens, position = [], 0
    while position < len(text.rstrip()):
        match = _VALUES_TOKEN.match(text, position)
        if match is None:
            raise bad_request(f"values: cannot read {text[position:position + 40]!r}", parameter="values")
        tokens.append(match.group(1))
        position = match.end()
    try:
        assert tokens.pop(0) == "("
        names = []
        while tokens[0] != ")":
            token = tokens.pop(0)
            assert token.startswith("?")
            names.append(token[1:])
        tokens.pop(0)
        assert tokens.pop(0) == "{" and tokens.pop() == "}"
        rows = []
        while tokens:
            assert tokens.pop(0) == "("
            row = []
            for name in names:
                term = _values_term(tokens.pop(0))
                if term is not None:
                    row.append((name, term))
            assert tokens.pop(0) == ")"
            rows.append(tuple(row))
    except (AssertionError, IndexError):
        raise bad_request("values must be a bindings block: (?a ?b) { (<iri> \"literal\") (<iri> UNDEF) }",
                          parameter="values") from None
    if len(rows) > MAX_VALUES:
        raise bad_request(f"values holds {len(rows)} rows; at most {MAX_VALUES} are accepted", parameter="values")
    return tuple(names), tuple(rows)


def parse_pattern(args, quads: bool = False) -> Pattern:
    """The pattern a request's parameters name (``args``: a mapping of query parameters)."""
    positions = ("subject", "predicate", "object", "graph") if quads else ("subject", "predicate", "object")
    if not quads and args.get("graph"):
        raise bad_request("the triple pattern interface /fragments has no graph parameter; "
                          "use /fragments/quads for quad patterns", parameter="graph")
    terms = {name: parse_term(args.get(name), name) for name in positions}
    variables = tuple((name, args[name].strip()[1:]) for name in positions
                      if terms[name] is None and (args.get(name) or "").strip().startswith("?"))
    values_text = args.get("values")
    rows: tuple = ()
    if values_text is not None:
        _, rows = parse_values(values_text)
    return Pattern(quads=quads, variables=variables, values=rows, values_text=values_text, **terms)


def parse_page(value: str | None) -> int:
    """The page number (1 when absent); 400 unless a whole number from 1 to MAX_PAGE.

    >>> parse_page(None), parse_page("3")
    (1, 3)
    >>> parse_page("0")
    Traceback (most recent call last):
    ...
    astana_kg.query.problems.Problem: page='0' is not a page number (a whole number from 1 to 100000)
    """
    if value is None or value == "":
        return 1
    if not re.fullmatch(r"[0-9]{1,9}", value) or not 1 <= int(value) <= MAX_PAGE:
        raise bad_request(f"page={value!r} is not a page number (a whole number from 1 to {MAX_PAGE})",
                          parameter="page")
    return int(value)


class FragmentSource:
    """Reads pattern matches from a store, with the counts of matches cached (bounded LRU).

    ``generation`` tells the cache when the store has changed (an update in writable mode).
    """

    def __init__(self, store: ox.Store, max_counts: int = 8192):
        self.store = store
        self.max_counts = max_counts
        self._counts: OrderedDict[tuple, int] = OrderedDict()
        self._lock = threading.Lock()
        self._generation = 0

    def _match(self, pattern: Pattern):
        lookups = list(dict.fromkeys(pattern.concrete()))  # rows that bind the same terms are one lookup
        if len(lookups) == 1:
            return self._lookup(*lookups[0])
        return _unique(q for lookup in lookups for q in self._lookup(*lookup))

    def _lookup(self, subject, predicate, obj, graph):
        if isinstance(subject, ox.Literal) or not isinstance(predicate, (ox.NamedNode, type(None))) \
                or isinstance(graph, ox.Literal):
            return iter(())  # a valid pattern (a client may bind a literal there) that nothing matches
        return self.store.quads_for_pattern(subject, predicate, obj, graph)

    def count(self, pattern: Pattern, generation: int = 0) -> int:
        """The exact number of quads matching ``pattern``."""
        key = pattern.key()
        with self._lock:
            if generation != self._generation:
                self._counts.clear()
                self._generation = generation
            if key in self._counts:
                self._counts.move_to_end(key)
                return self._counts[key]
        total = sum(1 for _ in self._match(pattern))
        with self._lock:
            self._counts[key] = total
            while len(self._counts) > self.max_counts:
                self._counts.popitem(last=False)
        return total

    def page(self, pattern: Pattern, page: int, size: int = PAGE_SIZE) -> list[ox.Quad]:
        """The matches on page ``page`` (1-based), in the store's order."""
        start = (page - 1) * size
        return list(itertools.islice(self._match(pattern), start, start + size))


def _unique(quads):
    seen = set()
    for quad in quads:
        if quad not in seen:
            seen.add(quad)
            yield quad


@dataclass
class Fragment:
    """One page of a fragment and what its metadata says about it."""

    pattern: Pattern
    page: int
    size: int
    total: int
    dataset_total: int
    matches: list
    interface: str      # the interface's URL, e.g. http://host/fragments
    page_url: str       # the URL this page was requested at

    @property
    def dataset(self) -> str:
        return self.interface + "#dataset"

    @property
    def fragment_url(self) -> str:
        """The fragment's URL without a page number (its first page)."""
        parameters = self.pattern.parameters()
        return self.interface + ("?" + urlencode(parameters) if parameters else "")

    def page_link(self, page: int) -> str:
        if page <= 1:
            return self.fragment_url
        parameters = self.pattern.parameters() + [("page", str(page))]
        return self.interface + "?" + urlencode(parameters)

    @property
    def has_next(self) -> bool:
        return self.page * self.size < self.total


def build_fragment(source: FragmentSource, pattern: Pattern, page: int, interface: str, page_url: str,
                   generation: int = 0, size: int = PAGE_SIZE) -> Fragment:
    """Read one page of the fragment of ``pattern`` and count its matches."""
    total = source.count(pattern, generation)
    everything = Pattern(quads=pattern.quads)
    return Fragment(pattern, page, size, total, source.count(everything, generation),
                    source.page(pattern, page, size) if (page - 1) * size < total else [], interface, page_url)


def metadata_triples(fragment: Fragment) -> list[ox.Triple]:
    """The fragment's metadata and controls, as the specification lays them out.

    The order matters to streaming clients (Comunica): the dataset's ``void:subset`` comes first,
    before the controls it qualifies (``sd:defaultGraph``), and the fragment's own ``void:subset``
    last, as the one that names what the metadata graph is about.
    """
    n, lit = ox.NamedNode, ox.Literal
    integer = n(XSD + "integer")
    dataset, interface = n(fragment.dataset), fragment.interface
    fragment_url, page_url = n(fragment.fragment_url), n(fragment.page_url)
    quads = fragment.pattern.quads
    variables = ("subject", "predicate", "object", "graph") if quads else ("subject", "predicate", "object")
    kind = "Quad" if quads else "Triple"
    out = [
        (dataset, n(VOID + "subset"), fragment_url),
        (dataset, n(RDF + "type"), n(VOID + "Dataset")),
        (dataset, n(RDF + "type"), n(HYDRA + "Collection")),
        (dataset, n(DCTERMS + "title"), lit(f"astana-kg {kind.lower()} pattern fragments", language="en")),
        (dataset, n(DCTERMS + "description"),
         lit("The astana-kg knowledge graph of the 2017 Astana peace process"
             + (" (every graph; the default graph is the merge of all graphs)." if quads
                else " (the default graph: the merge of all graphs)."), language="en")),
        (dataset, n(VOID + "triples"), lit(str(fragment.dataset_total), datatype=integer)),
        (dataset, n(VOID + "uriLookupEndpoint"), lit(interface + "{?" + ",".join(variables) + "}")),
    ]
    form = n(interface + "#search")
    if quads:
        out.append((dataset, n(SD + "defaultGraph"), n(DEFAULT_GRAPH_NAME)))
    out += [
        (dataset, n(HYDRA + "search"), form),
        (form, n(RDF + "type"), n(HYDRA + "IriTemplate")),
        (form, n(HYDRA + "template"), lit(interface + "{?" + ",".join(variables) + "}")),
        (form, n(HYDRA + "variableRepresentation"), n(HYDRA + "ExplicitRepresentation")),
    ]
    properties = {"subject": RDF + "subject", "predicate": RDF + "predicate", "object": RDF + "object",
                  "graph": SD + "graph"}
    for variable in variables:
        mapping = n(f"{interface}#{variable}")
        out += [(form, n(HYDRA + "mapping"), mapping),
                (mapping, n(RDF + "type"), n(HYDRA + "IriTemplateMapping")),
                (mapping, n(HYDRA + "variable"), lit(variable)),
                (mapping, n(HYDRA + "property"), n(properties[variable])),
                (mapping, n(HYDRA + "required"), lit("false", datatype=n(XSD + "boolean")))]
    out += [
        (page_url, n(RDF + "type"), n(HYDRA + "PartialCollectionView")),
        (page_url, n(DCTERMS + "title"), lit(f"{kind} pattern fragment {fragment.pattern.describe()}", language="en")),
        (page_url, n(DCTERMS + "description"),
         lit(f"Page {fragment.page} of the {kind.lower()}s of astana-kg matching the pattern "
             f"{fragment.pattern.describe()}.", language="en")),
        (page_url, n(DCTERMS + "source"), dataset),
        (page_url, n(HYDRA + "totalItems"), lit(str(fragment.total), datatype=integer)),
        (page_url, n(VOID + "triples"), lit(str(fragment.total), datatype=integer)),
        (page_url, n(HYDRA + "itemsPerPage"), lit(str(fragment.size), datatype=integer)),
        (page_url, n(HYDRA + "first"), n(fragment.page_link(1))),
    ]
    if fragment.page > 1:
        out.append((page_url, n(HYDRA + "previous"), n(fragment.page_link(fragment.page - 1))))
    if fragment.has_next:
        out.append((page_url, n(HYDRA + "next"), n(fragment.page_link(fragment.page + 1))))
    out.append((fragment_url, n(VOID + "subset"), page_url))
    return [ox.Triple(*t) for t in out]


def render(fragment: Fragment, fmt) -> bytes:
    """The fragment in ``fmt``: data then metadata; in dataset formats the metadata has its own graph.

    In dataset formats the metadata graph is ``<PAGE#metadata>`` and says ``foaf:primaryTopic``
    of the fragment, as the specification asks; triple formats hold data and metadata together.
    """
    metadata = metadata_triples(fragment)
    if fmt.supports_datasets:
        graph = ox.NamedNode(fragment.page_url + "#metadata")
        data = [q if fragment.pattern.quads else ox.Quad(q.subject, q.predicate, q.object) for q in fragment.matches]
        meta = [ox.Quad(graph, ox.NamedNode(FOAF + "primaryTopic"), ox.NamedNode(fragment.fragment_url), graph)]
        meta += [ox.Quad(t.subject, t.predicate, t.object, graph) for t in metadata]
        items = data + meta
    else:
        items = [ox.Triple(q.subject, q.predicate, q.object) for q in fragment.matches] + metadata
    if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG):
        return ox.serialize(items, format=fmt, prefixes=PREFIXES)
    return ox.serialize(items, format=fmt)


def choose_format(accept: str | None, format_name: str | None, quads: bool):
    """The RDF format to answer with; a quad fragment needs a format that holds named graphs.

    >>> choose_format("*/*", None, False).name, choose_format("*/*", None, True).name
    ('Turtle', 'N-Quads')
    >>> choose_format("text/turtle, application/trig;q=0.5", None, True).name
    'TriG'
    """
    if not quads:
        return negotiation.choose("graph", accept, format_name)
    if format_name:
        fmt = negotiation.choose("graph", None, format_name)
        if not fmt.supports_datasets:
            raise not_acceptable(f"format={format_name}", [f.media_type for f in DATASET_FORMATS])
        return fmt
    for media_range, q in negotiation.parse_accept(accept):
        if q <= 0:
            continue
        for fmt in DATASET_FORMATS:
            if any(negotiation._matches(media_range, name) for name in negotiation._aliases(fmt)):
                return fmt
    raise not_acceptable(accept or "", [f.media_type for f in DATASET_FORMATS])


def wants_html(accept: str | None, format_name: str | None = None) -> bool:
    """Whether the client prefers HTML to every RDF format (a browser), not ``*/*`` (a script).

    >>> wants_html("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
    True
    >>> wants_html("application/n-quads,application/trig;q=0.95,text/html;q=0.2"), wants_html("*/*")
    (False, False)
    """
    if format_name:
        return format_name.lower() == "html"
    for media_range, q in negotiation.parse_accept(accept):
        if q <= 0:
            continue
        if media_range in ("text/html", "application/xhtml+xml"):
            return True
        try:
            negotiation.choose("graph", media_range)
            return False
        except HttpError:
            continue
    return False


def html_rows(fragment: Fragment) -> list[list[dict]]:
    """The matches as table cells: each term links to the fragment with it in the same position."""
    rows = []
    for quad in fragment.matches:
        terms = [("subject", quad.subject), ("predicate", quad.predicate), ("object", quad.object)]
        if fragment.pattern.quads:
            graph = quad.graph_name if not isinstance(quad.graph_name, ox.DefaultGraph) else ox.NamedNode(DEFAULT_GRAPH_NAME)
            terms.append(("graph", graph))
        row = []
        for position, term in terms:
            link = fragment.interface + "?" + urlencode({position: term_string(term)}) \
                if not isinstance(term, ox.BlankNode) else None
            row.append({"text": term_string(term), "link": link})
        rows.append(row)
    return rows


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]


def answer_fragment(source: FragmentSource, args, interface: str, page_url: str, accept: str | None,
                    build_id: str = "", generation: int = 0, if_none_match: str | None = None,
                    quads: bool = False, size: int = PAGE_SIZE) -> Answer:
    """Answer one fragment request: parse the pattern and page, negotiate, read, serialize.

    ``args`` are the query parameters, ``interface`` the interface's URL and ``page_url`` the URL
    the request was made at (the page's own IRI in the metadata).
    """
    pattern = parse_pattern(args, quads)
    page = parse_page(args.get("page"))
    fmt = choose_format(accept, args.get("format"), quads)
    digest = hashlib.sha256("\n".join([build_id, str(generation), page_url, fmt.media_type]).encode()).hexdigest()
    etag = f'"{build_id[:16]}-{digest[:24]}"'
    headers = {"ETag": etag, "Vary": "Accept", "Cache-Control": "public, max-age=3600"}
    if if_none_match and (if_none_match.strip() == "*" or etag in [t.strip() for t in if_none_match.split(",")]):
        return Answer(304, b"", headers)
    fragment = build_fragment(source, pattern, page, interface, page_url, generation, size)
    headers["Content-Type"] = fmt.media_type
    headers["X-Total-Items"] = str(fragment.total)
    return Answer(200, render(fragment, fmt), headers)


def _source() -> tuple[FragmentSource, object]:
    endpoint = current_app.extensions["astana_kg"]()
    holder = current_app.extensions.setdefault("astana_kg.fragments", {})
    source = holder.get("source")
    if source is None or source.store is not endpoint.store:
        source = holder["source"] = FragmentSource(endpoint.store)
    return source, endpoint


def page_iri(interface: str, query_string: str) -> str:
    """The IRI of the page requested at ``interface?query_string``: the URL as the client sent it,
    with what an IRI cannot hold (``{``, a space, a ``%`` that escapes nothing, raw bytes beyond
    ASCII) percent-encoded. ``query_string`` is the WSGI one (bytes read as Latin-1).

    >>> page_iri("http://h/fragments", "x={&subject=a%20b")
    'http://h/fragments?x=%7B&subject=a%20b'
    >>> page_iri("http://h/fragments", "object=100%&q=\xc3\xa9")
    'http://h/fragments?object=100%25&q=%C3%A9'
    """
    if not query_string:
        return interface
    escaped = re.sub(r"%(?![0-9A-Fa-f]{2})", "%25", query_string)
    return interface + "?" + quote(escaped.encode("latin-1", "replace"), safe="!$&'()*+,;=:@/?%")


def _respond(quads: bool, path: str) -> Response:
    source, endpoint = _source()
    interface = origin.absolute(path)
    page_url = page_iri(interface, request.environ.get("QUERY_STRING", ""))
    if wants_html(request.headers.get("Accept"), request.args.get("format")):
        pattern = parse_pattern(request.args, quads)
        size = int(current_app.config.get("FRAGMENT_PAGE_SIZE", PAGE_SIZE))
        fragment = build_fragment(source, pattern, parse_page(request.args.get("page")), interface, page_url,
                                  endpoint.generation, size)
        variables = ("subject", "predicate", "object", "graph") if quads else ("subject", "predicate", "object")
        page = render_template("fragments.html", fragment=fragment, rows=html_rows(fragment), quads=quads,
                               kind="Quad" if quads else "Triple", variables=variables,
                               values=dict(pattern.parameters()), pages=max(1, -(-fragment.total // size)))
        return Response(page, 200, {"Content-Type": "text/html; charset=utf-8", "Vary": "Accept"})
    answer = answer_fragment(source, request.args, interface, page_url, request.headers.get("Accept"),
                             endpoint.build_id, endpoint.generation, request.headers.get("If-None-Match"), quads,
                             int(current_app.config.get("FRAGMENT_PAGE_SIZE", PAGE_SIZE)))
    return Response(answer.body, answer.status, answer.headers)


@blueprint.get("/fragments")
def triple_pattern_fragments():
    """A Triple Pattern Fragment of the default graph."""
    return _respond(False, "/fragments")


@blueprint.get("/fragments/quads")
def quad_pattern_fragments():
    """A Quad Pattern Fragment of the whole dataset."""
    return _respond(True, "/fragments/quads")



@blueprint.record_once
def _add_navigation(state):
    state.app.config.setdefault("SITE_NAV", []).append(("Fragments", "/fragments"))
