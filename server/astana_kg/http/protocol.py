"""The SPARQL 1.1 Protocol's request forms, parsed into one request object.

Query: GET with ``query=``; POST with ``application/x-www-form-urlencoded`` (``query=``); POST
with ``application/sparql-query`` (the body is the query). Update: POST with a form holding
``update=``, or ``application/sparql-update``. The dataset comes from ``default-graph-uri`` and
``named-graph-uri`` (for updates ``using-graph-uri`` and ``using-named-graph-uri``), each an IRI
as pyoxigraph reads it. A POST carries its operation in its body: a ``query=`` or ``update=`` in
the URL beside it is a request in two forms at once, refused with 400; the URL of a POST may
carry only the dataset and the other parameters (``format``, ``timeout``).

>>> r = parse("GET", "query=ASK%20%7B%7D&default-graph-uri=http%3A%2F%2Fex%2Fg", None, b"")
>>> r.operation, r.text, r.default_graphs
('query', 'ASK {}', ['http://ex/g'])
>>> parse("POST", "", "application/sparql-query; charset=utf-8", b"SELECT * {}").text
'SELECT * {}'
>>> parse("PUT", "", None, b"").status
Traceback (most recent call last):
...
astana_kg.query.problems.Problem: PUT is not allowed here; use GET or POST
>>> parse("POST", "query=ASK%20%7B%7D", "application/sparql-query", b"SELECT * {}")
Traceback (most recent call last):
...
astana_kg.query.problems.Problem: the request has conflicting forms: a POST carries its operation in the body, but the URL also holds 'query='; put only the dataset and other parameters in the URL
>>> parse("GET", "query=ASK%7B%7D&default-graph-uri=http%3A%2F%2F%5B", None, b"")
Traceback (most recent call last):
...
astana_kg.query.problems.Problem: default-graph-uri='http://[' is not a valid absolute IRI: ...
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs

import pyoxigraph as ox

from .errors import bad_request, method_not_allowed, unsupported_media_type

FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"


@dataclass
class SparqlRequest:
    operation: str  # "query" or "update"
    text: str
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)
    params: dict[str, list[str]] = field(default_factory=dict)

    def param(self, name: str) -> str | None:
        values = self.params.get(name)
        return values[-1] if values else None


def _decode(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise bad_request(f"the {what} is not valid UTF-8 (byte {error.start})") from None


def _form(data: str, what: str) -> dict[str, list[str]]:
    try:
        return parse_qs(data, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise bad_request(f"the {what} holds percent-encoded bytes that are not valid UTF-8") from None


def _one(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name, [])
    if len(values) > 1:
        raise bad_request(f"the request has {len(values)} '{name}' parameters; the protocol allows one")
    return values[0] if values else None


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def parse(method: str, query_string: str, content_type: str | None, body: bytes) -> SparqlRequest:
    """Parse one protocol request; raise HttpError (400, 405, 415) for what the protocol forbids."""
    url_params = _form(query_string, "URL query string")
    if method in ("GET", "HEAD"):
        if "update" in url_params:
            raise bad_request("an update cannot be sent with GET; POST it as application/sparql-update or a form")
        text = _one(url_params, "query")
        if text is None:
            raise bad_request("no 'query' parameter")
        return _request("query", text, url_params)
    if method != "POST":
        raise method_not_allowed(method, ["GET", "POST"])
    for name in ("query", "update"):
        if name in url_params:
            raise bad_request(f"the request has conflicting forms: a POST carries its operation in the body, but the "
                              f"URL also holds '{name}='; put only the dataset and other parameters in the URL",
                              parameter=name)
    media_type = _media_type(content_type)
    if media_type == FORM:
        params = _form(_decode(body, "form body"), "form body")
        if "query" in params and "update" in params:
            raise bad_request("a request holds either 'query' or 'update', not both")
        for name in ("query", "update"):
            text = _one(params, name)
            if text is not None:
                merged = {k: url_params.get(k, []) + params.get(k, []) for k in set(url_params) | set(params)}
                return _request(name, text, merged)
        raise bad_request("the form has neither a 'query' nor an 'update' parameter")
    if media_type == QUERY:
        return _request("query", _decode(body, "query"), url_params)
    if media_type == UPDATE:
        return _request("update", _decode(body, "update"), url_params)
    raise unsupported_media_type(content_type or "", [FORM, QUERY, UPDATE])


def _request(operation: str, text: str, params: dict[str, list[str]]) -> SparqlRequest:
    if operation == "query":
        names = ("default-graph-uri", "named-graph-uri")
    else:
        names = ("using-graph-uri", "using-named-graph-uri")
    for name in names:
        for value in params.get(name, []):
            try:
                ox.NamedNode(value)
            except ValueError as error:
                raise bad_request(f"{name}={value!r} is not a valid absolute IRI: {error}", parameter=name) from None
    return SparqlRequest(operation, text, list(params.get(names[0], [])), list(params.get(names[1], [])), params)
