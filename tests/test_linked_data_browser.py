"""The entity and source pages in a real browser: Debian's headless Chromium, driven by Selenium
(as in test_web_page.py), against `astana-kg serve` started on a free port.

The browser dereferences an entity IRI (303 to the HTML page), sees its evidence quote, follows
it to the source page, where the quoted span is the highlighted :target; and the page's query
link opens the query page with a query about the entity in the editor. Without
/usr/bin/chromium the module is skipped, except in CI (CI set), where a missing browser fails.
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from helpers_browser import skip_without_chromium  # noqa: E402

skip_without_chromium()

from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


WAIT = 30
VENDORED = Path(__file__).resolve().parent.parent / "server" / "astana_kg" / "web" / "static" / "vendor" / "yasgui" / "yasgui.min.js"


def same_origin_resources(driver, server) -> list[str]:
    sources = driver.execute_script(
        "return [...document.querySelectorAll('script[src], link[href][rel=stylesheet], img[src]')]"
        ".map(e => e.src || e.href)")
    origin = urlsplit(server)
    return [s for s in sources if (urlsplit(s).hostname, urlsplit(s).port) != (origin.hostname, origin.port)]


def test_the_entity_iri_opens_its_page_and_a_quote_leads_to_the_highlighted_span(browser, server):
    browser.get(f"{server}/id/russia")
    assert urlsplit(browser.current_url).path == "/id/russia.html"
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=label]").text == "Russia"
    assert same_origin_resources(browser, server) == []
    wikidata = browser.find_element(By.CSS_SELECTOR, "[data-testid=wikidata]")
    assert wikidata.get_attribute("href") == "http://www.wikidata.org/entity/Q159"
    # The first evidence quote about Russia itself (visible without opening anything).
    link = browser.find_element(By.CSS_SELECTOR, "#evidence [data-testid=evidence-link]")
    quote = link.text
    target = urlsplit(link.get_attribute("href"))
    assert target.path.startswith("/id/source-00") and target.fragment.startswith("ann-")
    link.click()
    WebDriverWait(browser, WAIT).until(lambda d: urlsplit(d.current_url).path.endswith(".html")
                                       and "/id/source-" in d.current_url)
    assert urlsplit(browser.current_url).fragment == target.fragment
    mark = browser.find_element(By.ID, target.fragment)
    assert mark.tag_name == "mark" and mark.is_displayed()
    assert browser.execute_script("return document.querySelector(':target').id") == target.fragment
    # Its words are the quote (the reference numbers after nested spans aside).
    words = browser.execute_script(
        "const m = arguments[0].cloneNode(true); m.querySelectorAll('sup').forEach(s => s.remove());"
        "return m.textContent", mark)
    assert quote in (words, f"“{words}”"), "the quote is the span's words, between marks unless it has its own"
    # The highlighted span stands out: the :target colour, not the plain mark colour.
    colour = browser.execute_script("return getComputedStyle(arguments[0]).backgroundColor", mark)
    assert colour in ("rgb(255, 216, 77)",), colour


def test_the_source_page_marks_its_spans_and_links_each_to_its_facts(browser, server):
    browser.get(f"{server}/id/source-003")
    assert urlsplit(browser.current_url).path == "/id/source-003.html"
    marks = browser.find_elements(By.CSS_SELECTOR, "[data-testid=article-text] mark[id^=ann-]")
    assert len(marks) > 20
    assert same_origin_resources(browser, server) == []
    reference = browser.find_element(By.CSS_SELECTOR, "[data-testid=article-text] sup.ref a")
    fragment = urlsplit(reference.get_attribute("href")).fragment
    reference.click()
    WebDriverWait(browser, WAIT).until(lambda d: urlsplit(d.current_url).fragment == fragment)
    facts = browser.find_element(By.ID, fragment)
    assert facts.is_displayed()
    fact_links = facts.find_elements(By.CSS_SELECTOR, "ul a[href^='/id/']")
    assert fact_links
    fact_links[0].click()
    WebDriverWait(browser, WAIT).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=entity]"))
    assert urlsplit(browser.current_url).path.endswith(".html")


# The marks of the article's text whose own background is filled, with the span each belongs to.
FILLED_MARKS = """
return [...document.querySelectorAll('[data-testid=article-text] mark')]
  .filter(m => !['rgba(0, 0, 0, 0)', 'transparent'].includes(getComputedStyle(m).backgroundColor))
  .map(m => ({span: m.dataset.span, colour: getComputedStyle(m).backgroundColor}));
"""
MARK = "rgb(255, 243, 176)"  # --mark: a span pointed at
MARK_ON = "rgb(255, 216, 77)"  # --mark-on: the span a link leads to


def test_the_source_page_fills_no_span_until_one_is_pointed_at_or_linked_to(browser, server):
    browser.get(f"{server}/id/source-003.html")
    assert browser.execute_script(FILLED_MARKS) == [], "at rest no span is filled: the text stays readable"
    spans = browser.find_elements(By.CSS_SELECTOR, "[data-testid=article-text] > mark")
    assert len(spans) > 20
    lines = {browser.execute_script("return getComputedStyle(arguments[0]).textDecorationLine", m) for m in spans}
    assert lines == {"underline"}, "every span is underlined"
    colours = [browser.execute_script("return getComputedStyle(arguments[0]).textDecorationColor", m) for m in spans]
    assert all(a != b for a, b in zip(colours, colours[1:])), "neighbouring spans are told apart"
    # Pointing at a span fills it, and only it.
    pointed = spans[3]
    innermost = pointed.find_elements(By.CSS_SELECTOR, "mark")[-1] if pointed.find_elements(By.CSS_SELECTOR, "mark") \
        else pointed
    ActionChains(browser).move_to_element(pointed).perform()
    filled = WebDriverWait(browser, WAIT).until(lambda d: d.execute_script(FILLED_MARKS) or False)
    assert filled == [{"span": innermost.get_attribute("data-span"), "colour": MARK}]
    # Pointing at a span's reference number fills the span it follows.
    reference = browser.find_element(By.CSS_SELECTOR, "[data-testid=article-text] > mark:nth-of-type(6) + sup.ref a")
    ActionChains(browser).move_to_element(reference).perform()
    sixth = spans[5].get_attribute("data-span")
    WebDriverWait(browser, WAIT).until(lambda d: d.execute_script(FILLED_MARKS) == [{"span": sixth, "colour": MARK}])
    # A link to an annotation fills its span (the pointer moved off the text).
    target = spans[10].get_attribute("id")
    browser.get(f"{server}/id/source-003.html#{target}")
    WebDriverWait(browser, WAIT).until(lambda d: d.execute_script("return location.hash") == f"#{target}")
    ActionChains(browser).move_to_element(browser.find_element(By.CSS_SELECTOR, "header.site .home")).perform()
    WebDriverWait(browser, WAIT).until(lambda d: d.execute_script(FILLED_MARKS) == [{"span": target, "colour": MARK_ON}])


def test_the_reference_numbers_of_a_source_run_in_the_order_of_the_text(browser, server):
    out_of_order = {}
    for number in range(5):
        browser.get(f"{server}/id/source-00{number}.html")
        in_text = [int(n) for n in browser.execute_script(
            "return [...document.querySelectorAll('[data-testid=article-text] sup.ref a')].map(a => a.textContent)")]
        listed = [int(n) for n in browser.execute_script(
            "return [...document.querySelectorAll('ol.span-facts > li')].map(li => li.value)")]
        assert in_text and listed, number
        if in_text != list(range(1, len(in_text) + 1)) or listed != in_text:
            out_of_order[number] = in_text
    assert out_of_order == {}


@pytest.mark.skipif(not VENDORED.is_file(), reason="the query page's editor is not vendored")
def test_the_query_link_opens_the_query_page_with_a_query_about_the_entity(browser, server):
    browser.get(f"{server}/id/iran.html")
    browser.find_element(By.CSS_SELECTOR, "[data-testid=query-link]").click()
    WebDriverWait(browser, WAIT).until(
        lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")
    text = browser.execute_script("return yasgui.getTab().getYasqe().getValue()")
    assert "VALUES ?entity { <https://w3id.org/astana-kg/id/iran> }" in text
