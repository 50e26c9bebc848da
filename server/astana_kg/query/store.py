"""Opening the built store and running queries on it.

>>> import pyoxigraph as ox
>>> store = ox.Store()
>>> store.add(ox.Quad(ox.NamedNode("urn:a"), ox.NamedNode("urn:p"), ox.Literal("x")))
>>> print(run_query(store, "SELECT ?o WHERE { ?s ?p ?o }", "table"), end="")
o
---
"x"
>>> run_query(store, "SELECT ?o WHERE { ?s ?p }", "json")
Traceback (most recent call last):
...
astana_kg.query.store.QueryError: the query is not valid SPARQL: error at 1:26: ...
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from ..paths import STORE_NAME

FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}


class QueryError(ValueError):
    """The query text is not valid SPARQL (or cannot be evaluated as asked)."""


def open_store(build_dir: Path) -> ox.Store:
    """Open the store of a build read-only."""
    path = Path(build_dir) / STORE_NAME
    if not path.is_dir():
        raise FileNotFoundError(f"no built store at {path}: run `astana-kg build` first")
    return ox.Store.read_only(str(path))


def execute(store: ox.Store, sparql: str, substitutions: dict | None = None):
    """Run a query (the default graph is the merge of all graphs); raise QueryError if it does not parse."""
    try:
        return store.query(sparql, substitutions=substitutions)
    except SyntaxError as error:
        raise QueryError(f"the query is not valid SPARQL: {error}") from None


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def _cell(term) -> str:
    """A term as a person reads it in a table: IRIs and typed values bare, strings quoted."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.Literal) and term.language is None and term.datatype.value != _XSD_STRING:
        return term.value
    return str(term)


def run_query(store: ox.Store, sparql: str, fmt: str = "table") -> str:
    """Run a query and serialize its results: SPARQL results for SELECT/ASK, N-Triples-like Turtle for graphs."""
    results = execute(store, sparql)
    if isinstance(results, ox.QueryTriples):
        return ox.serialize(results, format=ox.RdfFormat.TURTLE).decode("utf-8")
    if fmt in FORMATS:
        return results.serialize(format=FORMATS[fmt]).decode("utf-8") + ("\n" if fmt in ("json", "xml") else "")
    if isinstance(results, ox.QueryBoolean):
        return f"{bool(results)}\n".lower()
    names = [v.value for v in results.variables]
    rows = [[_cell(solution[name]) for name in names] for solution in results]
    widths = [max([len(name)] + [len(row[i]) for row in rows]) for i, name in enumerate(names)]
    lines = ["  ".join(name.ljust(w) for name, w in zip(names, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines) + "\n"
