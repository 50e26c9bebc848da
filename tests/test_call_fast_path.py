"""The check's fast path: a text in which "service" and "load" do not appear, letter for letter in
any case, is let through unread (``safety.may_call``). It holds only if the engine cannot be made
to read those keywords written another way: codepoint escapes, or letters that other letters
turn into under Unicode case mapping. Each spelling is tried on pyoxigraph itself, against a
canary on loopback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from astana_kg.http import safety

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from helpers_server import Canary  # noqa: E402

EXAMPLES = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

#: Letters that Unicode case mapping relates to the ASCII letters of SERVICE and LOAD (long s,
#: dotless i, dotted capital I, Kelvin sign), and fullwidth forms.
LOOKALIKES = {"s": ["\u017f", "\uff33", "\uff53"], "i": ["\u0131", "\u0130", "\uff29"], "e": ["\uff25"],
              "c": ["\uff23"], "l": ["\uff2c"], "o": ["\uff2f"], "a": ["\uff21"], "d": ["\uff24"],
              "r": ["\uff32"], "v": ["\uff36"], "k": ["\u212a"]}


@st.composite
def spellings(draw, keyword: str) -> str:
    """The keyword, each letter written as itself (either case), as a codepoint escape, or as a look-alike."""
    out = []
    for letter in keyword.lower():
        forms = [letter, letter.upper(), f"\\u{ord(letter.upper()):04X}", f"\\u{ord(letter):04x}",
                 f"\\U{ord(letter):08X}", *LOOKALIKES.get(letter, [])]
        out.append(draw(st.sampled_from(forms)))
    return "".join(out)


@pytest.fixture(scope="module")
def canary():
    with Canary() as canary:
        yield canary


def _reached(canary, run) -> bool:
    with canary._lock:
        canary.requests.clear()
    try:
        run()
    except (SyntaxError, OSError, RuntimeError):
        pass  # refused, or failed after its call (the canary answers a LOAD with no RDF)
    with canary._lock:
        return bool(canary.requests)


def _spellings_that_reach(canary, word: str, text_of, run) -> list[str]:
    """Every spelling of ``word`` (generated) whose request ``text_of(keyword)``, run on an empty
    store by ``run(store, text)``, reached the canary; each must be one the fast path sends on to
    the full check."""
    store, called = ox.Store(), []

    @EXAMPLES
    @given(keyword=spellings(word))
    def check(keyword):
        text = text_of(keyword)
        if _reached(canary, lambda: run(store, text)):
            assert safety.may_call(text), text
            called.append(keyword)

    check()
    return called


def test_the_engine_calls_no_service_spelled_in_a_way_the_fast_path_lets_through(canary):
    called = _spellings_that_reach(canary, "SERVICE",
                                   lambda keyword: f"SELECT * WHERE {{ {keyword} <{canary.url}> {{ ?s ?p ?o }} }}",
                                   lambda store, text: list(store.query(text)))
    assert called  # the plain spellings did reach the canary: the test can see a call


def test_the_engine_loads_nothing_spelled_in_a_way_the_fast_path_lets_through(canary):
    called = _spellings_that_reach(canary, "LOAD", lambda keyword: f"{keyword} <{canary.url}>",
                                   lambda store, text: store.update(text))
    assert called


@pytest.mark.parametrize("keyword", ["\u017fERVICE", "SERV\u0131CE", "SERV\u0130CE", "\\u0053ERVICE", "SERV\\u0049CE",
                                     "\uff33ERVICE"])
def test_a_service_spelled_with_an_escape_or_a_lookalike_is_no_call_for_the_engine_nor_for_the_check(canary, keyword):
    text = f"SELECT * WHERE {{ {keyword} <{canary.url}> {{ ?s ?p ?o }} }}"
    assert not _reached(canary, lambda: list(ox.Store().query(text)))
    assert not safety.may_call(text)
