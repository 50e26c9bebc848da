"""Events and the things roles are in: negotiation rounds ("the fourth round of talks"), the peace
process, the graph's memorandum and ceasefire when the article names them by a common noun, with
their dates (days, ranges such as "May 3-4", "last December" as bounds)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..namespaces import AKG
from .dates import find_dates, month_bounds
from .linking import Linker, Mention
from .text import fold, sentences

ORDINALS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
            "eleventh", "twelfth"]
_ROUND = re.compile(r"\b(?P<ordinal>" + "|".join(ORDINALS) + r"|\d{1,2}(?:st|nd|rd|th))\s+round\s+of\s+"
                    r"(?:the\s+)?(?:(?P<place>[A-Z]\w+)\s+)?(?:peace\s+)?(?:talks|negotiations|consultations)\b")
#: Common nouns that name the graph's one thing of a class (the one with most roles in it).
_NOUNS = {r"\bmemorandum\b": "Memorandum", r"\b(?:ceasefire|cease-fire|truce)(?: regime)?\b": "Ceasefire",
          r"\bAstana (?:peace )?(?:talks|process)\b": "PeaceProcess", r"\b(?:civil war|Syria crisis|Syrian conflict)\b": "Conflict"}


@dataclass
class EventFact:
    entity: object
    span: tuple[int, int]
    dates: list  # (property local name, date, DatePhrase, certainty, comment)
    why: str


def _ordinal(word: str) -> int:
    word = word.lower()
    return ORDINALS.index(word) + 1 if word in ORDINALS else int(re.match(r"\d+", word).group())


def _most_roles(linker: Linker, cls: str):
    graph = linker.gazetteer.graph
    candidates = [e for e in linker.gazetteer.entities.values() if e.cls == AKG[cls]]
    if not candidates:
        return None
    return max(candidates, key=lambda e: (sum(1 for _ in graph.subjects(AKG.roleIn, e.iri)), -len(e.label)))


def event_mentions(text: str, mentions: list[Mention], linker: Linker) -> list[Mention]:
    """Mentions of rounds and of the graph's agreement, ceasefire, process and conflict, where no
    other mention covers the words."""
    added = []

    def free(start, end):
        return all(end <= m.start or start >= m.end for m in mentions + added)

    for m in _ROUND.finditer(text):  # a round wins over the names inside it ("Astana talks")
        number = _ordinal(m["ordinal"])
        known = [e for e in linker.gazetteer.entities.values() if e.cls == AKG.NegotiationRound
                 and (ORDINALS[number - 1] if number <= len(ORDINALS) else str(number)) in fold(e.label)]
        if known:
            added.append(Mention(m.start(), m.end(), known[0], f"round {number} of the graph: {known[0].label!r}", 0.8))
        else:
            place = m["place"] or "Astana"
            label = f"{ORDINALS[number - 1] if number <= len(ORDINALS) else m['ordinal']} round of the {place} talks"
            added.append(Mention(m.start(), m.end(), linker.propose(label, "NegotiationRound"), "new NegotiationRound", 0.6))
    for pattern, cls in _NOUNS.items():
        entity = _most_roles(linker, cls)
        if entity is None:
            continue
        for m in re.finditer(pattern, text):
            if free(*m.span()):
                added.append(Mention(m.start(), m.end(), entity, f"‘{m.group()}’ taken for the graph’s {cls} {entity.label!r}", 0.5))
    return added


def event_dates(text: str, mentions: list[Mention], year: int | None, reference) -> list[EventFact]:
    """Dates of rounds (a day or range in the same sentence) and month bounds ("last December") of
    the ceasefire or agreement a sentence names."""
    facts = []
    for s_start, s_end in sentences(text):
        inside = [m for m in mentions if s_start <= m.start < s_end]
        phrases = find_dates(text, year, s_start, s_end)
        for m in inside:
            if m.entity.cls == AKG.NegotiationRound:
                days = [d for d in phrases if d.kind in ("day", "range") and d.start]
                if days:
                    d = days[0]
                    facts.append(EventFact(m.entity, (s_start, s_end), [
                        ("startDate", d.start, d, "Certain" if d.year_given else "Probable", "the day the sentence gives the round"),
                        ("endDate", d.end, d, "Certain" if d.year_given else "Probable", "the day the sentence gives the round")],
                        "round and date in one sentence"))
            if m.entity.cls in (AKG.Ceasefire, AKG.Agreement, AKG.Memorandum) and reference is not None:
                months = [d for d in phrases if d.kind == "month" and d.word == "last"]
                if months:
                    first, last = month_bounds(months[0], reference)
                    comment = f"‘{months[0].phrase}’ before {reference.isoformat()}: the month, not the day"
                    facts.append(EventFact(m.entity, (s_start, s_end), [
                        ("notBefore", first, months[0], "Uncertain", comment),
                        ("notAfter", last, months[0], "Uncertain", comment)], "a month without a day: bounds"))
    return facts

