"""The curated claim files: reading them, finding their quotes, turning them into quads.

A claim file (``data/claims/NNN.yaml``) lists claims; each claim is a quote of source ``NNN``
with the Turtle facts it supports. See ``data/README.md`` for the format.

>>> text = "Russia, Iran and Turkey signed a memorandum."
>>> find_quote(text, "Iran and\u00a0Turkey".replace("\u00a0", " "))
[(8, 23)]
"""

from __future__ import annotations

import datetime
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.namespace import DCTERMS, FOAF, RDF, XSD

from ..namespaces import AKG, DATA, GRAPH, OA, PREFIXES, PROV
from .rdftext import WrittenOnce

#: Characters of context kept before and after an exact quote in a TextQuoteSelector.
CONTEXT = 32

#: The keys of a claim proposed by ``astana-kg draft``: ``status: draft``, a ``confidence`` (0 to 1)
#: and ``why`` (the rule or match that proposed it). A reviewed claim has none of them.
DRAFT_KEYS = ("status", "confidence", "why")

#: In curated quotes a plain space also stands for a no-break space of the source.
_SPACE_ALTERNATIVES = "[ \u00a0]"


class CurationError(Exception):
    """A claim file is wrong: the message says which file, which line, which claim and why."""

    def __init__(self, path: Path | str, line: int | None, message: str):
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Source:
    """One source article: its id (``"000"``), its file and its text."""

    id: str
    path: Path
    text: str

    @property
    def iri(self) -> URIRef:
        return DATA[f"source-{self.id}"]

    @property
    def graph(self) -> URIRef:
        return GRAPH[f"source/{self.id}"]


@dataclass(frozen=True)
class Curation:
    """Who wrote the claims of a file, and when: the ``dcterms:creator`` and ``dcterms:created`` of
    their evidence annotations. ``created`` is an ``xsd:dateTime`` with its time zone."""

    created: Literal
    curator: URIRef


#: An xsd:dateTime with a time zone, as the Web Annotation model asks of dcterms:created.
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
_ABSOLUTE_IRI = re.compile(r"https?://[^\s<>\"{}|\\^`]+")


def _key_line(text: str, key: str) -> int:
    """The line of the top-level ``key:`` of a YAML document (1 if it has none)."""
    match = re.search(rf"^{re.escape(key)}\s*:", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def read_curation(document: dict, text: str, path: Path) -> Curation:
    """The ``created`` and ``curator`` of a claim file, checked.

    >>> read_curation({"created": "2026-11-21T18:01:52Z", "curator": "https://w3id.org/astana-kg/"}, "", Path("f"))
    Curation(created=rdflib.term.Literal('2026-11-21T18:01:52Z', datatype=rdflib.term.URIRef('http://www.w3.org/2001/XMLSchema#dateTime')), curator=rdflib.term.URIRef('https://w3id.org/astana-kg/'))
    >>> read_curation({"created": "2026-11-21", "curator": "https://w3id.org/astana-kg/"}, "created: 2026-11-21", Path("f"))
    Traceback (most recent call last):
    ...
    astana_kg.pipeline.claims.CurationError: f:1: 'created' is '2026-11-21', not a date and time with its time zone (2026-11-21T18:01:52Z): the dcterms:created of the file's evidence annotations
    """
    created = document.get("created")
    if isinstance(created, datetime.datetime) and created.tzinfo is not None:  # YAML reads an unquoted one
        created = created.isoformat().replace("+00:00", "Z")
    elif isinstance(created, (datetime.date, datetime.datetime)):
        created = created.isoformat()
    if not isinstance(created, str) or not _DATE_TIME.fullmatch(created):
        raise CurationError(path, _key_line(text, "created"),
                            f"'created' is {created!r}, not a date and time with its time zone (2026-11-21T18:01:52Z): "
                            "the dcterms:created of the file's evidence annotations")
    curator = document.get("curator")
    if not isinstance(curator, str) or not _ABSOLUTE_IRI.fullmatch(curator):
        raise CurationError(path, _key_line(text, "curator"),
                            f"'curator' is {curator!r}, not an http(s) IRI: the dcterms:creator of the file's "
                            "evidence annotations, the agent responsible for its claims")
    return Curation(Literal(created, datatype=XSD.dateTime, normalize=False), URIRef(curator))


@dataclass
class Claim:
    """One claim: a located quote and the facts it supports."""

    path: Path
    line: int
    source: Source
    quote: str
    start: int
    end: int
    about: tuple[URIRef, ...]
    triples: tuple[tuple, ...] = field(repr=False)  # the facts, in the order their graph gave them
    facts_line: int = 0  # the line of the claim file where the text of the facts begins
    facts_source: str = field(default="", repr=False)  # that text as the file writes it
    curation: Curation | None = None  # the file's created and curator
    draft: bool = False  # ``status: draft``: proposed by ``astana-kg draft``, not yet reviewed
    # Its evidence (annotation_triples), where made once and kept with the claim: a build keeps
    # each file's claims with theirs in its cache, for they take longer to make than to read.
    evidence: tuple[tuple, ...] | None = field(default=None, repr=False, compare=False)

    @property
    def facts(self) -> Graph:
        """The facts as a graph of their own, made anew at each call: a build keeps the claims of
        every source, and a graph costs ten times the memory of its triples (``triples``)."""
        graph = Graph()
        graph += self.triples
        return graph

    @property
    def graph(self) -> URIRef:
        """The named graph the claim's facts go to: its source's, or its source's draft graph."""
        return GRAPH[f"draft/{self.source.id}"] if self.draft else self.source.graph

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def line_of(self, term: URIRef) -> int:
        """The line of the claim file where the facts first write ``term``, else the claim's line."""
        match = term_pattern(term).search(self.facts_source)
        if match is None:
            return self.line
        return self.facts_line + self.facts_source.count("\n", 0, match.start())

    def line_of_triple(self, subject, predicate: URIRef, value) -> int:
        """The line of the claim file that writes ``predicate`` followed by ``value`` (an IRI), where
        the facts write them on one line; else the line of ``predicate``."""
        objects = term_pattern(value) if isinstance(value, URIRef) else None
        for number, text in enumerate(self.facts_source.split("\n")):
            match = term_pattern(predicate).search(text)
            if match and (objects is None or objects.search(text, match.end())):
                return self.facts_line + number
        return self.line_of(predicate)


def term_pattern(term: URIRef) -> re.Pattern[str]:
    """The ways Turtle with the predeclared prefixes writes ``term``: in full, or as a prefixed name.

    >>> bool(term_pattern(AKG.Event).search("id:x a akg:Event ."))
    True
    >>> bool(term_pattern(AKG.Event).search("id:x a akg:EventType ; akg:about id:Event ."))
    False
    """
    text = str(term)
    ways = [re.escape(f"<{text}>")]
    for prefix, namespace in PREFIXES.items():
        if text.startswith(namespace) and len(text) > len(namespace):
            name = re.escape(f"{prefix}:{text[len(namespace):]}")
            ways.append(rf"(?<![\w:-]){name}(?![\w:-]|\.[\w:-])")
    return re.compile("|".join(ways))


def quote_pattern(quote: str) -> re.Pattern[str]:
    """The regular expression a curated quote matches: itself, a space matching a no-break space."""
    return re.compile(_SPACE_ALTERNATIVES.join(re.escape(part) for part in quote.split(" ")))


def find_quote(text: str, quote: str) -> list[tuple[int, int]]:
    """Every (start, end) code-point span of ``text`` where ``quote`` occurs."""
    return [(m.start(), m.end()) for m in quote_pattern(quote).finditer(text)]


def _nearest_miss(text: str, quote: str) -> str:
    """Explain where the longest matching beginning of a missing quote stops matching."""
    best = 0
    for n in range(len(quote), 0, -1):
        if find_quote(text, quote[:n]):
            best = n
            break
    if best == 0:
        return "not even its first character occurs in the source"
    start, _ = find_quote(text, quote[:best])[0]
    found = text[start + best : start + best + 20]
    return (
        f"the source matches the first {best} characters, then has {found!r} "
        f"where the quote has {quote[best:best + 20]!r}"
    )


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that records the line of every mapping under the key ``__line__``, and of a
    claim's facts with their text as written (``__facts_source__``, from ``text``)."""

    text = ""  # the text being loaded, set by _load_yaml


class _FastLineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """The same over libyaml's parser, where PyYAML was built with it (18 ms of PyYAML's own
    parser against 1.5 ms for a claim file of 30 claims)."""

    text = ""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    for key_node, value_node in node.value:
        if key_node.value == "facts":
            # A block scalar's text starts on the line after its key.
            style_offset = 1 if value_node.style in ("|", ">") else 0
            mapping["__facts_line__"] = value_node.start_mark.line + 1 + style_offset
            start, end = value_node.start_mark, value_node.end_mark
            # The text as written, to find the line of a term in it (both parsers count a mark's
            # index in characters of the text).
            mapping["__facts_source__"] = (start.line + 1, loader.text[start.index:end.index])
    return mapping


for _loader in (_LineLoader, _FastLineLoader):
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _load_yaml(text: str, loader_class) -> object:
    loader = loader_class(text)
    loader.text = text
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def load_yaml(text: str) -> object:
    r"""The YAML document ``text``, its mappings with their lines (:class:`_LineLoader`): read by
    libyaml, or by PyYAML's own parser where libyaml refuses it (whose error, its message and
    line, is then the one raised) or where the two may read it apart: a text with a byte order
    mark after its first character (libyaml drops one that begins a line, PyYAML keeps it) or
    with a ``!`` (a node tagged ``!`` alone is "" to libyaml and None to PyYAML). Elsewhere a
    text both read is the same document to both; a text only libyaml reads (a tab after a value,
    which YAML allows as white space) is read as libyaml reads it.

    >>> load_yaml("claims:\n- quote: a\n  facts: |\n    id:a a akg:X .\n")["claims"][0]["__facts_source__"]
    (3, '|\n    id:a a akg:X .\n')
    """
    if "!" in text or "\ufeff" in text[1:]:
        return _load_yaml(text, _LineLoader)
    try:
        return _load_yaml(text, _FastLineLoader)
    except yaml.YAMLError:
        return _load_yaml(text, _LineLoader)


_PREFIX_HEADER = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in PREFIXES.items())
_HEADER_LINES = _PREFIX_HEADER.count("\n")


def _parse_facts(text: str, path: Path, line: int) -> Graph:
    graph = Graph()
    try:
        graph.parse(data=_PREFIX_HEADER + text, format="turtle")
    except Exception as error:  # rdflib raises several parser error types
        message = str(error)
        match = re.search(r"line (\d+)", message)
        if match:
            line = line + int(match.group(1)) - _HEADER_LINES - 1
        raise CurationError(path, line, f"the facts are not valid Turtle: {message}") from None
    return graph


#: The slug prefix of the IRIs that replace a claim's blank nodes. Not ``genid-``: OWL API 3 tools
#: read an IRI with ``/genid`` in it as a blank node.
SKOLEM_PREFIX = "node-"


def _skolemize(graph: Graph, source_id: str) -> Graph:
    """Replace blank nodes by IRIs that depend only on the claim's triples (stable across builds)."""
    if not any(isinstance(t, BNode) for triple in graph for t in triple):
        return graph
    canonical = to_canonical_graph(graph)
    # Canonical labels are only unique within one graph: qualify them by the graph's content.
    content = "\n".join(sorted(" ".join(t.n3() for t in triple) for triple in canonical))
    out = Graph()

    def fix(term):
        if isinstance(term, BNode):
            digest = hashlib.sha1(f"{content}\n{term}".encode()).hexdigest()[:16]
            return DATA[f"{SKOLEM_PREFIX}{source_id}-{digest}"]
        return term

    for s, p, o in canonical:
        out.add((fix(s), p, fix(o)))
    return out


def _verbatim(claim_text: str, value: str, span_start: int, source: Source, path, line, what) -> str:
    """The source's own characters for ``value``, which must occur within the claim's quote."""
    hits = find_quote(claim_text, value)
    if not hits:
        raise CurationError(path, line, f"the {what} {value!r} is not inside the claim's quote")
    start, end = hits[0]
    return source.text[span_start + start : span_start + end]


def load_sources(directory: Path) -> dict[str, Source]:
    """Read every ``NNN_*.txt`` in ``directory`` as a source, keyed by its three-digit id."""
    sources = {}
    for path in sorted(directory.glob("*.txt")):
        source_id = path.name.split("_", 1)[0]
        sources[source_id] = Source(source_id, path, path.read_text(encoding="utf-8"))
    return sources


def load_claim_file(path: Path, sources: dict[str, Source]) -> list[Claim]:
    """Read one claim file and locate every quote; raise CurationError at the first fault."""
    text = path.read_text(encoding="utf-8")
    try:
        document = load_yaml(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise CurationError(path, mark.line + 1 if mark else None, f"not valid YAML: {error}") from None
    if not isinstance(document, dict) or "claims" not in document or "source" not in document:
        raise CurationError(path, 1, "a claim file is a mapping with 'source' and 'claims'")
    source_id = str(document["source"])
    if source_id not in sources:
        raise CurationError(path, document["__line__"], f"no source file with id {source_id!r}")
    source = sources[source_id]
    unknown = set(document) - {"source", "created", "curator", "claims", "__line__"}
    if unknown:
        raise CurationError(path, _key_line(text, sorted(unknown)[0]), f"unknown key(s) {sorted(unknown)} in a claim file")
    if not document["claims"]:
        return []
    curation = read_curation(document, text, path)
    claims = []
    for entry in document["claims"]:
        claim = _load_claim(path, source, entry)
        claim.curation = curation
        claims.append(claim)
    return claims


def _load_claim(path: Path, source: Source, entry: dict) -> Claim:
    line = entry.get("__line__")
    unknown = set(entry) - {"quote", "occurrence", "about", "facts", "__line__", "__facts_line__", "__facts_source__",
                            *DRAFT_KEYS}
    if unknown:
        raise CurationError(path, line, f"unknown key(s) {sorted(unknown)} in claim")
    status = entry.get("status")
    if status is not None and status != "draft":
        raise CurationError(path, line, f"status {status!r}: the one status a claim may have is 'draft' "
                                        "(a reviewed claim has none)")
    confidence = entry.get("confidence")
    if confidence is not None and (isinstance(confidence, bool) or not isinstance(confidence, (int, float))
                                   or not 0 <= confidence <= 1):
        raise CurationError(path, line, f"confidence {confidence!r}: a number from 0 to 1")
    quote = entry.get("quote")
    if not isinstance(quote, str) or not quote.strip():
        raise CurationError(path, line, "a claim needs a non-empty 'quote'")
    if not isinstance(entry.get("facts"), str):
        raise CurationError(path, line, f"the claim quoting {quote[:60]!r} has no 'facts'")

    hits = find_quote(source.text, quote)
    if not hits:
        raise CurationError(
            path, line,
            f"quote not found verbatim in {source.path.name}: {quote!r} ({_nearest_miss(source.text, quote)})",
        )
    occurrence = entry.get("occurrence")
    if occurrence is None:
        if len(hits) > 1:
            places = ", ".join(str(s) for s, _ in hits)
            raise CurationError(
                path, line,
                f"quote {quote!r} occurs {len(hits)} times in {source.path.name} (at offsets {places}); "
                "say which with 'occurrence: N'",
            )
        start, end = hits[0]
    else:
        if not isinstance(occurrence, int) or not 1 <= occurrence <= len(hits):
            raise CurationError(
                path, line, f"occurrence {occurrence!r} of {quote!r}: it occurs {len(hits)} time(s)"
            )
        start, end = hits[occurrence - 1]

    facts = _parse_facts(entry["facts"], path, entry.get("__facts_line__", line))
    facts = _skolemize(facts, source.id)
    facts = _exact_literals(facts, quote, start, source, path, line)
    _check_reported_in(facts, source, path, line)

    about = entry.get("about")
    if about is None:
        nodes = sorted({s for s in facts.subjects() if isinstance(s, URIRef) and s.startswith(str(DATA))
                        and not s.startswith(str(DATA[SKOLEM_PREFIX]))})
    else:
        names = about if isinstance(about, list) else [about]
        nodes = [_expand(name, path, line) for name in names]
    if not nodes:
        raise CurationError(path, line, f"the claim quoting {quote[:60]!r} supports no node")
    facts_line, facts_source = entry.get("__facts_source__", (line, ""))
    return Claim(path, line, source, quote, start, end, tuple(nodes), tuple(facts), facts_line, facts_source,
                 draft=status == "draft")


def _expand(name: str, path: Path, line: int) -> URIRef:
    prefix, _, local = str(name).partition(":")
    if prefix not in PREFIXES or not local:
        raise CurationError(path, line, f"'about' names {name!r}, which is not a prefixed name such as id:russia")
    return URIRef(PREFIXES[prefix] + local)


def _exact_literals(facts: Graph, quote: str, start: int, source: Source, path: Path, line: int) -> Graph:
    """Replace quotations and derivation phrases by the source's exact characters."""
    for predicate, what in ((AKG.quotation, "quotation"), (AKG.phrase, "phrase")):
        for s, o in list(facts.subject_objects(predicate)):
            exact = _verbatim(quote, str(o), start, source, path, line, what)
            if exact != str(o):
                facts.remove((s, predicate, o))
                facts.add((s, predicate, Literal(exact, lang=o.language, datatype=o.datatype)))
    return facts


def _check_reported_in(facts: Graph, source: Source, path: Path, line: int) -> None:
    for statement, reported in facts.subject_objects(AKG.reportedIn):
        if reported != source.iri:
            raise CurationError(
                path, line,
                f"{statement} is said to be reported in {reported}, but this file holds claims of {source.iri}",
            )


def annotation_triples(claim: Claim):
    """The Web Annotation evidence of a claim: one annotation per supported node, one shared target."""
    text = claim.source.text
    span = DATA[f"span-{claim.source.id}-{claim.start}-{claim.end}"]
    quote_selector = URIRef(f"{span}-quote")
    position_selector = URIRef(f"{span}-position")
    yield span, RDF.type, OA.SpecificResource
    yield span, OA.hasSource, claim.source.iri
    yield span, OA.hasSelector, quote_selector
    yield span, OA.hasSelector, position_selector
    yield quote_selector, RDF.type, OA.TextQuoteSelector
    yield quote_selector, OA.exact, Literal(text[claim.start : claim.end])
    yield quote_selector, OA.prefix, Literal(text[max(0, claim.start - CONTEXT) : claim.start])
    yield quote_selector, OA.suffix, Literal(text[claim.end : claim.end + CONTEXT])
    yield position_selector, RDF.type, OA.TextPositionSelector
    yield position_selector, OA.start, Literal(claim.start, datatype=XSD.nonNegativeInteger)
    yield position_selector, OA.end, Literal(claim.end, datatype=XSD.nonNegativeInteger)
    for node in claim.about:
        digest = hashlib.sha1(str(node).encode()).hexdigest()[:8]
        annotation = DATA[f"ann-{claim.source.id}-{claim.start}-{claim.end}-{digest}"]
        yield annotation, RDF.type, OA.Annotation
        yield annotation, OA.motivatedBy, AKG.evidencing
        yield annotation, OA.hasBody, node
        yield annotation, OA.hasTarget, span
        if claim.curation is not None:
            yield annotation, DCTERMS.created, claim.curation.created
            yield annotation, DCTERMS.creator, claim.curation.curator
    if claim.curation is not None:
        # An agent of one of the Web Annotation model's agent classes, and the same in PROV-O.
        yield claim.curation.curator, RDF.type, FOAF.Organization
        yield claim.curation.curator, RDF.type, PROV.Organization


def load_claims(claims_dir: Path, sources: dict[str, Source]) -> list[Claim]:
    """Every claim of every ``*.yaml`` file in ``claims_dir``, in file order."""
    files = sorted(claims_dir.glob("*.yaml"))
    if not files:
        raise CurationError(claims_dir, None, "no claim files (*.yaml) found")
    claims = []
    for path in files:
        claims.extend(load_claim_file(path, sources))
    return claims


def source_graphs(claims: list[Claim]) -> dict[URIRef, Graph]:
    """The named graph of each source: the facts of its claims and their evidence (a draft claim's
    go to the draft graph of its source)."""
    graphs: dict[URIRef, Graph] = {}
    for claim in claims:
        graph = graphs.get(claim.graph)
        if graph is None:
            graph = graphs[claim.graph] = Graph(store=WrittenOnce())
        graph.store.extend(claim.triples)
        graph.store.extend(annotation_triples(claim) if claim.evidence is None else claim.evidence)
    return graphs


def _main(argv: list[str] | None = None) -> int:
    """Check claim files on their own: ``python -m astana_kg.pipeline.claims data/claims/001.yaml``."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    root = Path(__file__).resolve().parents[3]
    sources = load_sources(root / "data" / "sources")
    status = 0
    for name in args:
        try:
            claims = load_claim_file(Path(name), sources)
        except CurationError as error:
            print(error, file=sys.stderr)
            status = 1
        else:
            print(f"{name}: {len(claims)} claims, {sum(len(c.triples) for c in claims)} triples: OK")
    return status


if __name__ == "__main__":
    raise SystemExit(_main())
