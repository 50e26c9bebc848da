"""Every kind of page the server draws, checked where layout breaks show: in headless Chromium
against `astana-kg serve` (tables keep their cells in rows, nothing runs off the side of the
window, every page leads home), and through Flask's test client for what the templates write
(the words of the sources quoted without doubled quotation marks).

Set ASTANA_KG_SCREENSHOTS=DIR to keep a screenshot of every page kind in DIR. Without
/usr/bin/chromium the browser tests are skipped, except in CI (CI set), where that fails.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from astana_kg.http import create_app

#: One page of each kind: (kind, path).
PAGE_KINDS = [
    ("entity", "/id/russia.html"),
    ("statement", "/id/st-lavrentyev-zones-closed.html"),
    ("zone", "/id/zone-idlib.html"),
    ("source", "/id/source-003.html"),
    ("named graph", "/graph/source/003.html"),
    ("not found", "/id/no-such-thing"),
    ("timeline", "/timeline"),
    ("roles", "/roles"),
    ("ontology", "/ontology"),
    ("download", "/download"),
    ("fragments", "/fragments"),
]
#: The pages that quote the sources' words.
QUOTING_PAGES = ["/id/zone-idlib.html", "/id/russia.html", "/id/source-003.html", "/id/sergey-lavrov.html",
                 "/timeline", "/roles"]
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

# Layout faults a page can show, found with the computed styles and boxes of the laid-out page.
LAYOUT_FAULTS = """
const faults = [];
const name = (e) => e.tagName.toLowerCase() + (e.className && typeof e.className === 'string'
                                             ? '.' + e.className.trim().split(/\\s+/).join('.') : '');
for (const cell of document.querySelectorAll('table > * > tr > td, table > * > tr > th')) {
  const display = getComputedStyle(cell).display;
  if (display !== 'table-cell') faults.push(`${name(cell)} in ${name(cell.closest('table'))} is display: ${display}`);
}
for (const row of document.querySelectorAll('table > * > tr')) {
  const top = row.getBoundingClientRect().top;
  for (const cell of row.children) {
    if (Math.abs(cell.getBoundingClientRect().top - top) > 1) {
      faults.push(`${name(cell)} in ${name(row.closest('table'))} starts below its row`);
      break;
    }
  }
}
const overflow = document.documentElement.scrollWidth - document.documentElement.clientWidth;
if (overflow > 1) faults.push(`the page is ${overflow} px wider than the window`);
return faults;
"""


def by_kind(pages):
    return [pytest.param(path, id=kind) for kind, path in pages]


@pytest.fixture(scope="module")
def app(built):
    app = create_app({"BUILD_DIR": str(built.out), "QUERY_WORKERS": 1, "TESTING": True})
    yield app
    app.extensions["astana_kg"]().close()


@pytest.fixture
def client(app):
    return app.test_client()


def page_text(client, path: str) -> str:
    response = client.get(path, headers={"Accept": BROWSER_ACCEPT}, follow_redirects=True)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


# ---------------------------------------------------------------------------------------------
# In a browser
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", by_kind(PAGE_KINDS))
def test_each_kind_of_page_is_laid_out_without_broken_tables_or_overflow_and_leads_home(browser, server, path):
    from selenium.webdriver.common.by import By

    browser.get(f"{server}{path}")
    assert browser.find_elements(By.TAG_NAME, "h1"), "the page drew"
    if os.environ.get("ASTANA_KG_SCREENSHOTS"):
        folder = Path(os.environ["ASTANA_KG_SCREENSHOTS"])
        folder.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(folder / (re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") + ".png")))
    assert browser.execute_script(LAYOUT_FAULTS) == []
    home = [a for a in browser.find_elements(By.CSS_SELECTOR, "header.site a[href]")
            if urlsplit(a.get_attribute("href")).path == "/" and a.is_displayed()]
    assert home, "the site's header, with a link to the home page, is shown"
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    if path == "/id/no-such-thing":  # the page's own 404 status is logged as a failed load
        errors = [m for m in errors if not m.startswith(f"{server}{path} ")]
    assert errors == []


def test_the_according_to_column_of_the_roles_tables_is_a_column_of_table_cells(browser, server):
    from selenium.webdriver.common.by import By

    browser.get(f"{server}/roles")
    tables = browser.find_elements(By.CSS_SELECTOR, "table.roles")
    assert len(tables) == 2, "roles and positions"
    for table in tables:
        heading = table.find_element(By.XPATH, ".//th[.='According to']")
        cells = table.find_elements(By.CSS_SELECTOR, "td.sources")
        assert len(cells) > 5
        for cell in cells:
            assert cell.value_of_css_property("display") == "table-cell"
            assert abs(cell.rect["x"] - heading.rect["x"]) <= 1, "the cell sits under its heading"


def test_the_ontology_page_shows_the_sites_navigation_above_pylodes_documentation(browser, server):
    from selenium.webdriver.common.by import By

    browser.get(f"{server}/ontology")
    links = {a.text: urlsplit(a.get_attribute("href")).path
             for a in browser.find_elements(By.CSS_SELECTOR, "header.site a")}
    assert {"Query": "/", "Timeline": "/timeline", "Roles": "/roles", "Download": "/download"}.items() <= links.items()
    header = browser.find_element(By.CSS_SELECTOR, "header.site")
    heading = browser.find_element(By.CSS_SELECTOR, "#metadata h1")
    toc = browser.find_element(By.ID, "toc")
    assert header.rect["y"] + header.rect["height"] <= heading.rect["y"], "the header comes before the heading"
    assert header.rect["x"] + header.rect["width"] <= toc.rect["x"], "the fixed table of contents hides no link"
    assert header.value_of_css_property("display") == "flex", "the site's stylesheet drew it"


# ---------------------------------------------------------------------------------------------
# What the templates write
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", QUOTING_PAGES)
def test_no_quotation_mark_is_doubled_where_a_page_quotes_a_source(client, path):
    text = page_text(client, path)
    assert "“" in text, "the page quotes something"
    doubled = re.findall(r".{0,40}(?:““|””|“\"|\"”).{0,40}", text)
    assert doubled == []


def test_a_quotation_that_opens_with_its_own_mark_is_shown_as_the_source_has_it(client):
    text = page_text(client, "/id/zone-idlib.html")
    quotes = re.findall(r'data-testid="evidence-link">([^<]*currently underway[^<]*)</a>', text)
    assert quotes, "the zone's page quotes Lavrov's words on the third zone"
    for quote in quotes:
        assert quote.startswith("“The work") and quote.endswith("Manila."), quote


def test_a_quotation_without_marks_of_its_own_is_put_between_quotation_marks(client):
    text = page_text(client, "/id/zone-idlib.html")
    assert ('data-testid="evidence-link">“The first one, in the north of the country, covers the province of Idlib '
            'and neighboring districts of Latakia, Aleppo and Homs.”</a>') in text


def test_a_source_page_names_its_source_by_number_above_its_headline(client):
    text = page_text(client, "/id/source-003.html")
    head = text[text.index('<header class="page-head">'):text.index('data-testid="headline"')]
    assert '<p class="kicker muted">source 003</p>' in head, "not the compact IRI id:source-003"


def test_a_statement_page_names_the_source_it_is_reported_in_by_its_headline(client):
    text = page_text(client, "/id/st-lavrentyev-zones-closed.html")
    row = text[text.index('href="/ontology#reportedIn"'):]
    row = row[:row.index("</tr>")]
    assert "id:source-000" not in row
    headline = re.search(r'<h1 data-testid="headline">([^<]+)</h1>', page_text(client, "/id/source-000.html")).group(1)
    assert headline in row
