"""Overview pages and dataset documents: the timeline of events, who holds which role in what, the
ontology's documentation at the ontology IRI, the downloads and the VoID description.

Views only parse the request and turn a plain function's value into a response; the functions
(:func:`timeline`, :func:`roles`, :func:`roles_svg`, :func:`timeline_svg`, :func:`downloads`,
:func:`void_description`, :func:`ontology_triples`, :func:`with_site_header`, :func:`choose_representation`) take
a store, a build directory or a page, and are tested without a server.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, get_template_attribute, render_template, request, url_for
from markupsafe import Markup

from ..pipeline import dumps
from ..paths import DUMP_NAME, INFO_NAME
from ..query.worker import serialize_graph
from . import description, negotiation, origin
from .description import select
from .errors import not_acceptable, not_found

try:  # the linked-data pages own the mapping of graph IRIs to this server's paths, and the link schemes
    from .linkeddata import LINK_SCHEMES, local_url as _linked_data_local_url
except ImportError:  # pragma: no cover - the same rules, for a server without the linked-data pages
    LINK_SCHEMES = ("http", "https")
    _linked_data_local_url = None

AKG = "https://w3id.org/astana-kg/ontology#"
ONTOLOGY_IRI = "https://w3id.org/astana-kg/ontology"
ONTOLOGY_GRAPH = "https://w3id.org/astana-kg/graph/ontology"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
VOID = "http://rdfs.org/ns/void#"
DCTERMS = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
SCHEMA = "https://schema.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"
WIKIDATA_SPARQL = "https://query.wikidata.org/sparql"

#: Extensions of the RDF documents, and the format each names.
EXTENSIONS = {"ttl": ox.RdfFormat.TURTLE, "jsonld": ox.RdfFormat.JSON_LD, "nt": ox.RdfFormat.N_TRIPLES,
              "rdf": ox.RdfFormat.RDF_XML}
#: The RDF formats the ontology and the VoID description are offered in, in order of preference.
RDF_FORMATS = [ox.RdfFormat.TURTLE, ox.RdfFormat.JSON_LD, ox.RdfFormat.N_TRIPLES, ox.RdfFormat.RDF_XML]
HTML_TYPES = ("text/html", "application/xhtml+xml")
CERTAINTY_RANK = {AKG + "Certain": 0, AKG + "Probable": 1, AKG + "Uncertain": 2}

blueprint = Blueprint("overview", __name__)

NAV = [("Timeline", "/timeline"), ("Roles", "/roles"), ("Ontology", "/ontology"), ("Download", "/download")]


@blueprint.record_once
def _add_navigation(state) -> None:
    nav = state.app.config.setdefault("SITE_NAV", [])
    nav.extend(link for link in NAV if link not in nav)


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------

def local_url(iri: str, public_base: str) -> str | None:
    """Where a link to an IRI leads: this server's path for an IRI under the public base, other
    http(s) IRIs unchanged, None for any other IRI (``javascript:``, ``data:``...), never a link.

    >>> local_url("https://w3id.org/astana-kg/id/russia", "https://w3id.org/astana-kg/")
    '/id/russia'
    >>> local_url("http://www.wikidata.org/entity/Q159", "https://w3id.org/astana-kg/")
    'http://www.wikidata.org/entity/Q159'
    >>> local_url("javascript:alert(1)", "https://w3id.org/astana-kg/") is None
    True
    """
    if _linked_data_local_url is not None:
        found = _linked_data_local_url(iri, public_base)
    else:
        found = "/" + iri[len(public_base):] if iri.startswith(public_base) else None
    if found is not None:
        return found
    scheme, colon, _ = iri.partition(":")
    return iri if colon and scheme.lower() in LINK_SCHEMES else None


def href_attribute(url: str | None) -> Markup:
    """`` href="URL"`` for a template's ``<a>``, or nothing: an ``<a>`` without href is text.

    >>> str(href_attribute("/id/x?a=1&b=2")), str(href_attribute(None))
    (' href="/id/x?a=1&amp;b=2"', '')
    """
    return Markup(' href="%s"') % url if url else Markup("")


def _svg_href(url: str | None) -> str:
    return f' href="{escape(url)}"' if url else ""


def _value(term) -> str | None:
    return None if term is None else term.value


def short_source(source_iri: str) -> str:
    """The number of a source, as the pages show it.

    >>> short_source("https://w3id.org/astana-kg/id/source-003")
    '003'
    """
    return source_iri.rsplit("-", 1)[-1]


def choose_representation(accept: str | None, extension: str | None = None, *, html: bool = True,
                          json_: bool = False, rdf: bool = True):
    """What to answer with: "html", "json" or an RDF format, from an explicit extension or the
    Accept header (best q first; HTML first among equals). HttpError 406 if nothing fits.

    >>> choose_representation("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
    'html'
    >>> choose_representation("text/turtle").media_type
    'text/turtle'
    >>> choose_representation(None, "nt").media_type
    'application/n-triples'
    >>> choose_representation("application/json", html=True, json_=True, rdf=False)
    'json'
    >>> choose_representation("image/png")
    Traceback (most recent call last):
    ...
    astana_kg.query.problems.Problem: none of the media types accepted (image/png) can be produced; supported: text/html, ...
    """
    candidates: list[tuple[str, object]] = []
    if html:
        candidates += [(t, "html") for t in HTML_TYPES]
    if json_:
        candidates.append(("application/json", "json"))
    if rdf:
        for fmt in RDF_FORMATS:
            candidates.append((fmt.media_type, fmt))
        candidates += [("application/json", ox.RdfFormat.JSON_LD), ("text/plain", ox.RdfFormat.N_TRIPLES),
                       ("application/xml", ox.RdfFormat.RDF_XML), ("text/xml", ox.RdfFormat.RDF_XML)]
    supported = list(dict.fromkeys(media for media, _ in candidates))
    if extension is not None:
        wanted = {"html": "html", "json": "json"}.get(extension) or EXTENSIONS.get(extension)
        if wanted is None or all(choice != wanted for _, choice in candidates):
            raise not_found(f"no .{extension} document here; available as " + ", ".join(supported))
        return wanted
    for media_range, q in negotiation.parse_accept(accept):
        if q <= 0:
            continue
        for media, choice in candidates:
            if media_range in ("*/*", "*") or media_range == media or (
                    media_range.endswith("/*") and media.startswith(media_range[:-1])):
                return choice
    raise not_acceptable(accept or "", supported)


def _conditional(body: bytes, media_type: str, etag_material: str, headers: dict | None = None) -> Response:
    """A 200 with a strong ETag over ``etag_material``, or 304 when If-None-Match names it."""
    etag = '"' + hashlib.sha256(etag_material.encode("utf-8")).hexdigest()[:40] + '"'
    all_headers = {"ETag": etag, "Vary": "Accept", "Content-Type": media_type,
                   "Cache-Control": f"public, max-age={int(current_app.config.get('CACHE_MAX_AGE', 3600))}",
                   **(headers or {})}
    match = request.headers.get("If-None-Match")
    if match and (match.strip() == "*" or etag in [t.strip() for t in match.split(",")]):
        return Response(b"", 304, all_headers)
    return Response(body, 200, all_headers)


def _endpoint():
    return current_app.extensions["astana_kg"]()


def _public_base() -> str:
    return str(current_app.config["PUBLIC_BASE"])


# ---------------------------------------------------------------------------------------------
# The timeline
# ---------------------------------------------------------------------------------------------

@dataclass
class Dating:
    """One source's value for one date property of an event, and how it was derived."""

    source: str
    prop: str  # startDate, endDate, notBefore, notAfter
    date: str | None
    phrase: str | None = None
    certainty: str | None = None  # akg:Certain, akg:Probable, akg:Uncertain (IRI); None: stated
    comment: str | None = None


@dataclass
class Evidence:
    source: str
    span: str
    exact: str


@dataclass
class SourceDates:
    """What one source says of an event's date."""

    source: str
    datings: list[Dating]
    status: str | None = None

    def get(self, prop: str) -> str | None:
        return next((d.date for d in self.datings if d.prop == prop and d.date), None)

    @property
    def certainty(self) -> str:
        """The least certain derivation used: "certain", "probable", "uncertain" (or "stated")."""
        ranks = [CERTAINTY_RANK.get(d.certainty, -1) for d in self.datings if d.certainty]
        if not ranks:
            return "stated"
        return {0: "certain", 1: "probable", 2: "uncertain", -1: "stated"}[max(ranks)]

    @property
    def dated(self) -> bool:
        return any(d.date for d in self.datings)

    def summary(self) -> str:
        """The date as a person reads it: "3–4 May 2017", "between 22 and 24 May 2017", "undated".

        >>> SourceDates("s", [Dating("s", "notAfter", "2017-05-05")]).summary()
        'no later than 5 May 2017'
        >>> SourceDates("s", [Dating("s", "startDate", "2017-05-03"), Dating("s", "endDate", "2017-05-04")]).summary()
        '3 May 2017 – 4 May 2017'
        """
        start, end = self.get("startDate"), self.get("endDate")
        low, high = self.get("notBefore"), self.get("notAfter")
        if start:
            return human_date(start) + (f" – {human_date(end)}" if end and end != start else "")
        if low and high:
            return f"between {human_date(low)} and {human_date(high)}"
        if high:
            return f"no later than {human_date(high)}"
        if low:
            return f"no earlier than {human_date(low)}"
        return "undated"


@dataclass
class TimelineEvent:
    iri: str
    label: str
    classes: list[str]
    by_source: list[SourceDates]
    evidence: list[Evidence] = field(default_factory=list)
    close_matches: list[tuple[str, str]] = field(default_factory=list)  # (IRI, label) of events it may be (akg:possiblySameEventAs)

    @property
    def dates(self) -> list[str]:
        return sorted(d.date for s in self.by_source for d in s.datings if d.date)

    @property
    def stated_days(self) -> list[str]:
        """The start days sources give the event (not the bounds of a source that gives none)."""
        return sorted({s.get("startDate") for s in self.by_source if s.get("startDate")})

    @property
    def bounds(self) -> tuple[str | None, str | None]:
        """The narrowest range the bounds of all sources allow: (latest lower bound, earliest upper bound)."""
        lows = [s.get("notBefore") for s in self.by_source if s.get("notBefore")]
        highs = [s.get("notAfter") for s in self.by_source if s.get("notAfter")]
        return (max(lows) if lows else None, min(highs) if highs else None)

    @property
    def disputed(self) -> bool:
        """Whether sources disagree: two different start days, or a start day outside another source's bounds."""
        days = self.stated_days
        low, high = self.bounds
        return len(days) > 1 or any((low and day < low) or (high and day > high) for day in days)

    @property
    def sort_date(self) -> str | None:
        """The day the event is ordered by: the earliest start day a source states, else the lower bound,
        else the upper bound (an event known only by a latest day is placed at it)."""
        low, high = self.bounds
        return (self.stated_days or [None])[0] or low or high

    def when(self) -> str:
        """The date as the heading gives it, keeping a stated day, bounds and a disagreement apart.

        >>> TimelineEvent("e", "e", [], [SourceDates("a", [Dating("a", "startDate", "2017-05-04")]),
        ...     SourceDates("b", [Dating("b", "notBefore", "2017-05-03"), Dating("b", "notAfter", "2017-05-04")])]).when()
        '4 May 2017'
        >>> TimelineEvent("e", "e", [], [SourceDates("a", [Dating("a", "notAfter", "2017-05-05")])]).when()
        'no later than 5 May 2017'
        >>> TimelineEvent("e", "e", [], [SourceDates("a", [Dating("a", "startDate", "2017-05-03")]),
        ...     SourceDates("b", [Dating("b", "startDate", "2017-05-04")])]).when()
        '3 May 2017 or 4 May 2017'
        """
        days = self.stated_days
        if days:
            return " or ".join(human_date(day) for day in days)
        low, high = self.bounds
        return SourceDates("", [Dating("", "notBefore", low), Dating("", "notAfter", high)]).summary()

    @property
    def slug(self) -> str:
        return self.iri.rstrip("/").rsplit("/", 1)[-1]

    @property
    def sources(self) -> list[str]:
        return sorted({s.source for s in self.by_source} | {e.source for e in self.evidence})


def human_date(value: str) -> str:
    """An xsd:date as "4 May 2017".

    >>> human_date("2017-05-04")
    '4 May 2017'
    """
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return value
    return f"{day.day} {day:%B %Y}"


def timeline(store: ox.Store) -> tuple[list[TimelineEvent], list[TimelineEvent]]:
    """The events with a date (or bounds) in order of their earliest date, then the undated ones."""
    events: dict[str, TimelineEvent] = {}
    statuses: dict[tuple[str, str], str] = {}
    graph_source: dict[str, str] = {}
    for row in select(store, "timeline-events"):
        graph_source[row["graph"].value] = row["source"].value
        iri = row["event"].value
        event = events.setdefault(iri, TimelineEvent(iri, _value(row["label"]) or iri, [], []))
        if _value(row["label"]) and row["label"].value < event.label:
            event.label = row["label"].value
        class_label = _value(row["classLabel"]) or row["class"].value.rsplit("#", 1)[-1]
        if class_label not in event.classes:
            event.classes.append(class_label)
        source = row["source"].value
        if row["statusLabel"] is not None:
            statuses[(iri, source)] = row["statusLabel"].value
        if not any(s.source == source for s in event.by_source):
            event.by_source.append(SourceDates(source, []))
    for row in select(store, "timeline-dates"):
        event = events.get(row["event"].value)
        source = graph_source.get(row["graph"].value)
        if event is None or source is None:
            continue
        per_source = next((s for s in event.by_source if s.source == source), None)
        if per_source is None:
            per_source = SourceDates(source, [])
            event.by_source.append(per_source)
        per_source.datings.append(Dating(source, row["property"].value.rsplit("#", 1)[-1], _value(row["date"]),
                                         _value(row["phrase"]), _value(row["certainty"]), _value(row["comment"])))
    for row in select(store, "timeline-matches"):
        event = events.get(row["event"].value)
        match = events.get(row["match"].value)
        if event is not None and match is not None and (match.iri, match.label) not in event.close_matches:
            event.close_matches.append((match.iri, match.label))
    for row in select(store, "evidence", kind=ox.NamedNode(AKG + "Event")):
        event = events.get(row["body"].value)
        if event is not None:
            event.evidence.append(Evidence(row["source"].value, row["span"].value, row["exact"].value))
    for event in events.values():
        for per_source in event.by_source:
            per_source.status = statuses.get((event.iri, per_source.source))
        event.by_source.sort(key=lambda s: s.source)
    dated = sorted((e for e in events.values() if e.sort_date), key=lambda e: (e.sort_date, e.dates[-1], e.label))
    undated = sorted((e for e in events.values() if not e.sort_date), key=lambda e: e.label)
    return dated, undated


def timeline_svg(events: list[TimelineEvent], public_base: str, width: int = 960) -> str:
    """A server-drawn chart of the dated events: one row per event, one mark per source's dating.

    A day or a range a source states is a solid bar; bounds of an uncertain date are a hatched box;
    a date known only to be no later than a day is a dashed line ending in a tick at that day.
    """
    dates = [dt.date.fromisoformat(d) for e in events for d in e.dates]
    if not dates:
        return ""
    first = min(dates).replace(day=1)
    last = max(dates) + dt.timedelta(days=3)
    label_width, row_height, top = 330, 26, 34
    plot = width - label_width - 20
    days = max(1, (last - first).days)

    def x(value: str | dt.date, end: bool = False) -> float:
        day = dt.date.fromisoformat(value) if isinstance(value, str) else value
        return label_width + plot * ((day - first).days + (1 if end else 0)) / days

    height = top + row_height * len(events) + 12
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline-chart" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" role="img" aria-labelledby="timeline-chart-title">',
           '<title id="timeline-chart-title">Timeline of the events, one row per event and one mark per source</title>',
           '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
           'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" class="hatch-line"/></pattern></defs>']
    month = first
    while month <= last:
        px = x(month)
        out.append(f'<line class="tick" x1="{px:.1f}" y1="{top - 8}" x2="{px:.1f}" y2="{height - 8}"/>')
        if px < width - 90:
            out.append(f'<text class="tick-label" x="{px + 3:.1f}" y="{top - 12}">{month:%B %Y}</text>')
        month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    for index, event in enumerate(events):
        y = top + index * row_height
        href = _svg_href(local_url(event.iri, public_base))
        out.append(f'<g class="event-row" data-event="{escape(event.iri)}" data-date="{event.sort_date}">')
        out.append(f'<a{href}><text class="event-label" x="{label_width - 8}" y="{y + 16}" '
                   f'text-anchor="end">{escape(_shorten(event.label, 46))}</text></a>')
        marks = [s for s in event.by_source if s.dated]
        lane = (row_height - 6) / max(1, len(marks))
        for number, per_source in enumerate(marks):
            y0 = y + 3 + number * lane
            h = max(3.0, lane - 1)
            name = f"source {short_source(per_source.source)}: {per_source.summary()} ({per_source.certainty})"
            start, end = per_source.get("startDate"), per_source.get("endDate") or per_source.get("startDate")
            low, high = per_source.get("notBefore"), per_source.get("notAfter")
            if start:
                shape = (f'<rect class="mark stated {per_source.certainty}" x="{x(start):.1f}" y="{y0:.1f}" '
                         f'width="{max(3.0, x(end, True) - x(start)):.1f}" height="{h:.1f}"/>')
            elif low and high:
                shape = (f'<rect class="mark bounds" x="{x(low):.1f}" y="{y0:.1f}" '
                         f'width="{max(3.0, x(high, True) - x(low)):.1f}" height="{h:.1f}" fill="url(#hatch)"/>')
            elif high:
                shape = (f'<line class="mark before" x1="{max(label_width + 2, x(high, True) - 40):.1f}" y1="{y0 + h / 2:.1f}" '
                         f'x2="{x(high, True):.1f}" y2="{y0 + h / 2:.1f}"/>'
                         f'<line class="mark before-end" x1="{x(high, True):.1f}" y1="{y0:.1f}" '
                         f'x2="{x(high, True):.1f}" y2="{y0 + h:.1f}"/>')
            else:
                shape = (f'<line class="mark after" x1="{x(low):.1f}" y1="{y0 + h / 2:.1f}" '
                         f'x2="{x(low) + 40:.1f}" y2="{y0 + h / 2:.1f}"/>')
            out.append(f'<g class="dating" data-source="{escape(per_source.source)}"><title>{escape(name)}</title>'
                       f'{shape}</g>')
        out.append('</g>')
    out.append('</svg>')
    return "\n".join(out)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


# ---------------------------------------------------------------------------------------------
# Roles
# ---------------------------------------------------------------------------------------------

@dataclass
class RoleRow:
    """One role: its kind, holder and context, and each source that states it (with its quotes)."""

    iri: str
    kind: str
    kind_label: str
    holder: str
    holder_label: str
    context: str
    context_label: str
    title: str | None = None
    sources: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def is_position(self) -> bool:
        return self.kind == AKG + "Position"

    @property
    def short_kind(self) -> str:
        """The kind as a word: "guarantor" for "guarantor role"."""
        return self.kind_label.removesuffix(" role")

    def evidence_from(self, source: str) -> list[Evidence]:
        return [e for e in self.evidence if e.source == source]


def roles(store: ox.Store) -> list[RoleRow]:
    """Every role with its holder, context and sources, ordered by kind, context and holder."""
    found: dict[tuple[str, str], RoleRow] = {}
    for row in select(store, "roles"):
        key = (row["role"].value, row["kind"].value)
        entry = found.get(key)
        if entry is None:
            entry = found[key] = RoleRow(
                row["role"].value, row["kind"].value,
                _value(row["kindLabel"]) or row["kind"].value.rsplit("#", 1)[-1],
                row["holder"].value, _value(row["holderLabel"]) or row["holder"].value,
                row["context"].value, _value(row["contextLabel"]) or row["context"].value, _value(row["title"]))
        if row["source"].value not in entry.sources:
            entry.sources.append(row["source"].value)
        if entry.title is None and row["title"] is not None:
            entry.title = row["title"].value
    evidence: dict[str, list[Evidence]] = {}
    for row in select(store, "evidence", kind=ox.NamedNode(AKG + "Role")):
        evidence.setdefault(row["body"].value, []).append(
            Evidence(row["source"].value, row["span"].value, row["exact"].value))
    for entry in found.values():
        entry.sources.sort()
        entry.evidence = evidence.get(entry.iri, [])
    return sorted(found.values(), key=lambda r: (r.is_position, r.kind_label, r.context_label, r.holder_label, r.iri))


#: Colours of the kinds of role in the diagram (the rest take the last one).
KIND_CLASSES = ["guarantor", "observer", "mediator", "signatory", "monitor", "negotiating-party", "supporter",
                "proposer", "party-to-agreement"]


def _kind_class(row: RoleRow) -> str:
    name = row.short_kind.replace(" ", "-")
    return f"kind-{name}" if name in KIND_CLASSES else "kind-other"


def roles_svg(rows: list[RoleRow], public_base: str, width: int = 1080) -> str:
    """Holders, roles and contexts in three columns (a layered graph), drawn on the server.

    Roles are ordered by kind and context; holders and contexts sit at the mean height of their
    roles (the barycentre heuristic), pushed apart where they would overlap, which keeps most
    edges short and few of them crossed.
    """
    rows = [r for r in rows if not r.is_position]
    if not rows:
        return ""
    row_gap, top, node_h = 24, 40, 18

    labels = {r.holder: r.holder_label for r in rows} | {r.context: r.context_label for r in rows}
    column = {"holder": 10, "role": width * 0.37, "context": width * 0.66}
    col_w = {"holder": width * 0.25, "role": width * 0.2, "context": width * 0.33}

    y_role = {id(r): top + i * row_gap for i, r in enumerate(rows)}
    bottom = top + row_gap * (len(rows) - 1)

    def place(key) -> dict[str, float]:
        """Each node at the mean height of its roles, pushed apart to at least a row's gap."""
        wanted: dict[str, list[float]] = {}
        for r in rows:
            wanted.setdefault(key(r), []).append(y_role[id(r)])
        order_ = sorted(wanted, key=lambda k: (sum(wanted[k]) / len(wanted[k]), k))
        ys = [sum(wanted[k]) / len(wanted[k]) for k in order_]
        for i in range(1, len(ys)):
            ys[i] = max(ys[i], ys[i - 1] + row_gap)
        if ys and ys[-1] > bottom:
            ys[-1] = bottom
            for i in range(len(ys) - 2, -1, -1):
                ys[i] = min(ys[i], ys[i + 1] - row_gap)
        return dict(zip(order_, ys))

    y_holder = place(lambda r: r.holder)
    y_context = place(lambda r: r.context)
    height = int(top + row_gap * len(rows) + 20)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="roles-chart" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" role="img" aria-labelledby="roles-chart-title">',
           '<title id="roles-chart-title">Who holds which role in what: holders on the left, roles in the middle, '
           'the agreements, processes and events they are held in on the right</title>',
           f'<text class="column-head" x="{column["holder"]}" y="{top - 22}">Holder</text>',
           f'<text class="column-head" x="{column["role"]:.0f}" y="{top - 22}">Role (sources)</text>',
           f'<text class="column-head" x="{column["context"]:.0f}" y="{top - 22}">In</text>']
    for r in rows:
        yr = y_role[id(r)] + node_h / 2
        out.append(f'<path class="edge {_kind_class(r)}" d="M{column["holder"] + col_w["holder"]:.1f},'
                   f'{y_holder[r.holder] + node_h / 2:.1f} C{column["role"] - 60:.1f},{y_holder[r.holder] + node_h / 2:.1f} '
                   f'{column["role"] - 60:.1f},{yr:.1f} {column["role"]:.1f},{yr:.1f}"/>')
        out.append(f'<path class="edge {_kind_class(r)}" d="M{column["role"] + col_w["role"]:.1f},{yr:.1f} '
                   f'C{column["context"] - 50:.1f},{yr:.1f} {column["context"] - 50:.1f},'
                   f'{y_context[r.context] + node_h / 2:.1f} {column["context"]:.1f},'
                   f'{y_context[r.context] + node_h / 2:.1f}"/>')

    def node(kind: str, iri: str, label: str, y: float, css: str, extra: str = "", tip: str = "") -> str:
        href = _svg_href(local_url(iri, public_base))
        text = escape(_shorten(label, int(col_w[kind] / 7)))
        title = escape(tip or label)
        return (f'<a{href} class="node {kind} {css}" data-iri="{escape(iri)}"{extra}><title>{title}</title>'
                f'<rect x="{column[kind]:.1f}" y="{y:.1f}" width="{col_w[kind]:.1f}" height="{node_h}" rx="4"/>'
                f'<text x="{column[kind] + 6:.1f}" y="{y + 13:.1f}">{text}</text></a>')

    for h in y_holder:
        out.append(node("holder", h, labels[h], y_holder[h], "holder-node"))
    for r in rows:
        numbers = ", ".join(short_source(s) for s in r.sources)
        shown = numbers if len(r.sources) <= 3 else f"{len(r.sources)} sources"
        tip = f"{r.holder_label}: {r.short_kind} in {r.context_label}; stated by source {numbers}"
        out.append(node("role", r.iri, f"{r.short_kind} ({shown})", y_role[id(r)], _kind_class(r),
                        f' data-kind="{escape(r.kind)}" data-holder="{escape(r.holder)}" '
                        f'data-context="{escape(r.context)}" data-sources="{escape(" ".join(r.sources))}"', tip))
    for c in y_context:
        out.append(node("context", c, labels[c], y_context[c], "context-node"))
    out.append('</svg>')
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# Downloads
# ---------------------------------------------------------------------------------------------

@dataclass
class Download:
    name: str
    media_type: str
    bytes: int
    sha256: str
    triples: int | None
    graph: str | None
    description: str

    def to_dict(self, url: str) -> dict:
        return {"name": self.name, "url": url, "mediaType": self.media_type, "bytes": self.bytes,
                "sha256": self.sha256, "triples": self.triples, "graph": self.graph, "description": self.description}


def downloads(build_dir: Path) -> list[Download]:
    """The build's downloadable files, from build-info.json: the dumps first, then one file per graph."""
    info = json.loads((Path(build_dir) / INFO_NAME).read_text())
    manifest = info.get("downloads")
    if not manifest:
        raise not_found("this build lists no downloads: rebuild it with `astana-kg build`")
    out = []
    for name, entry in manifest.items():
        if name in dumps.DOCUMENTS:
            continue
        if name == DUMP_NAME:
            text = "The whole dataset, every named graph, as N-Quads (sorted, one quad a line)"
        elif name == dumps.TRIG_NAME:
            text = "The whole dataset, every named graph, as TriG"
        else:
            text = f"The named graph {entry.get('graph')} as Turtle"
        out.append(Download(name, entry["media_type"], entry["bytes"], entry["sha256"], entry.get("triples"),
                            entry.get("graph"), text))
    rank = {DUMP_NAME: 0, dumps.TRIG_NAME: 1}
    return sorted(out, key=lambda d: (rank.get(d.name, 2), d.graph or "", d.name))


def download_file(build_dir: Path, name: str) -> tuple[Path, Download]:
    """The path and manifest entry of one listed file; 404 for anything the manifest does not list."""
    for entry in downloads(build_dir):
        if entry.name == name:
            return Path(build_dir) / name, entry
    raise not_found(f"no download named {name!r}; see /download for the list")


# ---------------------------------------------------------------------------------------------
# VoID
# ---------------------------------------------------------------------------------------------

def void_description(store: ox.Store, build_dir: Path, root: str, public_base: str = dumps.BASE) -> list[ox.Triple]:
    """The VoID description of the dataset served at ``root`` (e.g. "http://host/"), as triples.

    Dump links and the SPARQL endpoint are absolute URLs on this server; each named graph is a
    subset with its triples; the classes and properties used are partitions; the schema:sameAs
    links into Wikidata are a linkset.
    """
    root = root.rstrip("/") + "/"
    doc = root + ".well-known/void"

    def iri(value: str) -> ox.NamedNode:
        return ox.NamedNode(value)

    def integer(value: int) -> ox.Literal:
        return ox.Literal(str(value), datatype=iri(XSD + "integer"))

    def text(value: str) -> ox.Literal:
        return ox.Literal(value, language="en")

    a = iri(RDF + "type")
    dataset = iri(doc + "#dataset")
    stats = description.statistics(store)
    meta = select(store, "void-metadata")
    meta = meta[0] if meta else {}
    files = {d.name: d for d in downloads(build_dir)}
    triples = [
        ox.Triple(iri(doc), a, iri(VOID + "DatasetDescription")),
        ox.Triple(iri(doc), iri(DCTERMS + "title"), text("A VoID description of the astana-kg dataset")),
        ox.Triple(iri(doc), iri(FOAF + "primaryTopic"), dataset),
        ox.Triple(dataset, a, iri(VOID + "Dataset")),
        ox.Triple(dataset, iri(DCTERMS + "title"), text("astana-kg: the 2017 Astana peace process on Syria")),
        ox.Triple(dataset, iri(DCTERMS + "description"), text(
            "A knowledge graph of the 2017 Astana peace process on Syria, from five news articles: parties, "
            "persons, roles, agreements, de-escalation zones, events and statements, every fact tied to the "
            "words of its source by W3C Web Annotations, one named graph per source.")),
        ox.Triple(dataset, iri(FOAF + "homepage"), iri(root)),
        ox.Triple(dataset, iri(VOID + "sparqlEndpoint"), iri(root + "sparql")),
        ox.Triple(dataset, iri(VOID + "uriSpace"), ox.Literal(public_base + "id/")),
        ox.Triple(dataset, iri(VOID + "exampleResource"), iri(public_base + "id/russia")),
        ox.Triple(dataset, iri(VOID + "vocabulary"), iri(ONTOLOGY_IRI)),
        ox.Triple(dataset, iri(VOID + "feature"), iri("http://www.w3.org/ns/formats/N-Quads")),
        ox.Triple(dataset, iri(VOID + "feature"), iri("http://www.w3.org/ns/formats/TriG")),
        ox.Triple(dataset, iri(VOID + "feature"), iri("http://www.w3.org/ns/formats/Turtle")),
        ox.Triple(dataset, iri(VOID + "triples"), integer(stats.triples)),
        ox.Triple(dataset, iri(VOID + "distinctSubjects"), integer(stats.distinct_subjects)),
        ox.Triple(dataset, iri(VOID + "distinctObjects"), integer(stats.distinct_objects)),
        ox.Triple(dataset, iri(VOID + "classes"), integer(len(stats.classes))),
        ox.Triple(dataset, iri(VOID + "properties"), integer(len(stats.properties))),
    ]
    if meta.get("license") is not None:
        triples.append(ox.Triple(dataset, iri(DCTERMS + "license"), meta["license"]))
    if meta.get("creator") is not None:
        triples.append(ox.Triple(dataset, iri(DCTERMS + "creator"), meta["creator"]))
    for name in (DUMP_NAME, dumps.TRIG_NAME):
        if name in files:
            triples.append(ox.Triple(dataset, iri(VOID + "dataDump"), iri(root + "download/" + name)))
    by_graph = {d.graph: d for d in files.values() if d.graph}
    for graph, count, label in stats.graphs:
        node = iri(graph)
        triples += [ox.Triple(dataset, iri(VOID + "subset"), node), ox.Triple(node, a, iri(VOID + "Dataset")),
                    ox.Triple(node, iri(VOID + "triples"), integer(count))]
        if label:
            triples.append(ox.Triple(node, iri(DCTERMS + "title"), text(label)))
        if graph in by_graph:
            triples.append(ox.Triple(node, iri(VOID + "dataDump"), iri(root + "download/" + by_graph[graph].name)))
    for number, (cls, entities) in enumerate(stats.classes, start=1):
        node = iri(f"{doc}#class-{number}")
        triples += [ox.Triple(dataset, iri(VOID + "classPartition"), node),
                    ox.Triple(node, iri(VOID + "class"), iri(cls)),
                    ox.Triple(node, iri(VOID + "entities"), integer(entities))]
    for number, (prop, count) in enumerate(stats.properties, start=1):
        node = iri(f"{doc}#property-{number}")
        triples += [ox.Triple(dataset, iri(VOID + "propertyPartition"), node),
                    ox.Triple(node, iri(VOID + "property"), iri(prop)),
                    ox.Triple(node, iri(VOID + "triples"), integer(count))]
    wikidata = iri(doc + "#wikidata")
    linkset = iri(doc + "#wikidata-links")
    triples += [
        ox.Triple(wikidata, a, iri(VOID + "Dataset")),
        ox.Triple(wikidata, iri(DCTERMS + "title"), text("Wikidata")),
        ox.Triple(wikidata, iri(FOAF + "homepage"), iri("https://www.wikidata.org/")),
        ox.Triple(wikidata, iri(VOID + "sparqlEndpoint"), iri(WIKIDATA_SPARQL)),
        ox.Triple(wikidata, iri(VOID + "uriSpace"), ox.Literal(description.WIKIDATA_ENTITIES)),
        ox.Triple(dataset, iri(VOID + "subset"), linkset),
        ox.Triple(linkset, a, iri(VOID + "Linkset")),
        ox.Triple(linkset, iri(DCTERMS + "title"), text("Links from the entities of astana-kg to checked Wikidata items")),
        ox.Triple(linkset, iri(VOID + "linkPredicate"), iri(SCHEMA + "sameAs")),
        ox.Triple(linkset, iri(VOID + "subjectsTarget"), dataset),
        ox.Triple(linkset, iri(VOID + "objectsTarget"), wikidata),
        ox.Triple(linkset, iri(VOID + "triples"), integer(stats.wikidata_links)),
        ox.Triple(linkset, iri(VOID + "distinctSubjects"), integer(stats.wikidata_subjects)),
        ox.Triple(linkset, iri(VOID + "distinctObjects"), integer(stats.wikidata_items)),
    ]
    # Grouped by subject (the document, then the dataset, then the rest) so Turtle writes each once.
    first = {doc: 0, doc + "#dataset": 1}
    return sorted(triples, key=lambda t: (first.get(t.subject.value, 2), t.subject.value))


# ---------------------------------------------------------------------------------------------
# The ontology
# ---------------------------------------------------------------------------------------------

def ontology_triples(store: ox.Store) -> list[ox.Triple]:
    """The ontology's own triples, from its named graph in the store."""
    triples = [ox.Triple(q.subject, q.predicate, q.object)
               for q in store.quads_for_pattern(None, None, None, ox.NamedNode(ONTOLOGY_GRAPH))]
    return sorted(triples, key=lambda t: (t.subject.value != ONTOLOGY_IRI, str(t.subject), str(t.predicate),
                                          str(t.object)))


def ontology_html(build_dir: Path) -> bytes:
    """The ontology's HTML documentation, as the build wrote it."""
    path = Path(build_dir) / dumps.ONTOLOGY_HTML_NAME
    if not path.is_file():
        raise not_found(f"{path} is missing: rebuild with `astana-kg build` to write the ontology's documentation")
    return path.read_bytes()


def with_site_header(page: bytes, header: str, stylesheet: str) -> bytes:
    """The ontology's documentation (pyLODE's page) with the site's header first in its body and the
    stylesheet that draws it in its head, so that the page leads back to the rest of the site.

    >>> with_site_header(b"<html><head><title>t</title></head><body><div id=content>", "<header>h</header>", "/s.css")
    b'<html><head><title>t</title><link rel="stylesheet" href="/s.css"></head><body><header>h</header><div id=content>'
    """
    html = page.decode("utf-8")
    html = html.replace("</head>", f'<link rel="stylesheet" href="{escape(stylesheet)}"></head>', 1)
    at = html.find(">", html.find("<body")) + 1
    header = str(header)  # a Markup header would escape the page it is added to
    return (html[:at] + header + html[at:]).encode("utf-8")


# ---------------------------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------------------------

@blueprint.get("/timeline")
def timeline_page():
    choose_representation(request.headers.get("Accept"), rdf=False)
    state = _endpoint()
    dated, undated = timeline(state.store)
    base = _public_base()
    sources = {row["source"].value: row for row in select(state.store, "sources")}
    body = render_template("timeline.html", dated=dated, undated=undated, chart=timeline_svg(dated, base),
                           href=lambda iri: href_attribute(local_url(iri, base)), short_source=short_source,
                           human_date=human_date, sources=sources)
    return _conditional(body.encode("utf-8"), "text/html; charset=utf-8", f"{state.build_id} timeline {base}")


@blueprint.get("/roles")
def roles_page():
    choose_representation(request.headers.get("Accept"), rdf=False)
    state = _endpoint()
    base = _public_base()
    rows = roles(state.store)
    body = render_template("roles.html", rows=[r for r in rows if not r.is_position],
                           positions=[r for r in rows if r.is_position], chart=roles_svg(rows, base),
                           href=lambda iri: href_attribute(local_url(iri, base)), short_source=short_source)
    return _conditional(body.encode("utf-8"), "text/html; charset=utf-8", f"{state.build_id} roles {base}")


@blueprint.get("/roles.svg")
def roles_chart():
    state = _endpoint()
    base = _public_base()
    svg = roles_svg(roles(state.store), base)
    return _conditional(svg.encode("utf-8"), "image/svg+xml", f"{state.build_id} roles.svg {base}")


@blueprint.get("/ontology")
@blueprint.get("/ontology.<extension>")
@blueprint.get("/ontology/1.0.0", endpoint="ontology_version")
@blueprint.get("/ontology/1.0.0.<extension>", endpoint="ontology_version")
def ontology(extension: str | None = None):
    state = _endpoint()
    choice = choose_representation(request.headers.get("Accept"), extension)
    headers = {"Link": f'<{ONTOLOGY_IRI}>; rel="canonical"'}
    if choice == "html":
        header = get_template_attribute("site.html", "header")(current_app.config["SITE_NAV"], "documentation")
        page = with_site_header(ontology_html(state.build_dir), header,
                                url_for("static", filename="overview.css"))
        # Tagged by its own bytes: the same dump may come with another documentation or header.
        return _conditional(page, "text/html; charset=utf-8", f"ontology html {hashlib.sha256(page).hexdigest()}",
                            headers)
    body = serialize_graph(ontology_triples(state.store), choice)
    return _conditional(body, choice.media_type, f"{state.build_id} ontology {choice.media_type}", headers)


@blueprint.get("/download")
@blueprint.get("/download.<extension>")
def download_page(extension: str | None = None):
    state = _endpoint()
    choice = choose_representation(request.headers.get("Accept"), extension, json_=True, rdf=False)
    root = origin.root_url().rstrip("/")
    files = downloads(state.build_dir)
    if choice == "json":
        body = json.dumps({"build": state.build_id, "void": root + "/.well-known/void",
                           "files": [f.to_dict(f"{root}/download/{f.name}") for f in files]}, indent=1)
        return _conditional(body.encode("utf-8"), "application/json", f"{state.build_id} download json {root}")
    body = render_template("download.html", files=files, build_id=state.build_id,
                           href=lambda iri: href_attribute(local_url(iri, _public_base())))
    return _conditional(body.encode("utf-8"), "text/html; charset=utf-8", f"{state.build_id} download html {root}")


@blueprint.get("/download/<name>")
def download(name: str):
    state = _endpoint()
    path, entry = download_file(state.build_dir, name)
    etag = f'"{entry.sha256}"'
    media_type = entry.media_type + ("; charset=utf-8" if entry.media_type == "text/turtle" else "")
    base_headers = {"ETag": etag, "Content-Type": media_type,
                    "Content-Disposition": f'attachment; filename="{entry.name}"',
                    "Cache-Control": f"public, max-age={int(current_app.config.get('CACHE_MAX_AGE', 3600))}"}
    match = request.headers.get("If-None-Match")
    if match and (match.strip() == "*" or etag in [t.strip() for t in match.split(",")]):
        return Response(b"", 304, base_headers)
    return Response(path.read_bytes(), 200, {**base_headers, "Content-Length": str(entry.bytes)})


@blueprint.get("/.well-known/void")
@blueprint.get("/.well-known/void.<extension>")
def void(extension: str | None = None):
    state = _endpoint()
    if extension is not None:
        if extension not in EXTENSIONS:
            raise not_found(f"no .{extension} document here; use .ttl, .jsonld, .nt or .rdf")
        fmt = EXTENSIONS[extension]
    else:
        fmt = negotiation.choose("graph", request.headers.get("Accept"))
    root = origin.root_url()
    body = serialize_graph(void_description(state.store, state.build_dir, root, _public_base()), fmt)
    return _conditional(body, fmt.media_type, f"{state.build_id} void {fmt.media_type} {root}")
