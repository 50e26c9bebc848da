"""The protocol's update dataset (``using-graph-uri``, ``using-named-graph-uri``) made part of the update.

pyoxigraph's ``Store.update`` takes no dataset, so the graphs a request names are written into
the update itself: ``USING <g>`` / ``USING NAMED <g>`` clauses before the ``WHERE`` of every
DELETE/INSERT operation, which is what the SPARQL 1.1 Protocol says the parameters mean
(section 2.2.3). It reads the update's tokens (``sparqltext``), and only a ``WHERE`` outside braces
starts an operation's pattern.

>>> apply_dataset('INSERT { ?s a <x:T> } WHERE { ?s ?p ?o } ; DELETE DATA { <x:a> <x:b> "WHERE" }',
...               ["http://ex/g"], [])
'INSERT { ?s a <x:T> } USING <http://ex/g> WHERE { ?s ?p ?o } ; DELETE DATA { <x:a> <x:b> "WHERE" }'
>>> apply_dataset('PREFIX where: <x:> # WHERE\\nDELETE { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }',
...               [], ["http://ex/n"])
'PREFIX where: <x:> # WHERE\\nDELETE { ?s ?p ?o } USING NAMED <http://ex/n> WHERE { GRAPH ?g { ?s ?p ?o } }'
>>> apply_dataset("DELETE WHERE { ?s ?p ?o }", ["http://ex/g"], [])
Traceback (most recent call last):
...
astana_kg.query.problems.Problem: using-graph-uri and using-named-graph-uri cannot apply to the DELETE WHERE shorthand (which takes no USING clause); write it as DELETE { ... } WHERE { ... }
"""

from __future__ import annotations

import re

from ..query import sparqltext
from .errors import bad_request


def apply_dataset(text: str, default_graphs: list[str], named_graphs: list[str]) -> str:
    """The update with the request's dataset written in as USING clauses (the text itself if none)."""
    if not default_graphs and not named_graphs:
        return text
    clauses = "".join(f"USING <{iri}> " for iri in default_graphs)
    clauses += "".join(f"USING NAMED <{iri}> " for iri in named_graphs)
    pieces, start, depth, previous = [], 0, 0, None
    for token in sparqltext.tokens(text):
        if token.kind in ("ws", "comment"):
            continue
        if token.kind == "open":
            depth += 1
        elif token.kind == "close":
            depth -= 1
        elif token.keyword in ("DELETE", "WHERE") and depth == 0:
            if token.keyword == "WHERE":
                if previous == "DELETE":
                    raise bad_request("using-graph-uri and using-named-graph-uri cannot apply to the DELETE WHERE "
                                      "shorthand (which takes no USING clause); write it as DELETE { ... } WHERE { ... }")
                pieces += [text[start:token.start], clauses]
                start = token.start
            previous = token.keyword
            continue
        previous = None
    return "".join(pieces) + text[start:]


def names_its_dataset(text: str) -> bool:
    """Whether an update has a USING or WITH clause of its own."""
    return bool(sparqltext.keywords(text) & {"USING", "WITH"})
