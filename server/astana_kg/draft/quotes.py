"""Statements: direct quotations in every quotation-mark style and reported speech, each with its
speaker ("he", "the diplomat", "the minister" resolved to the last fitting named speaker).

>>> pairs = quotations("He said, “We agree,” and «we sign» and \\"we go\\" but don’t ‘stop here’.")
>>> [q for _, _, q in pairs]
['We agree,', 'we sign', 'we go', 'stop here']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..namespaces import AKG
from .linking import SPEECH_VERBS, Mention
from .text import paragraphs, sentences

#: Opening and closing marks of a quotation.
_PAIRS = [("“", "”"), ("„", "“"), ("«", "»"), ("‹", "›"), ('"', '"'), ("‘", "’"), ("'", "'")]

#: Words that stand for the last person who spoke (or the last who fits).
DESCRIPTORS = {
    "diplomat": ("diplomat", "minister", "envoy", "negotiator", "ambassador"), "minister": ("minister",),
    "spokesman": ("spokesman", "spokesperson"), "spokeswoman": ("spokeswoman", "spokesperson"),
    "envoy": ("envoy",), "negotiator": ("negotiator", "envoy"), "official": (), "expert": (), "analyst": (),
    "general": ("gen", "general"), "president": ("president",), "secretary-general": ("secretary",),
    "ambassador": ("ambassador",), "head": ("head", "chief"), "chief": ("chief", "head"),
}
_PRONOUN = re.compile(r"\b(?:he|she)\b", re.IGNORECASE)
_VERBS = "|".join(re.escape(v) for v in SPEECH_VERBS)
_VERB = re.compile(rf"\b(?:{_VERBS})\b")
#: Verbs whose object is what was said ("welcomed the memorandum"): the paraphrase starts at the verb.
STANCE = ("praised", "welcomed", "thanked", "rejected", "backed", "expressed", "called", "refuted",
          "condemned", "supported", "denied", "hailed", "criticized", "criticised", "issued a statement")
#: "his spokesman": someone who speaks for the last person named.
_FOR_SOMEONE = re.compile(r"\b(?:his|her)\s+(spokesman|spokeswoman|spokesperson|aide|adviser|advisor|deputy|office)\b")
#: "In the envoy’s opinion": the speaker is the last person the noun fits.
_OPINION = re.compile(r"\b(?:the|this|that)\s+(\w+)[’']s\s+(?:opinion|view|words)\b", re.IGNORECASE)
_SPEAKING = re.compile(r"^(?:He|She|They) (?:was|were) speaking\b")


@dataclass
class Statement:
    speaker: Mention | None
    speaker_entity: object  # linking.Entity
    claim: tuple[int, int]  # the span the claim quotes: quotation and attribution
    quotation: tuple[int, int] | None = None
    paraphrase: tuple[int, int] | None = None
    attribution: tuple[int, int] | None = None  # where the date of the statement is looked for
    confidence: float = 0.7
    why: str = ""
    date_from: list = field(default_factory=list)  # spans of later sentences that date it

    @property
    def words(self) -> tuple[int, int]:
        return self.quotation or self.paraphrase


def quotations(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int, str]]:
    """The (start, end, words) of every quotation between ``start`` and ``end``, marks left out."""
    end = len(text) if end is None else end
    found = []
    taken = []
    for opening, closing in _PAIRS:
        position = start
        while True:
            i = text.find(opening, position, end)
            if i < 0:
                break
            if opening in "‘'" and i > 0 and text[i - 1].isalnum():
                position = i + 1
                continue  # an apostrophe, not a quotation mark
            j = i + 1
            while True:
                j = text.find(closing, j, end)
                if j < 0 or not (closing in "’'" and j + 1 < end and text[j + 1].isalpha()):
                    break
                j += 1
            if j < 0:
                break
            if any(not (j + 1 <= a or i >= b) for a, b in taken):
                position = i + 1
                continue
            found.append((i + 1, j, text[i + 1:j]))
            taken.append((i, j + 1))
            position = j + 1
    return sorted(found)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in " ,:;–-":
        start += 1
    while end > start and text[end - 1] in " ,.:;–-":
        end -= 1
    return start, end


class Speakers:
    """The speakers met so far, to resolve "he" and "the diplomat"."""

    def __init__(self, titles, linker=None):
        self.history: list = []
        self.titles = titles  # entity IRI -> list of titles (from the offices found)
        self.linker = linker

    def for_last(self, noun: str):
        """Who speaks for the last person named ("his spokesman"): a known entity whose label has
        the noun and the person's title or name, else a new one."""
        person, _ = self.last()
        if person is None or self.linker is None:
            return None, ""
        from .text import fold

        keys = [fold(t) for t in self.titles.get(person.iri, [])] + [fold(person.label)]
        for entity in list(self.linker.gazetteer.entities.values()):
            label = fold(entity.label)
            if noun in label and any(k and (k in label or k.split()[-1] in label) for k in keys):
                return entity, f"‘his {noun}’: the known {entity.label!r}"
        title = self.titles.get(person.iri, [person.label])[0]
        return self.linker.propose(f"{noun} for {title}", "UnidentifiedAgent"), f"‘his {noun}’: new, for {person.label}"

    def last(self, kind: str | None = None):
        persons = [e for e in reversed(self.history) if e.cls == AKG.Person]
        if kind:
            fitting = DESCRIPTORS.get(kind, ())
            for entity in persons:
                if any(w in t.lower() for t in self.titles.get(entity.iri, []) for w in fitting):
                    return entity, f"‘the {kind}’ is the last speaker whose title fits"
        if persons:
            return persons[0], "the last named speaker"
        return None, ""

    def heard(self, entity):
        self.history.append(entity)


def _speaker_in(text: str, span: tuple[int, int], mentions: list[Mention], speakers: Speakers):
    """The speaker named in an attribution: a person, else a descriptor or pronoun, else an agent."""
    inside = [m for m in mentions if span[0] <= m.start and m.end <= span[1]]
    words = text[span[0]:span[1]]
    persons = [m for m in inside if m.entity.cls == AKG.Person]
    if persons:
        verb = _VERB.search(words)
        anchor = span[0] + (verb.start() if verb else 0)
        best = min(persons, key=lambda m: abs(m.start - anchor))
        return best, best.entity, f"named in the attribution ({best.how})", 0.85
    if re.search(r"\bthe statement (?:added|said|read|continued|went on)\b", words) and speakers.history:
        entity = speakers.history[-1]
        return None, entity, f"‘the statement’ is the one {entity.label} gave just before", 0.6
    someone = _FOR_SOMEONE.search(words)
    if someone:
        entity, why = speakers.for_last(someone.group(1).lower())
        if entity is not None:
            return None, entity, why, 0.6
    opinion = _OPINION.search(words)
    if opinion and opinion.group(1).lower() in DESCRIPTORS:
        entity, why = speakers.last(opinion.group(1).lower())
        if entity:
            return None, entity, why, 0.6
    descriptor = re.search(r"\b(?:the|this|that|[\w’']+’s|[\w']+'s)\s+(?:[A-Z]\w+\s+|top\s+|chief\s+|senior\s+)*(" +
                           "|".join(DESCRIPTORS) + r")(?=\s*,?\s*$|(?:\s+of\s+[^,;]{1,40}?)?\s+(?:also\s+|further\s+|then\s+)?(?:" +
                           _VERBS + r"))", words, re.IGNORECASE)
    if descriptor and any(m.start <= span[0] + descriptor.start(1) < m.end for m in inside
                          if m.entity.cls in _AGENT_CLASSES):
        descriptor = None  # "Russia’s General Staff" names an agent
    if descriptor:
        entity, why = speakers.last(descriptor.group(1).lower())
        if entity:
            return None, entity, why, 0.7
    pronoun = _PRONOUN.search(words)
    if pronoun:
        entity, why = speakers.last()
        if entity:
            return None, entity, f"‘{pronoun.group()}’ is {why}", 0.7
    agents = [m for m in inside if m.entity.cls != AKG.NewsOrganization and not _object_of_told(text, m)
              and m.entity.cls in _AGENT_CLASSES]
    if agents:
        verb = _VERB.search(words)
        anchor = span[0] + (verb.start() if verb else 0)
        best = min(agents, key=lambda m: abs(m.start - anchor))
        return best, best.entity, f"agent named in the attribution ({best.how})", 0.6
    return None, None, "", 0


def _object_of_told(text, mention) -> bool:
    return bool(re.search(r"\b(?:told|by|to)\s+$", text[max(0, mention.start - 8):mention.start]))


_AGENT_CLASSES = {AKG[n] for n in ("Person", "State", "NewsOrganization", "InternationalOrganization", "ArmedGroup",
                                   "GovernmentBody", "Delegation", "Coalition", "PoliticalOrganization",
                                   "UnidentifiedAgent", "Party", "Agent")}


def statements(text: str, mentions: list[Mention], titles: dict, linker=None) -> list[Statement]:
    """Every statement of the article, in reading order."""
    speakers = Speakers(titles, linker)
    found: list[Statement] = []
    for p_start, p_end in paragraphs(text):
        quoted = quotations(text, p_start, p_end)
        spans = sentences(text, (p_start, p_end))
        done = set()

        def quoted_statement(q_start, q_end):
            first = next(i for i, (s, e) in enumerate(spans) if s <= q_start < e)
            last = next((i for i, (s, e) in enumerate(spans) if s < q_end <= e + 1), first)
            c_start, c_end = spans[first][0], spans[last][1]
            before = _trim(text, c_start, q_start - 1)
            after = _trim(text, q_end + 1, c_end)
            best = None
            for attribution in (after, before):
                if attribution[1] - attribution[0] < 2 or not (_VERB.search(text[attribution[0]:attribution[1]])
                                                               or _OPINION.search(text[attribution[0]:attribution[1]])):
                    continue
                if any(a <= attribution[0] < b for a, b, _ in quoted if (a, b) != (q_start, q_end)):
                    continue
                mention, entity, why, confidence = _speaker_in(text, attribution, mentions, speakers)
                if entity is not None:
                    best = (attribution, mention, entity, why, confidence)
                    break
            if best is None:
                # A quotation that is a whole paragraph continues the last speaker's words.
                if (c_start, c_end) == (q_start - 1, q_end + 1) or text[c_start:q_start - 1].strip() == "":
                    if text[q_end + 1:c_end].strip(" .,") == "" and found and found[-1].speaker_entity is not None:
                        entity = found[-1].speaker_entity
                        best = (None, None, entity, f"a quotation standing alone continues {entity.label}’s words", 0.5)
                if best is None:
                    return
            attribution, mention, entity, why, confidence = best
            words_end = q_end
            while words_end > q_start and text[words_end - 1] in ",.;: ":
                words_end -= 1
            statement = Statement(mention, entity, (c_start, c_end), quotation=(q_start, words_end),
                                  attribution=attribution, confidence=confidence,
                                  why=f"quotation; speaker {why}")
            found.append(statement)
            speakers.heard(entity)
            done.update(range(first, last + 1))
        for index, (s_start, s_end) in enumerate(spans):
            sentence = text[s_start:s_end]
            if _SPEAKING.match(sentence) and found:
                found[-1].date_from.append((s_start, s_end))
                continue
            if index in done:
                continue
            opening = [(a, b) for a, b, _ in quoted if s_start <= a - 1 < s_end]
            for q_start, q_end in opening:
                quoted_statement(q_start, q_end)
            if opening:
                continue
            statement = _reported(text, s_start, s_end, mentions, speakers)
            if statement:
                found.append(statement)
                speakers.heard(statement.speaker_entity)
    return found


def _reported(text: str, start: int, end: int, mentions, speakers) -> Statement | None:
    """Reported speech: "X said (that) ...", "..., X said.", "According to X, ...", "X welcomed ..."."""
    sentence = text[start:end]
    according = re.match(r"According to ([^,]+(?:,[^,]+){0,2}?),\s*(.+?)[.]?$", sentence)
    if according:
        parts = [m.end() for m in re.finditer(r",", sentence)]
        attribution = (start + according.start(1), start + according.end(1))
        for comma in parts[:3]:  # "According to the envoy, Alexander Lavrentiev, ...": the name after the title
            if any(m.entity.cls == AKG.Person and start + according.start(1) <= m.start < start + comma for m in mentions):
                attribution = (start + according.start(1), start + comma - 1)
                according = re.match(rf"(.{{{comma}}})\s*(.+?)[.]?$", sentence)
                break
        mention, entity, why, confidence = _speaker_in(text, attribution, mentions, speakers)
        if entity is not None:
            clause = _trim(text, start + according.start(2), end)
            if clause[1] - clause[0] < 12:
                return None
            return Statement(mention, entity, (start, end), paraphrase=clause, attribution=attribution,
                             confidence=confidence - 0.1, why=f"reported speech (according to); speaker {why}")
    tail = re.search(r",\s+((?:[\w’'.-]+\s+){0,8}?)(" + _VERBS + r")(?:\s+[\w’'-]+){0,3}[.]?$", sentence)
    if tail and tail.start() > 20 and not re.search(r"\b(?:that|which|who)\b", tail.group(1)):
        attribution = (start + tail.start(1), end)
        mention, entity, why, confidence = _speaker_in(text, attribution, mentions, speakers)
        if entity is not None:
            clause = _trim(text, start, start + tail.start())
            return Statement(mention, entity, (start, end), paraphrase=clause, attribution=attribution,
                             confidence=confidence - 0.15, why=f"reported speech (…, {tail.group(2)}); speaker {why}")
    for verb in _VERB.finditer(sentence):
        if verb.start() > 160:
            break
        subject = (start, start + verb.start())
        if verb.group() in STANCE or verb.group() == "expressed":
            clause = _trim(text, start + verb.start(), end)
        else:
            rest = sentence[verb.end():]
            skip = re.match(r"(?:\s+(?:on\s+)?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|today|"
                            r"reporters|journalists|[A-Z][\w-]+(?: [A-Z][\w-]+)*|the [\w ]{0,30}?(?=\s+that))){0,2}"
                            r"(?:,)?\s*(?:that\s+)?", rest)
            clause = _trim(text, start + verb.end() + skip.end(), end)
        if clause[1] - clause[0] < 12 or subject[1] - subject[0] > 140:
            continue
        if any(m.start < subject[1] + len(verb.group()) < m.end for m in mentions):
            continue
        mention, entity, why, confidence = _speaker_in(text, subject, mentions, speakers)
        if entity is not None and _subject_ok(text, subject, mention):
            return Statement(mention, entity, (start, end), paraphrase=clause, attribution=(start, clause[0]),
                             confidence=confidence - 0.1, why=f"reported speech ({verb.group()}); speaker {why}")
        # "..., X said." at the end of the sentence.
        tail = re.match(r"\s*[\w .’'-]{0,80}?[.]?$", sentence[verb.end():])
        head = sentence[:verb.start()].rstrip()
        comma = head.rfind(",")
        if tail and comma > 20:
            attribution = (start + comma + 1, end)
            mention, entity, why, confidence = _speaker_in(text, attribution, mentions, speakers)
            if entity is not None:
                clause = _trim(text, start, start + comma)
                return Statement(mention, entity, (start, end), paraphrase=clause, attribution=attribution,
                                 confidence=confidence - 0.15, why=f"reported speech (…, {verb.group()}); speaker {why}")
        break
    return None


def _subject_ok(text, subject, mention) -> bool:
    """The subject of the verb is short and names the speaker (no clause between)."""
    words = text[subject[0]:subject[1]]
    return len(words.split()) <= 24 and not re.search(r"[;:]|\bthat\b|\bwhich\b|\bwho\b", words)
