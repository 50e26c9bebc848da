"""The writer: every extractor's findings as claims of the curated format, each a verbatim quote of
the article marked ``status: draft`` with a ``confidence`` and a ``why``, rendered as YAML."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from rdflib import Literal
from rdflib.namespace import XSD

from ..pipeline.claims import find_quote
from ..namespaces import AKG, BASE, DATA
from . import events as events_module
from .dates import find_dates, resolve
from .linking import Gazetteer, Linker, Mention
from .quotes import Statement, statements as find_statements
from .roles import RoleFinder
from .source import metadata
from .text import sentences, slug


@dataclass
class DraftClaim:
    start: int
    end: int
    facts: list[str] = field(default_factory=list)
    about: list[str] = field(default_factory=list)
    confidence: list[float] = field(default_factory=list)
    why: list[str] = field(default_factory=list)


@dataclass
class Draft:
    source_id: str
    text: str
    claims: list[DraftClaim]
    counts: Counter
    mentions: list[Mention]
    statements: list[Statement]
    roles: list
    meta: object
    original: str = ""  # the article as written (``text`` has its no-break spaces as spaces)

    def summary(self) -> str:
        c = self.counts
        return (f"drafted {len(self.claims)} claims for source {self.source_id}: "
                f"{c['linked']} entities linked to existing IRIs, {c['new']} new entities proposed, "
                f"{c['statements']} statements ({c['dated']} dated to the day), {c['roles']} roles, "
                f"{c['positions']} positions, {c['event_dates']} event dates; publication date "
                f"{self.meta.published or 'not found'}, publisher {self.meta.publisher_name or 'not named'}")


def lit(value: str, lang: str | None = None) -> str:
    return Literal(value, lang=lang).n3()


def day(value: date) -> str:
    return Literal(value.isoformat(), datatype=XSD.date).n3().replace(f"<{XSD.date}>", "xsd:date")


def term(entity) -> str:
    return node_term(entity.iri)


def node_term(iri) -> str:
    """A node as the claim files write it: ``id:name``."""
    name = str(iri)[len(str(DATA)):]
    if str(iri).startswith(str(DATA)) and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*[A-Za-z0-9_-]|[A-Za-z0-9]", name):
        return f"id:{name}"
    raise ValueError(f"{iri} cannot be written as id:NAME")


def derivation(prop: str, phrase: str, value: date, certainty: str, comment: str, cls: str = "DateDerivation") -> str:
    return (f"akg:derivation [ a akg:{cls} ; akg:forProperty akg:{prop} ; akg:phrase {lit(phrase)} ;\n"
            f"    akg:derivedDate {day(value)} ; akg:certainty akg:{certainty} ;\n    rdfs:comment {lit(comment)} ]")


class Writer:
    def __init__(self, text: str, source_id: str, source_file: str, gazetteer: Gazetteer, today: date | None = None):
        self.original = text
        # The patterns read no-break spaces as spaces (same offsets); a quote's space matches either.
        self.text = text.replace("\u00a0", " ")
        self.source_id = source_id
        self.source = f"id:source-{source_id}"
        self.source_file = source_file
        self.gazetteer = gazetteer
        self.linker = Linker(gazetteer)
        self.claims: dict[tuple[int, int], DraftClaim] = {}
        self.introduced: set = set()
        self.counts: Counter = Counter()
        self.today = today or date.today()

    def claim(self, span: tuple[int, int]) -> DraftClaim:
        if span not in self.claims:
            self.claims[span] = DraftClaim(*span)
        return self.claims[span]

    def add(self, span, facts: str, about: list[str], confidence: float, why: str, entities=()):
        claim = self.claim(span)
        for entity in entities:
            self.introduce(claim, entity)
        claim.facts.append(facts)
        claim.about.extend(a for a in about if a not in claim.about)
        claim.confidence.append(confidence)
        if why not in claim.why:
            claim.why.append(why)

    def introduce(self, claim: DraftClaim, entity, surface: str | None = None, why: str | None = None,
                  confidence: float = 0.9):
        if entity.iri in self.introduced:
            return
        self.introduced.add(entity.iri)
        line = f"{term(entity)} a akg:{entity.cls.split('#')[1]} ; rdfs:label {lit(entity.label, 'en')}"
        names = {n for n in entity.names} - {entity.label}
        if not entity.known:
            for name in sorted(names):
                line += f" ; skos:altLabel {lit(name, 'en')}"
        line += " ."
        claim.facts.append(line)
        if term(entity) not in claim.about:
            claim.about.append(term(entity))
        claim.confidence.append(confidence)
        self.counts["linked" if entity.known else "new"] += 1
        note = why or ("linked" if entity.known else "new")
        if entity.qid:
            note += f"; checked Wikidata {entity.qid}"
        claim.why.append(f"{term(entity)}: {note}")

    # -----------------------------------------------------------------------------------------

    def run(self) -> Draft:
        text = self.text
        meta = metadata(text, self.gazetteer.year)
        mentions = self.linker.mentions(text)
        events = events_module.event_mentions(text, mentions, self.linker)
        rounds = [m for m in events if m.entity.cls == AKG.NegotiationRound]
        mentions = [m for m in mentions if not any(m.start < r.end and r.start < m.end for r in rounds)]
        mentions = sorted(mentions + events, key=lambda m: m.start)
        self.source_claims(meta, mentions)
        spans = sentences(text)
        for s_start, s_end in spans:
            for m in mentions:
                if s_start <= m.start < s_end and m.entity.iri not in self.introduced:
                    claim = self.claim((s_start, s_end))
                    self.introduce(claim, m.entity, why=f"{m.how}", confidence=m.confidence)
                    surface = text[m.start:m.end]
                    if m.how.startswith("fuzzy") and surface != m.entity.label:
                        claim.facts.append(f"{term(m.entity)} skos:altLabel {lit(surface, 'en')} .")
        finder = RoleFinder(text, mentions, self.linker)
        roles = finder.roles()
        titles: dict = {}
        for role in roles:
            if role.cls == "Position":
                titles.setdefault(role.holder.iri, []).append(role.title)
        found = find_statements(text, mentions, titles, self.linker)
        self.statement_claims(found, meta)
        self.role_claims(roles)
        for fact in events_module.event_dates(text, mentions, meta, self.gazetteer.graph):
            lines = [f"{term(fact.entity)} akg:{p} {day(v)} ;\n  " + derivation(p, d.phrase, v, c, comment)
                     for p, v, d, c, comment in fact.dates]
            self.add(fact.span, " .\n".join(lines) + " .", [term(fact.entity)], fact.confidence, fact.why, [fact.entity])
            self.counts["event_dates"] += len(fact.dates)
        if not meta.published:
            self.undated_source(meta, found)
        claims = [self.claims[k] for k in sorted(self.claims)]
        return Draft(self.source_id, text, claims, self.counts, mentions, found, roles, meta, self.original)

    def source_claims(self, meta, mentions):
        span = meta.headline_span or sentences(self.text)[0]
        facts = f"{self.source} a akg:Source ;\n  akg:sourceFile {lit(self.source_file)}"
        if meta.headline:
            facts += f" ;\n  akg:headline {lit(meta.headline)}"
        self.add(span, facts + " .", [self.source], 0.9, "the source: its file and headline (first line of four words or more)")
        if meta.dateline_span:
            lines = [f"{self.source} akg:dateline {lit(meta.dateline)}"]
            publisher = None
            if meta.publisher_name:
                publisher = next((m.entity for m in mentions if meta.publisher_span[0] <= m.start < meta.publisher_span[1]
                                  and m.entity.cls == AKG.NewsOrganization), None) \
                    or self.linker.propose(meta.publisher_name, "NewsOrganization")
                lines.append(f"akg:publisher {term(publisher)}")
            if meta.published:
                lines.append(f"akg:publishedOn {day(meta.published)}")
                lines.append(derivation("publishedOn", meta.published_phrase, meta.published, meta.certainty, meta.comment))
            place = next((m.entity for m in mentions if meta.dateline_span[0] <= m.start < meta.dateline_span[1]
                          and m.entity.cls in (AKG.City, AKG.Place, AKG.Province)), None)
            if place is None and meta.place:
                place = self.linker.propose(meta.place, "City", self.text[meta.dateline_span[0]:][:len(meta.place)])
            self.add(meta.dateline_span, " ;\n  ".join(lines) + " .", [self.source] + ([term(publisher)] if publisher else []),
                     0.85, "the dateline: place, day and publisher", [e for e in (publisher, place) if e])
        elif meta.publisher_name:
            line = self.text[slice(*meta.publisher_span)]
            publisher = next((m.entity for m in mentions if meta.publisher_span[0] <= m.start < meta.publisher_span[1]
                              and m.entity.cls == AKG.NewsOrganization), None) \
                or self.linker.propose(meta.publisher_name, "NewsOrganization", line if line != meta.publisher_name else None)
            if publisher.cls == AKG.NewsOrganization:
                self.add(meta.publisher_span, f"{self.source} akg:publisher {term(publisher)} .", [self.source, term(publisher)],
                         0.6, "a name before a dash opening the text", [publisher])

    def statement_date(self, statement: Statement, meta, span) -> tuple[str, bool] | None:
        """The facts dating a statement from a phrase inside ``span``, and whether to the day."""
        phrases = [d for d in find_dates(self.text, meta.year, *span)
                   if not (statement.words and statement.words[0] <= d.begin < statement.words[1])]
        certainty = "Certain" if meta.published and meta.certainty == "Certain" else "Probable"
        for d in phrases:
            value, how = None, ""
            if d.kind in ("weekday", "relative"):
                resolved = resolve(d, meta)
                if resolved is None:
                    continue
                value, how, certainty = resolved.value, resolved.how, resolved.certainty
            elif d.kind == "day" and d.start:
                value, how = d.start, f"the day the attribution prints ({meta.year_basis})" if not d.year_given else "the day printed"
            if value:
                statement.days = getattr(statement, "days", []) + [(span, d.phrase, value)]
                return (f"akg:statedOn {day(value)} ;\n  " + derivation("statedOn", d.phrase, value, certainty, how)), True
        return None

    def undated_source(self, meta, found: list[Statement]):
        """An article without a dated dateline appeared not before the latest day it reports."""
        latest = None  # (day, phrase, span)
        for statement in found:
            for span, phrase, value in getattr(statement, "days", []):
                if latest is None or value > latest[0]:
                    latest = (value, phrase, span)
        for s_start, s_end in sentences(self.text):
            for d in find_dates(self.text, meta.year, s_start, s_end):
                if d.kind in ("day", "range") and d.end and (latest is None or d.end > latest[0]):
                    latest = (d.end, d.phrase, (s_start, s_end))
        if latest is None:
            value, phrase, span = date(1900, 1, 1), self.text[slice(*self.claims_order()[0])].split()[0], self.claims_order()[0]
            comment = "No day is printed: an open bound, to be replaced by the curator."
        else:
            value, phrase, span = latest
            comment = (f"The publication day is not printed; the latest day the article reports is {value.isoformat()} "
                       f"(‘{phrase}’), so it appeared on or after it.")
        self.add(span, f"{self.source} akg:notBefore {day(value)} ;\n  " + derivation("notBefore", phrase, value, "Uncertain", comment)
                 + " .", [self.source], 0.5, "no dated dateline: the article is bounded by the latest day it reports")

    def claims_order(self):
        return sorted(self.claims)

    def carried_date(self, statement: Statement, before: Statement) -> tuple[str, bool] | None:
        """The day of the statement just before, where the text ties this one to it: the same
        speaker again ("He said", "further"), "earlier in the day", or "in a statement" for it."""
        words = self.text[slice(*statement.claim)]
        cue = re.search(r"\b(?:Earlier|Later) in the day\b|\bthe same day\b", words, re.IGNORECASE)
        why = "the same day as the statement before"
        if cue is None and statement.speaker_entity is before.speaker_entity:
            cue = re.search(r"\b(?:He|She|he|she|[A-Z][\w’'-]+)\s+(?:also\s+|further\s+)?\w+", words)
            why = "the same speaker’s next words, taken to be of the same day"
        if cue is None:
            cue = re.search(r"\b(?:said in a statement|the statement (?:added|said|read))\b", words)
            why = "the statement reporting the words before, taken to be of the same day"
        if cue is None:
            return None
        value = date.fromisoformat(before.day)
        statement.days = [(statement.claim, cue.group(), value)]
        return (f"akg:statedOn {day(value)} ;\n  " + derivation(
            "statedOn", cue.group(), value, "Probable", f"{why} ({value.isoformat()})")), True

    def statement_claims(self, found: list[Statement], meta):
        counter = Counter()
        for index, statement in enumerate(found):
            speaker = statement.speaker_entity
            counter[speaker.iri] += 1
            node = f"id:st-{slug(speaker.label)}-{self.source_id}-{counter[speaker.iri]}"
            statement.node = node  # type: ignore[attr-defined]
            lines = [f"{node} a akg:Statement", f"akg:speaker {term(speaker)}", f"akg:reportedIn {self.source}"]
            if statement.quotation:
                lines.append(f"akg:quotation {lit(self.text[slice(*statement.quotation)])}")
            else:
                lines.append(f"akg:paraphrase {lit(self.text[slice(*statement.paraphrase)])}")
            dated = self.statement_date(statement, meta, statement.attribution) if statement.attribution else None
            statement.dated = bool(dated)  # type: ignore[attr-defined]
            statement.day = re.search(r'"(\d{4}-\d\d-\d\d)"', dated[0]).group(1) if dated else None  # type: ignore[attr-defined]
            if dated:
                lines.append(dated[0])
                self.counts["dated"] += 1
            self.add(statement.claim, " ;\n  ".join(lines) + " .", [node], statement.confidence, statement.why, [speaker])
            self.counts["statements"] += 1
        # "He was speaking Thursday": dates the speaker's undated statements just before.
        for index, statement in enumerate(found):
            for span in statement.date_from:
                dated = self.statement_date(statement, meta, span)
                if not dated:
                    continue
                run = [statement]
                for earlier in reversed(found[:index]):
                    if earlier.speaker_entity is not statement.speaker_entity or earlier.dated:
                        break
                    run.append(earlier)
                for target in run:
                    if target.dated:
                        continue
                    target.day = re.search(r'"(\d{4}-\d\d-\d\d)"', dated[0]).group(1)
                    facts = dated[0].replace("akg:statedOn", f"{target.node} akg:reportedIn {self.source} ;\n  akg:statedOn", 1)
                    self.add(span, facts + " .", [target.node], 0.6, "a later sentence says when the speaker spoke")
                    target.dated = True
                    self.counts["dated"] += 1
        # The same speaker's next words, "earlier in the day": the day of the statement before.
        for index, statement in enumerate(found):
            if statement.dated or not index or not getattr(found[index - 1], "day", None):
                continue
            dated = self.carried_date(statement, found[index - 1])
            if dated:
                self.add(statement.claim, dated[0].replace("akg:statedOn", f"{statement.node} akg:reportedIn {self.source} ;\n  akg:statedOn", 1)
                         + " .", [statement.node], 0.5, "dated as the statement before")
                statement.dated, statement.day = True, found[index - 1].day
                self.counts["dated"] += 1
        for statement in found:
            if statement.dated:
                continue
            verb = re.search(r"\b(\w+)\b", self.text[slice(*(statement.attribution or statement.claim))]) \
                if statement.attribution else None
            phrase = verb.group(1) if verb else self.text[statement.claim[0]:statement.claim[1]].split()[0]
            if meta.published:
                value, comment, certainty = meta.published, "Reported in the article the dateline dates; the day it was said is not given.", meta.certainty
            else:
                value, comment, certainty = self.today, "Reported in an article drafted on this day; neither the day it was said nor the article’s day is printed.", "Certain"
            self.add(statement.claim, f"{statement.node} akg:reportedIn {self.source} ;\n  akg:notAfter {day(value)} ;\n  "
                     + derivation("notAfter", phrase, value, certainty, comment) + " .", [statement.node], statement.confidence,
                     "no day given: bounded by the article")

    def role_claims(self, roles):
        for role in roles:
            holder, context = role.holder, role.context
            if role.cls == "Position":
                existing = next((p for p in self.gazetteer.graph.subjects(AKG.roleOf, holder.iri)
                                 if (p, AKG.title, Literal(role.title)) in self.gazetteer.graph), None)
                node = node_term(existing) if existing else f"id:position-{slug(holder.label)}-{slug(role.title)[:40].strip('-')}"
                facts = (f"{node} a akg:Position ; akg:roleOf {term(holder)} ; akg:positionIn {term(context)} ;\n"
                         f"  akg:title {lit(role.title)} .")
                if role.title not in self.text[slice(*role.span)]:
                    continue
                self.add(role.span, facts, [node], role.confidence, role.why, [holder, context])
                self.counts["positions"] += 1
                continue
            existing = self.gazetteer.role(AKG[role.cls], holder.iri, context.iri)
            kind = slug(role.cls.removesuffix("Role"))
            node = node_term(existing) if existing else f"id:role-{kind}-{slug(holder.label)}-{str(context.iri).rsplit('/', 1)[1]}"
            facts = f"{node} a akg:{role.cls} ; akg:roleOf {term(holder)} ; akg:roleIn {term(context)}"
            if role.supports is not None:
                facts += f" ;\n  akg:supportsParty {term(role.supports)}"
            self.add(role.span, facts + " .", [node], role.confidence, role.why,
                     [holder, context] + ([role.supports] if role.supports is not None else []))
            self.counts["roles"] += 1


def draft_article(text: str, source_id: str, source_file: str, gazetteer: Gazetteer, today: date | None = None) -> Draft:
    return Writer(text, source_id, source_file, gazetteer, today).run()


def render(draft: Draft, article_name: str, created: datetime | None = None) -> str:
    """The claim file of a draft: YAML in the curated format, every claim ``status: draft``; the
    file's ``created`` is when it was drafted (``created``, else now), its ``curator`` the project."""
    created = (created or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    lines = [f"# Drafted by `astana-kg draft` from {article_name}. Every claim is a proposal (status: draft):",
             f"# review it with `astana-kg review {draft.source_id}`; accepting drops its status.",
             f'source: "{draft.source_id}"',
             f'created: "{created.isoformat().replace("+00:00", "Z")}"  # when these claims were drafted',
             f'curator: "{BASE}"  # the agent responsible for them once reviewed: the project',
             "claims:"]
    for claim in draft.claims:
        quote = draft.text[claim.start:claim.end]
        hits = find_quote(draft.original or draft.text, quote)
        lines.append(f"  - quote: {json.dumps(quote, ensure_ascii=False)}")
        if len(hits) > 1:
            lines.append(f"    occurrence: {[s for s, _ in hits].index(claim.start) + 1}")
        lines.append("    status: draft")
        lines.append(f"    confidence: {min(claim.confidence):.2f}")
        lines.append(f"    why: {json.dumps('; '.join(claim.why), ensure_ascii=False)}")
        lines.append(f"    about: [{', '.join(claim.about)}]")
        lines.append("    facts: |")
        for fact in claim.facts:
            lines.extend("      " + line for line in fact.splitlines())
    return "\n".join(lines) + "\n"
