"""Entity linking: the names of the graph's entities found in an article, tolerant of case,
diacritics, apostrophes and transliteration; names the graph does not know proposed as new
entities with a class.

The names come from the reviewed claim files (``rdfs:label`` and ``skos:altLabel``) and from the
checked Wikidata identifiers (``data/wikidata/verified-qids.tsv``, through
``data/curation/wikidata-links.tsv``). Spellings are compared folded (:func:`text.fold`); a name
that is not found as written is matched with rapidfuzz's ratio against the known names of persons
(Lavrentiev for Lavrentyev).
"""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz, process
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from ..pipeline.claims import CurationError, load_claim_file, load_sources
from ..namespaces import AKG, DATA
from .text import fold, folded_with_offsets, sentences, slug

#: Score (0-100, rapidfuzz ratio on folded names) a spelling needs to be taken for a known name.
FUZZY_CUTOFF = 85

#: Classes an entity mention can have, most specific first (a node with several keeps the first).
ENTITY_CLASSES = [AKG[n] for n in (
    "Person", "State", "City", "Province", "Region", "NewsOrganization", "InternationalOrganization",
    "ArmedGroup", "GovernmentBody", "Delegation", "Coalition", "PoliticalOrganization", "UnidentifiedAgent",
    "Party", "Agent", "Place")]
#: Classes of the things roles and events are in (contexts), most specific first.
CONTEXT_CLASSES = [AKG[n] for n in (
    "NegotiationRound", "PeaceProcess", "Meeting", "Signing", "Conflict", "MilitaryAction", "Memorandum",
    "Ceasefire", "Agreement", "Event")]

#: The kind column of verified-qids.tsv, as a class.
_KIND_CLASSES = {"state": "State", "city": "City", "governorate": "Province", "person": "Person",
                 "news agency": "NewsOrganization", "international organization": "InternationalOrganization",
                 "armed group": "ArmedGroup"}

#: States and the adjectives that name them (a small general list; the graph's names come first).
STATES = {
    "Russia": ["Russian"], "Iran": ["Iranian"], "Turkey": ["Turkish"], "Syria": ["Syrian"],
    "United States": ["US", "U.S.", "American", "USA"], "Jordan": ["Jordanian"], "Kazakhstan": ["Kazakh"],
    "Egypt": ["Egyptian"], "Iraq": ["Iraqi"], "Lebanon": ["Lebanese"], "Israel": ["Israeli"],
    "Saudi Arabia": ["Saudi"], "Qatar": ["Qatari"], "United Arab Emirates": ["UAE", "Emirati"],
    "France": ["French"], "Germany": ["German"], "United Kingdom": ["UK", "British", "Britain"],
    "China": ["Chinese"], "Kuwait": ["Kuwaiti"], "Yemen": ["Yemeni"], "Libya": ["Libyan"],
    "Afghanistan": ["Afghan"], "Pakistan": ["Pakistani"], "India": ["Indian"], "Italy": ["Italian"],
    "Switzerland": ["Swiss"], "Ukraine": ["Ukrainian"], "Azerbaijan": ["Azerbaijani"],
}
#: Words that end the name of an organization, and the class such a name gets.
ORG_HEADS = {
    "ministry": "GovernmentBody", "government": "GovernmentBody", "staff": "GovernmentBody",
    "directorate": "GovernmentBody", "police": "GovernmentBody", "forces": "GovernmentBody",
    "department": "GovernmentBody", "office": "GovernmentBody", "parliament": "GovernmentBody",
    "council": "InternationalOrganization", "nations": "InternationalOrganization",
    "organization": "PoliticalOrganization", "organisation": "PoliticalOrganization",
    "committee": "PoliticalOrganization", "movement": "PoliticalOrganization", "party": "PoliticalOrganization",
    "coalition": "Coalition", "delegation": "Delegation", "agency": "NewsOrganization",
    "front": "ArmedGroup", "army": "ArmedGroup", "brigade": "ArmedGroup", "brigades": "ArmedGroup",
    "militia": "ArmedGroup", "battalion": "ArmedGroup",
}
_ORGANIZATION = re.compile(
    r"(?:[A-Z][\w’'-]+\s+){0,3}(?P<head>Committee|Council|Ministry|Organization|Organisation|Directorate|Front|Army|"
    r"Movement|Party|Agency|Office|Commission|Coalition)\s+(?:of|for)\s+(?:the\s+)?[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+){0,3}")
_POSSESSED = re.compile(r"(?<![\w-])[A-Z][\w-]+[’']s\s+(?:[A-Z][\w’'-]+\s+)*(?P<head>delegation|government|"
                        r"Ministry|Staff|Forces|Army|Directorate|Council|Committee|Police|Parliament)\b")
_ARMED_PREFIX = re.compile(r"^(Jaysh|Jaish|Ahrar|Hayat|Hay’at|Jabhat|Liwa|Faylaq|Harakat)\b")

#: Words after which a capitalized name is a person (a title, a rank).
TITLE_WORDS = {
    "minister", "president", "envoy", "negotiator", "spokesman", "spokeswoman", "spokesperson", "secretary",
    "secretary-general", "adviser", "advisor", "ambassador", "chief", "head", "representative", "deputy",
    "commander", "gen.", "general", "director", "chairman", "leader", "diplomat", "analyst", "expert",
    "colonel", "col.", "maj.", "lt.", "premier", "king", "emir", "foreign", "official", "mr.", "mrs.", "ms.",
    "dr.", "prime", "mediator", "coordinator", "member", "senator", "governor", "ayatollah",
}
SPEECH_VERBS = (
    "said", "says", "say", "added", "adds", "told", "tells", "noted", "notes", "stressed", "stresses", "explained",
    "recalled", "stated", "states", "concluded", "believes", "emphasized", "emphasised", "pointed out", "underlined",
    "announced", "claimed", "warned", "insisted", "urged", "asked", "remarked", "argued", "declared", "confirmed",
    "continued", "according to", "quoted", "praised", "welcomed", "thanked", "expressed", "called", "rejected",
    "refuted", "backed", "reiterated", "suggested", "assured", "admitted", "denied", "hoped", "hailed", "described",
    "termed", "issued a statement",
)

_NAME = re.compile(
    r"(?<![\w’'-])(?:[A-Z][\w’'.-]*[\w’']|[A-Z])(?:\s+(?:(?:al|el|de|bin|ibn|von|van|da|du|abu)[-\s])?(?:al-)?[A-Z][\w’'-]*[\w’'])*")


@dataclass
class Entity:
    iri: URIRef
    cls: URIRef
    label: str
    names: set[str] = field(default_factory=set)
    known: bool = True  # in the reviewed graph; False for a proposed new entity
    qid: str | None = None

    @property
    def name(self) -> str:
        return str(self.iri)[len(str(DATA)):]


@dataclass
class Mention:
    start: int
    end: int
    entity: Entity
    how: str
    confidence: float


@dataclass
class Gazetteer:
    """The entities of the reviewed graph, their names, and the roles it already has."""

    entities: dict[URIRef, Entity]
    graph: Graph
    names: dict[str, list[URIRef]] = field(default_factory=dict)
    year: int | None = None  # the year most dates of the graph fall in

    def __post_init__(self):
        names = defaultdict(Counter)
        for entity in self.entities.values():
            for name in entity.names | {entity.label}:
                if len(fold(name)) >= 2:
                    names[fold(name)][entity.iri] += 2 if name == entity.label else 1
        self.names = {n: [iri for iri, _ in c.most_common()] for n, c in names.items()}

    def role(self, cls: URIRef, holder: URIRef, context: URIRef | None) -> URIRef | None:
        """The IRI the graph already gives this role, if any."""
        for role in self.graph.subjects(AKG.roleOf, holder):
            if (role, RDF.type, cls) in self.graph and (context is None or (role, AKG.roleIn, context) in self.graph):
                return role
        return None


def _class_of(graph: Graph, node, classes) -> URIRef | None:
    types = set(graph.objects(node, RDF.type))
    return next((c for c in classes if c in types), None)


def reviewed_graph(root: Path, exclude: set[str] = frozenset()) -> Graph:
    """The facts of every reviewed claim of ``root``'s claim files, leaving out the sources in
    ``exclude`` and every draft claim."""
    sources = load_sources(root / "data/sources")
    graph = Graph()
    for path in sorted((root / "data/claims").glob("*.yaml")):
        if path.stem in exclude:
            continue
        try:
            claims = load_claim_file(path, sources)
        except CurationError:
            continue  # a broken file links nothing; the build reports it
        for claim in claims:
            if not claim.draft:
                graph += claim.triples
    return graph


def load_gazetteer(root: Path, exclude: set[str] = frozenset()) -> Gazetteer:
    graph = reviewed_graph(root, exclude)
    entities: dict[URIRef, Entity] = {}
    for node, label in graph.subject_objects(RDFS.label):
        cls = _class_of(graph, node, ENTITY_CLASSES + CONTEXT_CLASSES)
        if cls is None or not str(node).startswith(str(DATA)):
            continue
        names = {str(n) for n in graph.objects(node, SKOS.altLabel)}
        entities[node] = Entity(node, cls, str(label), names)
    links = root / "data/curation/wikidata-links.tsv"
    checked = root / "data/wikidata/verified-qids.tsv"
    labels = {}
    if checked.is_file():
        with checked.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                labels[row["qid"]] = row
    if links.is_file():
        with links.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                entity = entities.get(DATA[row["entity"]])
                if entity and row["qid"] in labels:
                    entity.qid = row["qid"]
                    entity.names.add(labels[row["qid"]]["label"])
    years = Counter(str(o)[:4] for o in graph.objects() if getattr(o, "datatype", None) is not None
                    and str(o.datatype).endswith("#date"))
    year = int(years.most_common(1)[0][0]) if years else None
    gazetteer = Gazetteer(entities, graph, year=year)
    gazetteer.checked = labels  # type: ignore[attr-defined]
    return gazetteer


def _acronym(name: str) -> bool:
    return len(name) <= 5 and name.replace(".", "").isupper()


class Linker:
    """Finds the mentions of an article, linking them or proposing new entities."""

    def __init__(self, gazetteer: Gazetteer):
        self.gazetteer = gazetteer
        self.new: dict[URIRef, Entity] = {}
        self._persons = {}
        for entity in gazetteer.entities.values():
            if entity.cls == AKG.Person:
                for name in entity.names | {entity.label}:
                    self._persons[fold(name)] = entity
                    last = fold(name).split()[-1]
                    if len(last) >= 4:
                        self._persons.setdefault(last, entity)

    def entity(self, iri: URIRef) -> Entity | None:
        return self.gazetteer.entities.get(iri) or self.new.get(iri)

    def propose(self, label: str, cls: str, alt: str | None = None) -> Entity:
        """A new entity named ``label`` (or the known one of that name)."""
        folded = fold(label)
        known = self.gazetteer.names.get(folded)
        if known:
            return self.gazetteer.entities[known[0]]
        for entity in self.new.values():
            if fold(entity.label) == folded or folded in {fold(n) for n in entity.names}:
                return entity
        name = slug(label)
        while DATA[name] in self.gazetteer.entities or DATA[name] in self.new:
            name += "-x"
        entity = Entity(DATA[name], AKG[cls], label, {alt} if alt and alt != label else set(), known=False)
        checked = getattr(self.gazetteer, "checked", {})
        for qid, row in checked.items():
            if fold(row["label"]) == folded:
                entity.qid = qid
        self.new[entity.iri] = entity
        return entity

    # -----------------------------------------------------------------------------------------

    def mentions(self, text: str) -> list[Mention]:
        """Every mention, in reading order, overlapping none other (the longest wins)."""
        folded, where = folded_with_offsets(text)
        found: list[Mention] = []
        taken = [False] * len(text)

        def free(start, end):
            return not any(taken[start:end])

        def take(mention):
            found.append(mention)
            for i in range(mention.start, mention.end):
                taken[i] = True

        # 0. "the provinces of Idlib and Homs": provinces, not the cities of the same names.
        for m in re.finditer(r"\bprovinces? of ((?:[A-Z][\w’'-]+)(?:(?:,\s*|\s+and\s+)[A-Z][\w’'-]+)*)", text):
            for name in re.finditer(r"[A-Z][\w’'-]+", m.group(1)):
                start, end = m.start(1) + name.start(), m.start(1) + name.end()
                label = f"{name.group()} province"
                known = self.gazetteer.names.get(fold(label))
                entity = self.gazetteer.entities[known[0]] if known else self.propose(label, "Province", name.group())
                take(Mention(start, end, entity, f"‘provinces of {name.group()}’: {entity.label!r}", 0.7))
        # 1. Known names as written (folded), longest first.
        for name in sorted(self.gazetteer.names, key=len, reverse=True):
            if name not in folded:
                continue  # most of a large graph's names: no pattern to compile for them
            for m in re.finditer(rf"(?<![\w]){re.escape(name)}(?![\w])", folded):
                start, end = where[m.start()], where[m.end() - 1] + 1
                surface = text[start:end]
                iri = self.gazetteer.names[name][0]
                entity = self.gazetteer.entities[iri]
                names = entity.names | {entity.label}
                original = next((n for n in names if fold(n) == name), surface)
                if _acronym(original) and surface.replace(".", "") != original.replace(".", ""):
                    continue
                if original[:1].isupper() and not surface[:1].isupper():
                    continue
                if original[:1].islower() and entity.cls in ENTITY_CLASSES[:4]:
                    continue
                if not free(start, end):
                    continue
                if re.match(r"[’']s(?:\s+[A-Z][\w’'-]+)*\s+(?:" + "|".join(w.capitalize() for w in ORG_HEADS) + r"|delegation)\b",
                            text[end:end + 80]):
                    continue  # "Russia’s General Staff", "Russia’s delegation": an organization of its own
                how = "label" if fold(entity.label) == name else "altLabel"
                take(Mention(start, end, entity, f"{how} {original!r}" + ("" if surface == original else f" as {surface!r}"),
                             0.95 if surface == original else 0.9))
        # 2. States and their adjectives, from the general list.
        for state, words in STATES.items():
            for word in [state] + words:
                for m in re.finditer(rf"(?<![\w.]){re.escape(word)}(?![\w’'-])", text):
                    if not free(*m.span()):
                        continue
                    if word != state and not word.isupper() and not text.startswith(" capital", m.end()):
                        continue  # an adjective ("Russian") is a title's word, not a mention ("the Kazakh capital" is)
                    entity = self.propose(state, "State", word if word != state else None)
                    take(Mention(m.start(), m.end(), entity, f"state list {word!r}", 0.8))
        # 3. Organizations named with "of": "Committee of National Justice".
        for m in _ORGANIZATION.finditer(text):
            start, end = m.span()
            while text[start:end].split()[0].lower() in _LEADING:
                start += len(text[start:end].split()[0]) + 1
            if free(start, end) and " " in text[start:end]:
                head = m.group("head").lower()
                take(Mention(start, end, self.propose(text[start:end], ORG_HEADS.get(head, "PoliticalOrganization")),
                             f"new organization: ‘{m.group('head')} of …’", 0.6))
        for m in _POSSESSED.finditer(text):
            if free(*m.span()):
                cls = ORG_HEADS.get(m.group("head").lower(), "GovernmentBody")
                take(Mention(m.start(), m.end(), self.propose(m.group(), cls), f"new {cls}: ‘{m.group()}’", 0.6))
        # 4. Capitalized names: a known person's other spelling, else a proposal.
        for sentence_start, sentence_end in sentences(text):
            for m in _NAME.finditer(text, sentence_start, sentence_end):
                start, end = m.span()
                surface = re.sub(r"[’']s?$", "", m.group())
                while " " in surface and surface.split()[0].lower() in _LEADING:
                    first = surface.split()[0]
                    surface = surface[len(first):].lstrip()
                    start = m.start() + m.group().index(surface)
                end = start + len(surface)
                while " " in surface and not free(start, end):  # "UN Secretary-General Antonio Guterres": "UN" is taken
                    first = surface.split()[0]
                    surface = surface[len(first):].lstrip()
                    start = end - len(surface)
                if not free(start, end):
                    continue
                mention = self._name(text, surface, start, end, sentence_start)
                if mention:
                    take(mention)
        return sorted(found, key=lambda x: x.start)

    def _name(self, text: str, surface: str, start: int, end: int, sentence_start: int) -> Mention | None:
        words = surface.split()
        if start == sentence_start and len(words) == 1 and surface.lower() in _STOP:
            return None
        if surface.lower() in _STOP or all(w.lower() in _STOP for w in words):
            return None
        folded = fold(surface)
        # Another spelling of a known person (transliteration: Lavrentiev/Lavrentyev).
        person = surface
        while " " in person and (person.split()[0].lower() in _STOP or person.split()[0].lower() in TITLE_WORDS):
            person = person[len(person.split()[0]):].lstrip()
        if person != surface:
            inner = start + surface.index(person)
            found = self._name(text, person, inner, inner + len(person), sentence_start)
            if found is not None and found.entity.cls == AKG.Person:
                return found
        split = [i for i, w in enumerate(words) if w.lower() in TITLE_WORDS or w.lower() in ("affairs", "presidents", "ministers")
                 or w.lower().endswith(("minister", "president"))]
        if split and 2 <= len(words) - split[-1] - 1 <= 3:
            rest = " ".join(words[split[-1] + 1:])
            inner = start + surface.rindex(rest)
            found = self._name(text, rest, inner, inner + len(rest), sentence_start)
            if found is not None:
                return found
            return Mention(inner, inner + len(rest), self.propose(rest, "Person"), f"new Person: after the title ‘{words[split[-1]]}’", 0.6)
        if self._persons:
            choice = process.extractOne(folded, list(self._persons), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
            if choice and (len(folded.split()) > 1 or len(folded) >= 5):
                entity = self._persons[choice[0]]
                return Mention(start, end, entity, f"fuzzy {choice[1]:.0f} {entity.label!r}", round(choice[1] / 110, 2))
        # A new person's last name used alone.
        if len(words) == 1:
            for entity in self.new.values():
                if entity.cls == AKG.Person and fold(entity.label).split()[-1] == folded:
                    return Mention(start, end, entity, f"last name of {entity.label!r}", 0.8)
        before = text[max(sentence_start, start - 60):start]
        after = text[end:end + 40]
        head = words[-1].lower()
        if _ARMED_PREFIX.match(surface) or head in ORG_HEADS:
            if len(words) == 1 and head in ORG_HEADS:
                return None
            cls = "ArmedGroup" if _ARMED_PREFIX.match(surface) else ORG_HEADS[head]
            return Mention(start, end, self.propose(surface, cls), f"new {cls}: ends with {words[-1]!r}", 0.6)
        if re.match(r"\s*news agency", after) or re.search(r"\b(?:told|by|to)\s+$", before) and re.match(r"[\s.,]", after) \
                and len(words) <= 2 and not self._person_context(before, after):
            if re.match(r"\s*news agency", after) or len(words) == 1:
                return Mention(start, end, self.propose(surface, "NewsOrganization"), "new NewsOrganization: told/by", 0.5)
        checked = getattr(self.gazetteer, "checked", {})
        for row in checked.values():
            if fold(row["label"]) == folded and row["kind"].split(" (")[0] in _KIND_CLASSES:
                cls = _KIND_CLASSES[row["kind"].split(" (")[0]]
                return Mention(start, end, self.propose(row["label"], cls, surface), f"checked Wikidata label ({row['qid']})", 0.8)
        if 2 <= len(words) <= 4 and self._person_context(before, after):
            return Mention(start, end, self.propose(surface, "Person"), "new Person: title or speech verb", 0.6)
        if len(words) == 1 and re.match(r"\s+(?:said|says|told|added|noted|concluded|explained|stressed)\b", after):
            return Mention(start, end, self.propose(surface, "Person"), "new Person: a name that speaks", 0.5)
        return None

    @staticmethod
    def _person_context(before: str, after: str) -> bool:
        last = before.split()[-1].lower().strip(",") if before.split() else ""
        title = "|".join(sorted(w for w in TITLE_WORDS if w.isalpha()))
        return last in TITLE_WORDS or last.endswith(("minister", "president", "spokesman", "envoy")) or bool(
            re.match(r"\s*(?:,\s*)?(?:" + "|".join(SPEECH_VERBS[:20]) + r")\b", after)) or bool(
            re.match(rf"\s*,\s+(?:the\s+|a\s+)?(?:[\w’'-]+\s+){{0,3}}?(?:{title})\b", after, re.IGNORECASE)) or bool(
            re.search(rf"\b(?:{title})\b[^,.;]*,\s*$", before, re.IGNORECASE))


#: Words that begin a sentence before a name ("Yesterday Lavrov said").
_LEADING = {"the", "a", "an", "yesterday", "today", "tomorrow", "earlier", "later", "also", "meanwhile", "then", "now",
            "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "but", "and", "on", "in", "at"}

#: Capitalized words that begin sentences or name no one.
_STOP = {w.lower() for w in (
    "The", "A", "An", "In", "On", "At", "He", "She", "It", "They", "We", "I", "This", "That", "These", "Those",
    "But", "And", "Also", "However", "Earlier", "Later", "According", "During", "Under", "Besides", "After",
    "Before", "While", "As", "If", "When", "Meanwhile", "There", "Its", "His", "Her", "Their", "Our", "What",
    "Senior", "Top", "Photo", "File", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
    "December", "All", "News", "Latest", "Also", "Buildings", "President", "Minister", "Foreign", "Defense",
    "Defence", "Secretary", "General", "Gen", "Maj", "Col", "Lt", "UN", "From", "For", "To", "Of", "By", "With",
    "Not", "No", "Yes", "Some", "Many", "Such", "Any", "Both", "Each", "Other", "Another", "So", "Then", "Thus",
    "Now", "Here", "Why", "How", "Who", "Which", "Where", "New", "Russian", "Syrian", "Turkish", "Iranian",
    "American", "Jordanian", "Kazakh", "Egyptian", "Moderate", "Special", "Acting", "Assistant", "State",
    "Presidential", "Deputy", "Chief", "Head", "Colonel", "Major", "Mr", "Mrs", "Ms", "Dr", "Several", "Most",
    "Until", "Since", "Although", "Though", "Because", "Despite", "Unlike", "Like", "Over", "Among",
)}
