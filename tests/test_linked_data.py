"""Linked data: /id/ and /graph/ IRIs dereferenced by content negotiation, the documents in every
format parsed back and checked for what they must say, the entity and source pages parsed as
HTML, the 404 and 406 answers, caching headers, and one real `astana-kg serve` over HTTP."""

from __future__ import annotations

import http.client
import json
import re
import sys
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest
import rdflib
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib.compare import to_isomorphic

from astana_kg.query import queries
from astana_kg.api.graph import Ambiguous, KnowledgeGraph
from astana_kg.http import create_app, linkeddata
from astana_kg.http.linkeddata import Span, highlight

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from helpers_server import astana_kg_server, http_get  # noqa: E402

BASE = "https://w3id.org/astana-kg/"
ROOT = Path(__file__).resolve().parent.parent
ID = BASE + "id/"
AKG = rdflib.Namespace(BASE + "ontology#")
OA = rdflib.Namespace("http://www.w3.org/ns/oa#")
PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")
FOAF = rdflib.Namespace("http://xmlns.com/foaf/0.1/")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
RUSSIA = rdflib.URIRef(ID + "russia")
GUARANTOR_RUSSIA = rdflib.URIRef(ID + "role-guarantor-russia")
FORMATS = {"ttl": ("text/turtle", "turtle"), "nt": ("application/n-triples", "nt"),
           "rdf": ("application/rdf+xml", "xml"), "jsonld": ("application/ld+json", None),
           "nq": ("application/n-quads", "nquads"), "trig": ("application/trig", "trig")}
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


@pytest.fixture(scope="module")
def app(built):
    return create_app({"BUILD_DIR": str(built.out), "QUERY_WORKERS": 1})


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def context_document(client) -> dict:
    response = client.get("/context.jsonld")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/ld+json")
    return response.get_json()


def get(client, path, accept=None, **headers):
    if accept is not None:
        headers["Accept"] = accept
    return client.get(path, headers=headers)


def parse_rdf(body: bytes, fmt: str, context_document: dict | None = None):
    """Parse an answer with rdflib (a Dataset for the quad formats, else a Graph); JSON-LD with
    the published context put in place of its URL."""
    if fmt in ("nq", "trig"):
        return rdflib.Dataset().parse(data=body, format=FORMATS[fmt][1])
    if fmt == "jsonld":
        document = json.loads(body)
        assert document["@context"].endswith("/context.jsonld")
        document["@context"] = context_document["@context"]
        return rdflib.Graph().parse(data=json.dumps(document), format="json-ld")
    return rdflib.Graph().parse(data=body, format=FORMATS[fmt][1])


def flat(parsed) -> rdflib.Graph:
    """The triples of a parsed answer, whatever graph they are in."""
    if not isinstance(parsed, rdflib.Dataset):
        return parsed
    graph = rdflib.Graph()
    for s, p, o, _ in parsed.quads((None, None, None, None)):
        graph.add((s, p, o))
    return graph


class Page(HTMLParser):
    """The parts of an HTML page the tests look at: links, and the text and tag of every element
    by its id or data-testid."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []  # (href, text)
        self.text_by_id: dict[str, str] = {}
        self.tags_by_id: dict[str, str] = {}
        self.stack: list[tuple[str, str | None, list[str]]] = []
        self.in_link: list[list] = []
        self.in_sup = 0
        self.all_text: list[str] = []
        self.feed(html)

    VOID_TAGS = {"meta", "link", "br", "img", "input", "hr", "source", "wbr"}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "sup":
            self.in_sup += 1
        if tag == "a" and "href" in attrs:
            self.in_link.append([attrs["href"], []])
        if tag not in self.VOID_TAGS:
            keys = [attrs[k] for k in ("id", "data-testid") if attrs.get(k)]
            self.stack.append((tag, keys, []))
            for key in keys:
                self.tags_by_id[key] = tag

    def handle_endtag(self, tag):
        if tag == "sup":
            self.in_sup -= 1
        if tag == "a" and self.in_link:
            href, text = self.in_link.pop()
            self.links.append((href, "".join(text)))
        if tag in self.VOID_TAGS:
            return
        while self.stack:
            open_tag, keys, text = self.stack.pop()
            for key in keys:
                self.text_by_id[key] = "".join(text)
            if open_tag == tag:
                break

    def handle_data(self, data):
        self.all_text.append(data)
        for _, _, text in self.stack:
            if not self.in_sup:
                text.append(data)
        for link in self.in_link:
            link[1].append(data)

    @property
    def text(self) -> str:
        return "".join(self.all_text)


# ---------------------------------------------------------------------------------------------
# Negotiation
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("accept, extension", [
    (BROWSER_ACCEPT, "html"),
    ("text/turtle", "ttl"),
    ("application/ld+json", "jsonld"),
    ("application/json", "jsonld"),
    ("application/n-triples", "nt"),
    ("text/plain", "nt"),
    ("application/rdf+xml", "rdf"),
    ("application/n-quads", "nq"),
    ("application/trig", "trig"),
    ("text/turtle;q=0.5, application/rdf+xml;q=0.9", "rdf"),
    ("text/html;q=0, */*", "ttl"),
    ("*/*", "html"),
    (None, "html"),
])
def test_an_entity_iri_answers_303_see_other_to_the_document_the_accept_header_asks_for(client, accept, extension):
    response = get(client, "/id/russia", accept)
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == f"/id/russia.{extension}"
    assert response.headers["Vary"] == "Accept"
    assert "max-age=" in response.headers["Cache-Control"]
    assert 'rel="alternate"; type="text/turtle"' in response.headers["Link"]


@pytest.mark.parametrize("extension", sorted(FORMATS))
def test_each_document_parses_and_holds_the_guarantor_role_of_russia(client, context_document, extension):
    response = client.get(f"/id/russia.{extension}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == FORMATS[extension][0]
    assert response.headers["ETag"] and response.headers["Vary"] == "Accept"
    graph = flat(parse_rdf(response.data, extension, context_document))
    assert (GUARANTOR_RUSSIA, AKG.roleOf, RUSSIA) in graph
    assert (GUARANTOR_RUSSIA, rdflib.RDF.type, AKG.GuarantorRole) in graph
    assert (GUARANTOR_RUSSIA, AKG.roleIn, rdflib.URIRef(ID + "ceasefire-2016")) in graph
    assert (RUSSIA, rdflib.RDFS.label, rdflib.Literal("Russia", lang="en")) in graph
    assert (RUSSIA, rdflib.SDO.sameAs, rdflib.URIRef("http://www.wikidata.org/entity/Q159")) in graph
    # The evidence: an annotation of the role, its span in a source and the quoted words.
    quotes = {str(exact) for exact in graph.objects(None, OA.exact)}
    evidence = list(graph.query("""
        SELECT ?source ?exact WHERE {
          ?annotation oa:hasBody ?role ; oa:hasTarget ?span .
          ?span oa:hasSource ?source ; oa:hasSelector/oa:exact ?exact .
        }""", initNs={"oa": OA}, initBindings={"role": GUARANTOR_RUSSIA}))
    assert {str(source) for source, _ in evidence} == {ID + f"source-00{n}" for n in range(5)}
    assert any("guarantor" in str(exact).lower() and "Russia" in str(exact) for _, exact in evidence)
    assert quotes


def test_the_quad_formats_keep_each_fact_in_the_graph_of_every_source_that_says_it(client):
    nquads = ox.Dataset(ox.parse(client.get("/id/russia.nq").data, format=ox.RdfFormat.N_QUADS))
    trig = ox.Dataset(ox.parse(client.get("/id/russia.trig").data, format=ox.RdfFormat.TRIG))
    named = lambda dataset: {q for q in dataset if isinstance(q.graph_name, ox.NamedNode)}  # noqa: E731
    assert named(nquads) == named(trig) and len(named(nquads)) > 500
    role = ox.NamedNode(str(GUARANTOR_RUSSIA))
    graphs = {q.graph_name.value for q in named(nquads)
              if q.subject == role and q.predicate == ox.NamedNode(str(AKG.roleOf))}
    assert graphs == {BASE + f"graph/source/00{n}" for n in range(5)}
    # The Wikidata link stays in the curation graph; entailments are kept, labelled as such.
    exact = [q for q in named(nquads)
             if q.subject == ox.NamedNode(str(RUSSIA)) and q.predicate == ox.NamedNode(str(rdflib.SDO.sameAs))]
    assert {q.graph_name.value for q in exact} == {BASE + "graph/curation/wikidata"}
    guarantor = ox.Triple(ox.NamedNode(str(RUSSIA)), ox.NamedNode(str(rdflib.RDF.type)), ox.NamedNode(str(AKG.Guarantor)))
    assert {q.graph_name.value for q in named(nquads) if q.triple == guarantor} == \
        {BASE + f"graph/inferred/00{n}" for n in range(5)}


@pytest.mark.parametrize("extension, fmt", [("nq", ox.RdfFormat.N_QUADS), ("trig", ox.RdfFormat.TRIG)])
def test_the_quad_formats_hold_in_their_default_graph_what_turtle_holds(client, extension, fmt):
    turtle = {q.triple for q in ox.parse(client.get("/id/russia.ttl").data, format=ox.RdfFormat.TURTLE)}
    default = {q.triple for q in ox.parse(client.get(f"/id/russia.{extension}").data, format=fmt)
               if isinstance(q.graph_name, ox.DefaultGraph)}
    document = lambda name: ox.NamedNode(ID + name)  # noqa: E731 - each document names itself
    assert {t for t in default if t.subject != document(f"russia.{extension}")} == \
        {t for t in turtle if t.subject != document("russia.ttl")}
    assert ox.Triple(ox.NamedNode(str(GUARANTOR_RUSSIA)), ox.NamedNode(str(AKG.roleOf)), ox.NamedNode(str(RUSSIA))) \
        in default


def test_the_triple_formats_merge_the_asserted_graphs_and_name_them_for_attribution(client, context_document):
    turtle = flat(parse_rdf(client.get("/id/russia.ttl").data, "ttl"))
    document = rdflib.URIRef(ID + "russia.ttl")
    assert (document, FOAF.primaryTopic, RUSSIA) in turtle
    derived = set(turtle.objects(document, PROV.wasDerivedFrom))
    assert rdflib.URIRef(BASE + "graph/source/001") in derived
    assert not [g for g in derived if str(g).startswith(BASE + "graph/inferred")]
    assert (rdflib.URIRef(BASE + "graph/source/001"), PROV.wasDerivedFrom, rdflib.URIRef(ID + "source-001")) in turtle
    # No entailment leaks into the merge (prov:Agent is only entailed for Russia).
    assert (RUSSIA, rdflib.RDF.type, PROV.Agent) not in turtle
    # Every triple format says the same.
    for extension in ("nt", "rdf", "jsonld"):
        other = flat(parse_rdf(client.get(f"/id/russia.{extension}").data, extension, context_document))
        other.remove((rdflib.URIRef(ID + f"russia.{extension}"), None, None))
        mine = rdflib.Graph()
        for triple in turtle:
            if triple[0] != document:
                mine.add(triple)
        assert to_isomorphic(other) == to_isomorphic(mine), extension


def test_json_ld_uses_the_terms_of_the_published_context(client, context_document):
    document = json.loads(client.get("/id/russia.jsonld").data)
    context = context_document["@context"]
    assert context["roleOf"] == {"@id": "akg:roleOf", "@type": "@id"}
    assert context["akg"] == BASE + "ontology#" and context["id"] == ID
    role = next(node for node in document["@graph"] if node["@id"] == "id:role-guarantor-russia")
    assert role["@type"] == "GuarantorRole" and role["roleOf"] == "id:russia"
    # pyoxigraph reads it too, once the context is in place.
    document["@context"] = context
    triples = {q.triple for q in ox.parse(json.dumps(document).encode(), format=ox.RdfFormat.JSON_LD)}
    assert ox.Triple(ox.NamedNode(str(GUARANTOR_RUSSIA)), ox.NamedNode(str(AKG.roleOf)), ox.NamedNode(str(RUSSIA))) in triples


def test_the_context_names_every_term_of_the_ontology(context_document, root):
    ontology = rdflib.Graph().parse(root / "ontology" / "astana-kg.ttl")
    context = context_document["@context"]
    terms = {str(s) for s in ontology.subjects() if str(s).startswith(str(AKG))}
    assert terms
    for term in terms:
        name = term[len(str(AKG)):]
        assert name in context, name
    for prop in ontology.subjects(rdflib.RDF.type, rdflib.OWL.ObjectProperty):
        if str(prop).startswith(str(AKG)):  # the ontology declares other vocabularies' properties too
            assert context[str(prop)[len(str(AKG)):]]["@type"] == "@id"


@pytest.mark.parametrize("path, media_type", [
    ("/id/russia.ttl", "text/turtle"), ("/id/russia.html", "text/html"), ("/id/russia.jsonld", "application/ld+json"),
    ("/id/russia.nt", "application/n-triples"), ("/id/russia.rdf", "application/rdf+xml"),
    ("/graph/source/001.ttl", "text/turtle"), ("/graph/source/001.html", "text/html"),
])
def test_an_explicit_extension_wins_over_the_accept_header(client, path, media_type):
    response = get(client, path, "application/n-quads")
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == media_type


def test_what_cannot_be_produced_is_refused_with_406_listing_what_can(client):
    response = get(client, "/id/russia", "image/png, application/pdf")
    assert response.status_code == 406
    problem = response.get_json()
    assert response.headers["Content-Type"] == "application/problem+json"
    assert set(problem["supported"]) >= {"text/html", "text/turtle", "application/ld+json", "application/n-triples",
                                          "application/rdf+xml"}


def test_an_unknown_iri_gets_an_html_page_with_suggestions_for_a_browser(client):
    response = get(client, "/id/rusia", BROWSER_ACCEPT)
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/html")
    page = Page(response.get_data(as_text=True))
    assert ("/id/russia", "Russia") in page.links
    assert ID + "rusia" in page.text
    search = [href for href, _ in page.links if href.startswith("/?query=")]
    assert search and "rusia" in urllib.parse.parse_qs(urlsplit(search[0]).query)["query"][0]


@pytest.mark.parametrize("path, accept", [("/id/rusia", "text/turtle"), ("/id/rusia.ttl", None),
                                          ("/id/russia.exe", "text/turtle"), ("/graph/source/999", "text/turtle"),
                                          ("/graph/source/999/content.ttl", None)])
def test_an_unknown_iri_gets_problem_json_for_a_program(client, path, accept):
    response = get(client, path, accept)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.get_json()["status"] == 404


@pytest.mark.parametrize("path, location", [
    ("/id/lavrentyev", "/id/alexander-lavrentyev"),  # words of one person's name
    ("/id/Russia", "/id/russia"),  # a label
    ("/id/moscow", "/id/russia"),  # another name the sources use
    ("/id/homs-zone", "/id/zone-northern-homs"),  # another name, hyphenated
    ("/id/lavrentyev.ttl", "/id/alexander-lavrentyev.ttl"),  # the same document of the entity
])
def test_a_name_of_one_entity_answers_303_see_other_to_its_iri(client, path, location):
    for accept in (BROWSER_ACCEPT, "text/turtle", None):
        response = get(client, path, accept)
        assert response.status_code == 303, (path, accept)
        assert response.headers["Location"] == location
        assert "immutable" not in response.headers["Cache-Control"]


def test_a_name_several_entities_share_gets_the_404_with_them_first(client):
    kg = KnowledgeGraph.from_store(client.application.extensions["astana_kg"]().store)
    with pytest.raises(Ambiguous) as shared:
        kg.entity("zone")
    candidates = [c.iri for c in shared.value.candidates]
    assert len(candidates) >= 2
    problem = get(client, "/id/zone", "application/ld+json")
    assert problem.status_code == 404 and problem.headers["Content-Type"] == "application/problem+json"
    assert problem.get_json()["suggestions"][:len(candidates)] == candidates
    assert f"fits {len(candidates)} entities" in problem.get_json()["detail"]
    page = get(client, "/id/zone", BROWSER_ACCEPT)
    assert page.status_code == 404
    hrefs = [href for href, _ in Page(page.get_data(as_text=True)).links if href.startswith("/id/")]
    assert hrefs[:len(candidates)] == ["/" + iri.removeprefix(BASE) for iri in candidates]


def test_a_repeated_request_with_the_etag_is_answered_304(client):
    first = client.get("/id/russia.ttl")
    again = client.get("/id/russia.ttl", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    other = client.get("/id/iran.ttl")
    assert other.headers["ETag"] != first.headers["ETag"]


def test_head_answers_like_get_without_a_body(client):
    response = client.head("/id/russia.ttl")
    assert response.status_code == 200 and response.data == b""
    assert response.headers["Content-Type"].startswith("text/turtle")


# ---------------------------------------------------------------------------------------------
# Every IRI resolves
# ---------------------------------------------------------------------------------------------

def test_every_id_iri_of_the_graph_resolves(client, store):
    iris = sorted({str(t.value) for q in store.quads_for_pattern(None, None, None)
                   for t in (q.subject, q.object) if isinstance(t, ox.NamedNode) and t.value.startswith(ID)})
    assert len(iris) > 500
    for iri in iris:
        path = "/" + iri[len(BASE):]
        response = get(client, path, "text/turtle")
        assert response.status_code == 303, iri
        assert client.get(response.headers["Location"]).status_code == 200, iri


def test_every_named_graph_resolves_and_offers_its_content(client, store):
    graphs = [g.value for g in store.named_graphs()]
    assert BASE + "graph/source/001" in graphs
    for graph in graphs:
        path = "/" + graph[len(BASE):]
        assert get(client, path, BROWSER_ACCEPT).headers["Location"].endswith(path + ".html")
        page = client.get(path + ".html")
        assert page.status_code == 200, graph
        content = get(client, path + "/content", "application/n-quads")
        assert content.status_code == 200
        assert content.headers["Content-Location"].endswith(path + "/content.nq")
        quads = list(ox.parse(content.data, format=ox.RdfFormat.N_QUADS))
        expected = sum(1 for _ in store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))
        assert len(quads) == expected and {q.graph_name.value for q in quads} == {graph}


def test_a_graph_description_gives_its_provenance_and_size(client, store):
    graph = rdflib.URIRef(BASE + "graph/source/001")
    description = rdflib.Graph().parse(data=client.get("/graph/source/001.ttl").data, format="turtle")
    triples = sum(1 for _ in store.quads_for_pattern(None, None, None, ox.NamedNode(str(graph))))
    assert int(description.value(graph, VOID.triples)) == triples
    assert (graph, PROV.wasDerivedFrom, rdflib.URIRef(ID + "source-001")) in description
    assert description.value(graph, VOID.dataDump) == rdflib.URIRef(BASE + "graph/source/001/content.nq")
    page = Page(client.get("/graph/source/001.html").get_data(as_text=True))
    assert page.text_by_id["triples"] == str(triples)
    annotations = sum(1 for _ in store.quads_for_pattern(None, ox.NamedNode(str(rdflib.RDF.type)), ox.NamedNode(str(OA.Annotation)),
                                                         ox.NamedNode(str(graph))))
    assert annotations > 50 and page.text_by_id["annotations"] == str(annotations)
    assert ("/id/source-001", "source 001") in page.links
    turtle = client.get("/graph/source/001/content.ttl")
    assert len(rdflib.Graph().parse(data=turtle.data, format="turtle")) == triples


# ---------------------------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------------------------

def test_the_entity_page_shows_label_types_roles_statements_evidence_and_links(client):
    response = client.get("/id/russia.html")
    assert response.status_code == 200
    page = Page(response.get_data(as_text=True))
    assert page.text_by_id["label"] == "Russia"
    links = dict(page.links)
    hrefs = [href for href, _ in page.links]
    assert "Russia" in page.text and "state" in page.text
    # Property values by label, linked to local pages; incoming links too.
    assert ("/id/kremlin", "Kremlin") in page.links or any(h == "/id/kremlin" for h in hrefs)
    # Roles: in what, and according to which sources.
    roles = page.text_by_id["fact-role-guarantor-russia"]
    assert "ceasefire" in roles.lower()
    assert {"/id/source-00%d" % n for n in range(5)} <= set(hrefs)
    # The evidence quotes link to the highlighted span of their source.
    evidence = [href for href in hrefs if href.startswith("/id/source-00") and "#ann-" in href]
    assert evidence
    quote = next(text for href, text in page.links if "#ann-" in href and "guarantor" in text.lower())
    assert "Russia" in quote
    # Wikidata, and the query page with a query about this entity.
    assert links.get("http://www.wikidata.org/entity/Q159") == "Wikidata Q159"
    query_link = next(href for href in hrefs if href.startswith("/?query="))
    query = urllib.parse.parse_qs(urlsplit(query_link).query)["query"][0]
    assert f"<{RUSSIA}>" in query
    # Statements made about it, with the quotation.
    assert "Lavrentyev" in page.text_by_id["statements"]
    assert "<link rel=\"alternate\" type=\"text/turtle\" href=\"/id/russia.ttl\">" in response.get_data(as_text=True)


def test_a_statement_page_shows_its_quotation_and_speaker(client):
    page = Page(client.get("/id/st-lavrentyev-unanimous-decision.html").get_data(as_text=True))
    assert "This decision must be taken unanimously" in page.text
    assert any(href == "/id/alexander-lavrentyev" for href, _ in page.links)


def test_the_source_page_highlights_every_annotated_span_with_its_exact_words(client, store):
    response = client.get("/id/source-001.html")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = Page(html)
    rows = list(store.query(queries.load("ld/source-annotations").text,
                            substitutions={ox.Variable("source"): ox.NamedNode(ID + "source-001")}))
    assert len(rows) > 50
    for row in rows:
        ident = row["annotation"].value.rsplit("/", 1)[-1]
        assert page.tags_by_id.get(ident) == "mark", ident
        # The mark's text (continuation pieces included) is the quote.
        pieces = _mark_text(html, ident)
        assert pieces == row["exact"].value, ident
    # Each span is linked to the facts it supports.
    assert any(href.startswith("#facts-span-001-") for href, _ in page.links)
    facts = page.text_by_id["facts"]
    assert "Russia, guarantor of the Syria-wide ceasefire" in facts  # the label the build generates for the role
    # The source's metadata, and how its date was derived.
    assert "TASS" in page.text_by_id["metadata"]
    assert "2017-05-05" in page.text_by_id["published"]
    assert "May 5" in page.text_by_id["metadata"]


def _mark_text(html: str, ident: str) -> str:
    """The text of every piece of a split mark: the one with the id and its continuations."""

    class Pieces(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.depth = 0
            self.inside: list[bool] = []
            self.sup = 0
            self.out: list[str] = []

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "mark":
                self.inside.append(attrs.get("data-span") == ident)
            if tag == "sup":
                self.sup += 1

        def handle_endtag(self, tag):
            if tag == "mark":
                self.inside.pop()
            if tag == "sup":
                self.sup -= 1

        def handle_data(self, data):
            if any(self.inside) and not self.sup:
                self.out.append(data)

    parser = Pieces()
    parser.feed(html)
    return "".join(parser.out)


@pytest.mark.parametrize("number", range(5))
def test_every_source_page_marks_all_its_annotations(client, store, number):
    html = client.get(f"/id/source-00{number}.html").get_data(as_text=True)
    page = Page(html)
    rows = list(store.query(queries.load("ld/source-annotations").text,
                            substitutions={ox.Variable("source"): ox.NamedNode(ID + f"source-00{number}")}))
    assert rows
    assert {r["annotation"].value.rsplit("/", 1)[-1] for r in rows} <= {k for k, v in page.tags_by_id.items() if v == "mark"}


def test_the_query_page_link_runs_a_query_that_answers_about_the_entity(store):
    text = linkeddata.entity_query(str(RUSSIA))
    rows = list(store.query(text))
    assert rows and all(RUSSIA in (rdflib.URIRef(r["subject"].value), rdflib.URIRef(r["object"].value)) for r in rows)
    assert {r["graph"].value for r in rows} >= {BASE + "graph/source/001", BASE + "graph/curation/wikidata"}


def test_the_search_query_of_the_not_found_page_finds_labels(store):
    rows = list(store.query(linkeddata.search_query("lavrent")))
    assert ID + "alexander-lavrentyev" in {r["entity"].value for r in rows}


def test_every_linked_data_query_file_is_used(client):
    names = sorted(p.stem for p in (queries.QUERIES_DIR / "ld").glob("*.rq"))
    assert names, "queries/ld/*.rq matched nothing"
    source = (linkeddata.__file__ and open(linkeddata.__file__, encoding="utf-8").read())
    for name in names:
        assert f'"{name}"' in source or f'"ld/{name}"' in source, name
        assert queries.load(f"ld/{name}").title != name, f"{name}.rq has no # title:"


# ---------------------------------------------------------------------------------------------
# Highlighting (pure)
# ---------------------------------------------------------------------------------------------

def test_nested_and_identical_spans_nest_their_marks():
    html = str(highlight("one two three", [Span(0, 13, "a"), Span(4, 7, "b"), Span(4, 7, "c")]))
    assert html == ('<mark id="a" data-span="a">one <mark id="b" data-span="b"><mark id="c" data-span="c">two'
                    '</mark></mark> three</mark>')


def test_a_reference_follows_the_last_span_of_a_group():
    html = str(highlight("abcdef", [Span(0, 3, "x", "g"), Span(0, 3, "y", "g")], lambda g: f"[{g}]"))
    assert html == '<mark id="x" data-span="x"><mark id="y" data-span="y">abc</mark></mark>[g]def'


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab <&é😀", min_size=1, max_size=30).flatmap(
    lambda text: st.tuples(st.just(text), st.lists(
        st.tuples(st.integers(0, len(text)), st.integers(0, len(text))).filter(lambda p: p[0] < p[1]), max_size=6))))
def test_highlighting_keeps_the_text_and_gives_each_span_exactly_its_characters(case):
    text, pairs = case
    spans = [Span(start, end, f"s{i}") for i, (start, end) in enumerate(pairs)]
    html = str(highlight(text, spans))

    class Collect(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.open: list[str] = []
            self.all: list[str] = []
            self.by_span: dict[str, list[str]] = {}
            self.ids: list[str] = []

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            self.open.append(attrs["data-span"])
            if "id" in attrs:
                self.ids.append(attrs["id"])

        def handle_endtag(self, tag):
            self.open.pop()

        def handle_data(self, data):
            self.all.append(data)
            for span in set(self.open):
                self.by_span.setdefault(span, []).append(data)

    parser = Collect()
    parser.feed(html)
    assert parser.open == []
    assert "".join(parser.all) == text
    assert sorted(parser.ids) == sorted(s.ident for s in spans)
    for span in spans:
        assert "".join(parser.by_span[span.ident]) == text[span.start:span.end]


# ---------------------------------------------------------------------------------------------
# A real server
# ---------------------------------------------------------------------------------------------

def test_a_real_server_redirects_and_serves_turtle_over_http(built):
    with astana_kg_server(built.out) as base:
        host = urlsplit(base)
        connection = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
        connection.request("GET", "/id/russia", headers={"Accept": "text/turtle"})
        response = connection.getresponse()
        response.read()
        assert response.status == 303
        assert response.getheader("Location").endswith("/id/russia.ttl")
        assert response.getheader("Vary") == "Accept"
        connection.close()
        status, headers, body = http_get(base + "/id/russia", {"Accept": "text/turtle"})  # follows the 303
        assert status == 200 and headers["Content-Type"].startswith("text/turtle")
        graph = rdflib.Graph().parse(data=body, format="turtle")
        assert (GUARANTOR_RUSSIA, AKG.roleOf, RUSSIA) in graph
        status, headers, body = http_get(base + "/id/source-002", {"Accept": BROWSER_ACCEPT})
        assert status == 200 and b"<mark id=\"ann-002-" in body
        status, headers, body = http_get(base + "/id/nobody", {"Accept": "application/ld+json"})
        assert status == 404 and headers["Content-Type"] == "application/problem+json"


def test_input_files_named_by_the_provenance_graph_resolve(client, store):
    """Every /files/ IRI of the graph (claims files, curation tables) is served, byte for byte."""
    iris = sorted({q.subject.value for q in store.quads_for_pattern(None, None, None)
                   if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(BASE + "files/")}
                  | {q.object.value for q in store.quads_for_pattern(None, None, None)
                     if isinstance(q.object, ox.NamedNode) and q.object.value.startswith(BASE + "files/")})
    assert len(iris) >= 6
    for iri in iris:
        path = iri.removeprefix(BASE + "files/")
        response = client.get("/files/" + path)
        assert response.status_code == 200, iri
        assert response.data == (ROOT / path).read_bytes()
        assert response.headers["ETag"]
        assert client.get("/files/" + path, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_a_file_the_graph_does_not_name_is_not_served(client):
    for path in ("pyproject.toml", "../pyproject.toml", "data/claims/999.yaml", "server/astana_kg/cli.py"):
        response = client.get("/files/" + path, headers={"Accept": "application/yaml"})
        assert response.status_code == 404, path
        assert response.content_type == "application/problem+json"


def test_serve_names_its_documents_under_the_configured_public_base(built):
    """`--public-base` is where the documents are published: the Turtle document about Russia
    names itself under that base, and its primary topic stays the graph's own IRI."""
    with astana_kg_server(built.out, "--public-base", "https://example.org/kg/") as base:
        status, _, body = http_get(base + "/id/russia.ttl", {"Accept": "text/turtle"})
        assert status == 200
        graph = rdflib.Graph().parse(data=body, format="turtle")
        assert (rdflib.URIRef("https://example.org/kg/id/russia.ttl"), FOAF.primaryTopic, RUSSIA) in graph


def test_the_entity_page_credits_an_entailment_to_the_sources_it_follows_from(client):
    """The UN is an observer by source 003 alone: its page links that entailment to
    graph/inferred/003 and to no other graph, and that graph has a page of its own."""
    html = client.get("/id/united-nations.html").get_data(as_text=True)
    entailed = html[html.index('id="inferred-table"'):]
    entailed = entailed[:entailed.index("</table>")]
    row = re.search(r'ontology#Observer"[^>]*>observer</a> <span class="sources">(.*?)</span>', entailed)
    assert row, "no entailed observer membership on the page"
    assert re.findall(r'href="([^"]+)"', row[1]) == ["/graph/inferred/003"]
    page = client.get("/graph/inferred/003.html")
    assert page.status_code == 200 and "source 003" in page.get_data(as_text=True)


def test_a_source_page_shows_the_date_its_derivations_arrive_at(client):
    """The value of a date derivation is its akg:derivedDate."""
    page = client.get("/id/source-002.html").data.decode("utf-8")
    derivations = re.findall(r'<dd data-testid="derivation">(.*?)</dd>', page, re.DOTALL)
    assert any("May 12" in d and "→ 2017-05-12" in d for d in derivations), derivations
