"""Content negotiation over pyoxigraph's own format tables.

The result kind decides the candidate formats: solutions and booleans are SPARQL results
(JSON first), graphs are RDF (Turtle first). ``format=`` overrides the Accept header.

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
>>> choose("solutions", "text/tab-separated-values").media_type
'text/tab-separated-values; charset=utf-8'
>>> choose("graph", "application/sparql-results+json")
Traceback (most recent call last):
...
astana_kg.server.errors.HttpError: none of the media types accepted (application/sparql-results+json) can be produced; supported: text/turtle, ...
"""

from __future__ import annotations

import re

import pyoxigraph as ox

from .errors import bad_request, not_acceptable

from ..queryworker import GRAPH_FORMATS, RESULT_FORMATS

#: Short names accepted by ``format=`` (as Fuseki and the Wikidata Query Service allow).
FORMAT_NAMES = {
    "json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV,
    "ttl": ox.RdfFormat.TURTLE, "turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES,
    "ntriples": ox.RdfFormat.N_TRIPLES, "nq": ox.RdfFormat.N_QUADS, "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG, "jsonld": ox.RdfFormat.JSON_LD, "json-ld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML, "rdf": ox.RdfFormat.RDF_XML,
}


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


def choose(kind: str, accept: str | None, format_name: str | None = None):
    """The format to answer with: a QueryResultsFormat or RdfFormat; HttpError 406 if none fits."""
    candidates = GRAPH_FORMATS if kind == "graph" else RESULT_FORMATS
    if format_name:
        fmt = FORMAT_NAMES.get(format_name.lower())
        if fmt is None:
            fmt = _from_media_type(format_name)
        if fmt is None:
            raise bad_request(f"unknown format {format_name!r}; use one of " + ", ".join(sorted(FORMAT_NAMES)))
        if fmt not in candidates:
            raise not_acceptable(f"format={format_name}", [f.media_type for f in candidates])
        return fmt
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
    raise not_acceptable(accept or "", [f.media_type for f in candidates])


def _from_media_type(media_type: str):
    return ox.QueryResultsFormat.from_media_type(media_type) or ox.RdfFormat.from_media_type(media_type)
