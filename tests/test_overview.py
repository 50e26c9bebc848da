"""The overview pages (timeline, roles), the ontology's documentation at the ontology IRI, the
downloads and the VoID description: the plain functions against the session's build, the routes
through Flask's test client (everything that comes back is parsed), and the pages in headless
Chromium against `astana-kg serve`."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest
import rdflib

from astana_kg.pipeline import dumps
from astana_kg.query import queries
from astana_kg.paths import DUMP_NAME, INFO_NAME
from astana_kg.http import create_app, overview
from astana_kg.http.errors import HttpError
from astana_kg.query.store import execute

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from helpers_browser import requested_hosts  # noqa: E402

AKG = "https://w3id.org/astana-kg/ontology#"
ID = "https://w3id.org/astana-kg/id/"
GRAPH = "https://w3id.org/astana-kg/graph/"
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
DCTERMS = rdflib.Namespace("http://purl.org/dc/terms/")
SOURCES = [f"{ID}source-00{n}" for n in range(5)]
GUARANTORS = {f"{ID}russia", f"{ID}iran", f"{ID}turkey"}
SVG = "{http://www.w3.org/2000/svg}"
RDF_EXTENSIONS = {"ttl": ("text/turtle", "turtle"), "jsonld": ("application/ld+json", "json-ld"),
                  "nt": ("application/n-triples", "nt"), "rdf": ("application/rdf+xml", "xml")}
OVERVIEW_QUERIES = queries.load_all("overview")


@pytest.fixture(scope="module")
def app(built):
    app = create_app({"BUILD_DIR": str(built.out), "QUERY_WORKERS": 1, "TESTING": True})
    yield app
    app.extensions["astana_kg"]().close()


@pytest.fixture
def client(app):
    return app.test_client()


class Page(HTMLParser):
    """The ids, links, elements and text of an HTML page."""

    def __init__(self, html: str):
        super().__init__()
        self.ids: list[str] = []
        self.links: list[str] = []
        self.resources: list[str] = []
        self.elements: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if "id" in attributes:
            self.ids.append(attributes["id"])
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        if tag in ("script", "img", "iframe") and attributes.get("src"):
            self.resources.append(attributes["src"])
        if tag == "link" and attributes.get("href"):
            self.resources.append(attributes["href"])

    def with_attribute(self, name: str) -> list[dict]:
        return [a for _, a in self.elements if name in a]


def store_count(store, graph=None) -> int:
    return sum(1 for _ in store.quads_for_pattern(None, None, None, graph if graph is not None else ox.DefaultGraph()))


def ontology_terms(store) -> set[str]:
    graph = ox.NamedNode(GRAPH + "ontology")
    return {q.subject.value for q in store.quads_for_pattern(None, None, None, graph)
            if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(AKG)}


def assert_local_resources(page: Page):
    """Stylesheets, scripts and images come from this server (no CDN)."""
    for resource in page.resources:
        parts = urlsplit(resource)
        assert parts.scheme in ("", "data") and not parts.netloc, resource


# ---------------------------------------------------------------------------------------------
# Queries and plain functions
# ---------------------------------------------------------------------------------------------

def test_every_overview_query_runs_and_returns_rows(store):
    assert len(OVERVIEW_QUERIES) >= 10, "the glob over queries/overview matched the queries"
    for query in OVERVIEW_QUERIES:
        assert query.title != query.name and query.description, query.name
        bindings = {}
        if query.name == "overview/evidence":
            bindings = {ox.Variable("kind"): ox.NamedNode(AKG + "Role")}
        if query.name == "overview/void-linkset":
            bindings = {ox.Variable("space"): ox.Literal("http://www.wikidata.org/entity/")}
        rows = list(store.query(query.text, substitutions=bindings or None))
        assert rows, f"{query.name} returned no rows"


def test_the_timeline_orders_dated_events_by_their_earliest_date_and_keeps_undated_ones_apart(store):
    dated, undated = overview.timeline(store)
    assert [e.sort_date for e in dated] == sorted(e.sort_date for e in dated)
    cq = {solution["event"].value for solution in execute(store, queries.load("cq/10-timeline").text)}
    assert cq <= {e.iri for e in dated}, "every event the timeline question dates is on the timeline"
    undated_iris = {e.iri for e in undated}
    assert {ID + "syrian-civil-war", ID + "astana-process"} <= undated_iris
    assert not undated_iris & {e.iri for e in dated}
    signing = next(e for e in dated if e.iri == ID + "memorandum-signing")
    by_source = {s.source: s for s in signing.by_source}
    assert set(by_source) == set(SOURCES)
    assert by_source[ID + "source-002"].summary() == "between 3 May 2017 and 4 May 2017"
    assert by_source[ID + "source-002"].certainty == "uncertain"
    assert by_source[ID + "source-000"].summary() == "4 May 2017" and by_source[ID + "source-000"].certainty == "certain"
    assert signing.evidence and all(e.span.startswith(ID + "span-") for e in signing.evidence)
    process = next(e for e in undated if e.iri == ID + "astana-process")
    assert any(d.phrase == "a month later" and d.date is None for s in process.by_source for d in s.datings)


def test_the_timeline_heads_an_event_with_the_day_sources_state_not_with_another_sources_lower_bound(store):
    dated, _ = overview.timeline(store)
    signing = next(e for e in dated if e.iri == ID + "memorandum-signing")
    assert (signing.sort_date, signing.when(), signing.disputed) == ("2017-05-04", "4 May 2017", False)
    fifth = next(e for e in dated if e.iri == ID + "astana-round-5")
    assert (fifth.stated_days, fifth.when()) == ([], "between 1 July 2017 and 10 July 2017")


def test_the_timeline_places_an_event_known_only_by_its_latest_day(store):
    dated, _ = overview.timeline(store)
    bombing = next(e for e in dated if e.iri == ID + "alleged-bombing")
    assert (bombing.sort_date, bombing.when()) == ("2017-05-03", "no later than 3 May 2017")


def test_the_timeline_says_the_mid_july_meeting_may_be_the_fifth_round(client, store):
    dated, _ = overview.timeline(store)
    july = next(e for e in dated if e.iri == ID + "astana-meeting-july")
    assert [iri for iri, _ in july.close_matches] == [ID + "astana-round-5"]
    text = client.get("/timeline", headers={"Accept": "text/html"}).get_data(as_text=True)
    item = text[text.index('id="event-astana-meeting-july"'):]
    item = item[:item.index("</li>")]
    assert "Possibly the same event as" in item and "/id/astana-round-5" in item


def test_the_timeline_page_marks_a_disagreement_only_where_sources_state_different_days(client, store):
    dated, _ = overview.timeline(store)
    text = client.get("/timeline", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert text.count('class="disputed"') == sum(e.disputed for e in dated)
    item = text[text.index('id="event-memorandum-signing"'):]
    assert '<time datetime="2017-05-04">4 May 2017</time>' in item[:item.index("</li>")]


def test_the_roles_name_russia_iran_and_turkey_guarantors_in_all_five_sources(store):
    rows = overview.roles(store)
    guarantors = [r for r in rows if r.kind == AKG + "GuarantorRole"]
    assert {r.holder for r in guarantors} == GUARANTORS
    assert all(r.sources == SOURCES for r in guarantors)
    assert all(r.context == ID + "ceasefire-2016" and r.evidence for r in guarantors)
    expected = {row["party"].value: int(row["sources"].value)
                for row in execute(store, queries.load("cq/01-guarantors").text)}
    assert {r.holder: len(r.sources) for r in guarantors} == expected
    kinds = {r.short_kind for r in rows}
    assert {"guarantor", "observer", "mediator", "signatory", "monitor", "position"} <= kinds


def test_the_roles_diagram_is_svg_with_a_linked_node_per_holder_role_and_context(store):
    rows = overview.roles(store)
    svg = ET.fromstring(overview.roles_svg(rows, "https://w3id.org/astana-kg/"))
    nodes = svg.findall(f"{SVG}a")
    role_nodes = [n for n in nodes if "role" in n.get("class").split()]
    drawn = [r for r in rows if not r.is_position]
    assert len(role_nodes) == len(drawn)
    guarantor_nodes = [n for n in role_nodes if n.get("data-kind") == AKG + "GuarantorRole"]
    assert {n.get("data-holder") for n in guarantor_nodes} == GUARANTORS
    assert all(n.get("data-sources").split() == SOURCES for n in guarantor_nodes)
    holders = {n.get("data-iri") for n in nodes if "holder" in n.get("class").split()}
    assert GUARANTORS <= holders
    assert all(n.get("href").startswith("/id/") for n in nodes)
    edges = svg.findall(f"{SVG}path")
    assert len(edges) == 2 * len(drawn)


def test_the_timeline_chart_draws_a_row_per_dated_event(store):
    dated, _ = overview.timeline(store)
    svg = ET.fromstring(overview.timeline_svg(dated, "https://w3id.org/astana-kg/"))
    rows = svg.findall(f"{SVG}g[@class='event-row']")
    assert [r.get("data-event") for r in rows] == [e.iri for e in dated]
    assert svg.findall(f".//{SVG}rect[@fill='url(#hatch)']"), "uncertain bounds are drawn hatched"


@pytest.mark.parametrize("accept, extension, expected", [
    ("text/html", None, "html"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", None, "html"),
    ("text/turtle", None, "text/turtle"),
    ("application/ld+json", None, "application/ld+json"),
    ("application/n-triples", None, "application/n-triples"),
    ("application/rdf+xml", None, "application/rdf+xml"),
    ("text/turtle;q=0.5, application/rdf+xml", None, "application/rdf+xml"),
    ("*/*", None, "html"),
    (None, None, "html"),
    ("text/html", "ttl", "text/turtle"),
    (None, "jsonld", "application/ld+json"),
])
def test_representations_are_chosen_by_extension_then_accept(accept, extension, expected):
    choice = overview.choose_representation(accept, extension)
    assert (choice if isinstance(choice, str) else choice.media_type) == expected


def test_an_unsupported_media_type_is_refused_with_406_and_an_unknown_extension_with_404():
    with pytest.raises(HttpError) as refused:
        overview.choose_representation("image/png")
    assert refused.value.status == 406
    with pytest.raises(HttpError) as unknown:
        overview.choose_representation(None, "xlsx")
    assert unknown.value.status == 404


# ---------------------------------------------------------------------------------------------
# Build outputs
# ---------------------------------------------------------------------------------------------

def test_the_build_writes_trig_and_a_turtle_file_per_graph_listed_with_sizes_triples_and_checksums(built, store):
    info = json.loads((built.out / INFO_NAME).read_text())
    manifest = info["downloads"]
    graphs = {str(name): len(graph) for name, graph in built.graphs.items()}
    assert {DUMP_NAME, dumps.TRIG_NAME, dumps.ONTOLOGY_HTML_NAME} <= set(manifest)
    assert {entry["graph"] for entry in manifest.values() if "graph" in entry} == set(graphs)
    for name, entry in manifest.items():
        data = (built.out / name).read_bytes()
        assert entry["bytes"] == len(data), name
        assert entry["sha256"] == hashlib.sha256(data).hexdigest(), name
        if "graph" in entry:
            triples = list(ox.parse(data, format=ox.RdfFormat.TURTLE))
            assert entry["triples"] == len(triples) == graphs[entry["graph"]] == store_count(
                store, ox.NamedNode(entry["graph"])), name
    nquads = set(ox.parse((built.out / DUMP_NAME).read_bytes(), format=ox.RdfFormat.N_QUADS))
    trig = set(ox.parse((built.out / dumps.TRIG_NAME).read_bytes(), format=ox.RdfFormat.TRIG))
    assert trig == nquads and manifest[dumps.TRIG_NAME]["triples"] == len(nquads) == info["quads"]


def test_the_dump_files_are_the_same_bytes_each_time(built):
    dump = (built.out / DUMP_NAME).read_bytes()
    again, manifest = dumps.build_downloads(dump)
    for name, data in again.items():
        assert data == (built.out / name).read_bytes(), name


def test_the_ontology_documentation_is_the_same_whatever_the_hash_seed(built, root):
    script = ("import hashlib, sys; from pathlib import Path; from astana_kg.pipeline import dumps; "
              "print(hashlib.sha256(dumps.ontology_html(Path(sys.argv[1])).encode()).hexdigest())")
    expected = hashlib.sha256((built.out / dumps.ONTOLOGY_HTML_NAME).read_bytes()).hexdigest()
    for seed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", script, str(root / "ontology" / "astana-kg.ttl")],
                             capture_output=True, text=True, check=True, env={**os.environ, "PYTHONHASHSEED": seed})
        assert out.stdout.strip() == expected, f"PYTHONHASHSEED={seed}"


def test_every_ontology_term_has_its_fragment_as_an_anchor_in_the_documentation(built, store):
    page = Page((built.out / dumps.ONTOLOGY_HTML_NAME).read_text(encoding="utf-8"))
    terms = ontology_terms(store)
    assert len(terms) > 100
    missing = sorted(t for t in terms if t[len(AKG):] not in page.ids)
    assert missing == []
    assert [i for i, n in Counter(page.ids).items() if n > 1] == [], "ids are unique"
    assert "#Agent" in page.links and "#agent" not in page.links, "links point at the fixed anchors"


def test_the_ontology_documentation_is_titled_and_described_by_the_ontology_alone(built):
    text = (built.out / dumps.ONTOLOGY_HTML_NAME).read_text(encoding="utf-8")
    title = "The Astana peace process ontology"
    assert re.search(r"<title>(.*?)</title>", text).group(1) == title
    assert re.search(r"<h1>(.*?)</h1>", text).group(1) == title, "the concept schemes' labels are not folded in"
    metadata = text[text.index('id="metadata"'):text.index("</dl>", text.index('id="metadata"'))]
    assert re.search(r"<strong>IRI</strong>\s*</dt>\s*<dd>\s*<code>(.*?)</code>", metadata).group(1) == overview.ONTOLOGY_IRI
    assert "certainty levels" not in metadata and "event statuses" not in metadata
    schema_org = json.loads(re.search(r'<script id="schema.org" type="application/ld\+json">(.*?)</script>',
                                      text, re.DOTALL).group(1))
    assert [node["@id"] for node in schema_org if "https://schema.org/DefinedTermSet" in node.get("@type", [])] == [
        overview.ONTOLOGY_IRI]
    for scheme, concepts in (("CertaintyScheme", ("Certain", "Probable", "Uncertain")),
                             ("EventStatusScheme", ("Occurred", "Alleged"))):
        section = text[text.index(f'id="{scheme}"'):]
        section = section[:section.index("</div>")]
        assert "skos/core#ConceptScheme" in section, f"{scheme} is documented as a concept scheme"
        assert all(f'href="#{concept}"' in section for concept in concepts), scheme


# ---------------------------------------------------------------------------------------------
# Routes
# ---------------------------------------------------------------------------------------------

def test_the_timeline_page_lists_the_dated_events_in_order_with_links_to_entities_and_evidence(client, store):
    response = client.get("/timeline", headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.content_type == "text/html; charset=utf-8"
    page = Page(response.get_data(as_text=True))
    assert_local_resources(page)
    events = [a for a in page.with_attribute("data-event") if a.get("data-date") and "id" in a]
    dates = [a["data-date"] for a in events]
    assert dates and dates == sorted(dates)
    dated, undated = overview.timeline(store)
    assert [a["data-event"] for a in events] == [e.iri for e in dated]
    for event in dated + undated:
        assert "/id/" + event.slug in page.links
    assert any(link.startswith("/id/span-") for link in page.links), "quotations link to their spans"
    assert {"/id/" + s.rsplit("/", 1)[1] for s in SOURCES} <= set(page.links)
    text = response.get_data(as_text=True)
    assert "between 22 May 2017 and 24 May 2017" in text and ">uncertain<" in text and ">probable<" in text
    assert 'id="undated"' in text and "Syrian civil war" in text
    assert ET.fromstring(text[text.index("<svg"):text.index("</svg>") + 6]).tag == f"{SVG}svg"
    assert "<script" not in text, "the page needs no script"
    for label, path in overview.NAV:
        assert f'href="{path}"' in text, label


def test_the_roles_page_has_the_diagram_and_a_table_of_guarantors_with_their_sources(client):
    response = client.get("/roles")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    page = Page(text)
    assert_local_resources(page)
    rows = [a for tag, a in page.elements if tag == "tr" and a.get("data-kind") == AKG + "GuarantorRole"]
    assert {r["data-holder"] for r in rows} == GUARANTORS
    for holder in GUARANTORS:
        start = text.index(f'data-holder="{holder}"', text.index('data-testid="roles"'))
        row = text[start:text.index("</tr>", start)]
        assert all(f'data-source="{s}"' in row for s in SOURCES), holder
        assert "/id/span-" in row, "each source links to the quoted span"
    svg = ET.fromstring(text[text.index("<svg"):text.index("</svg>") + 6])
    assert {n.get("data-holder") for n in svg.iter(f"{SVG}a") if n.get("data-kind") == AKG + "GuarantorRole"} == GUARANTORS
    assert "<script" not in text
    chart = client.get("/roles.svg")
    assert chart.status_code == 200 and chart.content_type == "image/svg+xml"
    assert ET.fromstring(chart.data).tag == f"{SVG}svg"


def test_the_ontology_iri_gives_html_to_browsers_and_rdf_to_programs(client, store):
    triples = store_count(store, ox.NamedNode(GRAPH + "ontology"))
    html = client.get("/ontology", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert html.status_code == 200 and html.content_type.startswith("text/html")
    assert html.headers["Vary"] == "Accept"
    ids = Page(html.get_data(as_text=True)).ids
    assert all(term[len(AKG):] in ids for term in ontology_terms(store))
    for path in ("/ontology", "/ontology/1.0.0"):
        for extension, (media_type, rdflib_format) in RDF_EXTENSIONS.items():
            for response in (client.get(path, headers={"Accept": media_type}), client.get(f"{path}.{extension}")):
                assert response.status_code == 200, (path, extension)
                assert response.content_type.split(";")[0] == media_type
                assert response.headers["Vary"] == "Accept"
                graph = rdflib.Graph().parse(data=response.data, format=rdflib_format)
                assert len(graph) == triples, (path, extension)
                assert (rdflib.URIRef(overview.ONTOLOGY_IRI), rdflib.RDF.type, rdflib.OWL.Ontology) in graph
    assert client.get("/ontology.html").data == html.data
    refused = client.get("/ontology", headers={"Accept": "image/png"})
    assert refused.status_code == 406 and refused.content_type == "application/problem+json"
    assert "text/turtle" in refused.json["detail"]
    assert client.get("/ontology.xlsx").status_code == 404
    etag = html.headers["ETag"]
    assert client.get("/ontology", headers={"Accept": "text/html", "If-None-Match": etag}).status_code == 304


def test_the_ontology_page_leads_back_to_the_site_with_its_header_first_in_the_body(client):
    text = client.get("/ontology", headers={"Accept": "text/html"}).get_data(as_text=True)
    body = text[text.index("<body>") + len("<body>"):].lstrip()
    assert body.startswith('<header class="site documentation">')
    header = Page(body[:body.index("</header>")])
    assert header.links[0] == "/" and "/" in header.links[1:], "the home link and the query page"
    assert {path for _, path in overview.NAV} <= set(header.links)
    head = Page(text[:text.index("</head>")])
    assert "/static/overview.css" in head.resources, "the stylesheet that draws the header"
    assert text.count("<body>") == 1 and "&lt;" not in text[:200], "the page itself is not escaped"


def test_the_download_page_lists_every_file_with_size_triples_and_checksum(client, built):
    manifest = json.loads((built.out / INFO_NAME).read_text())["downloads"]
    listed = {name for name in manifest if name not in dumps.DOCUMENTS}
    page = client.get("/download", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["Vary"] == "Accept"
    text = page.get_data(as_text=True)
    for name in listed:
        assert f'href="/download/{name}"' in text and manifest[name]["sha256"] in text
        assert f'<td class="number bytes">{manifest[name]["bytes"]}</td>' in text
    as_json = client.get("/download", headers={"Accept": "application/json"})
    assert as_json.content_type == "application/json"
    files = {f["name"]: f for f in as_json.json["files"]}
    assert set(files) == listed
    assert client.get("/download.json").json == as_json.json
    for name, entry in files.items():
        assert entry["sha256"] == manifest[name]["sha256"] and entry["bytes"] == manifest[name]["bytes"]
        assert urlsplit(entry["url"]).scheme == "http" and urlsplit(entry["url"]).path == f"/download/{name}"
    assert client.get("/download", headers={"Accept": "image/png"}).status_code == 406


def test_each_download_has_its_type_disposition_etag_and_checksum(client, built, store):
    manifest = json.loads((built.out / INFO_NAME).read_text())["downloads"]
    formats = {".nq": ox.RdfFormat.N_QUADS, ".trig": ox.RdfFormat.TRIG, ".ttl": ox.RdfFormat.TURTLE}
    for name, entry in manifest.items():
        if name in dumps.DOCUMENTS:
            continue
        response = client.get(f"/download/{name}")
        assert response.status_code == 200, name
        assert response.content_type.split(";")[0] == entry["media_type"]
        assert response.headers["Content-Disposition"] == f'attachment; filename="{name}"'
        assert response.headers["ETag"] == f'"{entry["sha256"]}"'
        assert hashlib.sha256(response.data).hexdigest() == entry["sha256"]
        quads = list(ox.parse(response.data, format=formats[Path(name).suffix]))
        assert len(quads) == entry["triples"]
        again = client.get(f"/download/{name}", headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304 and again.data == b""
    whole = sum(store_count(store, ox.NamedNode(g)) for g in (e["graph"] for e in manifest.values() if "graph" in e))
    assert manifest[DUMP_NAME]["triples"] == whole
    for name in ("build-info.json", "store", "..%2Fbuild-info.json", dumps.ONTOLOGY_HTML_NAME, "unlinked.tsv"):
        missing = client.get(f"/download/{name}")
        assert missing.status_code == 404 and missing.content_type == "application/problem+json", name


def test_the_void_description_counts_what_the_store_holds(client, store, built):
    response = client.get("/.well-known/void")
    assert response.status_code == 200 and response.content_type == "text/turtle"
    assert response.headers["Vary"] == "Accept"
    graph = rdflib.Graph().parse(data=response.data, format="turtle")
    dataset = rdflib.URIRef("http://localhost/.well-known/void#dataset")
    assert (dataset, rdflib.RDF.type, VOID.Dataset) in graph
    assert graph.value(dataset, VOID.triples).toPython() == store_count(store)
    assert graph.value(dataset, DCTERMS.license) == rdflib.URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert graph.value(dataset, DCTERMS.title) and graph.value(dataset, DCTERMS.description)
    assert graph.value(dataset, VOID.sparqlEndpoint) == rdflib.URIRef("http://localhost/sparql")
    manifest = json.loads((built.out / INFO_NAME).read_text())["downloads"]
    dumps_linked = {str(o) for o in graph.objects(dataset, VOID.dataDump)}
    assert dumps_linked == {f"http://localhost/download/{DUMP_NAME}", f"http://localhost/download/{dumps.TRIG_NAME}"}
    for url in dumps_linked:
        data = client.get(urlsplit(url).path).data
        assert hashlib.sha256(data).hexdigest() == manifest[url.rsplit("/", 1)[1]]["sha256"]
    subsets = {s for s in graph.objects(dataset, VOID.subset) if str(s).startswith(GRAPH)}
    named = {q.graph_name.value for q in store.quads_for_pattern(None, None, None, None)
             if isinstance(q.graph_name, ox.NamedNode)}
    assert {str(s) for s in subsets} == named
    dumped = {entry["graph"]: name for name, entry in manifest.items() if "graph" in entry}
    assert set(dumped) <= {str(s) for s in subsets}
    for subset in subsets:
        assert graph.value(subset, VOID.triples).toPython() == store_count(store, ox.NamedNode(str(subset)))
        if str(subset) in dumped:  # an offline Wikidata cache is in the store but not in the dumps
            assert str(graph.value(subset, VOID.dataDump)) == f"http://localhost/download/{dumped[str(subset)]}"
    classes = {str(graph.value(p, VOID["class"])): graph.value(p, VOID.entities).toPython()
               for p in graph.objects(dataset, VOID.classPartition)}
    guarantor_roles = {q.subject for q in store.quads_for_pattern(None, ox.NamedNode(str(rdflib.RDF.type)),
                                                                   ox.NamedNode(AKG + "GuarantorRole"), ox.DefaultGraph())}
    assert classes[AKG + "GuarantorRole"] == len(guarantor_roles) == 3
    properties = {str(graph.value(p, VOID.property)): graph.value(p, VOID.triples).toPython()
                  for p in graph.objects(dataset, VOID.propertyPartition)}
    used = Counter(q.predicate.value for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    assert properties == dict(used)
    assert graph.value(dataset, VOID.properties).toPython() == len(used)
    linksets = list(graph.subjects(rdflib.RDF.type, VOID.Linkset))
    assert len(linksets) == 1
    linkset = linksets[0]
    wikidata_links = [q for q in store.quads_for_pattern(None, ox.NamedNode("https://schema.org/sameAs"), None, ox.DefaultGraph())
                      if q.object.value.startswith("http://www.wikidata.org/entity/")]
    assert graph.value(linkset, VOID.triples).toPython() == len(wikidata_links) > 20
    assert graph.value(linkset, VOID.linkPredicate) == rdflib.URIRef("https://schema.org/sameAs")
    target = graph.value(linkset, VOID.objectsTarget)
    assert graph.value(target, VOID.sparqlEndpoint) == rdflib.URIRef("https://query.wikidata.org/sparql")
    assert linkset in set(graph.objects(dataset, VOID.subset))


def test_the_void_description_comes_in_every_rdf_format_and_refuses_html_only(client):
    reference = rdflib.Graph().parse(data=client.get("/.well-known/void").data, format="turtle")
    for extension, (media_type, rdflib_format) in RDF_EXTENSIONS.items():
        for response in (client.get("/.well-known/void", headers={"Accept": media_type}),
                         client.get(f"/.well-known/void.{extension}")):
            assert response.status_code == 200 and response.content_type.split(";")[0] == media_type
            graph = rdflib.Graph().parse(data=response.data, format=rdflib_format)
            assert len(graph) == len(reference), extension
    refused = client.get("/.well-known/void", headers={"Accept": "text/html"})
    assert refused.status_code == 406 and refused.content_type == "application/problem+json"


def test_the_service_description_keeps_its_void_statistics(client, store):
    graph = rdflib.Graph().parse(data=client.get("/sparql", headers={"Accept": "text/turtle"}).data, format="turtle")
    counts = {str(s): o.toPython() for s, o in graph.subject_objects(VOID.triples)}
    assert counts[GRAPH + "source/001"] == store_count(store, ox.NamedNode(GRAPH + "source/001"))
    assert store_count(store) in counts.values()


# ---------------------------------------------------------------------------------------------
# In a browser
# ---------------------------------------------------------------------------------------------


def test_the_timeline_renders_in_chromium_from_this_server_only(browser, server):
    from selenium.webdriver.common.by import By

    browser.get_log("performance")
    browser.get(f"{server}/timeline")
    assert browser.title.startswith("Timeline")
    chart = browser.find_element(By.CSS_SELECTOR, "svg.timeline-chart")
    assert chart.size["width"] > 500 and chart.size["height"] > 200
    items = browser.find_elements(By.CSS_SELECTOR, "ol.timeline > li.event")
    dates = [i.get_attribute("data-date") for i in items]
    assert len(items) > 10 and dates == sorted(dates)
    first = items[0].find_element(By.CSS_SELECTOR, "h3 a")
    assert urlsplit(first.get_attribute("href")).path.startswith("/id/")
    assert requested_hosts(browser) <= {"127.0.0.1"}
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_the_roles_diagram_renders_in_chromium_with_the_guarantors(browser, server):
    from selenium.webdriver.common.by import By

    browser.get_log("performance")
    browser.get(f"{server}/roles")
    nodes = browser.find_elements(By.CSS_SELECTOR, "svg.roles-chart a.role.kind-guarantor")
    assert {n.get_attribute("data-holder") for n in nodes} == GUARANTORS
    assert all(n.rect["width"] > 50 for n in nodes), "the guarantor boxes are drawn"
    cells = browser.find_elements(By.CSS_SELECTOR, f"table.roles tr[data-kind='{AKG}GuarantorRole'] td:first-child")
    assert sorted(c.text for c in cells) == ["Iran", "Russia", "Turkey"]
    assert requested_hosts(browser) <= {"127.0.0.1"}


def test_an_ontology_term_anchor_scrolls_to_the_term_in_chromium(browser, server):
    browser.get(f"{server}/ontology#GuarantorRole")
    found = browser.execute_script(
        "const e = document.getElementById('GuarantorRole'); if (!e) return null;"
        "return {top: e.getBoundingClientRect().top, scrolled: window.scrollY, text: e.textContent};")
    assert found is not None, "the page has an element with id GuarantorRole"
    assert found["scrolled"] > 0 and abs(found["top"]) < 50, "the browser scrolled to the term"
    assert "guarantor role" in found["text"]
    browser.get(f"{server}/ontology#roleOf")
    assert browser.execute_script("return document.getElementById('roleOf') !== null && window.scrollY > 0")


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize("path", ["/timeline", "/roles", "/download"])
def test_every_link_of_an_overview_page_resolves_on_this_server(client, path):
    page = Page(client.get(path, headers={"Accept": BROWSER_ACCEPT}).get_data(as_text=True))
    local = sorted({link.split("#")[0] for link in page.links if link.startswith("/")})
    assert len(local) > 5
    broken = [(link, response.status_code) for link in local
              for response in [client.get(link, headers={"Accept": BROWSER_ACCEPT}, follow_redirects=True)]
              if response.status_code != 200]
    assert broken == []
