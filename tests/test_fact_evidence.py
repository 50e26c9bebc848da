"""The evidence of a fact, checked against the articles: from the Python API and from
/api/fact-evidence of a running `astana-kg serve`, every quote is the article's own words and
names the fact's object, and every source that asserts the fact gives at least one."""

from __future__ import annotations

import json
import sys
import urllib.parse
from pathlib import Path

import pyoxigraph as ox
import pytest

import astana_kg
from astana_kg.api.graph import AKG, ID

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from helpers_server import http_get  # noqa: E402

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
MAY_4 = ox.Literal("2017-05-04", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date"))
SOURCES = [f"{ID}source-{n:03d}" for n in range(5)]

# (subject, predicate, object, the sources whose graph asserts it, words of the object one of
# which every quote must hold)
FACTS = [
    ("memorandum", AKG + "signedAt", "astana", SOURCES, ["Astana"]),
    ("homs-agreement", AKG + "signedAt", "cairo", [SOURCES[3]], ["Cairo"]),
    ("role-guarantor-iran", AKG + "roleOf", "iran", SOURCES, ["Iran"]),
    ("memorandum", RDF_TYPE, AKG + "Memorandum", SOURCES, ["memorandum"]),
    # A date: the words each source dates the signing by (source 001 by the end of the round).
    ("memorandum", AKG + "signedOn", MAY_4, [SOURCES[0], SOURCES[1], SOURCES[3], SOURCES[4]],
     ["May 4", "adoption of a document"]),
]
IDS = [f"{s}-{p.rsplit('#', 1)[-1]}" for s, p, *_ in FACTS]


@pytest.fixture(scope="module")
def kg(built):
    return astana_kg.open(built.out)


def _article(kg, source: str) -> str:
    return kg.source_path(source).read_text(encoding="utf-8")


@pytest.mark.parametrize("subject, predicate, obj, sources, words", FACTS, ids=IDS)
def test_every_quote_of_a_fact_is_the_articles_words_naming_its_object(kg, subject, predicate, obj, sources, words):
    quotes = kg.evidence(subject, predicate, obj)
    assert sorted({q.source.iri for q in quotes}) == sources
    for quote in quotes:
        assert _article(kg, quote.source)[quote.start:quote.end] == quote.exact
        assert any(word in quote.exact for word in words), (quote.source.iri, quote.exact)


def test_a_fact_has_fewer_quotes_than_its_subject_when_the_others_do_not_attest_it(kg):
    fact = kg.evidence("memorandum", AKG + "signedAt", "astana")
    node = kg.evidence("memorandum")
    assert {q.annotation for q in fact} < {q.annotation for q in node}
    left_out = [q for q in node if q.annotation not in {f.annotation for f in fact}]
    assert left_out and not any("Astana" in q.exact for q in left_out)


@pytest.mark.parametrize("subject, predicate, obj, sources, words", FACTS, ids=IDS)
def test_api_fact_evidence_gives_the_same_quotes(server, kg, subject, predicate, obj, sources, words):
    # A literal as the fragments interface writes it.
    written = f'"{obj.value}"^^{obj.datatype.value}' if isinstance(obj, ox.Literal) else obj
    query = urllib.parse.urlencode({"subject": subject, "predicate": predicate, "object": written, "limit": 500})
    status, _, body = http_get(f"{server}/api/fact-evidence?{query}")
    assert status == 200, body[:500]
    items = json.loads(body)["items"]
    assert [(q["annotation"], q["exact"]) for q in items] == \
        [(q.annotation, q.exact) for q in kg.evidence(subject, predicate, obj)]
    assert all(any(word in q["exact"] for word in words) for q in items)
