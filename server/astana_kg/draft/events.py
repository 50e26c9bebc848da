"""Events and the things roles are in: negotiation rounds ("the fourth round of talks"), the peace
process, the graph's memorandum and ceasefire when the article names them by a common noun, with
the dates their own clauses give them (days, ranges such as "May 3-4", weekdays, "yesterday", "the
next day"; "last December" as bounds)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from ..namespaces import AKG

from .dates import FROM_ARTICLE, OFFSETS, WEEKDAYS, DatePhrase, find_dates, month_bounds, resolve
from .linking import SPEECH_VERBS, Linker, Mention
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
    confidence: float = 0.5


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


#: Verbs of an event's own course, by the day they give it: its first, its last, its whole span
#: ("held on May 3-4"), the day an agreement was signed, the day it took effect.
_COURSE = {
    "start": r"opened|opens|began|begun|begins|started|starts|kicked off|got under ?way|convened|resumed",
    "end": r"ended|ends|closed|closes|concluded|wrapped up|came to an end|finished",
    "whole": r"held|took place|takes place|met",
    "signed": r"signed|inked|reached|adopted|agreed(?: on| upon)?|(?:signing|signature) of",
    "force": r"took effect|takes effect|c(?:ame|omes) in(?:to)? (?:force|effect)|enter(?:ed|s) into force|went into effect",
}
_VERB_OF = re.compile(r"\b(?:" + "|".join(rf"(?P<{kind}>{words})" for kind, words in _COURSE.items()) + r")\b")
#: The properties a day gives an event, by the kind of event and of verb (None: a date in the
#: event's own noun phrase, "the round of talks on May 3-4").
_PROPERTIES = {("round", "start"): ("startDate",), ("round", "end"): ("endDate",),
               ("round", "whole"): ("startDate", "endDate"), ("round", None): ("startDate", "endDate"),
               ("agreement", "signed"): ("signedOn",), ("agreement", "force"): ("inForceFrom",)}
#: Between an event and its verb: a modifier ("of talks between the government and the opposition"),
#: a relative pronoun ("talks that began", "the round, which opened"), auxiliaries and adverbs.
_TO_VERB = re.compile(r"(?:\s+(?:in|of|on|at|between|among|with|for|from|over)\b[^,;:()“”\"«»]{0,100}?)?"
                      r"(?:\s*,?\s*(?:which|that)\b)?(?:\s+(?:was|were|is|are|has|have|had|been|being|will|would|"
                      r"officially|formally|finally|also|eventually|successfully|then|only))*\s+$")
#: Between a verb and the event it takes as object: "signed a memorandum", "opened the fourth round".
_TO_OBJECT = re.compile(r"\s+(?:(?:the|a|an|its|their)\s+)?(?:(?!(?:during|at|in|on|of|for|with|after|before|about|over|"
                        r"from|to|by|since|until)\b)[a-z][\w-]*\s+){0,2}$")
#: Words that close a clause: punctuation, relative and subordinating words, "and"/"but" (a range
#: of weekdays, "on Wednesday and Thursday", is one date phrase here).
_BOUNDARY = re.compile(r"[,;:()“”\"«»—]|\s[–-]\s|\b(?:that|which|who|when|while|because|but|and|as|after|before|since|"
                       r"until|whereas|although|though|if)\b")
#: Between a round and a range of its noun phrase: "the round of talks in Astana on May 3-4".
_NOUN_MODIFIER = re.compile(r"(?:\s+(?:in|of|on|at)\s+[^,;:()“”\"«»]{0,60}?)?\s+(?:on|of|from)\s+")
#: A sentence opening on its date: "On Wednesday, ...", "Also on May 4 ...", "Yesterday, ...".
_FRONTED = re.compile(r"(?:(?:Also|Earlier|Later|Late|Then)\s+)?(?:[Oo]n\s+)?$")
#: A round named again: "the round", "the talks", "the negotiations" (the last round named before).
_AGAIN = re.compile(r"\b[Tt]he\s+(?:(?:latest|current|new)\s+)?(?:round(?:\s+of\s+(?:the\s+)?(?:talks|negotiations|"
                    r"consultations))?|talks|negotiations|consultations)\b")
_WEEKDAY_PAIR = re.compile(r"\s*(?:and|to|through|-|–)\s*$")
#: Speech verbs, less those that are also an event's verb or a plural noun ("the guarantor states").
_SPEECH = re.compile(r"\b(?:" + "|".join(re.escape(v) for v in SPEECH_VERBS
                                          if v not in ("concluded", "backed", "states", "notes", "stresses")) + r")\b")


def _kind(entity) -> str | None:
    if entity.cls == AKG.NegotiationRound:
        return "round"
    if entity.cls in (AKG.Agreement, AKG.Memorandum, AKG.Ceasefire):
        return "agreement"
    return None


def _phrases(text: str, year: int | None, start: int, end: int) -> list[tuple[int, int, list[DatePhrase]]]:
    """The sentence's days, weekdays and relative phrases as (start, end, phrases): a weekday range
    ("Wednesday and Thursday") is one item of two phrases."""
    items: list[tuple[int, int, list[DatePhrase]]] = []
    for d in find_dates(text, year, start, end):
        if d.kind == "month":
            continue
        if items and d.kind == "weekday" and len(items[-1][2]) == 1 and items[-1][2][0].kind == "weekday" \
                and _WEEKDAY_PAIR.fullmatch(text[items[-1][1]:d.begin]):
            items[-1] = (items[-1][0], d.finish, items[-1][2] + [d])
        else:
            items.append((d.begin, d.finish, [d]))
    return items


def _masked(text: str, start: int, end: int, items) -> str:
    """The sentence with its date phrases blanked out (their commas and "and" close no clause)."""
    chars = list(text[start:end])
    for a, b, _ in items:
        chars[a - start:b - start] = "D" * (b - a)
    return "".join(chars)


def _clause_end(masked: str, offset: int, position: int) -> int:
    """Where the clause going on at ``position`` ends (an offset of the text)."""
    boundary = _BOUNDARY.search(masked, position - offset)
    speech = _SPEECH.search(masked, position - offset)
    ends = [m.start() for m in (boundary, speech) if m] + [len(masked)]
    return offset + min(ends)


def _tie(text: str, mention, masked: str, offset: int, items) -> tuple[str | None, str, list] | None:
    """The verb of ``mention``'s own clause and the date phrases of that clause, as (verb kind,
    how they are tied, items); None when no date phrase is the event's own.

    A phrase is the event's own when it is in the verb phrase of the event's verb (after the event,
    "the round opened on Wednesday", "talks that began on Wednesday", or taking it as object,
    "signed a memorandum on Thursday"), when it opens the sentence whose main verb is the event's
    ("On May 4, Russia, Turkey and Iran signed a memorandum"), or, a range of days printed, when it
    is in a round's noun phrase ("the round of talks on May 3-4"; one day there may be a day of
    the round, "during the round on May 4", and a weekday another verb's, "spoke of the round on
    Friday"). A phrase of a reporting clause ("Lavrov said on Friday that the round had opened")
    is not: the clause of a speech verb ends the event's."""
    start, end = mention.start - offset, mention.end - offset  # offsets in ``masked``
    verb, after = None, True
    for m in _VERB_OF.finditer(masked, end):
        if m.start() - end > 160:
            break
        if _TO_VERB.fullmatch(masked[end:m.start()]) and not _SPEECH.search(masked, end, m.start()):
            verb = m
            break
    if verb is None:
        for m in _VERB_OF.finditer(masked, 0, start):
            if _TO_OBJECT.fullmatch(masked[m.end():start]):
                verb, after = m, False
    if verb is not None:
        words = text[offset + verb.start():offset + verb.end()]
        tail_from = offset + (verb.end() if after else end)
        tail_to = _clause_end(masked, offset, tail_from)
        own = [item for item in items if tail_from <= item[0] < tail_to]
        if own:
            return verb.lastgroup, f"in the event’s own phrase, ‘{words}’", own[:1]
        first = items[0] if items else None
        subject = min(start, verb.start())
        if first is not None and _FRONTED.fullmatch(masked[:first[0] - offset]) \
                and re.match(r"\s*,?\s", masked[first[1] - offset:]) \
                and not _SPEECH.search(masked, first[1] - offset, subject) \
                and not re.search(r"\b(?:that|which|who)\b|[;:“”\"«»]", masked[first[1] - offset:subject]):
            return verb.lastgroup, f"opening the sentence whose verb ‘{words}’ is the event’s", [first]
    if _kind(mention.entity) == "round" and not getattr(mention, "again", False):
        before = masked[:start]
        clause_start = max([m.end() for m in _BOUNDARY.finditer(before)] + [0])
        modifier = [item for item in items if mention.end <= item[0] and item[2][0].kind == "range"
                    and _NOUN_MODIFIER.fullmatch(text[mention.end:item[0]])
                    and not _BOUNDARY.search(masked, end, item[0] - offset)]
        if modifier and not _SPEECH.search(before, clause_start):
            return None, "in the event’s own noun phrase", modifier[:1]
    return None


def _contradicts(entity, prop: str, value, drafted, graph) -> bool:
    """Whether a first day would fall after a last day the event has (drafted before in the article,
    or reviewed in ``graph``), or a last day before a first: the build's date-order shape refuses it."""
    other = {"startDate": "endDate", "endDate": "startDate"}.get(prop)
    if other is None:
        return False
    days = [v for e, p, v in drafted if e is entity and p == other]
    if graph is not None:
        days += [o.toPython() for o in graph.objects(entity.iri, AKG[other])]
    return any(not hasattr(day, "year") or (value > day if prop == "startDate" else value < day) for day in days)


def event_dates(text: str, mentions: list[Mention], meta, graph=None) -> list[EventFact]:
    """Dates of rounds and agreements from the phrases of their own clauses (see :func:`_tie`): a
    day, a range ("May 3-4"), a weekday or a pair of them ("on Wednesday and Thursday"), resolved
    against the article's day as statements' are; "yesterday"; "the next day" or "a day after the
    talks began", counted from a day the article gave an event before; and month bounds ("last
    December") of the ceasefire or agreement a sentence names. A day that would put an event's
    first day after its last (those drafted before, and those the reviewed ``graph`` gives it) is
    left out: the clause was misread, or the article contradicts the graph."""
    facts = []
    reference = meta.published or meta.anchor
    drafted: list[tuple[object, str, object]] = []  # (entity, property, day) in reading order
    rounds = sorted((m for m in mentions if m.entity.cls == AKG.NegotiationRound), key=lambda m: m.start)
    for s_start, s_end in sentences(text):
        items = _phrases(text, meta.year, s_start, s_end)
        masked = _masked(text, s_start, s_end, items)
        inside = [m for m in mentions if s_start <= m.start < s_end]
        for again in _AGAIN.finditer(text, s_start, s_end):
            earlier = [m for m in rounds if m.end <= again.start()]
            if earlier and not any(m.start < again.end() and again.start() < m.end for m in inside):
                mention = Mention(again.start(), again.end(), earlier[-1].entity, f"‘{again.group()}’: the round named before", 0.5)
                mention.again = True  # type: ignore[attr-defined]
                inside.append(mention)
        for m in sorted(inside, key=lambda m: m.start):
            kind = _kind(m.entity)
            if kind is None:
                continue
            tie = _tie(text, m, masked, s_start, items)
            if tie is not None:
                verb, how, [(begin, finish, phrases)] = tie
                properties = _PROPERTIES.get((kind, verb))
                days = _days(text, phrases, finish, s_end, meta, drafted, kind) if properties else None
                if days and not any(_contradicts(m.entity, prop, days["end" if prop == "endDate" else "start"][0], drafted, graph)
                                    for prop in properties):
                    dates = []
                    for prop in properties:
                        value, phrase, certainty, comment = days["end" if prop == "endDate" else "start"]
                        dates.append((prop, value, phrase, certainty, f"{comment}; {how}"))
                        drafted.append((m.entity, prop, value))
                    facts.append(EventFact(m.entity, (s_start, s_end), dates, f"a date of the event’s own clause ({how})", 0.6))
            if kind == "agreement" and reference is not None:
                months = [d for d in find_dates(text, meta.year, s_start, s_end) if d.kind == "month" and d.word == "last"]
                if months:
                    first, last = month_bounds(months[0], reference)
                    comment = f"‘{months[0].phrase}’ before {reference.isoformat()}: the month, not the day"
                    facts.append(EventFact(m.entity, (s_start, s_end), [
                        ("notBefore", first, months[0], "Uncertain", comment),
                        ("notAfter", last, months[0], "Uncertain", comment)], "a month without a day: bounds"))
    return facts


def _days(text, phrases, finish, s_end, meta, drafted, kind) -> dict | None:
    """The first and last day a tied item names, each as (day, phrase, certainty, comment)."""
    first = phrases[0]
    if first.kind in ("day", "range") and first.start:
        certainty = "Certain" if first.year_given else "Probable"
        basis = "printed" if first.year_given else f"printed (the year: {meta.year_basis})"
        return {"start": (first.start, first, certainty, f"the first day {basis}" if first.kind == "range" else f"the day {basis}"),
                "end": (first.end, first, certainty, f"the last day {basis}" if first.kind == "range" else f"the day {basis}")}
    if first.kind == "weekday":
        last = resolve(phrases[-1], meta)
        if last is None:
            return None
        if len(phrases) == 1:
            return {"start": (last.value, first, last.certainty, last.how), "end": (last.value, first, last.certainty, last.how)}
        gap = (WEEKDAYS.index(phrases[-1].phrase.lower()) - WEEKDAYS.index(first.phrase.lower())) % 7
        begin = last.value - timedelta(days=gap)
        return {"start": (begin, first, last.certainty, f"‘{first.phrase}’, the {first.phrase} before ‘{phrases[-1].phrase}’ "
                          f"({last.value.isoformat()}; {last.how})"),
                "end": (last.value, phrases[-1], last.certainty, last.how)}
    if first.kind == "relative":
        if first.word in FROM_ARTICLE:
            resolved = resolve(first, meta)
            if resolved is None:
                return None
            value, comment, certainty = resolved.value, resolved.how, resolved.certainty
        else:
            base = _base(text, first, finish, s_end, meta, drafted)
            if base is None:
                return None
            value, certainty = base[0] + timedelta(days=OFFSETS[first.word]), "Probable"
            comment = f"‘{first.phrase}’ counted from {base[1]}"
        return {"start": (value, first, certainty, comment), "end": (value, first, certainty, comment)}
    return None


def _base(text, phrase, finish, s_end, meta, drafted):
    """The day "a day after", "the next day" and the like count from: a day the same clause gives
    ("a day after the talks began on May 3"), the first or last day the article gave the round a
    clause names ("a day after the talks began"/"ended"), else the last day it gave an event."""
    rest = text[finish:s_end]
    following = next((d for d in find_dates(text, meta.year, finish, s_end) if d.kind != "month"), None)
    if following is not None and phrase.word in ("a day after", "the day before", "a day earlier") \
            and not _BOUNDARY.search(text, finish, following.begin):
        if following.kind in ("day", "range") and following.start:
            return following.start, f"‘{following.phrase}’, {following.start.isoformat()}"
        resolved = resolve(following, meta) if following.kind == "weekday" else None
        if resolved is not None:
            return resolved.value, f"‘{following.phrase}’, {resolved.value.isoformat()} ({resolved.how})"
    verb = _VERB_OF.search(rest[:_clause_end(rest, 0, 0)]) if phrase.word == "a day after" else None
    wanted = {"start": "startDate", "end": "endDate"}.get(verb.lastgroup) if verb else None
    for entity, prop, value in reversed(drafted):
        if wanted is None or (entity.cls == AKG.NegotiationRound and prop == wanted):
            return value, f"the {prop} the article gave {entity.label!r}, {value.isoformat()}"
    return None
