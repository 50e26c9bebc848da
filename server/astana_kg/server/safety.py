"""Checks made on a query before it runs: it parses, and every SERVICE it calls is allowed.

The query is parsed with rdflib's SPARQL grammar, so a SERVICE inside a comment or a string is
not a SERVICE, and ``SERVICE ?endpoint`` (an endpoint chosen by the data) is refused.

>>> check("SELECT * WHERE { ?s ?p ?o # SERVICE <http://169.254.169.254/>\\n}", "query", [])
[]
>>> check("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", "query", [])
Traceback (most recent call last):
...
astana_kg.server.errors.HttpError: SERVICE <http://127.0.0.1:9/> is not on this endpoint's federation allow-list
>>> check("SELECT * WHERE { ?s ?p }", "query", [])
Traceback (most recent call last):
...
astana_kg.server.errors.HttpError: the query is not valid SPARQL: line 1, column 18: ...
"""

from __future__ import annotations

import threading
import types

from .errors import bad_request, forbidden

# rdflib's SPARQL grammar is imported on first use: a worker that never meets a SERVICE (or an
# update) does not pay for it in memory.


def services(tree) -> list[tuple[object, bool]]:
    """Every SERVICE this endpoint would call, from a parse tree: (its endpoint term, whether it is SILENT).

    A SERVICE nested in another is not one of them: it is sent, as text, to the outer endpoint.
    """
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    found = []

    def walk(node):
        if isinstance(node, CompValue):
            if node.name == "ServiceGraphPattern":
                found.append((node.get("term"), bool(node.get("silent"))))
                return  # a SERVICE inside it travels to that endpoint, which calls it
            for value in node.values():
                walk(value)
        elif isinstance(node, (list, tuple, ParseResults)):
            for value in node:
                walk(value)

    walk(tree)
    return found


#: The parts of a SPARQL text where a keyword is no keyword: comments, strings (long ones first), IRIs.
TEXT_SKIP = (r'#[^\n]*|"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
             r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\s]*>')

_PARSE_LOCK = threading.Lock()


def _service_without_text(self, instring, loc, tokens):
    """rdflib's ``Comp.postParse`` for SERVICE, less the copy of the clause's text.

    rdflib finds that text by searching the whole query again from its start, which recurses
    without end when a SERVICE holds another (rdflib issue #2136). The checks here never use
    the text, so it is left out while they parse.
    """
    from rdflib.plugins.sparql.parserutils import CompValue, ParamValue

    value = CompValue(self.name)
    for token in tokens:
        if isinstance(token, ParamValue):
            if token.isList:
                value.setdefault(token.name, []).append(token.tokenList)
            else:
                value[token.name] = token.tokenList
    return value


def parse_tree(text: str, operation: str):
    """The rdflib parse tree; HttpError 400 with line and column if the text is not SPARQL."""
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql import parser

    service = parser.ServiceGraphPattern
    try:
        with _PARSE_LOCK:
            service.postParse = types.MethodType(_service_without_text, service)
            try:
                return parser.parseQuery(text) if operation == "query" else parser.parseUpdate(text)
            finally:
                del service.postParse
    except ParseBaseException as error:
        raise bad_request(
            f"the {operation} is not valid SPARQL: line {error.lineno}, column {error.col}: {error.msg}",
            line=error.lineno, column=error.col,
        ) from None
    except Exception as error:  # rdflib raises plain exceptions for some semantic errors (e.g. undefined prefix)
        raise bad_request(f"the {operation} is not valid SPARQL: {error}") from None


QUERY_FORMS = {"SelectQuery": "solutions", "AskQuery": "boolean", "ConstructQuery": "graph",
               "DescribeQuery": "graph"}


def result_kind(tree) -> str:
    """What a parsed query returns: "solutions", "boolean" or "graph"."""
    from rdflib.plugins.sparql.parserutils import CompValue

    for part in tree:
        if isinstance(part, CompValue) and part.name in QUERY_FORMS:
            return QUERY_FORMS[part.name]
    return "solutions"


def may_call_services(text: str) -> bool:
    """Whether a query could hold a SERVICE clause at all (the keyword appears in its text).

    >>> may_call_services("SELECT * { ?s ?p ?o }"), may_call_services("select * { service <x:y> {} }")
    (False, True)
    """
    return "service" in text.lower()


def check(text: str, operation: str, allowed: list[str]) -> list[str]:
    """Parse ``text`` and check its SERVICE calls; return the (allowed) endpoints it calls."""
    return check_tree(parse_tree(text, operation), allowed)


def loads(tree) -> list[str]:
    """The IRIs an update's LOAD operations would fetch."""
    return [str(op.get("iri")) for op in tree.get("request", []) if getattr(op, "name", "") == "Load"]


def check_loads(tree, allowed: list[str]) -> None:
    """Refuse a LOAD from an IRI off the allow-list: the server itself would fetch it."""
    for iri in loads(tree):
        if iri not in allowed:
            raise forbidden(f"LOAD <{iri}> is refused: the server fetches only from its allow-list", load=iri)


def check_tree(tree, allowed: list[str]) -> list[str]:
    """Check the SERVICE calls of a parse tree; return the (allowed) endpoints it calls."""
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.term import URIRef, Variable

    endpoints = []
    prologue = tree[0] if len(tree) and not isinstance(tree, CompValue) else []
    prefixes = {(getattr(d, "get", lambda k: None)("prefix") or ""): str(d.get("iri"))
                for d in prologue if isinstance(d, CompValue) and d.name == "PrefixDecl"}
    for term, _silent in services(tree):
        if isinstance(term, CompValue) and term.name == "pname":
            prefix = term.get("prefix") or ""
            if prefix not in prefixes:
                raise bad_request(f"SERVICE {prefix}:{term.get('localname') or ''} uses an undeclared prefix")
            term = URIRef(prefixes[prefix] + (term.get("localname") or ""))
        if isinstance(term, Variable):
            raise forbidden(f"SERVICE ?{term} is refused: the endpoint of a SERVICE must be a fixed IRI "
                            "on the federation allow-list", service=f"?{term}")
        iri = str(term)
        if not isinstance(term, URIRef) or iri not in allowed:
            raise forbidden(f"SERVICE <{iri}> is not on this endpoint's federation allow-list", service=iri,
                            allowed=list(allowed))
        endpoints.append(iri)
    return endpoints
