"""The web query page in a real browser: Debian's headless Chromium, driven by Selenium, against
`astana-kg serve` started as a subprocess on a free port.

Needs `apt-get install chromium chromium-driver` and the page's editor
(`npm ci --prefix server/astana_kg/web && python3 server/astana_kg/web/vendor.py`); `dev.py test`
installs both. Federated examples run only against servers that never call the real Wikidata: one
answering it from the offline cache (--wikidata-cache), one whose Wikidata is a loopback stand-in
answering 500. Without /usr/bin/chromium the module is skipped, except in CI (CI set), where a
missing browser is a failure. Set ASTANA_KG_SCREENSHOT=FILE.png to keep a screenshot of the page
after it ran the guarantors example.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from helpers_browser import WAIT, headless_chromium, skip_without_chromium  # noqa: E402
from helpers_endpoints import failing_endpoint  # noqa: E402
from helpers_server import astana_kg_server  # noqa: E402

skip_without_chromium()

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

WEB = Path(__file__).resolve().parent.parent / "server" / "astana_kg" / "web"
VENDORED = WEB / "static" / "vendor" / "yasgui" / "yasgui.min.js"
GUARANTORS = "Guarantors of the Syrian ceasefire"
IRI_BASE = "https://w3id.org/astana-kg/"
WIKIDATA = "https://query.wikidata.org/sparql"
CHECKED_CACHE = "https://w3id.org/astana-kg/graph/cache/wikidata-checked"
CAPITALS = "Each guarantor's capital and head of state, from Wikidata"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
SOLUTION_FORMATS = {"json": "application/sparql-results+json", "xml": "application/sparql-results+xml",
                    "csv": "text/csv", "tsv": "text/tab-separated-values"}
GRAPH_FORMATS = {"ttl": "text/turtle", "nt": "application/n-triples", "nq": "application/n-quads",
                 "trig": "application/trig", "jsonld": "application/ld+json", "rdfxml": "application/rdf+xml"}
RUSSIA_LABEL = ("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
                "CONSTRUCT { <https://w3id.org/astana-kg/id/russia> rdfs:label ?l }\n"
                "WHERE { <https://w3id.org/astana-kg/id/russia> rdfs:label ?l }")


@pytest.fixture(scope="module")
def server(built):
    """The base URL of `astana-kg serve` on a free port, serving the session's build."""
    assert VENDORED.is_file(), (f"{VENDORED} is missing: run `npm ci --prefix server/astana_kg/web && "
                                "python3 server/astana_kg/web/vendor.py`")
    with astana_kg_server(built.out) as base:
        yield base


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with headless_chromium(tmp_path_factory.mktemp("chromium-profile"), tmp_path_factory.mktemp("chromedriver"),
                           width=1400) as driver:
        yield driver


def open_page(browser, base: str):
    """The query page of the server at ``base``, freshly loaded and started (its examples listed,
    the editor drawn)."""
    browser.get_log("performance")  # start each test's record of requests afresh
    browser.get(f"{base}/")
    browser.execute_script("window.localStorage.clear()")
    browser.get(f"{base}/")
    WebDriverWait(browser, WAIT).until(
        lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true"
        or d.find_element(By.ID, "page-error").is_displayed())
    assert not browser.find_element(By.ID, "page-error").is_displayed(), \
        browser.find_element(By.ID, "page-error").text
    return browser


@pytest.fixture
def page(browser, server):
    """The query page, freshly loaded and started (its examples listed, the editor drawn)."""
    return open_page(browser, server)


@pytest.fixture(scope="module")
def wikidata_offline(built):
    """`astana-kg serve --wikidata-cache`: Wikidata answered from the build's offline cache."""
    with astana_kg_server(built.out, "--wikidata-cache") as base:
        yield base


@pytest.fixture(scope="module")
def wikidata_failing(built):
    """`astana-kg serve` whose Wikidata, a loopback mirror, answers every call 500 with a long text."""
    with failing_endpoint() as url, astana_kg_server(built.out, "--service-mirror", f"{WIKIDATA}={url}") as base:
        yield base


def examples(server) -> list[dict]:
    with urllib.request.urlopen(f"{server}/examples.json", timeout=WAIT) as response:
        return json.load(response)


def load_example(driver, title: str):
    buttons = [b for b in driver.find_elements(By.CSS_SELECTOR, "[data-testid=example]")
               if b.find_element(By.CLASS_NAME, "example-title").text == title]
    assert len(buttons) == 1, f"one example button titled {title!r}, found {len(buttons)}"
    buttons[0].click()
    assert buttons[0].get_attribute("aria-pressed") == "true"


def run_query(driver):
    driver.find_element(By.CSS_SELECTOR, "#yasgui .yasqe_queryButton").click()


def result_rows(driver):
    return WebDriverWait(driver, WAIT).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#yasgui .yasr table tbody tr") or False)


def nav_links(driver) -> set[tuple[str, str]]:
    return {(a.text, a.get_attribute("href")) for a in driver.find_elements(By.CSS_SELECTOR, "header.site nav a")}


def editor_text(driver) -> str:
    return driver.execute_script("return yasgui.getTab().getYasqe().getValue()")


def set_editor_text(driver, text: str):
    driver.execute_script("yasgui.getTab().getYasqe().setValue(arguments[0])", text)


def download_links(driver, query: str) -> dict[str, str]:
    """Wait until the download links were made for this query text (the list's data-query); return
    format -> href, read in one script so that no element is looked up twice."""
    def made_for_query(d):
        state = d.execute_script(
            "const list = document.getElementById('download-links');"
            "return {query: list.dataset.query ?? null, links: Object.fromEntries("
            "[...list.querySelectorAll('a[data-format]')].map(a => [a.dataset.format, a.href]))}")
        return state["links"] if state["query"] == query else False
    hrefs = WebDriverWait(driver, WAIT).until(made_for_query)
    for href in hrefs.values():
        assert parse_qs(urlsplit(href).query)["query"] == [query], href
    return hrefs


def fetch(url: str) -> tuple[str, bytes]:
    with urllib.request.urlopen(url, timeout=WAIT) as response:
        assert response.status == 200, url
        return response.headers.get_content_type(), response.read()


def requests_made(driver) -> list[str]:
    """The URL of every request the browser sent since the log was last read."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
        elif message["method"] == "Network.webSocketCreated":
            urls.append(message["params"]["url"])
    return urls


def assert_only_local_requests(driver):
    urls = requests_made(driver)
    assert any(urlsplit(u).path == "/examples.json" for u in urls), "the request log recorded the page's requests"
    remote = [u for u in urls if urlsplit(u).scheme in ("http", "https", "ws", "wss")
              and urlsplit(u).hostname not in LOCAL_HOSTS]
    assert remote == [], "the page sent requests beyond this machine"


def test_page_loads_its_editor_and_scripts_from_this_server_only(page, server):
    assert page.title == "astana-kg SPARQL"
    origin = urlsplit(server)
    sources = page.execute_script(
        "return [...document.querySelectorAll('script[src], link[href], img[src], iframe[src]')]"
        ".map(e => e.src || e.href)")
    assert sources, "the page loads scripts and stylesheets"
    for source in sources:
        parts = urlsplit(source)
        assert parts.scheme == "data" or (parts.scheme, parts.netloc) == (origin.scheme, origin.netloc), source
    assert page.execute_script("return typeof Yasgui") == "function", "YASGUI loaded from static/vendor/"
    text = editor_text(page)
    assert "PREFIX akg: <https://w3id.org/astana-kg/ontology#>" in text
    assert "PREFIX schema: <https://schema.org/>" in text
    keywords = set(page.execute_script(
        "return [...document.querySelectorAll('#yasgui .CodeMirror .cm-keyword')].map(e => e.textContent)"))
    assert {"PREFIX", "SELECT"} <= keywords, "SPARQL syntax is highlighted"
    endpoint = page.find_element(By.CSS_SELECTOR, "#yasgui .autocompleteWrapper input.autocomplete")
    assert endpoint.get_attribute("value") == f"{server}/sparql"
    assert_only_local_requests(page)
    severe = [e for e in page.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == [], "the console shows no errors"


def test_every_example_is_listed_with_its_title_and_description(page, server):
    expected = [(e["title"], e["description"]) for e in examples(server)]
    assert expected, "/examples.json lists examples"
    shown = [(b.find_element(By.CLASS_NAME, "example-title").text,
              b.find_element(By.CLASS_NAME, "example-description").text)
             for b in page.find_elements(By.CSS_SELECTOR, "[data-testid=example]")]
    assert shown == expected


def test_guarantors_example_runs_and_shows_iran_russia_and_turkey_with_links(page, server):
    load_example(page, GUARANTORS)
    query = next(e["query"] for e in examples(server) if e["title"] == GUARANTORS)
    assert editor_text(page) == query
    run_query(page)
    rows = result_rows(page)
    cells = [[td.text for td in row.find_elements(By.TAG_NAME, "td")] for row in rows]
    labels = sorted(next(c.split('"')[1] for c in row if c.startswith('"')) for row in cells)
    assert labels == ["Iran", "Russia", "Turkey"]
    links = {a.get_attribute("title"): a for a in page.find_elements(By.CSS_SELECTOR, "#yasgui .yasr table tbody a")}
    for name in ("iran", "russia", "turkey"):
        assert links[f"{IRI_BASE}id/{name}"].text == f"id:{name}"
    if os.environ.get("ASTANA_KG_SCREENSHOT"):
        page.save_screenshot(os.environ["ASTANA_KG_SCREENSHOT"])
    assert_only_local_requests(page)


def test_download_links_of_a_select_return_every_results_format(page, server):
    load_example(page, GUARANTORS)
    query = next(e["query"] for e in examples(server) if e["title"] == GUARANTORS)
    hrefs = download_links(page, query)
    assert set(hrefs) == set(SOLUTION_FORMATS)
    for format_, media_type in SOLUTION_FORMATS.items():
        content_type, body = fetch(hrefs[format_])
        assert content_type == media_type, format_
    content_type, body = fetch(hrefs["csv"])
    lines = body.decode("utf-8").splitlines()
    assert lines[0] == "party,label,sources"
    assert [line.split(",")[1] for line in lines[1:]] == ["Iran", "Russia", "Turkey"]


def test_download_links_of_a_construct_return_every_rdf_format(page):
    set_editor_text(page, RUSSIA_LABEL)
    hrefs = download_links(page, RUSSIA_LABEL)
    assert set(hrefs) == set(GRAPH_FORMATS)
    for format_, media_type in GRAPH_FORMATS.items():
        content_type, body = fetch(hrefs[format_])
        assert content_type == media_type, format_
        assert b"Russia" in body, format_


def test_download_links_name_the_new_query_as_soon_as_the_editor_text_changes(page):
    state = page.execute_script(
        "yasgui.getTab().getYasqe().setValue(arguments[0]);"
        "const list = document.getElementById('download-links');"
        "return {query: list.dataset.query ?? null,"
        "        hrefs: [...list.querySelectorAll('a[data-format]')].map(a => a.href)}", RUSSIA_LABEL)
    assert state["query"] == RUSSIA_LABEL, "the links were made in the same task as the edit, by no timer"
    assert len(state["hrefs"]) == len(GRAPH_FORMATS)
    assert all(parse_qs(urlsplit(h).query)["query"] == [RUSSIA_LABEL] for h in state["hrefs"])


def test_download_links_stay_the_same_elements_while_the_query_text_stays_the_same(page, server):
    load_example(page, GUARANTORS)
    query = next(e["query"] for e in examples(server) if e["title"] == GUARANTORS)
    download_links(page, query)
    page.execute_script("window.firstDownloadLink = document.querySelector('#download-links a')")
    load_example(page, GUARANTORS)  # the same example again: the same text, and YASGUI's tab events
    unchanged = page.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        # After the tasks YASGUI's events queued (they run first: timers of equal delay run in order).
        "setTimeout(() => done(document.querySelector('#download-links a') === window.firstDownloadLink));")
    assert unchanged, "the links were made again for the same query"


def test_autocompletion_offers_the_project_prefixes_and_asks_no_other_server(page):
    complete = "const y = yasgui.getTab().getYasqe(); y.focus(); y.setCursor(y.lineCount(), 0); y.autocomplete()"
    set_editor_text(page, "PREFIX ak")
    page.execute_script(complete)
    hints = WebDriverWait(page, WAIT).until(
        lambda d: [h.text for h in d.find_elements(By.CSS_SELECTOR, ".CodeMirror-hint")] or False)
    assert "akg: <https://w3id.org/astana-kg/ontology#>" in hints
    # A property position: YASQE's default completers would ask Linked Open Vocabularies here. Only
    # the two completers that need no other server are enabled, so none can send a request.
    enabled = page.execute_script(
        "const y = yasgui.getTab().getYasqe();"
        "return Object.keys(y.autocompleters).filter(name => y.autocompleters[name]).sort()")
    assert enabled == ["prefixes", "variables"]
    set_editor_text(page, "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\nSELECT * WHERE { ?s rdfs:lab")
    page.execute_script(complete)
    assert_only_local_requests(page)


def test_result_iris_of_the_graph_open_this_servers_pages_and_keep_the_iri_visible(page, server):
    load_example(page, GUARANTORS)
    run_query(page)
    result_rows(page)
    links = page.execute_script(
        "return [...document.querySelectorAll('#yasgui .yasr table tbody a.iri')]"
        ".map(a => ({href: a.href, title: a.title, text: a.textContent, target: a.target}))")
    graph_links = [link for link in links if link["title"].startswith(IRI_BASE)]
    assert len(graph_links) == 3
    for link in graph_links:
        assert link["href"] == server + "/" + link["title"][len(IRI_BASE):], "the local page, not the w3id IRI"
        assert link["text"] == "id:" + link["title"].rsplit("/", 1)[1], "the IRI (compacted) stays the text"
        content_type, body = fetch(link["href"])
        assert content_type == "text/html" and link["title"].encode() in body


def test_result_iris_that_are_not_http_are_shown_as_text_never_as_links(page):
    set_editor_text(page, 'SELECT ?x WHERE { BIND(IRI("javascript:alert(1)") AS ?x) }')
    run_query(page)
    cell = result_rows(page)[0].find_elements(By.TAG_NAME, "td")[1]
    assert "javascript:alert(1)" in cell.text
    assert cell.find_elements(By.TAG_NAME, "a") == []


def test_typed_literals_show_their_value_and_a_compact_datatype(page):
    set_editor_text(page, 'SELECT ?date WHERE { BIND("2017-05-04"^^<http://www.w3.org/2001/XMLSchema#date> AS ?date) }')
    run_query(page)
    cell = result_rows(page)[0].find_elements(By.TAG_NAME, "td")[1]
    datatype = cell.find_element(By.CLASS_NAME, "literal-datatype")
    assert datatype.text == "xsd:date"
    assert datatype.get_attribute("title") == "http://www.w3.org/2001/XMLSchema#date"
    assert cell.text.replace("\n", " ").split() == ["2017-05-04", "xsd:date"], "no quotes, no ^^<...#date>"


def test_the_query_page_has_the_navigation_of_the_other_pages(page, server):
    ours = nav_links(page)
    assert ("API", f"{server}/api/openapi.json") in ours
    page.get(f"{server}/timeline")
    theirs = nav_links(page)
    assert theirs and theirs <= ours and ours - theirs <= {("API", f"{server}/api/openapi.json")}
    assert {text for text, _ in ours} >= {"Query", "Timeline", "Roles", "Ontology", "Download", "Fragments", "API"}
    for _, href in ours:
        fetch(href)  # every link answers 200


def test_a_failed_service_call_shows_its_title_detail_and_what_to_do(browser, wikidata_failing):
    page = open_page(browser, wikidata_failing)
    load_example(page, CAPITALS)
    run_query(page)
    problem = WebDriverWait(page, WAIT).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#yasgui [data-testid=problem]") or False)[0]
    text = problem.text
    assert text.startswith("Bad Gateway (HTTP 502)")
    assert f"the SERVICE call to <{WIKIDATA}> failed (HTTP 500" in text
    assert "127.0.0.1" not in text and "/service/" not in text and '"detail"' not in text
    advice = problem.find_element(By.CSS_SELECTOR, "[data-testid=problem-advice]").text
    assert WIKIDATA in advice and CHECKED_CACHE in advice and "astana-kg serve --wikidata-cache" in advice
    sizes = page.execute_script(
        "const box = arguments[0], pane = document.querySelector('#yasgui .yasr');"
        "return {box: box.getBoundingClientRect().right, pane: pane.getBoundingClientRect().right,"
        "        scroll: box.scrollWidth, client: box.clientWidth}", problem)
    assert sizes["box"] <= sizes["pane"] and sizes["scroll"] <= sizes["client"], "the error stays inside the pane"


def test_a_federated_example_answered_from_the_offline_cache_says_so_and_from_which_graph(browser, wikidata_offline):
    page = open_page(browser, wikidata_offline)
    load_example(page, CAPITALS)
    run_query(page)
    assert len(result_rows(page)) == 3
    note = WebDriverWait(page, WAIT).until(
        lambda d: d.find_element(By.ID, "service-note").get_attribute("data-state") == "offline"
        and d.find_element(By.ID, "service-note"))
    assert note.is_displayed() and note.get_attribute("data-graph") == CHECKED_CACHE
    assert "came from the offline cache" in note.text and CHECKED_CACHE in note.text
    graph_link = note.find_element(By.LINK_TEXT, CHECKED_CACHE)
    assert graph_link.get_attribute("href") == f"{wikidata_offline}/graph/cache/wikidata-checked"
    assert not note.find_elements(By.CSS_SELECTOR, "[data-testid=cache-missing]"), "01 asks only for cached claims"


def test_the_offline_note_names_what_the_query_asks_for_and_the_cache_lacks(browser, wikidata_offline):
    page = open_page(browser, wikidata_offline)
    query = ("PREFIX wd: <http://www.wikidata.org/entity/>\nPREFIX wdt: <http://www.wikidata.org/prop/direct/>\n"
             f"SELECT ?capital ?population WHERE {{ SERVICE <{WIKIDATA}> {{\n"
             "  wd:Q858 wdt:P36 ?capital . OPTIONAL { wd:Q858 wdt:P1082 ?population } } }")
    set_editor_text(page, query)
    run_query(page)
    cells = [td.text for td in result_rows(page)[0].find_elements(By.TAG_NAME, "td")]
    assert cells[1:] == ["wd:Q3766", ""], "the capital from the checked claims, no population"
    note = WebDriverWait(page, WAIT).until(
        lambda d: d.find_element(By.ID, "service-note").get_attribute("data-state") == "offline"
        and d.find_element(By.ID, "service-note"))
    missing = note.find_element(By.CSS_SELECTOR, "[data-testid=cache-missing]").text
    assert "Not in the offline cache: P1082." in missing and "P36" not in missing

