"""Content negotiation over pyoxigraph's own format tables.

The result kind decides the candidate formats: solutions and booleans are SPARQL results
(JSON first), graphs are RDF (Turtle first). A format parameter overrides the Accept header:
``format=``, or its aliases ``output=`` (Fuseki's) and ``results=``, as a short name or a media
type. A short name is read in the light of the result kind, as Fuseki and Virtuoso read it:
``xml`` is SPARQL results XML for SELECT and ASK and RDF/XML for CONSTRUCT and DESCRIBE, ``json``
SPARQL results JSON or JSON-LD; ``n3`` is answered with Turtle (which N3 readers read). A format
of the other kind (``format=csv`` for a CONSTRUCT) is a 406; an unknown one a 400; parameters
that name different formats a 400.

A q-value is read as RFC 9110 (section 12.4.2) writes it: ``0`` to ``1`` with at most three
decimals. A media range whose q-value is anything else (``q=NaN``, ``q=inf``, ``q=1e400``,
``q=-1``, ``q=2``, ``q=0.12345``) is ignored, as if the client had not written it: it states no
preference, neither for its media types nor against them. An Accept header left with no valid
range accepts nothing (406 where the header is all there is to go by).

>>> choose("solutions", "text/csv;q=0.9, application/sparql-results+xml").media_type
'application/sparql-results+xml'
>>> choose("graph", "*/*").media_type
'text/turtle'
>>> choose("solutions", None, "tsv").media_type
'text/tab-separated-values; charset=utf-8'
>>> choose("solutions", "text/csv", "").media_type
'text/csv; charset=utf-8'
>>> choose("solutions", "text/tab-separated-values").media_type
'text/tab-separated-values; charset=utf-8'
>>> choose("graph", None, ["xml"]).media_type, choose("solutions", None, ["xml"]).media_type
('application/rdf+xml', 'application/sparql-results+xml')
>>> choose("graph", "*/*", ["json-ld", "application/ld+json"]).media_type
'application/ld+json'
>>> choose("graph", "application/sparql-results+json")
Traceback (most recent call last):
...
astana_kg.query.problems.Problem: none of the media types accepted (application/sparql-results+json) can be produced; supported: text/turtle, ...
"""

from __future__ import annotations

import functools
import re

import pyoxigraph as ox

from .errors import HttpError, bad_request, not_acceptable

from ..query.worker import GRAPH_FORMATS, RESULT_FORMATS

#: Short names accepted by the format parameters, by result kind (Fuseki's, the Wikidata Query
#: Service's and SPARQLWrapper's names).
FORMAT_NAMES = {
    "solutions": {
        "json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
        "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV,
    },
    "graph": {
        "ttl": ox.RdfFormat.TURTLE, "turtle": ox.RdfFormat.TURTLE, "n3": ox.RdfFormat.TURTLE,
        "nt": ox.RdfFormat.N_TRIPLES, "ntriples": ox.RdfFormat.N_TRIPLES, "n-triples": ox.RdfFormat.N_TRIPLES,
        "nq": ox.RdfFormat.N_QUADS, "nquads": ox.RdfFormat.N_QUADS, "n-quads": ox.RdfFormat.N_QUADS,
        "trig": ox.RdfFormat.TRIG, "jsonld": ox.RdfFormat.JSON_LD, "json-ld": ox.RdfFormat.JSON_LD,
        "json": ox.RdfFormat.JSON_LD, "xml": ox.RdfFormat.RDF_XML, "rdfxml": ox.RdfFormat.RDF_XML,
        "rdf+xml": ox.RdfFormat.RDF_XML, "rdf": ox.RdfFormat.RDF_XML,
    },
}

#: The parameters that name a format, in the order they are read.
FORMAT_PARAMETERS = ("format", "output", "results")


def format_parameters(params: dict[str, list[str]]) -> list[str]:
    """The formats a request's parameters name: every non-empty ``format=``, ``output=`` and
    ``results=`` (SPARQLWrapper sends all three, some twice, one of them empty).

    >>> format_parameters({"format": ["tsv", "text/tab-separated-values"], "output": ["tsv", ""], "query": ["ASK {}"]})
    ['tsv', 'text/tab-separated-values', 'tsv']
    """
    return [value.strip() for name in FORMAT_PARAMETERS for value in params.get(name, []) if value.strip()]


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """Media ranges of an Accept header with their q-values, best first (stable for ties).

    >>> parse_accept("text/csv;q=0.5, application/json, */*;q=0.1")
    [('application/json', 1.0), ('text/csv', 0.5), ('*/*', 0.1)]
    >>> parse_accept("text/turtle;q=NaN, text/csv;q=2, application/json;q=0.125")
    [('application/json', 0.125)]
    """
    if not header or not header.strip():
        return [("*/*", 1.0)]
    ranges = []
    for index, part in enumerate(header.split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        q: float | None = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                q = qvalue(value.strip()) if q is not None else None
        if q is not None:
            ranges.append((media, q, index))
    ranges.sort(key=lambda r: (-r[1], r[2]))
    return [(media, q) for media, q, _ in ranges]


_QVALUE = re.compile(r"0(\.[0-9]{0,3})?|1(\.0{0,3})?")


def qvalue(text: str) -> float | None:
    """The weight a q parameter's value gives, or None if RFC 9110's grammar does not allow it.

    >>> qvalue("0.5"), qvalue("1.000"), qvalue("0"), qvalue("1.001"), qvalue("nan"), qvalue(".5")
    (0.5, 1.0, 0.0, None, None, None)
    """
    return float(text) if _QVALUE.fullmatch(text) else None


def _matches(media_range: str, media_type: str) -> bool:
    if media_range in ("*/*", "*"):
        return True
    major, _, minor = media_range.partition("/")
    if minor == "*":
        return media_type.startswith(major + "/")
    return media_range == media_type


def _aliases(fmt) -> list[str]:
    """The media types a format answers to (its own and pyoxigraph's known aliases)."""
    names = [fmt.media_type.split(";")[0].strip()]
    extra = {"application/sparql-results+json": ["application/json"],
             "application/sparql-results+xml": ["application/xml", "text/xml"],
             "text/csv": [], "text/tab-separated-values": [],
             "application/n-triples": ["text/plain"], "application/rdf+xml": ["application/xml", "text/xml"],
             "application/ld+json": ["application/json"]}
    return names + extra.get(names[0], [])


def choose(kind: str, accept: str | None, format_name: str | list[str] | None = None):
    """The format to answer with: a QueryResultsFormat or RdfFormat; HttpError 406 if none fits.

    ``format_name``: what the format parameters name (one value, or all of them), which overrides
    ``accept``.
    """
    names = [name for name in ([format_name] if isinstance(format_name, str) else format_name or []) if name]
    if names:  # an empty one names nothing: the Accept header decides
        return _named(kind, names)
    fmt = _accepted(kind, accept)
    if fmt is None:
        raise not_acceptable(accept or "", [f.media_type for f in (GRAPH_FORMATS if kind == "graph" else RESULT_FORMATS)])
    return fmt


@functools.lru_cache(maxsize=512)  # clients send few distinct Accept headers, again and again
def _accepted(kind: str, accept: str | None):
    """The format of ``kind`` an Accept header prefers, or None.

    >>> _accepted("solutions", "text/*;q=0.9, application/json").name, _accepted("graph", "image/png")
    ('SPARQL Results in JSON', None)
    """
    candidates = GRAPH_FORMATS if kind == "graph" else RESULT_FORMATS
    for media_range, q in parse_accept(accept):
        if q <= 0:
            continue
        # A format's own media type wins over another format's alias (text/* is CSV, not text/xml).
        for fmt in candidates:
            if _matches(media_range, _aliases(fmt)[0]):
                return fmt
        for fmt in candidates:
            if any(_matches(media_range, name) for name in _aliases(fmt)[1:]):
                return fmt
    return None


def _named(kind: str, names: list[str]):
    """The one format ``names`` (short names or media types) give for ``kind``.

    >>> _named("solutions", ["turtle"])
    Traceback (most recent call last):
    ...
    astana_kg.query.problems.Problem: the format 'turtle' is an RDF graph format, and a SELECT or ASK query answers solutions: use json, xml, csv or tsv (or their media types)
    """
    other = "solutions" if kind == "graph" else "graph"
    chosen: dict = {}
    for name in names:
        fmt = _lookup(kind, name)
        if fmt is None:
            if _lookup(other, name) is not None:
                raise not_acceptable_format(kind, name)
            raise bad_request(f"unknown format {name!r}; use one of " + ", ".join(
                sorted(set(FORMAT_NAMES["solutions"]) | set(FORMAT_NAMES["graph"]))) + ", or a media type",
                parameter="format")
        chosen.setdefault(fmt, name)
    if len(chosen) > 1:
        raise bad_request("the format parameters name different formats: " + ", ".join(chosen.values()),
                          parameter="format")
    return next(iter(chosen))


def _lookup(kind: str, name: str):
    """The format of ``kind`` a short name or media type stands for, or None. A list of media types
    (SPARQLWrapper sends its Accept header, ``application/ld+json,application/x-json+ld``) stands
    for the first of them that ``kind`` has.

    >>> _lookup("graph", "application/ld+json,application/x-json+ld").name, _lookup("solutions", "text/turtle")
    ('JSON-LD', None)
    """
    candidates = GRAPH_FORMATS if kind == "graph" else RESULT_FORMATS
    for item in name.split(","):
        fmt = FORMAT_NAMES[kind].get(item.strip().lower())
        if fmt is None and "/" in item:
            fmt = (ox.RdfFormat if kind == "graph" else ox.QueryResultsFormat).from_media_type(item.strip())
            if fmt == ox.RdfFormat.N3:
                fmt = ox.RdfFormat.TURTLE  # Turtle is N3
        if fmt in candidates:
            return fmt
    return None


def not_acceptable_format(kind: str, name: str) -> HttpError:
    """406 for a format parameter that names a format of the other result kind."""
    if kind == "graph":
        detail = (f"the format {name!r} is a SPARQL results format, and a CONSTRUCT or DESCRIBE query answers an "
                  "RDF graph: use ttl, nt, nq, trig, jsonld, xml (RDF/XML) or json (JSON-LD), or their media types")
        supported = [f.media_type for f in GRAPH_FORMATS]
    else:
        detail = (f"the format {name!r} is an RDF graph format, and a SELECT or ASK query answers solutions: use json, "
                  "xml, csv or tsv (or their media types)")
        supported = [f.media_type for f in RESULT_FORMATS]
    return HttpError(406, detail, supported=supported)
