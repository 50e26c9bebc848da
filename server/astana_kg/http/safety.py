"""Checks made on a query or update before it runs: every SERVICE and LOAD it makes is allowed.

The text is read by ``sparqltext``'s lexer, which reads it as the engine does (comments end at a
carriage return as at a line feed; escapes count only where the engine reads them), so a SERVICE
inside a comment or a string is not a SERVICE, and one the engine will run is never hidden from
the check. ``SERVICE ?endpoint`` (an endpoint chosen by the data) is refused. The allowed calls
are then rewritten to the loopback proxy on the same tokens, so the text that runs is the text
that was checked; and the query processes cannot reach the network but through that proxy.

>>> check("SELECT * WHERE { ?s ?p ?o # SERVICE <http://169.254.169.254/>\\n}", "query", [])
[]
>>> check("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", "query", [])
Traceback (most recent call last):
...
astana_kg.query.problems.Problem: SERVICE <http://127.0.0.1:9/> is not on this endpoint's federation allow-list
>>> check("SELECT * WHERE { #\\rSERVICE <http://127.0.0.1:9/> { ?s ?p ?o }\\n}", "query", [])
Traceback (most recent call last):
...
astana_kg.query.problems.Problem: SERVICE <http://127.0.0.1:9/> is not on this endpoint's federation allow-list
"""

from __future__ import annotations

from ..query import sparqltext
from .errors import forbidden

#: A text whose nesting can reach the engine's limit has more opening brackets than this in all.
_NESTING_SCAN = sparqltext.MAX_NESTING


def may_call(text: str) -> bool:
    """Whether a text could make a call at all: its keywords appear in it, letter for letter.

    pyoxigraph reads codepoint escapes only inside IRIs and strings, so a keyword cannot be
    written any other way.

    >>> may_call("SELECT * { ?s ?p ?o }"), may_call("select * { service <x:y> {} }"), may_call("LoAd <x:y>")
    (False, True, True)
    """
    lowered = text.lower()
    return "service" in lowered or "load" in lowered


def check_nesting(text: str) -> None:
    """Refuse (400) a text nested deeper than the engine can parse, before it reaches the engine."""
    if text.count("{") + text.count("(") + text.count("[") > _NESTING_SCAN:
        sparqltext.tokens(text)


def check(text: str, operation: str, allowed: list[str]) -> list[sparqltext.Call]:
    """The calls a text makes, each checked against the allow-list (HttpError 403, or 400 if unreadable)."""
    found = sparqltext.calls(text, operation)
    for call in found:
        if call.variable:
            raise forbidden(f"SERVICE {text[call.start:call.end]} is refused: the endpoint of a SERVICE must be a "
                            "fixed IRI on the federation allow-list", service=text[call.start:call.end])
        if call.endpoint not in allowed:
            if call.keyword == "LOAD":
                raise forbidden(f"LOAD <{call.endpoint}> is refused: the server fetches only from its allow-list",
                                load=call.endpoint)
            raise forbidden(f"SERVICE <{call.endpoint}> is not on this endpoint's federation allow-list",
                            service=call.endpoint, allowed=list(allowed))
    return found


def checked_text(text: str, operation: str, allowed: list[str], route) -> str:
    """The text to run: checked, with every allowed call's endpoint replaced by ``route(iri)``."""
    check_nesting(text)
    if not may_call(text):
        return text
    found = check(text, operation, allowed)
    return sparqltext.rewrite(text, [(call, route(call.endpoint)) for call in found]) if found else text
