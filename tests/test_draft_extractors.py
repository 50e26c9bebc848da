"""Each extractor of `astana-kg draft` alone, on short articles written for these tests: sentences,
dates, quotations and speakers, entity linking, roles and offices, events, the writer and review."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from rdflib import Graph, Literal
from rdflib.namespace import XSD

from astana_kg.pipeline.claims import load_claim_file, load_sources
from astana_kg.draft import review
from astana_kg.draft.dates import find_dates, month_bounds, resolve_weekday
from astana_kg.draft.events import event_dates, event_mentions
from astana_kg.draft.linking import Linker, load_gazetteer
from astana_kg.draft.quotes import quotations, statements
from astana_kg.draft.roles import RoleFinder
from astana_kg.draft.source import metadata
from astana_kg.draft.text import fold, sentences
from astana_kg.draft.writer import draft_article, render
from astana_kg.namespaces import AKG

#: A reviewed claim file of a made-up source: the graph the drafts below link to.
KNOWN_TEXT = "Known names: Russia, Iran, Turkey, the United States, Jordan, Alexander Lavrentyev, " \
             "Bashar al-Ja’afari, Recep Tayyip Erdoğan, Sergey Lavrov, the truce, the second round."
KNOWN_FACTS = """
      id:russia a akg:State ; rdfs:label "Russia"@en .
      id:iran a akg:State ; rdfs:label "Iran"@en .
      id:turkey a akg:State ; rdfs:label "Turkey"@en .
      id:united-states a akg:State ; rdfs:label "United States"@en ; skos:altLabel "US"@en .
      id:jordan a akg:State ; rdfs:label "Jordan"@en .
      id:alexander-lavrentyev a akg:Person ; rdfs:label "Alexander Lavrentyev"@en .
      id:bashar-al-jaafari a akg:Person ; rdfs:label "Bashar al-Ja’afari"@en .
      id:erdogan a akg:Person ; rdfs:label "Recep Tayyip Erdoğan"@en .
      id:sergey-lavrov a akg:Person ; rdfs:label "Sergey Lavrov"@en .
      id:truce-2016 a akg:Ceasefire ; rdfs:label "nationwide truce of 2016"@en ; skos:altLabel "ceasefire regime"@en .
      id:round-2 a akg:NegotiationRound ; rdfs:label "second round of the Astana talks"@en .
      id:memo a akg:Memorandum ; rdfs:label "memorandum on safe zones"@en .
      id:process a akg:PeaceProcess ; rdfs:label "Astana peace process"@en ; skos:altLabel "Astana talks"@en .
      id:kazakhstan a akg:State ; rdfs:label "Kazakhstan"@en .
      id:role-guarantor-russia a akg:GuarantorRole ; akg:roleOf id:russia ; akg:roleIn id:truce-2016 .
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("project")
    (root / "data/sources").mkdir(parents=True)
    (root / "data/claims").mkdir()
    (root / "data/sources/900_known.txt").write_text(KNOWN_TEXT, encoding="utf-8")
    (root / "data/claims/900.yaml").write_text(
        f'source: "900"\ncreated: "2026-01-01T00:00:00Z"\ncurator: "https://w3id.org/astana-kg/"\n'
        f'claims:\n  - quote: "Known names"\n    facts: |{KNOWN_FACTS}', encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def gazetteer(project):
    return load_gazetteer(project)


def linked(text, gazetteer):
    linker = Linker(gazetteer)
    mentions = linker.mentions(text)
    return linker, sorted(mentions + event_mentions(text, mentions, linker), key=lambda m: m.start)


# --- text and dates ------------------------------------------------------------------------------

def test_sentences_do_not_end_at_a_rank_or_an_initial():
    text = "Col. Gen. Ivan Petrov spoke. J. Smith of the U.S. Army replied, “No.” Then all left."
    assert [text[s:e] for s, e in sentences(text)] == [
        "Col. Gen. Ivan Petrov spoke.", "J. Smith of the U.S. Army replied, “No.”", "Then all left."]


def test_folding_drops_case_diacritics_and_apostrophes():
    assert fold("Ja’afari") == fold("Jaafari") == "jaafari"
    assert fold("ERDOĞAN") == fold("Erdogan")


def test_a_day_range_is_one_phrase_with_both_days():
    [phrase] = find_dates("Meetings took place on March 3-4 in a hotel.", 2019)
    assert (phrase.phrase, phrase.start, phrase.end) == ("March 3-4", date(2019, 3, 3), date(2019, 3, 4))


def test_a_weekday_is_the_one_on_or_before_the_dateline_day_or_after_the_last_reported_day():
    assert resolve_weekday("Tuesday", date(2019, 3, 7), before=True) == date(2019, 3, 5)
    assert resolve_weekday("Thursday", date(2019, 3, 7), before=True) == date(2019, 3, 7)
    assert resolve_weekday("Tuesday", date(2019, 3, 7), before=False) == date(2019, 3, 12)


def test_last_december_is_bounded_by_the_first_and_last_day_of_the_december_before():
    [phrase] = [d for d in find_dates("The truce was agreed last December.", 2019) if d.kind == "month"]
    assert month_bounds(phrase, date(2019, 3, 7)) == (date(2018, 12, 1), date(2018, 12, 31))


def test_a_dateline_gives_place_day_publisher_and_a_probable_year_when_the_year_is_inferred():
    meta = metadata("Talks go on in the capital today\n\nMINSK, June 2. /BelTA/. Talks went on.", 2019)
    assert (meta.place, meta.publisher_name, meta.published, meta.certainty) == ("Minsk", "BelTA", date(2019, 6, 2), "Probable")
    assert meta.headline == "Talks go on in the capital today"
    printed = metadata("Talks go on in the capital today\n\nMINSK, June 2, 2018. /BelTA/. Talks went on.", 2019)
    assert (printed.published, printed.certainty) == (date(2018, 6, 2), "Certain")


# --- quotations and speakers ---------------------------------------------------------------------

@pytest.mark.parametrize("text, words", [
    ("He said, “we will stay.”", "we will stay."), ('He said, "we will stay."', "we will stay."),
    ("He said, «we will stay».", "we will stay"), ("He said, ‘we won’t stay’.", "we won’t stay"),
    ("He said, „we will stay“.", "we will stay"),
])
def test_quotations_are_found_in_every_quotation_mark_style(text, words):
    assert [q for _, _, q in quotations(text)] == [words]


def test_he_the_envoy_and_the_minister_resolve_to_the_last_fitting_named_speaker(gazetteer):
    text = ("Foreign Minister Sergey Lavrov said the plan was ready. "
            "“Nothing is settled,” Alexander Lavrentyev told reporters. "
            "He added, “We will wait.” "
            "“Talks go on,” the minister said. "
            "“Iran agrees,” the envoy added.")
    linker, mentions = linked(text, gazetteer)
    titles = {DATA("sergey-lavrov"): ["Foreign Minister"], DATA("alexander-lavrentyev"): ["special envoy"]}
    found = statements(text, mentions, titles, linker)
    speakers = [s.speaker_entity.name for s in found]
    assert speakers == ["sergey-lavrov", "alexander-lavrentyev", "alexander-lavrentyev", "sergey-lavrov",
                        "alexander-lavrentyev"]
    assert text[slice(*found[0].paraphrase)] == "the plan was ready"
    assert text[slice(*found[2].quotation)] == "We will wait"


def test_reported_speech_with_the_speaker_after_the_clause_is_a_paraphrase(gazetteer):
    text = "The zones will open next week, Alexander Lavrentyev said."
    linker, mentions = linked(text, gazetteer)
    [statement] = statements(text, mentions, {}, linker)
    assert statement.speaker_entity.name == "alexander-lavrentyev"
    assert text[slice(*statement.paraphrase)] == "The zones will open next week"


# --- entity linking ------------------------------------------------------------------------------

@pytest.mark.parametrize("spelling, iri", [
    ("Lavrentiev", "alexander-lavrentyev"), ("Jaafari", "bashar-al-jaafari"), ("Erdogan", "erdogan"),
    ("ERDOĞAN", "erdogan"), ("Sergei Lavrov", "sergey-lavrov"), ("RUSSIA", "russia"),
])
def test_other_spellings_link_to_the_known_entity(gazetteer, spelling, iri):
    text = f"Yesterday {spelling} said nothing new."
    _, mentions = linked(text, gazetteer)
    assert [m.entity.name for m in mentions if text[m.start:m.end] == spelling] == [iri]


def test_the_acronym_us_is_not_the_pronoun_us(gazetteer):
    text = "Let us see what the US decides."
    _, mentions = linked(text, gazetteer)
    assert [text[m.start:m.end] for m in mentions] == ["US"]


@pytest.mark.parametrize("text, name, cls", [
    ("Defence Minister Jan Novak said the army was ready.", "Jan Novak", "Person"),
    ("The Kuwaiti Foreign Ministry issued a note.", "Kuwaiti Foreign Ministry", "GovernmentBody"),
    ("Fighters of Jaysh al-Tahrir left the town.", "Jaysh al-Tahrir", "ArmedGroup"),
    ("Officials from Egypt attended.", "Egypt", "State"),
])
def test_names_the_graph_lacks_are_proposed_with_a_class(gazetteer, text, name, cls):
    _, mentions = linked(text, gazetteer)
    [mention] = [m for m in mentions if text[m.start:m.end] == name]
    assert not mention.entity.known and mention.entity.cls.endswith(cls)


# --- roles, offices and events -------------------------------------------------------------------

def roles_of(text, gazetteer):
    linker, mentions = linked(text, gazetteer)
    return {(r.cls, r.holder.name, r.context.name if r.context is not None else None, r.title)
            for r in RoleFinder(text, mentions, linker).roles()}


def test_as_guarantors_of_the_ceasefire_gives_each_listed_state_the_role(gazetteer):
    text = "Russia, Iran and Turkey, as guarantors of the ceasefire regime, met again."
    assert {r[:3] for r in roles_of(text, gazetteer)} == {
        ("GuarantorRole", "russia", "truce-2016"), ("GuarantorRole", "iran", "truce-2016"),
        ("GuarantorRole", "turkey", "truce-2016")}


def test_observers_from_the_us_and_jordan_observe_the_round_named_before(gazetteer):
    text = "The second round of talks began. Observers from the US and Jordan attended."
    assert {r[:3] for r in roles_of(text, gazetteer)} == {
        ("ObserverRole", "united-states", "round-2"), ("ObserverRole", "jordan", "round-2")}


def test_an_office_keeps_the_sources_own_title(gazetteer):
    text = "Russian Foreign Minister Sergey Lavrov arrived."
    assert ("Position", "sergey-lavrov", "russia", "Russian Foreign Minister") in roles_of(text, gazetteer)


def test_a_round_with_a_day_range_gets_its_first_and_last_day(gazetteer):
    text = "The second round of talks on March 3-4 ended."
    _, mentions = linked(text, gazetteer)
    [fact] = event_dates(text, mentions, metadata(text, 2019))
    assert fact.entity.name == "round-2"
    assert [(p, v) for p, v, *_ in fact.dates] == [("startDate", date(2019, 3, 3)), ("endDate", date(2019, 3, 4))]


#: A dateline that prints its year: Sunday 9 June 2019 (Wednesday is the 5th, Thursday the 6th).
DATELINE = "Talks on safe zones go on in the capital\n\nMINSK, June 9, 2019. /BelTA/. "


def event_days(body, gazetteer, graph=None):
    """(entity name, property, day, phrase, certainty) of every event date of an article with the
    dateline above."""
    text = DATELINE + body
    _, mentions = linked(text, gazetteer)
    return [(fact.entity.name, prop, str(value), phrase.phrase, certainty)
            for fact in event_dates(text, mentions, metadata(text, 2019), graph) for prop, value, phrase, certainty, _ in fact.dates]


@pytest.mark.parametrize("body, expected", [
    ("The second round of talks opened on Wednesday.", [("startDate", "2019-06-05", "Wednesday")]),
    ("The second round of talks, which began on Wednesday, drew observers.", [("startDate", "2019-06-05", "Wednesday")]),
    ("The second round of talks that ended on Thursday left no text.", [("endDate", "2019-06-06", "Thursday")]),
    ("The second round of talks was held on Wednesday and Thursday.",
     [("startDate", "2019-06-05", "Wednesday"), ("endDate", "2019-06-06", "Thursday")]),
    ("On Wednesday, the second round of talks opened in the capital.", [("startDate", "2019-06-05", "Wednesday")]),
    ("The second round of talks closed yesterday.", [("endDate", "2019-06-08", "yesterday")]),
    ("Delegates came for the second round of talks. The round opened on Wednesday.",
     [("startDate", "2019-06-05", "Wednesday")]),
], ids=["opened on", "which began on", "that ended on", "held on two weekdays", "fronted weekday", "yesterday",
        "the round named again"])
def test_a_round_takes_the_weekday_or_relative_day_of_its_own_verb_against_the_dateline(gazetteer, body, expected):
    assert event_days(body, gazetteer) == [("round-2", p, v, phrase, "Certain") for p, v, phrase in expected]


@pytest.mark.parametrize("body, expected", [
    ("Russia and Turkey signed a memorandum on Thursday.", [("memo", "signedOn", "2019-06-06", "Thursday", "Certain")]),
    ("The memorandum was signed on Thursday in the capital.", [("memo", "signedOn", "2019-06-06", "Thursday", "Certain")]),
    ("The truce took effect on Friday.", [("truce-2016", "inForceFrom", "2019-06-07", "Friday", "Certain")]),
    ("Envoys attended the signing of a memorandum on safe zones on Thursday.",
     [("memo", "signedOn", "2019-06-06", "Thursday", "Certain")]),
    ("The memorandum came in force on June 8.", [("memo", "inForceFrom", "2019-06-08", "June 8", "Probable")]),
    ("The second round of talks opened on Wednesday. The memorandum was signed the next day.",
     [("round-2", "startDate", "2019-06-05", "Wednesday", "Certain"),
      ("memo", "signedOn", "2019-06-06", "the next day", "Probable")]),
    ("The second round of talks opened on Tuesday and closed on Thursday. The memorandum was signed a day after the talks began.",
     [("round-2", "startDate", "2019-06-04", "Tuesday", "Certain"),
      ("memo", "signedOn", "2019-06-05", "a day after", "Probable")]),
    ("The memorandum was signed a day after the talks began on Tuesday.",
     [("memo", "signedOn", "2019-06-05", "a day after", "Probable")]),
], ids=["signed a memorandum on", "was signed on", "took effect on", "the signing of", "came in force on", "the next day",
        "a day after the talks began", "a day after a weekday of the clause"])
def test_agreements_take_the_day_of_their_signing_or_taking_effect_and_relative_days_count_from_an_event_before(
        gazetteer, body, expected):
    assert event_days(body, gazetteer) == expected


@pytest.mark.parametrize("body", [
    "Sergey Lavrov said on Friday that the second round of talks had opened.",
    "The second round of talks opened, Sergey Lavrov said on Friday.",
    "On Friday, Sergey Lavrov said the second round of talks had opened.",
    "Sergey Lavrov spoke of the second round of talks on Friday.",
    "The second round of talks opened after Sergey Lavrov arrived on Friday.",
    "He was speaking a day after the second round of talks came to an end.",
    "The memorandum was signed the next day.",
    "Envoys met during the second round of talks in the capital on June 4.",
], ids=["said on Friday that", "opened, X said on Friday", "On Friday, X said", "spoke of the round on Friday",
        "another clause's weekday", "a day after the round, no day given it", "the next day, no day before",
        "one day during the round"])
def test_a_weekday_or_relative_day_outside_the_events_own_clause_dates_no_event(gazetteer, body):
    assert event_days(body, gazetteer) == []


def test_a_day_that_would_put_a_rounds_first_day_after_its_last_is_left_out(gazetteer):
    """The build's date-order shape refuses a first day after a last one, whether both are drafted
    or the last is the reviewed graph's."""
    assert event_days("The second round of talks ended on Wednesday. The round opened on Thursday.", gazetteer) == [
        ("round-2", "endDate", "2019-06-05", "Wednesday", "Certain")]
    reviewed = Graph()
    reviewed.add((DATA("round-2"), AKG.endDate, Literal("2019-06-04", datatype=XSD.date)))
    assert event_days("The second round of talks opened on Thursday.", gazetteer, reviewed) == []
    assert event_days("The second round of talks opened on Monday.", gazetteer, reviewed) == [
        ("round-2", "startDate", "2019-06-03", "Monday", "Certain")]


def test_a_speakers_weekday_dates_the_statement_and_the_rounds_own_phrase_dates_the_round(project, gazetteer):
    text = (DATELINE + "The second round of talks opened on Wednesday in the capital.\n\n"
            "Sergey Lavrov said on Friday that the round had opened in good spirits.\n")
    draft = draft_article(text, "902", "data/sources/902_round.txt", gazetteer, today=date(2019, 7, 1))
    (project / "data/sources/902_round.txt").write_text(text, encoding="utf-8")
    path = project / "data/claims/902.yaml"
    path.write_text(render(draft, "902_round.txt"), encoding="utf-8")
    facts = [claim.facts for claim in load_claim_file(path, load_sources(project / "data/sources"))]
    assert [(s, str(o)) for g in facts for s, o in g.subject_objects(AKG.startDate)] == [(DATA("round-2"), "2019-06-05")]
    assert [str(o) for g in facts for o in g.objects(None, AKG.endDate)] == []
    assert [str(o) for g in facts for o in g.objects(None, AKG.statedOn)] == ["2019-06-07"]
    phrases = {(str(g.value(d, AKG.forProperty)), str(g.value(d, AKG.phrase)), str(g.value(d, AKG.certainty)))
               for g in facts for d in g.subjects(AKG.forProperty, None)}
    assert (str(AKG.startDate), "Wednesday", str(AKG.Certain)) in phrases
    assert (str(AKG.statedOn), "Friday", str(AKG.Certain)) in phrases


# --- the writer and review -----------------------------------------------------------------------

ARTICLE = ("Talks resume on a monitoring plan, as agreed in 2019\n\n"
           "MINSK, June 6. /BelTA/. Russia, Iran and Turkey, as guarantors of the ceasefire regime, met on Thursday.\n\n"
           "“We will stay the course,” Alexander Lavrentyev said on Wednesday. He said observers could come.\n")


def drafted(project, gazetteer, tmp_path):
    draft = draft_article(ARTICLE, "901", "data/sources/901_plan.txt", gazetteer, today=date(2019, 7, 1))
    (project / "data/sources/901_plan.txt").write_text(ARTICLE, encoding="utf-8")
    path = project / "data/claims/901.yaml"
    path.write_text(render(draft, "901_plan.txt"), encoding="utf-8")
    return draft, path


def test_statements_are_dated_from_the_weekday_against_the_dateline_and_carried_to_the_same_speaker(project, gazetteer, tmp_path):
    draft, path = drafted(project, gazetteer, tmp_path)
    claims = load_claim_file(path, load_sources(project / "data/sources"))
    assert draft.meta.published == date(2019, 6, 6)  # the year is the one the article prints
    days = {claim.quote: str(claim.facts.value(node, AKG.statedOn))
            for claim in claims for node in claim.facts.subjects(AKG.statedOn, None)}
    assert days == {"“We will stay the course,” Alexander Lavrentyev said on Wednesday.": "2019-06-05",
                    "He said observers could come.": "2019-06-05"}


def test_the_writer_writes_verbatim_quotes_with_status_confidence_and_why(project, gazetteer, tmp_path):
    _, path = drafted(project, gazetteer, tmp_path)
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    for claim in document["claims"]:
        assert claim["quote"] in ARTICLE
        assert claim["status"] == "draft" and claim["why"] and 0 <= claim["confidence"] <= 1
    assert load_claim_file(path, load_sources(project / "data/sources"))


def test_review_accepts_and_rejects_by_number_and_refuses_an_unknown_number(project, gazetteer, tmp_path):
    _, path = drafted(project, gazetteer, tmp_path)
    sources = load_sources(project / "data/sources")
    before = load_claim_file(path, sources)
    shown = review.view(project, "901")
    assert "⟦1 " in shown and f"#{len(before)} [draft" in shown
    review.decide(project, "901", accept=[1], reject=[2])
    after = load_claim_file(path, sources)
    assert len(after) == len(before) - 1
    assert not after[0].draft and after[0].quote == before[0].quote
    assert all(c.quote != before[1].quote or c.start != before[1].start for c in after)
    with pytest.raises(review.ReviewError, match="no claim #99"):
        review.decide(project, "901", accept=[99], reject=[])


def DATA(name):
    from astana_kg.namespaces import DATA as namespace
    return namespace[name]


def test_a_possessive_name_links_and_an_organization_named_with_it_is_proposed_whole(gazetteer):
    text = "Iran’s envoy arrived. Russia’s delegation left."
    _, mentions = linked(text, gazetteer)
    found = {text[m.start:m.end]: (m.entity.name, m.entity.known) for m in mentions}
    assert found["Iran"] == ("iran", True)
    assert found["Russia’s delegation"][1] is False and "Russia" not in found


def test_according_to_a_title_and_a_name_gives_the_named_speaker_across_no_break_spaces(project, gazetteer):
    text = "According to\u00a0the special envoy, Alexander Lavrentiev, the zones\u00a0will open in\u00a0June."
    draft = draft_article(text, "902", "data/sources/902_x.txt", gazetteer, today=date(2019, 7, 1))
    [statement] = draft.statements
    assert statement.speaker_entity.name == "alexander-lavrentyev"
    assert draft.text[slice(*statement.paraphrase)] == "the zones will open in June"
    (project / "data/sources/902_x.txt").write_text(text, encoding="utf-8")
    (project / "data/claims/902.yaml").write_text(render(draft, "902_x.txt"), encoding="utf-8")
    claims = load_claim_file(project / "data/claims/902.yaml", load_sources(project / "data/sources"))
    assert [c.quote for c in claims if any(c.facts.triples((None, AKG.paraphrase, None)))] == [text.replace("\u00a0", " ")]


def test_parties_that_participate_in_the_process_and_states_that_act_as_observers(gazetteer):
    text = ("Before the Astana talks, Russia and Iran participate in the negotiation process. "
            "The US and Jordan act as observers.")
    assert {r[:3] for r in roles_of(text, gazetteer)} == {
        ("NegotiatingPartyRole", "russia", "process"), ("NegotiatingPartyRole", "iran", "process"),
        ("ObserverRole", "united-states", "process"), ("ObserverRole", "jordan", "process")}


def test_the_provinces_of_two_names_are_provinces_and_the_kazakh_capital_names_kazakhstan(gazetteer):
    text = "Talks in the Kazakh capital covered the provinces of Idlib and Hama."
    _, mentions = linked(text, gazetteer)
    found = {text[m.start:m.end]: (m.entity.label, m.entity.cls.split("#")[1]) for m in mentions}
    assert found == {"Kazakh": ("Kazakhstan", "State"), "Idlib": ("Idlib province", "Province"),
                     "Hama": ("Hama province", "Province")}


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_WORDS = st.sampled_from(["Russia", "Iran", "said", "“", "”", '"', "‘", "’", "«", "»", ",", ".", "\n", "\n\n", " ", "he",
                          "Lavrentiev", "Thursday", "May 3-4", "the minister", "as guarantors of the ceasefire", "\u00a0",
                          "MINSK, June 6. /BelTA/.", "observers from the US", "Col. Gen. Ivan Petrov", "’s", "(", ")",
                          "According to", "told", "the second round of talks", "last December", "\r\n", "x" * 3, "-"])


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow,
                                                                                   HealthCheck.function_scoped_fixture])
@given(words=st.lists(_WORDS, min_size=1, max_size=40))
def test_whatever_the_text_the_claim_loader_accepts_every_drafted_claim(project, gazetteer, words):
    text = " ".join(words)
    if not text.strip():
        return
    draft = draft_article(text, "903", "data/sources/903_x.txt", gazetteer, today=date(2019, 7, 1))
    (project / "data/sources/903_x.txt").write_text(text, encoding="utf-8", newline="")
    path = project / "data/claims/903.yaml"
    path.write_text(render(draft, "903_x.txt"), encoding="utf-8")
    claims = load_claim_file(path, load_sources(project / "data/sources"))
    assert len(claims) == len(draft.claims)


def test_the_head_of_a_delegation_and_the_statement_added_resolve_to_the_speaker_before(gazetteer):
    text = ("“We are ready,” Alexander Lavrentyev said. "
            "“We wait,” the head of Russia’s delegation said. "
            "“It holds,” the statement added.")
    linker, mentions = linked(text, gazetteer)
    assert [s.speaker_entity.name for s in statements(text, mentions, {}, linker)] == ["alexander-lavrentyev"] * 3


def test_a_new_person_after_a_known_acronym_and_a_title_is_proposed(gazetteer):
    text = "US Special Envoy Jan Novak spoke."
    _, mentions = linked(text, gazetteer)
    found = {text[m.start:m.end]: (m.entity.cls.split("#")[1], m.entity.known) for m in mentions}
    assert found == {"US": ("State", True), "Jan Novak": ("Person", False)}


def test_the_dateline_place_the_graph_lacks_is_proposed_as_a_city(project, gazetteer, tmp_path):
    draft, path = drafted(project, gazetteer, tmp_path)
    [dateline] = [c for c in draft.claims if draft.text[c.start:c.end].startswith("MINSK")]
    assert 'id:minsk a akg:City ; rdfs:label "Minsk"@en ; skos:altLabel "MINSK"@en .' in dateline.facts
