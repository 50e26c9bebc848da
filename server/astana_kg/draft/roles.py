"""Roles and offices: guarantors, observers, mediators, signatories, monitors, supporters from the
patterns the sources use, and positions with the source's own title ("Russian Foreign Minister
Sergey Lavrov")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..namespaces import AKG
from .linking import STATES, TITLE_WORDS, Linker, Mention
from .text import sentences

#: A role noun as the sources write it, and the role class it names.
ROLE_NOUNS = {
    "guarantor": "GuarantorRole", "guarantors": "GuarantorRole", "countries-guarantors": "GuarantorRole",
    "guarantor states": "GuarantorRole", "guarantor countries": "GuarantorRole",
    "mediator": "MediatorRole", "mediators": "MediatorRole", "observer": "ObserverRole", "observers": "ObserverRole",
    "monitor": "MonitorRole", "monitors": "MonitorRole", "signatory": "SignatoryRole", "signatories": "SignatoryRole",
    "sponsor": "GuarantorRole", "sponsors": "GuarantorRole",
}
#: The kind of context each role class is in, when the sentence names none.
DEFAULT_CONTEXT = {
    "GuarantorRole": ("Ceasefire",), "MonitorRole": ("Ceasefire",),
    "MediatorRole": ("NegotiationRound", "PeaceProcess"), "ObserverRole": ("NegotiationRound", "PeaceProcess"),
    "SignatoryRole": ("Memorandum", "Agreement"), "SupporterRole": ("Conflict",),
    "NegotiatingPartyRole": ("NegotiationRound", "PeaceProcess"),
}
_TITLE_FILLERS = {"of", "for", "to", "on", "in", "the", "top", "senior", "acting", "special", "chief", "deputy", "peace",
                  "talks", "affairs", "political", "foreign", "state", "general"}
_NOUNS = "|".join(sorted((re.escape(n) for n in ROLE_NOUNS), key=len, reverse=True))
_HOLDER_CLASSES = {AKG[n] for n in ("State", "InternationalOrganization", "ArmedGroup", "GovernmentBody", "Delegation",
                                    "Coalition", "PoliticalOrganization", "Party", "Person")}
_CONTEXT_NAMES = {AKG[n] for n in ("NegotiationRound", "PeaceProcess", "Meeting", "Signing", "Conflict",
                                   "MilitaryAction", "Memorandum", "Ceasefire", "Agreement", "Event")}


@dataclass
class Role:
    cls: str
    holder: object  # linking.Entity
    context: object | None  # linking.Entity (roleIn), or the organization of a position
    span: tuple[int, int]
    why: str
    confidence: float
    title: str | None = None  # a position's words
    supports: object | None = None


def _list_before(text: str, mentions: list[Mention], position: int, floor: int) -> list[Mention]:
    """Agents listed right before ``position``: "Iran, Russia and Turkey, as ..."."""
    chosen = []
    cursor = position
    for m in sorted((m for m in mentions if floor <= m.start and m.end <= position), key=lambda m: -m.start):
        gap = text[m.end:cursor]
        if re.fullmatch(r"[\s,]*(?:and\s+|,\s*|that is,\s*the\s+\w+\s+acting\s+|-\s*|–\s*|(?:act|acts|acted|serve|serves)\s+)?[\s,]*", gap) \
                and m.entity.cls in _HOLDER_CLASSES:
            chosen.append(m)
            cursor = m.start
        else:
            break
    return list(reversed(chosen))


def _list_after(text: str, mentions: list[Mention], position: int, ceiling: int, adjectives: bool = False) -> list[Mention]:
    """Agents listed right after ``position`` ("- Turkey, Russia and Iran"), a context named
    before them skipped ("of the ceasefire - Turkey ...")."""
    chosen = []
    cursor = position
    for m in sorted((m for m in mentions if position <= m.start and m.end <= ceiling), key=lambda m: m.start):
        gap = text[cursor:m.start]
        words = r"(?:[a-z]\w+\s+){0,2}" if adjectives and not chosen else ""
        if not chosen and m.entity.cls in _CONTEXT_NAMES and re.fullmatch(r"[\s,]*(?:the\s+)?", gap):
            cursor = m.end
            continue
        if re.fullmatch(rf"[\s,]*(?:the\s+|and\s+(?:the\s+)?|-\s*|–\s*|from\s+(?:the\s+)?)?{words}", gap) and m.entity.cls in _HOLDER_CLASSES:
            chosen.append(m)
            cursor = m.end
        else:
            break
    return chosen


class RoleFinder:
    def __init__(self, text: str, mentions: list[Mention], linker: Linker):
        self.text = text
        self.mentions = mentions
        self.linker = linker
        self.last_list: list[Mention] = []
        self.lists: list[list[Mention]] = []

    def context(self, cls: str, start: int, end: int, after: int, kinds=None) -> tuple[object | None, str]:
        """The context of a role: named after the role noun in the sentence, else the last fitting
        thing the article named, else the graph's one of that kind with most such roles."""
        wanted = {AKG[k] for k in (kinds or DEFAULT_CONTEXT.get(cls, ()))}
        named = [m for m in self.mentions if after <= m.start < end and m.entity.cls in _CONTEXT_NAMES]
        fitting = [m for m in named if m.entity.cls in wanted] or (named if cls != "SignatoryRole" else [])
        if fitting:
            return fitting[0].entity, f"context named: {fitting[0].how}"
        inside = [m for m in self.mentions if start <= m.start < after and m.entity.cls in wanted]
        if inside:
            return inside[-1].entity, f"context named before in the sentence: {inside[-1].how}"
        earlier = [m for m in self.mentions if m.start < start and m.entity.cls in wanted]
        if earlier:
            return earlier[-1].entity, f"context: the last {earlier[-1].entity.cls.split('#')[1]} named before"
        later = [m for m in self.mentions if m.start >= end and m.entity.cls in wanted]
        if later:
            return later[0].entity, f"context: the {later[0].entity.cls.split('#')[1]} the article names later"
        graph = self.linker.gazetteer.graph
        best, count = None, 0
        for entity in self.linker.gazetteer.entities.values():
            if entity.cls in wanted:
                n = sum(1 for role in graph.subjects(AKG.roleIn, entity.iri) if (role, None, AKG[cls]) in graph)
                if n > count:
                    best, count = entity, n
        if best:
            return best, f"context: the graph’s {best.cls.split('#')[1]} with most {cls}s ({count})"
        kinds = [e for e in self.linker.gazetteer.entities.values() if e.cls in wanted]
        if len(kinds) == 1:
            return kinds[0], f"context: the graph’s one {kinds[0].cls.split('#')[1]}"
        return None, ""

    def roles(self) -> list[Role]:
        found: list[Role] = []
        for s_start, s_end in sentences(self.text):
            sentence = self.text[s_start:s_end]
            for m in re.finditer(rf"\b(?:as|the|are|were|acting as the)\s+(?:the\s+)?(?:ceasefire\s+|truce\s+)?((?:{_NOUNS})(?:\s+and\s+(?:{_NOUNS}))?)"
                                 rf"(?:\s+of\s+(?:the\s+)?)?", sentence):
                nouns = re.split(r"\s+and\s+", m.group(1))
                named_from = s_start + m.end() if m.group().rstrip().endswith(("of", "of the")) else s_end
                holders = _list_before(self.text, self.mentions, s_start + m.start(), s_start)
                if not holders:
                    holders = _list_after(self.text, self.mentions, s_start + m.end(), s_end)
                if not holders and re.match(r"(?:The|the)\s+(?:trio|three|guarantors)", sentence[max(0, m.start() - 1):]):
                    holders = self.last_list
                for index, noun in enumerate(nouns):
                    last = index == len(nouns) - 1
                    self._add(found, ROLE_NOUNS[noun.lower()], holders, s_start, s_end,
                              s_start + m.end() if last else s_end, f"pattern ‘{m.group().strip()}’",
                              named=last and named_from < s_end)
            for m in re.finditer(r"\b([A-Z][\w.]*(?:(?:,\s*|\s+and\s+)[A-Z][\w.]*)*)\s+(observers|monitors|mediators|guarantors)\b",
                                 sentence):
                holders = [self._state(word) for word in re.split(r",\s*|\s+and\s+", m.group(1))]
                holders = [Mention(s_start + m.start(), s_start + m.end(1), h, "adjective", 0.6) for h in holders if h]
                self._add(found, ROLE_NOUNS[m.group(2)], holders, s_start, s_end, s_end, f"pattern ‘{m.group()}’")
            for m in re.finditer(r"\b(?:participate|participates|participated|take part|takes part|took part)\s+in\s+"
                                 r"(?:the\s+)?(?:negotiation|peace)\s+process\b", sentence):
                holders = [x for x in self.mentions if s_start <= x.start and x.end <= s_start + m.start()
                           and x.entity.cls in _HOLDER_CLASSES]
                self._add(found, "NegotiatingPartyRole", holders, s_start, s_end, s_end, "pattern ‘X participate in the process’",
                          kinds=("PeaceProcess",))
            for m in re.finditer(r"\b(?:talks|negotiations|consultations)\s+between\s+", sentence):
                holders = _list_after(self.text, self.mentions, s_start + m.end(), s_end)
                self._add(found, "NegotiatingPartyRole", holders, s_start, s_end, s_end, "pattern ‘talks between X and Y’")
            for m in re.finditer(r"\b(?:brokered|mediated)\s+(?:a|the)\s+", sentence):
                holders = self._first_list(s_start, s_start + m.start())
                self._add(found, "MediatorRole", holders, s_start, s_end, s_start + m.end(), "pattern ‘X brokered a …’",
                          kinds=("Memorandum", "Agreement"), named=True)
            for m in re.finditer(r"\b(?:a|the)\s+([A-Z]\w+)\s+(?:proposal|initiative|plan)\b", sentence):
                state = self._state(m.group(1))
                if state:
                    holder = Mention(s_start + m.start(1), s_start + m.end(1), state, "adjective", 0.6)
                    self._add(found, "ProposerRole", [holder], s_start, s_end, s_start, f"pattern ‘{m.group()}’",
                              kinds=("Memorandum", "Agreement"))
            for m in re.finditer(r",?\s+which\s+(?:is|are)\s+(?:a\s+)?part(?:y|ies)\s+to\s+(?:the\s+)?", sentence):
                holders = [x for x in self.mentions if s_start <= x.start and x.end <= s_start + m.start()
                           and x.entity.cls in _HOLDER_CLASSES][-2:]
                self._add(found, "PartyToAgreementRole", holders, s_start, s_end, s_start + m.end(), "pattern ‘which are party to’",
                          kinds=("Ceasefire", "Agreement", "Memorandum"), named=True)
            for m in re.finditer(rf"\b({_NOUNS})\s+from\s+", sentence, re.IGNORECASE):
                holders = _list_after(self.text, self.mentions, s_start + m.end(), s_end)
                self._add(found, ROLE_NOUNS[m.group(1).lower()], holders, s_start, s_end, s_start + m.end(),
                          f"pattern ‘{m.group(1)} from …’")
            for m in re.finditer(r"\b(?:signed|inked)\s+(?:a|the)\s+", sentence):
                holders = _list_before(self.text, self.mentions, s_start + m.start(), s_start)
                holders = holders or self._first_list(s_start, s_start + m.start())
                self._add(found, "SignatoryRole", holders, s_start, s_end, s_start + m.start(), "pattern ‘X signed a …’")
            for m in re.finditer(r"\b(?:tasked with|responsible for)\s+(?:observing|monitoring)\b", sentence):
                holders = _list_before(self.text, self.mentions, s_start + m.start(), s_start) or (
                    next((x for x in reversed(self.lists) if len(x) == 3), self.last_list)
                    if re.match(r"The (?:trio|three)", sentence) else [])
                self._add(found, "MonitorRole", holders, s_start, s_end, s_start + m.end(), "pattern ‘tasked with observing’")
            for m in re.finditer(r"\b(?:are|is|were) (?:allies|an ally|the allies) of\s+|\bbacks\s+|\bsupports\s+", sentence):
                holders = _list_before(self.text, self.mentions, s_start + m.start(), s_start) or \
                    self._subject_list(s_start, s_start + m.start())
                party = _list_after(self.text, self.mentions, s_start + m.end(), s_end, adjectives=True)
                if party:
                    self._add(found, "SupporterRole", holders, s_start, s_end, s_start + m.end(),
                              f"pattern ‘{m.group().strip()}’", supports=party[0].entity)
            lists = self._lists(s_start, s_end)
            if lists:
                self.last_list = lists[-1]
                self.lists.extend(lists)
        return found + self.positions()

    def _state(self, word: str):
        for state, adjectives in STATES.items():
            if word == state or word in adjectives:
                return self.linker.propose(state, "State")
        return None

    def _first_list(self, start, end):
        """The first list of states between ``start`` and ``end`` (the subject of a verb)."""
        lists = self._lists(start, end)
        return lists[0] if lists else self._subject_list(start, end)

    def _subject_list(self, start, end):
        """The agents at the start of a clause: "Iran and Russia are ...", "..., while Turkey backs"."""
        clause_start = max(start, self.text.rfind(",", start, end) + 1)
        return [m for m in self.mentions if clause_start <= m.start and m.end <= end and m.entity.cls in _HOLDER_CLASSES][:4]

    def _lists(self, start, end) -> list[list[Mention]]:
        lists, current = [], []
        inside = [m for m in self.mentions if start <= m.start and m.end <= end and m.entity.cls == AKG.State]
        for m in inside:
            if current and re.fullmatch(r"[\s,]*(?:and\s+)?", self.text[current[-1].end:m.start]):
                current.append(m)
            else:
                if len(current) >= 2:
                    lists.append(current)
                current = [m]
        if len(current) >= 2:
            lists.append(current)
        return lists

    def _add(self, found, cls, holders, s_start, s_end, after, why, supports=None, kinds=None, named=False):
        if not holders:
            return
        context, how = self.context(cls, s_start, s_end, after, kinds)
        if context is None:
            return
        for holder in holders:
            if holder.entity.cls not in _HOLDER_CLASSES:
                continue
            if any(r.cls == cls and r.holder.iri == holder.entity.iri and r.context.iri == context.iri for r in found):
                continue
            found.append(Role(cls, holder.entity, context, (s_start, s_end), f"{why}; {how}",
                              0.7 if "named" in how else 0.5, supports=supports))

    # -----------------------------------------------------------------------------------------

    def positions(self) -> list[Role]:
        """Offices: the title words before a person's name, or an apposition after it."""
        found = []
        for s_start, s_end in sentences(self.text):
            for m in self.mentions:
                if not (s_start <= m.start < s_end) or m.entity.cls != AKG.Person:
                    continue
                organization = None
                before = self.text[s_start:m.start]
                apposed = self._title_before(s_start, m.start - 2) if before.endswith(", ") else None
                parenthesis = re.search(r"\(([^()]{3,60})\)\s*$", before)
                bracketed = (s_start + parenthesis.start(1), s_start + parenthesis.end(1)) if parenthesis else None
                for title in (self._title_before(s_start, m.start), bracketed, apposed, self._title_after(m.end, s_end)):
                    if title:
                        t_start, t_end = title
                        words = self.text[t_start:t_end]
                        organization = self._organization(t_start, t_end, words)
                        if organization is not None:
                            break
                if organization is None:
                    continue
                if any(r.holder.iri == m.entity.iri and r.title == words for r in found):
                    continue
                found.append(Role("Position", m.entity, organization, (s_start, s_end),
                                  f"title before or beside the name: ‘{words}’", 0.6, title=words))
        return found

    def _title_before(self, floor: int, position: int) -> tuple[int, int] | None:
        tokens = list(re.finditer(r"[\w’'.-]+", self.text[floor:position]))
        chosen = None
        for token in reversed(tokens[-12:]):
            word = token.group()
            lowered = word.lower()[:-2] if word.endswith(("’s", "'s")) else word.lower()
            gap = self.text[floor + token.end():position if chosen is None else chosen]
            if re.search(r"[,;:“”\"()–—]", gap):
                break
            if word[:1].isupper() or lowered in TITLE_WORDS or lowered.rstrip("s") in TITLE_WORDS or lowered in _TITLE_FILLERS:
                chosen = floor + token.start()
                continue
            break
        if chosen is None:
            return None
        words = self.text[chosen:position].strip()
        while words.split() and words.split()[0].lower() in {"of", "for", "to", "on", "and", "by"}:
            chosen += len(words.split()[0]) + 1
            words = self.text[chosen:position].strip()
        if not any(w.lower().strip(".") in {t.strip(".") for t in TITLE_WORDS} or
                   w.lower().endswith(("minister", "president", "spokesman", "envoy"))
                   for w in words.split()):
            return None
        end = chosen + len(words)
        if words.split()[-1].lower() in ("gen.", "col.", "maj.", "lt."):
            pass
        return chosen, end

    def _title_after(self, position: int, ceiling: int) -> tuple[int, int] | None:
        m = re.match(r",\s+((?:the\s+)?[\w’' -]{3,90}?)(?=,|\.|$| said| told)", self.text[position:ceiling])
        if not m:
            return None
        words = m.group(1)
        first = words.split()[0].lower()
        if not any(w.lower() in TITLE_WORDS or w.lower().endswith(("minister", "president")) for w in words.split()) \
                or first in ("who", "which", "that", "said", "and"):
            return None
        return position + m.start(1), position + m.end(1)

    def _organization(self, start: int, end: int, words: str) -> object | None:
        inside = [m for m in self.mentions if start <= m.start and m.end <= end
                  and m.entity.cls in _HOLDER_CLASSES - {AKG.Person}]
        if inside:
            return inside[0].entity
        for state, adjectives in STATES.items():
            for adjective in [state] + adjectives:
                if re.search(rf"(?<![\w]){re.escape(adjective)}(?:’s|'s)?(?![\w])", words):
                    return self.linker.propose(state, "State")
        return None
