"""Write a synthetic project of N generated articles shaped like the five seed sources, for scale tests.

    .venv/bin/python benchmarks/corpus.py --articles 50 --seed 1 --out /tmp/corpus-50
    .venv/bin/python -m astana_kg.cli build --root /tmp/corpus-50 --out /tmp/corpus-50/build
    .venv/bin/python benchmarks/corpus.py --measure /tmp/corpus-50     # the proportions below, measured
    .venv/bin/python benchmarks/corpus.py --measure .                  # ... and in the seeds

The output is a complete project directory: ``data/`` (sources with their SHA256SUMS, one claim file
per source, the curation files), and copies of this checkout's ``ontology/``, ``shapes/``,
``queries/`` and ``data/wikidata/``. ``astana-kg build --root DIR`` builds and validates it as it
does the seeds. The text is made of template sentences of this module (no article text is copied);
every claim quotes its own sentence, so every quote occurs in its source.

The proportions follow the seeds (``--measure`` prints them for either). Per article, the seeds
against 50 generated articles (seed 1): claims 32 / 29, source-graph triples 1,697 / 1,598, agents
23 / 30, places 13 / 17, roles 21 / 21, statements 13 / 14 (quotations 6 / 7), date derivations
30 / 28. Of the distinct agents, 56 % / 61 % are named in one source only.

Every competency query of ``queries/cq`` finds in a generated corpus the kinds of facts it finds in
the seeds: beside the memorandum, its guarantors, observers, mediators, zones and statements, some
articles name the groups the zones' ceasefire does not cover, and articles dated after the summer
may report the local agreement on the Northern Homs zone (where, when and between whom it was
reached, and the zone's settlements and people, whose figures differ a little between sources).

Entities recur as they do in news: a core named in every article (Russia, Iran, Turkey, Syria,
Kazakhstan, the Syrian government and the opposition, Astana, the memorandum), a middle tier in
most (the United States, Jordan, the United Nations, the Russian envoy, each zone and its
provinces), and the rest drawn by preferential attachment (a Yule-Simon process): each further
person, group or town is a new one with a fixed probability, otherwise an earlier one chosen in
proportion to how often it was named, which gives the long tail of persons named once and a few
named often. Statements are the article's own, but about one in ten reports an earlier article's
statement again (the same node, its words quoted again).

The output is a function of ``--articles`` and ``--seed`` alone: the same arguments give the same
bytes (dates are fixed, the random generator is seeded, every collection is iterated in order).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import random
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from astana_kg.pipeline.claims import find_quote

CHECKOUT = Path(__file__).resolve().parents[1]

#: Directories copied as they are from the checkout into every generated project.
COPIED = ("ontology", "shapes", "queries", "data/wikidata")

#: The file that marks a directory as this generator's (which it may replace).
MARKER = ".generated-corpus"

#: The probability that a further person, group or place of an article is a new one.
NEW_ENTITY = 0.55

#: The probability that a statement slot reports an earlier article's statement again.
REPORTED_AGAIN = 0.1

YEAR = 2017
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")

#: The rounds of talks the articles report: (number, first day); each lasts two days. Articles
#: about the fourth round are the most frequent, as in the seeds.
ROUNDS = ((1, dt.date(YEAR, 1, 23)), (2, dt.date(YEAR, 2, 15)), (3, dt.date(YEAR, 3, 14)),
          (4, dt.date(YEAR, 5, 3)), (5, dt.date(YEAR, 7, 4)), (6, dt.date(YEAR, 9, 14)),
          (7, dt.date(YEAR, 10, 30)), (8, dt.date(YEAR, 12, 21)))
ROUND_WEIGHTS = (1, 1, 1, 4, 1, 1, 1, 1)

#: The day the agreement on the Northern Homs zone was reached; articles dated after it may report it.
HOMS_AGREEMENT = dt.date(YEAR, 7, 31)
#: The groups excluded from the zones' ceasefire.
EXCLUDED = ("jabhat-fatah-al-sham", "isil")


# ---------------------------------------------------------------------------------------------
# Entities
# ---------------------------------------------------------------------------------------------

@dataclass
class Entity:
    """A node introduced wherever an article names it: its class, its one label, its other facts."""

    slug: str
    cls: str
    label: str
    facts: str = ""  # further Turtle predicate-object pairs, e.g. "akg:capitalOf id:kazakhstan"
    qid: str | None = None  # a checked Wikidata identifier, for the curation links
    adjective: str = ""  # how a title names its state: "Russian"

    def turtle(self) -> str:
        extra = f" ; {self.facts}" if self.facts else ""
        return f"id:{self.slug} a akg:{self.cls} ; rdfs:label {lit(self.label)}@en{extra} .\n"


@dataclass
class Person(Entity):
    title: str = ""
    organization: str = ""  # the slug of the party the position is held in

    def introduction(self) -> str:
        """How a sentence names the person with the position: "Russian Deputy Foreign Minister X",
        "X, spokesman of the Y,"."""
        if self.title[0].islower():
            return f"{self.label}, {self.title},"
        return f"{self.title} {self.label}"

    @property
    def position(self) -> str:
        return f"position-{self.slug}"

    def position_turtle(self) -> str:
        return (f"id:{self.position} a akg:Position ; akg:roleOf id:{self.slug} ; "
                f"akg:positionIn id:{self.organization} ; akg:title {lit(self.title)}@en .\n")


def lit(text: str) -> str:
    """A Turtle string literal.

    >>> lit('He said "no"')
    '"He said \\\\"no\\\\""'
    """
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def date_literal(day: dt.date) -> str:
    return f'"{day.isoformat()}"^^xsd:date'


def month_day(day: dt.date) -> str:
    return f"{MONTHS[day.month - 1]} {day.day}"


CORE_STATES = (  # slug, label, adjective, Wikidata
    ("russia", "Russia", "Russian", "Q159"), ("iran", "Iran", "Iranian", "Q794"),
    ("turkey", "Turkey", "Turkish", "Q43"), ("syria", "Syria", "Syrian", "Q858"),
    ("united-states", "United States", "US", "Q30"),
)
GUARANTORS = ("russia", "iran", "turkey")
#: The parties statements speak of, beside the groups of the long tail.
PARTIES = GUARANTORS + ("united-states", "syrian-government", "syrian-armed-opposition", "opposition-delegation",
                        "united-nations", "kazakhstan")
CITIES = (  # slug, label, state, Wikidata, weight as a dateline
    ("astana", "Astana", "kazakhstan", "Q1520", 6), ("moscow", "Moscow", "russia", "Q649", 3),
    ("tehran", "Tehran", "iran", "Q3616", 1), ("ankara", "Ankara", "turkey", "Q3640", 1),
    ("damascus", "Damascus", "syria", "Q3766", 1), ("geneva", "Geneva", None, "Q71", 1),
)
AGENCIES = (("tass", "TASS", "Q223799", 6), ("interfax", "Interfax", "Q379271", 2),
            ("afp", "Agence France-Presse", "Q40464", 1))
PROVINCES = (  # slug, label, Wikidata
    ("idlib-province", "Idlib province", "Q233218"), ("aleppo-province", "Aleppo province", "Q214064"),
    ("latakia-province", "Latakia province", "Q233236"), ("hama-province", "Hama province", "Q232355"),
    ("homs-province", "Homs province", "Q214094"), ("daraa-province", "Daraa province", "Q1689560"),
    ("quneitra-province", "Quneitra province", "Q219690"),
)
ZONES = (  # slug, label, areas covered, areas covered in part
    ("zone-idlib", "Idlib de-escalation zone", ("idlib-province",),
     ("aleppo-province", "latakia-province", "hama-province")),
    ("zone-northern-homs", "Northern Homs de-escalation zone", ("area-north-of-homs",), ("homs-province",)),
    ("zone-eastern-ghouta", "Eastern Ghouta de-escalation zone", ("eastern-ghouta",), ()),
    ("zone-southern", "Southern de-escalation zone", ("daraa-province", "quneitra-province"), ()),
)

FIRST_NAMES = ("Alexander", "Mikhail", "Hossein", "Ahmet", "Yusuf", "Omar", "Nikolai", "Kairat",
               "Samir", "Dmitry", "Mehmet", "Ali", "Fadi", "Igor", "Murat", "Hassan", "Pavel",
               "Karim", "Serik", "Walid", "Anna", "Leila", "Elena", "Zeynep", "Rania", "Aigerim")
SYLLABLES = ("ka", "ra", "mi", "tol", "sen", "dar", "vo", "lin", "ba", "shir", "tu", "nev",
             "gal", "or", "zan", "pe", "ril", "hal", "mor", "det", "sul", "ay", "ken", "vas")
SURNAME_ENDINGS = ("ov", "ev", "i", "oglu", "an", "in", "ani", "beyli", "enko", "ayev")
GROUP_KINDS = (("ArmedGroup", "Brigade"), ("ArmedGroup", "Front"), ("PoliticalOrganization", "Movement"),
               ("PoliticalOrganization", "Council"), ("Coalition", "Alliance"))
TOWN_ENDINGS = ("abad", "iyeh", "a", "un", "el")


#: Names drawn in a row that other entities have, before names get a syllable more.
ATTEMPTS = 200


def word(rng: random.Random, syllables: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(syllables)).capitalize()


# ---------------------------------------------------------------------------------------------
# What the articles say: template sentences
# ---------------------------------------------------------------------------------------------

HEADLINE_TOPICS = ("de-escalation zones deal", "agreement on monitoring the ceasefire",
                   "talks on the boundaries of the zones", "a new timetable for the zones",
                   "a joint statement of the guarantors")
SPEECH_VERBS = ("said", "told reporters", "stressed", "noted", "stated", "told journalists")
READY = ("is ready to", "will continue to", "intends to", "has agreed to", "expects the sides to",
         "sees no reason to", "is not prepared to", "insists on the need to")
NEGATIVE = ("sees no reason to", "is not prepared to")
ACTIONS = ("send observers to the {zone}", "discuss the boundaries of the {zone}",
           "keep the ceasefire in {province}", "open humanitarian corridors near {town}",
           "withdraw heavy weapons from the {zone}", "exchange detainees held in {province}",
           "set up checkpoints around the {zone}", "back the memorandum on the de-escalation zones",
           "deliver aid to the people of {town}", "consult {party} on the next round")
TAILS = ("within {n} days", "before the next round of talks", "in the coming weeks", "as soon as possible",
         "without preconditions", "together with the other guarantors", "in {month}")
QUOTED = ("We {verb} {action} {tail}", "Our position is clear: we {verb} {action}",
          "The {zone} must remain calm, and we {verb} {action} {tail}",
          "Nobody should doubt that we {verb} {action}")
QUOTED_VERBS = ("are ready to", "will", "want to", "do not intend to", "have agreed to")


@dataclass
class Claim:
    quote: str
    facts: list[str]
    about: list[str] | None = None
    start: int = 0  # offset of the quote in the finished text


@dataclass
class Sentence:
    text: str
    claims: list[tuple[str | None, Claim]] = field(default_factory=list)  # (sub-quote or whole, claim)


@dataclass
class Statement:
    slug: str
    speaker: Person
    words: str
    quoted: bool
    source: str  # the id of the article that first reports it
    dated: bool  # whether a day is derived for it (else date bounds from the dateline)


class Corpus:
    """The state shared across articles: entities and how often they were named, statements."""

    def __init__(self, seed: int, articles: int):
        self.rng = random.Random(seed)
        self.articles = articles
        self.width = max(3, len(str(articles - 1)))
        self.entities: dict[str, Entity] = {}
        # The persons, groups and towns of the long tail, each listed once per mention.
        self.persons: list[Person] = []
        self.groups: list[Entity] = []
        self.towns: list[Entity] = []
        self.minted: dict[str, int] = {}  # how many were made, by class
        self.statements: list[Statement] = []
        self.used: set[str] = set()  # slugs named in some article (for the curation links)
        self._names: set[str] = set()
        self._core()

    def add(self, entity: Entity) -> Entity:
        self.entities[entity.slug] = entity
        return entity

    def _core(self) -> None:
        for slug, label, adjective, qid in CORE_STATES:
            self.add(Entity(slug, "State", label, qid=qid, adjective=adjective))
        self.add(Entity("kazakhstan", "State", "Kazakhstan", qid="Q232", adjective="Kazakh"))
        self.add(Entity("jordan", "State", "Jordan", qid="Q810", adjective="Jordanian"))
        self.add(Entity("syrian-government", "GovernmentBody", "Syrian government", "akg:governmentOf id:syria"))
        self.add(Entity("kremlin", "GovernmentBody", "Kremlin", "akg:partOf id:russia"))
        self.add(Entity("united-nations", "InternationalOrganization", "United Nations", qid="Q1065"))
        self.add(Entity("syrian-armed-opposition", "Coalition", "Syrian armed opposition"))
        self.add(Entity("opposition-delegation", "Delegation", "delegation of the Syrian armed opposition",
                        "akg:partOf id:syrian-armed-opposition"))
        for slug, label, state, qid, _ in CITIES:
            facts = f"akg:capitalOf id:{state}" if state else ""
            self.add(Entity(slug, "City", label, facts, qid=qid))
        for slug, label, qid, _ in AGENCIES:
            self.add(Entity(slug, "NewsOrganization", label, qid=qid))
        for slug, label, qid in PROVINCES:
            self.add(Entity(slug, "Province", label, "akg:locatedIn id:syria", qid=qid))
        self.add(Entity("area-north-of-homs", "Region", "area north of Homs", "akg:locatedIn id:syria"))
        self.add(Entity("eastern-ghouta", "Region", "Eastern Ghouta", "akg:locatedIn id:syria"))
        for slug, label, areas, parts in ZONES:
            facts = ["akg:establishedBy id:memorandum"]
            facts += [f"akg:coversArea id:{a}" for a in areas] + [f"akg:coversPartOf id:{p}" for p in parts]
            self.add(Entity(slug, "DeEscalationZone", label, " ; ".join(facts)))
        self.add(Entity("memorandum", "Memorandum", "Memorandum on the creation of de-escalation zones in Syria",
                        "akg:signedAt id:astana"))
        self.add(Entity("ceasefire-2016", "Ceasefire", "Syria-wide ceasefire of December 2016"))
        self.add(Entity("astana-process", "PeaceProcess", "Astana peace process"))
        # The groups the zones' ceasefire does not cover, and the local agreement on one zone.
        self.add(Entity("jabhat-fatah-al-sham", "ArmedGroup", "Jabhat Fatah al-Sham"))
        self.add(Entity("isil", "ArmedGroup", "Islamic State", qid="Q2429253"))
        self.add(Entity("cairo", "City", "Cairo", "akg:capitalOf id:egypt", qid="Q85"))
        self.add(Entity("egypt", "State", "Egypt", qid="Q79", adjective="Egyptian"))
        self.add(Entity("russian-defense-ministry", "GovernmentBody", "Russian Defense Ministry", "akg:partOf id:russia"))
        self.add(Entity("moderate-syrian-opposition", "Party", "moderate Syrian opposition"))
        self.add(Entity("homs-agreement", "Ceasefire", "Agreement on the Homs de-escalation zone"))
        for number, start in ROUNDS:
            self.add(Entity(f"astana-round-{number}", "NegotiationRound",
                            f"{ORDINALS[number - 1]} round of the Astana talks",
                            "akg:subEventOf id:astana-process ; akg:location id:astana"))
        envoy = Person("alexander-lavrentyev", "Person", "Alexander Lavrentyev",
                       title="Russian Presidential Envoy on the Syrian Settlement", organization="kremlin")
        self.add(envoy)
        mediator = Person("un-envoy", "Person", "Staffan Reinholt", title="UN Special Envoy for Syria",
                          organization="united-nations")
        self.add(mediator)

    # --- the long tail ------------------------------------------------------------------------

    def _unique_name(self, make) -> str:
        """A name ``make(syllables)`` gives that no entity has yet: made with two-syllable words,
        and with a syllable more each time ATTEMPTS in a row are taken (a large corpus uses up the
        shorter names)."""
        syllables = 2
        while True:
            for _ in range(ATTEMPTS):
                name = make(syllables)
                if name not in self._names:
                    self._names.add(name)
                    return name
            syllables += 1

    def _attach(self, mentions: list, mint):
        """A new entity (``mint()``) with probability NEW_ENTITY, else an earlier one chosen in
        proportion to its mentions: uniformly from ``mentions``, which lists an entity once per
        mention (constant time, however long the tail)."""
        if not mentions or self.rng.random() < NEW_ENTITY:
            entity = self.add(mint())
            self.minted[entity.cls] = self.minted.get(entity.cls, 0) + 1
        else:
            entity = mentions[self.rng.randrange(len(mentions))]
        mentions.append(entity)
        return entity

    def person(self) -> Person:
        def mint() -> Person:
            name = self._unique_name(lambda syllables: f"{self.rng.choice(FIRST_NAMES)} "
                                                       f"{word(self.rng, syllables)}{self.rng.choice(SURNAME_ENDINGS)}")
            number = self.minted.get("Person", 0) + 1
            slug = f"person-{number}-{name.split()[-1].lower()}"
            if self.rng.random() < 0.3 and self.groups:
                group = self.rng.choice(self.groups)
                return Person(slug, "Person", name, title=f"spokesman of the {group.label}", organization=group.slug)
            state = self.entities[self.rng.choice(("russia", "iran", "turkey", "syria", "united-states",
                                                   "kazakhstan", "jordan"))]
            office = self.rng.choice(("Deputy Foreign Minister", "Defence Ministry spokesman",
                                      "Ambassador to Kazakhstan", "delegation head", "presidential aide",
                                      "Foreign Ministry spokesperson", "military expert"))
            return Person(slug, "Person", name, title=f"{state.adjective} {office}", organization=state.slug)
        return self._attach(self.persons, mint)

    def group(self) -> Entity:
        def mint() -> Entity:
            cls, kind = self.rng.choice(GROUP_KINDS)
            name = self._unique_name(lambda syllables: f"{word(self.rng, syllables)} {kind}")
            slug = f"group-{len(self._names)}-{name.split()[0].lower()}"
            return Entity(slug, cls, name)
        return self._attach(self.groups, mint)

    def town(self) -> Entity:
        def mint() -> Entity:
            name = self._unique_name(lambda syllables: f"{word(self.rng, syllables)}{self.rng.choice(TOWN_ENDINGS)}")
            province = self.rng.choice(PROVINCES)[0]
            return Entity(f"town-{len(self._names)}-{name.lower()}", "City", name, f"akg:locatedIn id:{province}")
        return self._attach(self.towns, mint)

    # --- articles -----------------------------------------------------------------------------

    def plan(self) -> list[tuple[int, dt.date]]:
        """For each article, in order of publication: the round it reports and its date."""
        plans = []
        for _ in range(self.articles):
            number, start = self.rng.choices(ROUNDS, weights=ROUND_WEIGHTS)[0]
            plans.append((number, start + dt.timedelta(days=1 + self.rng.randint(0, 9))))
        return sorted(plans, key=lambda p: (p[1], p[0]))

    def write(self, out: Path) -> None:
        if out.exists() and any(out.iterdir()):
            if not (out / MARKER).is_file():
                raise FileExistsError(f"{out} is not empty and was not written by this generator: not replaced")
            shutil.rmtree(out)
        for name in COPIED:
            shutil.copytree(CHECKOUT / name, out / name)
        (out / "data/sources").mkdir(parents=True)
        (out / "data/claims").mkdir(parents=True)
        (out / MARKER).write_text(f"benchmarks/corpus.py --articles {self.articles}\n", encoding="utf-8")
        sums = []
        for index, (number, day) in enumerate(self.plan()):
            article = Article(self, f"{index:0{self.width}d}", number, day)
            text, claims = article.compose()
            name = article.file
            (out / "data/sources" / name).write_text(text, encoding="utf-8")
            sums.append(f"{hashlib.sha256(text.encode()).hexdigest()}  {name}\n")
            (out / "data/claims" / f"{article.id}.yaml").write_text(claim_file(article.id, text, claims),
                                                                     encoding="utf-8")
        (out / "data/sources/SHA256SUMS").write_text("".join(sums), encoding="utf-8")
        (out / "data/curation").mkdir()
        links = "".join(f"{slug}\t{self.entities[slug].qid}\n" for slug in sorted(self.used)
                        if self.entities[slug].qid)
        (out / "data/curation/wikidata-links.tsv").write_text("entity\tqid\n" + links, encoding="utf-8")
        (out / "data/curation/identifiers.tsv").write_text(
            "entity\tproperty\tvalue\tbasis\nmemorandum\tpaxAgreementId\t2093\t"
            "the Peace Agreements Database (PA-X) numbers the memorandum of 4 May 2017 2093\n", encoding="utf-8")


class Article:
    """One generated article: its paragraphs of sentences, each sentence with the claims quoting it."""

    def __init__(self, corpus: Corpus, source_id: str, round_number: int, day: dt.date):
        self.corpus = corpus
        self.rng = corpus.rng
        self.id = source_id
        self.round = round_number
        self.round_start = dict(ROUNDS)[round_number]
        self.day = day
        self.paragraphs: list[list[Sentence]] = []
        self.named: set[str] = set()  # entities introduced in this article
        self.statements: list[Statement] = []
        self.earlier = len(corpus.statements)  # the statements of the articles before this one
        self.file = f"{source_id}_{hashlib.sha256(f'{source_id} {day}'.encode()).hexdigest()[:16]}.txt"

    # --- helpers ------------------------------------------------------------------------------

    def name(self, entity: Entity) -> tuple[str, str]:
        """The Turtle introducing ``entity`` (once per article), and its IRI."""
        self.corpus.used.add(entity.slug)
        if entity.slug in self.named:
            return "", f"id:{entity.slug}"
        self.named.add(entity.slug)
        return entity.turtle(), f"id:{entity.slug}"

    def ent(self, slug: str) -> Entity:
        return self.corpus.entities[slug]

    def paragraph(self, *sentences: Sentence) -> None:
        self.paragraphs.append(list(sentences))

    def derivation(self, prop: str, phrase: str, day: dt.date, certainty: str, comment: str) -> str:
        return (f"[ a akg:DateDerivation ; akg:forProperty akg:{prop} ; akg:phrase {lit(phrase)} ;\n"
                f"    akg:derivedDate {date_literal(day)} ; akg:certainty akg:{certainty} ;\n"
                f"    rdfs:comment {lit(comment)}@en ]")

    # --- the parts of an article --------------------------------------------------------------

    def compose(self) -> tuple[str, list[Claim]]:
        self.headline()
        dateline = self.lead()
        self.guarantors()
        if self.rng.random() < 0.7:
            self.observers()
        self.negotiators()
        for _ in range(self.rng.randint(10, 18)):
            self.statement()
            if self.rng.random() < 0.12:
                self.talks()
        chosen = self.zones()
        if self.rng.random() < 0.3:
            self.exclusions(chosen)
        if self.day > HOMS_AGREEMENT and self.rng.random() < 0.5:
            self.homs_agreement()
        if self.rng.random() < 0.6:
            self.meeting()
        if self.rng.random() < 0.5:
            self.deadline()
        if self.rng.random() < 0.5:
            self.fighting()
        self.date_bounds(dateline)
        return self.finish()

    def headline(self) -> None:
        topic = self.rng.choice(HEADLINE_TOPICS)
        ordinal = ORDINALS[self.round - 1].capitalize()
        text = f"{ordinal} round of Astana talks on Syria ends with {topic}"
        facts = [f"id:source-{self.id} a akg:Source ; akg:headline {lit(text)} ;\n"
                 f"  akg:sourceFile \"data/sources/{self.file}\" .\n"]
        for slug in (f"astana-round-{self.round}", "astana-process", "syria"):
            facts.append(self.name(self.ent(slug))[0])
        self.paragraph(Sentence("All news"))
        self.paragraph(Sentence(text, [(None, Claim(text, facts))]))

    def lead(self) -> Claim:
        city = self.ent(self.rng.choices(CITIES, weights=[c[4] for c in CITIES])[0][0])
        agency = self.ent(self.rng.choices(AGENCIES, weights=[a[3] for a in AGENCIES])[0][0])
        dateline = f"{city.label.upper()}, {month_day(self.day)}. /{agency.label}/."
        facts = [f"id:source-{self.id} akg:dateline {lit(dateline)} ; akg:publisher id:{agency.slug} ;\n"
                 f"  akg:publishedOn {date_literal(self.day)} ;\n  akg:derivation "
                 + self.derivation("publishedOn", month_day(self.day), self.day, "Probable",
                                   f"The dateline gives the day; the year {YEAR} is that of the talks reported.")
                 + " .\n", self.name(city)[0], self.name(agency)[0]]
        state = city.facts.rsplit("id:", 1)[-1] if city.facts else None
        if state:
            facts.append(self.name(self.ent(state))[0])
        claim = Claim(dateline, facts, [f"id:source-{self.id}", f"id:{agency.slug}", f"id:{city.slug}"])
        first, last = self.round_start, self.round_start + dt.timedelta(days=1)
        span = f"{month_day(first)}-{last.day}"
        host = self.ent("astana")
        opening = f"On {span}, Astana hosted the {ORDINALS[self.round - 1]} round of talks on Syria."
        round_iri = f"id:astana-round-{self.round}"
        round_facts = [self.name(self.ent(f"astana-round-{self.round}"))[0], self.name(host)[0],
                       self.name(self.ent("kazakhstan"))[0],
                       f"{round_iri} akg:eventStatus akg:Occurred ; akg:startDate {date_literal(first)} ;\n"
                       f"  akg:endDate {date_literal(last)} ;\n  akg:derivation "
                       + self.derivation("startDate", span, first, "Probable", "The first day of the span printed.")
                       + " ,\n  " + self.derivation("endDate", span, last, "Probable", "The last day of the span printed.")
                       + " .\n"]
        self.paragraph(Sentence(dateline, [(None, claim)]),
                       Sentence(opening, [(None, Claim(opening, round_facts, [round_iri, "id:astana", "id:kazakhstan"]))]))
        return claim

    def guarantors(self) -> None:
        names = [self.ent(s) for s in GUARANTORS]
        self.rng.shuffle(names)
        listed = f"{names[0].label}, {names[1].label} and {names[2].label}"
        text = f"The ceasefire guarantors - {listed} - signed the memorandum on the de-escalation zones."
        facts, about = [], []
        for state in names:
            facts.append(self.name(state)[0])
            facts.append(f"id:role-guarantor-{state.slug} a akg:GuarantorRole ; akg:roleOf id:{state.slug} ; "
                         "akg:roleIn id:ceasefire-2016 .\n")
            facts.append(f"id:role-signatory-{state.slug} a akg:SignatoryRole ; akg:roleOf id:{state.slug} ; "
                         "akg:roleIn id:memorandum .\n")
            about += [f"id:role-guarantor-{state.slug}", f"id:role-signatory-{state.slug}", f"id:{state.slug}"]
        facts += [self.name(self.ent("ceasefire-2016"))[0], self.name(self.ent("memorandum"))[0],
                  self.name(self.ent("astana"))[0]]
        facts.append(f"id:memorandum akg:adoptedAt id:astana-round-{self.round} .\n" if self.round == 4 else "")
        about += ["id:ceasefire-2016", "id:memorandum"]
        self.paragraph(Sentence(text, [(None, Claim(text, facts, about))]))

    def observers(self) -> None:
        observers = [self.ent(s) for s in ("united-states", "jordan") if self.rng.random() < 0.8] or [self.ent("jordan")]
        listed = " and ".join(o.label for o in observers)
        text = f"Delegations of {listed} attended the talks as observers."
        facts, about = [], []
        for party in observers:
            role = f"role-observer-{party.slug}-round-{self.round}"
            facts += [self.name(party)[0],
                      f"id:{role} a akg:ObserverRole ; akg:roleOf id:{party.slug} ; akg:roleIn id:astana-round-{self.round} .\n"]
            about += [f"id:{role}", f"id:{party.slug}"]
        sentences = [Sentence(text, [(None, Claim(text, facts, about))])]
        if self.rng.random() < 0.6:
            envoy = self.ent("un-envoy")
            mediator = f"{envoy.label}, the UN Special Envoy for Syria, took part as a mediator."
            role = f"role-mediator-un-envoy-round-{self.round}"
            facts = [self.name(envoy)[0], envoy.position_turtle(), self.name(self.ent("united-nations"))[0],
                     f"id:{role} a akg:MediatorRole ; akg:roleOf id:un-envoy ; akg:roleIn id:astana-round-{self.round} .\n"]
            sentences.append(Sentence(mediator, [(None, Claim(mediator, facts,
                                                              [f"id:{role}", "id:un-envoy", f"id:{envoy.position}"]))]))
        self.paragraph(*sentences)

    def negotiators(self) -> None:
        text = "The Syrian government and the delegation of the Syrian armed opposition negotiated at the talks."
        facts, about = [], []
        for slug in ("syrian-government", "opposition-delegation"):
            role = f"role-negotiator-{slug}-round-{self.round}"
            facts += [self.name(self.ent(slug))[0], f"id:{role} a akg:NegotiatingPartyRole ; akg:roleOf id:{slug} ; "
                      f"akg:roleIn id:astana-round-{self.round} .\n"]
            about.append(f"id:{role}")
        for slug in ("syria", "syrian-armed-opposition"):
            facts.append(self.name(self.ent(slug))[0])
        self.paragraph(Sentence(text, [(None, Claim(text, facts, about))]))

    def talks(self) -> None:
        """Talks of two delegations on a weekday before the dateline: an event of this article alone."""
        first, second = self.rng.sample(PARTIES[:5], 2)
        back = self.rng.randint(0, 6)
        day = self.day - dt.timedelta(days=back)
        weekday = WEEKDAYS[day.weekday()]
        city = self.ent(self.rng.choice(("astana", "moscow", "geneva")))
        a, b = self.ent(first), self.ent(second)
        text = f"Representatives of {a.label} and {b.label} held talks in {city.label} on {weekday}."
        slug = f"talks-{self.id}-{len(self.paragraphs)}"
        label = f"talks of {a.label} and {b.label} in {city.label}, {day.isoformat()}"
        facts = [self.name(a)[0], self.name(b)[0], self.name(city)[0],
                 f"id:{slug} a akg:Meeting ; rdfs:label {lit(label)}@en ;\n"
                 f"  akg:participant id:{first}, id:{second} ; akg:location id:{city.slug} ;\n"
                 f"  akg:eventStatus akg:Occurred ; akg:startDate {date_literal(day)} ;\n  akg:derivation "
                 + self.derivation("startDate", weekday, day, "Probable",
                                   f"The last {weekday} up to the dateline ({month_day(self.day)}).") + " .\n"]
        self.paragraph(Sentence(text, [(None, Claim(text, facts, [f"id:{slug}"]))]))

    def speaker(self) -> Person:
        roll = self.rng.random()
        if roll < 0.15:
            return self.ent("alexander-lavrentyev")
        return self.corpus.person()

    def words(self, quoted: bool) -> tuple[str, list[Entity]]:
        """What a statement says, and the nodes it is about."""
        zone = self.ent(self.rng.choice(ZONES)[0])
        province = self.ent(self.rng.choice(PROVINCES)[0])
        party = self.corpus.group() if self.rng.random() < 0.2 else self.ent(self.rng.choice(PARTIES))
        action = self.rng.choice(ACTIONS)
        town = self.corpus.town() if "{town}" in action else None
        about = []
        for key, node in (("{zone}", zone), ("{province}", province), ("{town}", town), ("{party}", party)):
            if key in action:
                about.append(node)
        action = action.format(zone=zone.label, province=province.label, town=town.label if town else "",
                               party=party.label)
        tail = self.rng.choice(TAILS).format(n=self.rng.randint(2, 30), month=self.rng.choice(MONTHS))
        if quoted:
            template = self.rng.choice(QUOTED)
            text = template.format(verb=self.rng.choice(QUOTED_VERBS), action=action, tail=tail,
                                   zone=zone.label).strip()
            if "{zone}" in template:
                about.append(zone)
        else:
            text = f"{party.label} {self.rng.choice(READY)} {action} {tail}"
            about.append(party)
        if "memorandum" in text:
            about.append(self.ent("memorandum"))
        return text, list({e.slug: e for e in about}.values())

    def statement(self) -> None:
        if self.earlier and self.rng.random() < REPORTED_AGAIN:
            again = self.corpus.statements[self.rng.randrange(self.earlier)]
            if all(again.slug != s.slug for s in self.statements):
                self.report_again(again)
                return
        speaker = self.speaker()
        quoted = self.rng.random() < 0.45
        words, about = self.words(quoted)
        dated = self.rng.random() < 0.4
        slug = f"st-{self.id}-{len(self.statements) + 1}"
        statement = Statement(slug, speaker, words, quoted, self.id, dated)
        self.statements.append(statement)
        self.corpus.statements.append(statement)
        verb = self.rng.choice(SPEECH_VERBS)
        when = ""
        if dated:
            back = self.rng.randint(0, 6)
            day = self.day - dt.timedelta(days=back)
            weekday = WEEKDAYS[day.weekday()]
            when = f" on {weekday}"
        who = speaker.introduction()
        if quoted:
            text = f'"{words}," {who} {verb}{when}.'
            said = f"akg:quotation {lit(words)}@en"
        else:
            text = f"{who} {verb}{when} that {words}."
            said = f"akg:paraphrase {lit(words)}@en"
        text = text[0].upper() + text[1:]
        facts = [self.name(speaker)[0], speaker.position_turtle(), self.name(self.ent(speaker.organization))[0]]
        for node in about:
            facts.append(self.name(node)[0])
        topics = ", ".join(f"id:{n.slug}" for n in about)
        stance = ""
        if "memorandum" in words:
            stance = " ; akg:opposes id:memorandum" if any(n in words for n in NEGATIVE) else " ; akg:supports id:memorandum"
        facts.append(f"id:{slug} a akg:Statement ; akg:speaker id:{speaker.slug} ;\n  {said} ;\n"
                     f"  akg:about {topics}{stance} ;\n  akg:reportedIn id:source-{self.id}")
        if dated:
            facts[-1] += (f" ;\n  akg:statedOn {date_literal(day)} ;\n  akg:derivation "
                          + self.derivation("statedOn", weekday, day, "Probable",
                                            f"The last {weekday} up to the dateline ({month_day(self.day)}), "
                                            f"{back} day(s) before it."))
        facts[-1] += " .\n"
        claim = Claim(text, facts, [f"id:{slug}", f"id:{speaker.slug}", f"id:{speaker.position}"]
                      + [f"id:{n.slug}" for n in about])
        self.paragraph(Sentence(text, [(None, claim)]))

    def report_again(self, statement: Statement) -> None:
        """An earlier statement reported again: its words, quoted or paraphrased as they were."""
        speaker = statement.speaker
        self.statements.append(statement)
        if statement.quoted:
            text = f'Earlier, {speaker.label} said: "{statement.words}."'
            said = f"akg:quotation {lit(statement.words)}@en"
        else:
            text = f"Earlier, {speaker.label} said that {statement.words}."
            said = f"akg:paraphrase {lit(statement.words)}@en"
        facts = [self.name(speaker)[0],
                 f"id:{statement.slug} a akg:Statement ; akg:speaker id:{speaker.slug} ; {said} ;\n"
                 f"  akg:reportedIn id:source-{self.id} ; akg:notAfter {date_literal(self.day)} ;\n  akg:derivation "
                 + self.derivation("notAfter", "Earlier", self.day, "Uncertain",
                                   "Reported again as said earlier; only the dateline bounds it.") + " .\n"]
        self.paragraph(Sentence(text, [(None, Claim(text, facts, [f"id:{statement.slug}", f"id:{speaker.slug}"]))]))

    def zones(self) -> list[str]:
        """The zones the memorandum provides for, as this article lists them; their slugs."""
        chosen = [z for z in ZONES if self.rng.random() < 0.85] or [ZONES[0]]
        text = f"The memorandum provides for {len(chosen)} de-escalation zones."
        sentences = [Sentence(text, [(None, Claim(text, [self.name(self.ent("memorandum"))[0]], ["id:memorandum"]))])]
        for slug, label, areas, parts in chosen:
            zone = self.ent(slug)
            places = [self.ent(a) for a in areas + parts]
            described = " and ".join(p.label for p in places)
            lead = self.rng.choice(("One zone covers", "Another zone includes", "A further zone takes in"))
            sentence = f"{lead} {described}."
            facts = [self.name(zone)[0]] + [self.name(p)[0] for p in places]
            sentences.append(Sentence(sentence, [(described, Claim(described, facts,
                                                                   [f"id:{slug}"] + [f"id:{p.slug}" for p in places]))]))
        if self.rng.random() < 0.5:
            term = "Military flights over the zones are banned under the memorandum."
            provision = "provision-ban-on-flights"
            facts = [f"id:{provision} a akg:Provision ; rdfs:label \"ban on military flights over the zones\"@en ;\n"
                     "  akg:provisionOf id:memorandum .\n", self.name(self.ent("memorandum"))[0]]
            sentences.append(Sentence(term, [(None, Claim(term, facts, [f"id:{provision}", "id:memorandum"]))]))
        self.paragraph(*sentences)
        return [zone for zone, *_ in chosen]

    def exclusions(self, zones: list[str]) -> None:
        """The groups the ceasefire in the zones does not cover, as the zones' exclusions."""
        groups = [self.ent(g) for g in EXCLUDED if self.rng.random() < 0.8] or [self.ent(EXCLUDED[1])]
        listed = " and ".join(g.label for g in groups)
        text = f"The ceasefire in the zones does not cover {listed}, the guarantors said."
        excluded = ", ".join(f"id:{g.slug}" for g in groups)
        facts = [self.name(g)[0] for g in groups]
        facts += [f"id:{zone} a akg:DeEscalationZone ; akg:excludes {excluded} .\n" for zone in zones]
        about = [f"id:{zone}" for zone in zones] + [f"id:{g.slug}" for g in groups]
        self.paragraph(Sentence(text, [(None, Claim(text, facts, about))]))

    def homs_agreement(self) -> None:
        """The local agreement on the Northern Homs zone: when, where and between whom it was
        reached, and what the zone takes in; the figures differ a little from source to source."""
        phrase = f"on {month_day(HOMS_AGREEMENT)}"
        cairo, ministry, opposition = self.ent("cairo"), self.ent("russian-defense-ministry"), \
            self.ent("moderate-syrian-opposition")
        text = (f"The {ministry.label} said it had agreed with the {opposition.label} in {cairo.label} "
                f"{phrase} to set up the Northern Homs de-escalation zone.")
        comment = "The day is printed; the year is that of the talks."
        meeting = "cairo-meeting"
        facts = [self.name(self.ent("homs-agreement"))[0], self.name(cairo)[0], self.name(self.ent("egypt"))[0],
                 self.name(ministry)[0], self.name(self.ent("russia"))[0], self.name(opposition)[0],
                 self.name(self.ent("zone-northern-homs"))[0],
                 f"id:homs-agreement akg:signedOn {date_literal(HOMS_AGREEMENT)} ; akg:signedAt id:cairo ;\n"
                 f"  akg:adoptedAt id:{meeting} ; akg:establishes id:zone-northern-homs ;\n  akg:derivation "
                 + self.derivation("signedOn", phrase, HOMS_AGREEMENT, "Probable", comment) + " .\n",
                 f"id:{meeting} a akg:Meeting ; rdfs:label {lit('meeting in Cairo on the Northern Homs zone')}@en ;\n"
                 f"  akg:location id:cairo ; akg:participant id:{ministry.slug}, id:{opposition.slug} ;\n"
                 f"  akg:eventStatus akg:Occurred .\n"]
        about = ["id:homs-agreement", f"id:{meeting}", "id:zone-northern-homs"]
        for party in (ministry, opposition):
            role = f"role-party-{party.slug}-homs"
            facts.append(f"id:{role} a akg:PartyToAgreementRole ; akg:roleOf id:{party.slug} ; "
                         "akg:roleIn id:homs-agreement .\n")
            about += [f"id:{role}", f"id:{party.slug}"]
        settlements = self.rng.choice((84, 84, 84, 85))
        people = self.rng.choice((147000, 147000, 150000))
        figures = f"The zone takes in {settlements} settlements with more than {people:,} people."
        zone_facts = [self.name(self.ent("zone-northern-homs"))[0],
                      f"id:zone-northern-homs akg:settlementCount {settlements} ; akg:populationMoreThan {people} .\n"]
        self.paragraph(Sentence(text, [(None, Claim(text, facts, about))]),
                       Sentence(figures, [(None, Claim(figures, zone_facts, ["id:zone-northern-homs"]))]))

    def meeting(self) -> None:
        days = self.rng.randint(5, 20)
        city = self.ent(self.rng.choice(("astana", "moscow", "tehran", "ankara", "geneva")))
        phrase = f"in {days} days"
        text = f"A meeting of experts of the guarantor states will be held in {city.label} {phrase}."
        slug = f"meeting-{self.id}"
        due = self.day + dt.timedelta(days=days)
        facts = [self.name(city)[0],
                 f"id:{slug} a akg:Meeting ; rdfs:label {lit(f'meeting of experts in {city.label}, announced in source {self.id}')}@en ;\n"
                 f"  akg:location id:{city.slug} ; akg:eventStatus akg:Planned ;\n"
                 f"  akg:participant id:russia, id:iran, id:turkey ;\n"
                 f"  akg:notBefore {date_literal(due)} ; akg:notAfter {date_literal(due)} ;\n  akg:derivation "
                 + self.derivation("notBefore", phrase, due, "Probable", f"{days} days after the dateline.") + " ,\n  "
                 + self.derivation("notAfter", phrase, due, "Probable", f"{days} days after the dateline.") + " .\n"]
        self.paragraph(Sentence(text, [(None, Claim(text, facts, [f"id:{slug}", f"id:{city.slug}"]))]))

    def deadline(self) -> None:
        due = self.day + dt.timedelta(days=self.rng.randint(10, 40))
        phrase = f"by {month_day(due)}"
        text = f"The maps of the zones are to be drawn up {phrase}."
        slug = f"deadline-maps-{self.id}"
        facts = [f"id:{slug} a akg:Deadline ; rdfs:label {lit(f'maps of the zones, as source {self.id} dates them')}@en ;\n"
                 f"  akg:deadlineOf id:memorandum ; akg:dueDate {date_literal(due)} ;\n  akg:derivation "
                 + self.derivation("dueDate", phrase, due, "Probable", "The day is printed; the year is that of the talks.")
                 + " .\n", self.name(self.ent("memorandum"))[0]]
        self.paragraph(Sentence(text, [(None, Claim(text, facts, [f"id:{slug}"]))]))

    def fighting(self) -> None:
        group = self.corpus.group()
        town = self.corpus.town()
        text = f"Fighters of the {group.label} attacked positions near {town.label}, the monitors reported."
        slug = f"attack-{self.id}"
        facts = [self.name(group)[0], self.name(town)[0], self.name(self.ent(town.facts.rsplit("id:", 1)[-1]))[0],
                 self.name(self.ent("syria"))[0],
                 f"id:{slug} a akg:MilitaryAction ; rdfs:label {lit(f'attack near {town.label} by the {group.label}')}@en ;\n"
                 f"  akg:participant id:{group.slug} ; akg:location id:{town.slug} ; akg:eventStatus akg:Occurred .\n"]
        self.paragraph(Sentence(text, [(None, Claim(text, facts, [f"id:{slug}", f"id:{group.slug}", f"id:{town.slug}"]))]))

    def date_bounds(self, dateline: Claim) -> None:
        """Statements without a day of their own are bounded by the round's start and the dateline,
        derived in the dateline's claim (as the seeds do)."""
        phrase = month_day(self.day)
        for statement in self.statements:
            if statement.source != self.id or statement.dated:
                continue
            dateline.facts.append(
                f"id:{statement.slug} akg:notBefore {date_literal(self.round_start)} ; akg:notAfter {date_literal(self.day)} ;\n"
                "  akg:derivation "
                + self.derivation("notBefore", phrase, self.round_start, "Uncertain",
                                  "No day is given; the statement belongs to the round reported, which began then.")
                + " ,\n  " + self.derivation("notAfter", phrase, self.day, "Uncertain",
                                            "No day is given; it was made at the latest on the day of the dateline.")
                + " .\n")
            dateline.about.append(f"id:{statement.slug}")

    def finish(self) -> tuple[str, list[Claim]]:
        text, claims = "", []
        for number, paragraph in enumerate(self.paragraphs):
            if number:
                text += "\n\n"
            for index, sentence in enumerate(paragraph):
                if index:
                    text += " "
                for part, claim in sentence.claims:
                    claim.start = len(text) + (sentence.text.index(part) if part else 0)
                    claims.append(claim)
                text += sentence.text
        return text + "\n", claims


class _Dumper(yaml.SafeDumper):
    """Facts as block scalars, as curators write them."""


_Dumper.add_representer(str, lambda dumper, value: dumper.represent_scalar(
    "tag:yaml.org,2002:str", value, style="|" if "\n" in value else None))


def claim_file(source_id: str, text: str, claims: list[Claim]) -> str:
    """The YAML claim file of one article; ``occurrence`` where a quote occurs more than once."""
    entries = []
    for claim in claims:
        entry: dict = {"quote": claim.quote}
        hits = [start for start, _ in find_quote(text, claim.quote)]
        if len(hits) > 1:
            entry["occurrence"] = hits.index(claim.start) + 1
        if claim.about is not None:  # what the claim names, and every node it introduces
            introduced = [f"id:{slug}" for fact in claim.facts for slug in _INTRODUCED.findall(fact)]
            entry["about"] = list(dict.fromkeys(claim.about + introduced))
        entry["facts"] = "".join(claim.facts)
        entries.append(entry)
    # A fixed creation time and the project as curator: the same bytes for the same seed.
    return yaml.dump({"source": source_id, "created": GENERATED_AT, "curator": "https://w3id.org/astana-kg/",
                      "claims": entries}, Dumper=_Dumper, sort_keys=False,
                     allow_unicode=True, width=1 << 20, default_flow_style=None)


#: The ``created`` of every generated claim file (the dcterms:created of its annotations): fixed,
#: so that a seed always writes the same bytes.
GENERATED_AT = "2020-01-01T00:00:00Z"

_INTRODUCED = re.compile(r"^id:([\w-]+) a akg:", re.MULTILINE)


def generate(articles: int, seed: int, out: Path) -> Path:
    """Write a project of ``articles`` generated articles into ``out``; an earlier output of this
    generator there is replaced, any other non-empty directory refused (FileExistsError)."""
    if articles < 1:
        raise ValueError("at least one article")
    Corpus(seed, articles).write(out)
    return out


# ---------------------------------------------------------------------------------------------
# Measuring a project: the proportions the generator mirrors
# ---------------------------------------------------------------------------------------------

def measure(root: Path) -> str:
    """Per-source counts of claims, triples and nodes by kind, and in how many sources each node
    recurs, for the project at ``root`` (the seeds or a generated one)."""
    from collections import Counter, defaultdict

    from rdflib.namespace import RDF, RDFS

    from astana_kg.pipeline.build import load_inputs
    from astana_kg.namespaces import AKG

    inputs = load_inputs(root)
    ontology = inputs.ontology

    def ancestors(cls, seen):
        for parent in ontology.objects(cls, RDFS.subClassOf):
            if parent not in seen:
                seen.add(parent)
                ancestors(parent, seen)
        return seen

    kinds = {"agent": AKG.Agent, "place": AKG.Place, "role": AKG.Role, "statement": AKG.Statement,
             "event": AKG.Event, "derivation": AKG.Derivation}
    nodes: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    triples, quotations = {}, Counter()
    for name, graph in inputs.graphs.items():
        if "/graph/source/" not in str(name):
            continue
        source = str(name).rsplit("/", 1)[1]
        triples[source] = len(graph)
        quotations[source] = len(set(graph.subjects(AKG.quotation, None)))
        for node, cls in graph.subject_objects(RDF.type):
            classes = ancestors(cls, {cls})
            for kind, top in kinds.items():
                if top in classes:
                    nodes[source][kind].add(node)
    claims = Counter(c.source.id for c in inputs.claims)
    n = len(triples)
    lines = [f"{n} sources; per source (mean): {sum(claims.values()) / n:.1f} claims, "
             f"{sum(triples.values()) / n:.0f} triples, {sum(quotations.values()) / n:.1f} quotations"]
    lines.append(f"{'kind':10s} {'per source':>10s} {'distinct':>8s}  share of distinct nodes named in "
                 "1 source / 2 / 3-5 / over 5 / every source")
    for kind in kinds:
        recurrence = Counter(node for source in nodes for node in nodes[source][kind])
        bands = [sum(1 for c in recurrence.values() if c == 1), sum(1 for c in recurrence.values() if c == 2),
                 sum(1 for c in recurrence.values() if 3 <= c <= 5 and c < n),
                 sum(1 for c in recurrence.values() if 5 < c < n), sum(1 for c in recurrence.values() if c == n)]
        total = max(1, len(recurrence))
        lines.append(f"{kind:10s} {sum(len(nodes[s][kind]) for s in nodes) / n:10.1f} {len(recurrence):8d}  "
                     + " / ".join(f"{b / total:4.0%}" for b in bands))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, help="how many articles to generate")
    parser.add_argument("--seed", type=int, default=0, help="the random seed (default 0)")
    parser.add_argument("--out", type=Path, help="the project directory to write (an earlier output there is replaced)")
    parser.add_argument("--measure", type=Path, metavar="ROOT",
                        help="print the proportions of the project at ROOT instead (the checkout: .)")
    args = parser.parse_args(argv)
    if args.measure:
        print(measure(args.measure))
        return 0
    if not args.articles or not args.out:
        parser.error("--articles and --out are needed (or --measure ROOT)")
    try:
        generate(args.articles, args.seed, args.out)
    except FileExistsError as error:
        parser.error(str(error))
    print(f"wrote {args.articles} articles (seed {args.seed}) to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
