"""The web query page in a real browser: Debian's headless Chromium, driven by Selenium, against
`astana-kg serve` started as a subprocess on a free port.

Needs `apt-get install chromium chromium-driver` and the page's editor
(`npm ci --prefix server/astana_kg/web && python3 server/astana_kg/web/vendor.py`); `dev.py test`
installs both. Without /usr/bin/chromium the module is skipped, except in CI (CI set), where a
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
from urllib.parse import urlsplit

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from helpers_browser import WAIT, headless_chromium, skip_without_chromium  # noqa: E402
from helpers_server import astana_kg_server  # noqa: E402

skip_without_chromium()

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

WEB = Path(__file__).resolve().parent.parent / "server" / "astana_kg" / "web"
VENDORED = WEB / "static" / "vendor" / "yasgui" / "yasgui.min.js"
GUARANTORS = "Guarantors of the Syrian ceasefire"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
SOLUTION_FORMATS = {"json": "application/sparql-results+json", "xml": "application/sparql-results+xml",
                    "csv": "text/csv", "tsv": "text/tab-separated-values"}
GRAPH_FORMATS = {"ttl": "text/turtle", "nt": "application/n-triples", "nq": "application/n-quads",
                 "trig": "application/trig", "jsonld": "application/ld+json", "rdfxml": "application/rdf+xml"}


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


@pytest.fixture
def page(browser, server):
    """The query page, freshly loaded and started (its examples listed, the editor drawn)."""
    browser.get_log("performance")  # start each test's record of requests afresh
    browser.get(f"{server}/")
    browser.execute_script("window.localStorage.clear()")
    browser.get(f"{server}/")
    WebDriverWait(browser, WAIT).until(
        lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true"
        or d.find_element(By.ID, "page-error").is_displayed())
    assert not browser.find_element(By.ID, "page-error").is_displayed(), \
        browser.find_element(By.ID, "page-error").text
    return browser


def examples(server) -> list[dict]:
    with urllib.request.urlopen(f"{server}/examples.json", timeout=WAIT) as response:
        return json.load(response)


def load_example(driver, title: str):
    buttons = [b for b in driver.find_elements(By.CSS_SELECTOR, "[data-testid=example]")
               if b.find_element(By.CLASS_NAME, "example-title").text == title]
    assert len(buttons) == 1, f"one example button titled {title!r}, found {len(buttons)}"
    buttons[0].click()
    assert buttons[0].get_attribute("aria-pressed") == "true"


def editor_text(driver) -> str:
    return driver.execute_script("return yasgui.getTab().getYasqe().getValue()")


def set_editor_text(driver, text: str):
    driver.execute_script("yasgui.getTab().getYasqe().setValue(arguments[0])", text)


def download_links(driver, formats) -> dict[str, str]:
    """Wait for the links of exactly these formats; return format -> href."""
    def links(d):
        found = {a.get_attribute("data-format"): a.get_attribute("href")
                 for a in d.find_elements(By.CSS_SELECTOR, "#download-links a")}
        return found if set(found) == set(formats) else False
    return WebDriverWait(driver, WAIT).until(links)


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
    page.find_element(By.CSS_SELECTOR, "#yasgui .yasqe_queryButton").click()
    rows = WebDriverWait(page, WAIT).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#yasgui .yasr table tbody tr") or False)
    cells = [[td.text for td in row.find_elements(By.TAG_NAME, "td")] for row in rows]
    labels = sorted(next(c.split('"')[1] for c in row if c.startswith('"')) for row in cells)
    assert labels == ["Iran", "Russia", "Turkey"]
    links = {a.get_attribute("href") for a in page.find_elements(By.CSS_SELECTOR, "#yasgui .yasr table tbody a")}
    assert {f"https://w3id.org/astana-kg/id/{name}" for name in ("iran", "russia", "turkey")} <= links
    if os.environ.get("ASTANA_KG_SCREENSHOT"):
        page.save_screenshot(os.environ["ASTANA_KG_SCREENSHOT"])
    assert_only_local_requests(page)


def test_download_links_of_a_select_return_every_results_format(page):
    load_example(page, GUARANTORS)
    hrefs = download_links(page, SOLUTION_FORMATS)
    for format_, media_type in SOLUTION_FORMATS.items():
        content_type, body = fetch(hrefs[format_])
        assert content_type == media_type, format_
    content_type, body = fetch(hrefs["csv"])
    lines = body.decode("utf-8").splitlines()
    assert lines[0] == "party,label,sources"
    assert [line.split(",")[1] for line in lines[1:]] == ["Iran", "Russia", "Turkey"]


def test_download_links_of_a_construct_return_every_rdf_format(page):
    set_editor_text(page, "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
                          "CONSTRUCT { <https://w3id.org/astana-kg/id/russia> rdfs:label ?l }\n"
                          "WHERE { <https://w3id.org/astana-kg/id/russia> rdfs:label ?l }")
    hrefs = download_links(page, GRAPH_FORMATS)
    for format_, media_type in GRAPH_FORMATS.items():
        content_type, body = fetch(hrefs[format_])
        assert content_type == media_type, format_
        assert b"Russia" in body, format_


def test_autocompletion_offers_the_project_prefixes_and_asks_no_other_server(page):
    complete = "const y = yasgui.getTab().getYasqe(); y.focus(); y.setCursor(y.lineCount(), 0); y.autocomplete()"
    set_editor_text(page, "PREFIX ak")
    page.execute_script(complete)
    hints = WebDriverWait(page, WAIT).until(
        lambda d: [h.text for h in d.find_elements(By.CSS_SELECTOR, ".CodeMirror-hint")] or False)
    assert "akg: <https://w3id.org/astana-kg/ontology#>" in hints
    # A property position: YASQE's default completers would ask Linked Open Vocabularies here.
    set_editor_text(page, "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\nSELECT * WHERE { ?s rdfs:lab")
    page.execute_script(complete)
    time.sleep(1)
    assert_only_local_requests(page)
