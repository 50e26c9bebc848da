"""``astana-kg review NNN``: the article with each draft claim's span marked and its facts in
readable form; ``--accept N...`` drops a claim's ``status: draft`` (and its confidence and why),
``--reject N...`` removes it, ``--accept-all`` accepts every draft. Claims are numbered 1, 2, ...
in the order of the file, as the view shows them; one run's numbers refer to the file as it was.

Exit statuses: 0 done, 1 no such claim file or claim number, or a file that is not in the claim
format, 2 any other error.
"""

from __future__ import annotations

import re
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS

from ..pipeline.claims import CurationError, load_claim_file, load_sources
from ..namespaces import AKG, DATA, PREFIXES
from .linking import reviewed_graph

REVIEWED, UNUSABLE, ERROR = 0, 1, 2
_ITEM = re.compile(r"^  - ", re.M)
_DRAFT_LINE = re.compile(r"^    (?:status|confidence|why):.*\n", re.M)


class ReviewError(Exception):
    """The claim file or the claim numbers asked for cannot be used (exit status 1)."""


def split_claims(document: str) -> tuple[str, list[str]]:
    """The text before the first claim, and the text of each claim (``  - `` items of ``claims:``)."""
    starts = [m.start() for m in _ITEM.finditer(document)]
    if not starts:
        return document, []
    # A comment line between two items stays with the item before it.
    blocks, head = [], document[:starts[0]]
    bounds = starts + [len(document)]
    for start, end in zip(bounds, bounds[1:]):
        blocks.append(document[start:end])
    return head, blocks


def _short(term, graph) -> str:
    if isinstance(term, Literal):
        text = str(term)
        return f"“{text[:70]}{'…' if len(text) > 70 else ''}”" if not term.datatype else text
    label = graph.value(term, RDFS.label)
    if label is not None:
        return str(label)
    text = str(term)
    for prefix, namespace in PREFIXES.items():
        if text.startswith(namespace):
            return f"{prefix}:{text[len(namespace):]}"
    return text


def readable(facts, context) -> list[str]:
    """The facts of a claim as lines a person reads: ``Russia  a  State``, ``… roleOf  Russia``."""
    graph = context + facts
    lines = []
    derivations = set(facts.subjects(RDF.type, AKG.DateDerivation)) | set(facts.subjects(RDF.type, AKG.Derivation))
    for s in sorted({s for s in facts.subjects()}, key=str):
        if s in derivations:
            continue  # shown under the node that has it
        lines.append(f"{_short(s, graph)}:")
        for p, o in sorted(facts.predicate_objects(s), key=lambda po: (str(po[0]), str(po[1]))):
            name = str(p).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
            if p == RDF.type:
                name, value = "is a", str(o).rsplit("#", 1)[-1]
            elif o in derivations:
                parts = {str(k).rsplit("#", 1)[-1]: v for k, v in facts.predicate_objects(o)}
                value = (f"derived from “{parts.get('phrase', '')}” ({str(parts.get('certainty', '')).rsplit('#', 1)[-1]}): "
                         f"{parts.get('comment', '')}")
            else:
                value = _short(o, graph)
            lines.append(f"    {name}  {value}")
    return lines


def view(root: Path, source_id: str, color: bool = False) -> str:
    path = root / "data/claims" / f"{source_id}.yaml"
    sources = load_sources(root / "data/sources")
    try:
        claims = load_claim_file(path, sources)
    except FileNotFoundError:
        raise ReviewError(f"{path}: no such claim file") from None
    except CurationError as error:
        raise ReviewError(str(error)) from None
    text = sources[source_id].text
    context = reviewed_graph(root, exclude={source_id})
    for claim in claims:
        context += claim.triples
    document = path.read_text(encoding="utf-8")
    _, blocks = split_claims(document)
    marks: dict[int, list[str]] = {}
    for number, claim in enumerate(claims, start=1):
        if claim.draft:
            marks.setdefault(claim.start, []).append(f"⟦{number} ")
            marks.setdefault(claim.end, []).insert(0, f" {number}⟧")
    out, position = [], 0
    for offset in sorted(marks):
        out.append(text[position:offset])
        tag = "".join(marks[offset])
        out.append(f"\033[7m{tag}\033[0m" if color else tag)
        position = offset
    out.append(text[position:])
    lines = [f"{sources[source_id].path.name}, draft claims marked ⟦N … N⟧:", "", "".join(out).rstrip(), "", "claims:"]
    for number, (claim, block) in enumerate(zip(claims, blocks), start=1):
        confidence = re.search(r"^    confidence: (.*)$", block, re.M)
        why = re.search(r"^    why: (.*)$", block, re.M)
        state = f"draft, confidence {confidence.group(1) if confidence else '?'}" if claim.draft else "reviewed"
        lines.append(f"#{number} [{state}] {path.name}:{claim.line}  «{claim.quote[:100]}{'…' if len(claim.quote) > 100 else ''}»")
        if claim.draft and why:
            lines.append(f"    why: {why.group(1).strip(chr(34))}")
        lines.extend("    " + line for line in readable(claim.facts, context))
    drafts = sum(1 for c in claims if c.draft)
    lines.append(f"{drafts} of {len(claims)} claims are drafts; accept with --accept N..., reject with --reject N..., "
                 "or --accept-all")
    return "\n".join(lines) + "\n"


def decide(root: Path, source_id: str, accept: list[int], reject: list[int], accept_all: bool = False) -> str:
    """Accept and reject claims by number; return what was done (and which accepted facts still
    name nodes that only draft claims introduce)."""
    path = root / "data/claims" / f"{source_id}.yaml"
    if not path.is_file():
        raise ReviewError(f"{path}: no such claim file")
    sources = load_sources(root / "data/sources")
    try:
        claims = load_claim_file(path, sources)
    except CurationError as error:
        raise ReviewError(str(error)) from None
    document = path.read_text(encoding="utf-8")
    head, blocks = split_claims(document)
    if len(blocks) != len(claims):
        raise ReviewError(f"{path}: its claims are not one '  - ' item each; edit it by hand")
    if accept_all:
        accept = [n for n, c in enumerate(claims, start=1) if c.draft]
    both = set(accept) & set(reject)
    if both:
        raise ReviewError(f"claim(s) {sorted(both)} both accepted and rejected")
    for number in accept + reject:
        if not 1 <= number <= len(claims):
            raise ReviewError(f"no claim #{number}: {path.name} has claims 1 to {len(claims)}")
    kept = []
    for number, block in enumerate(blocks, start=1):
        if number in reject:
            continue
        kept.append(_DRAFT_LINE.sub("", block) if number in accept else block)
    new = head + "".join(kept)
    path.write_text(new, encoding="utf-8")
    report = [f"{path}: accepted {len(accept)}, rejected {len(reject)}; "
              f"{sum(1 for n, c in enumerate(claims, 1) if c.draft and n not in accept and n not in reject)} drafts left"]
    report.extend(_untyped(root, path, sources))
    return "\n".join(report)


def _untyped(root: Path, path: Path, sources) -> list[str]:
    """Nodes the reviewed claims use that only draft claims (or no claim) give a class."""
    claims = load_claim_file(path, sources)
    typed = reviewed_graph(root, exclude={path.stem})
    for claim in claims:
        if not claim.draft:
            typed += claim.triples
    lines = []
    for claim in claims:
        if claim.draft:
            continue
        for term in {t for triple in claim.triples for t in (triple[0], triple[2])}:
            if isinstance(term, URIRef) and str(term).startswith(str(DATA)) and (term, RDF.type, None) not in typed:
                introducing = [n for n, c in enumerate(claims, 1) if c.draft and any(s == term and p == RDF.type for s, p, _ in c.triples)]
                lines.append(f"warning: {claim.where}: id:{str(term)[len(str(DATA)):]} has a class only in draft claim(s) "
                             f"{introducing or 'none'}: accept one of them too, or the build will refuse it")
    return sorted(set(lines))
