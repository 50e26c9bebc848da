"""Federation: SERVICE calls leave through a local forwarding proxy.

pyoxigraph calls a SERVICE endpoint itself, with its own User-Agent and to the IRI written in the
query. Every (allow-listed) SERVICE endpoint of a query is therefore rewritten to a loopback
proxy, which forwards the request with a descriptive User-Agent, to the configured mirror of that
endpoint if there is one (a local copy, a test stand-in), else to the endpoint itself.

The mirror value :data:`CACHE` (``"cache"``) means: answer the requests from the build's offline
Wikidata cache (see ``astana_kg.wikidata``), evaluated in this process on a store that holds only
the cache graph, so that federated queries run unchanged without a network.

pyoxigraph sends each SERVICE block as a query of its own, without the bindings of the rest of
the query: a block should be selective by itself (anchored on an item or a rare property).

>>> rewrite_services('SELECT * { SERVICE SILENT <https://q.example/sparql> { ?s ?p ?o } } # SERVICE <x:y>',
...                  lambda i: "http://127.0.0.1:1/service/0")
('SELECT * { SERVICE SILENT <http://127.0.0.1:1/service/0> { ?s ?p ?o } } # SERVICE <x:y>', 1)
"""

from __future__ import annotations

import http.client
import http.server
import re
import threading
import urllib.parse
from collections.abc import Callable

import pyoxigraph as ox

from .. import __version__
from .safety import TEXT_SKIP

#: The mirror value that answers from the offline Wikidata cache.
CACHE = "cache"

USER_AGENT = (f"astana-kg/{__version__} (https://w3id.org/astana-kg/; SPARQL endpoint federating on behalf "
              "of its users)")

_TOKEN = re.compile(
    rf'(?P<skip>{TEXT_SKIP})|(?P<open>\{{)|(?P<close>\}})'
    r'|(?P<service>\bSERVICE\b(?:\s+SILENT\b)?\s*)(?P<endpoint><[^<>"{}|^`\\\s]*>|[A-Za-z_][\w.-]*:[\w.%:-]*|[A-Za-z_]?[\w.-]*:|\?\w+|\$\w+)?',
    re.IGNORECASE,
)


def rewrite_services(text: str, target_for: Callable[[str], str], prefixes: dict[str, str] | None = None):
    """Replace the endpoint of every SERVICE that this endpoint calls itself.

    Those are the SERVICE clauses outside comments, strings and IRIs and not inside another
    SERVICE: a nested one travels in the text of the outer one, and the remote endpoint calls it
    (as Wikidata runs ``SERVICE wikibase:label``). ``target_for(iri)`` gives the new endpoint
    IRI; prefixed names are expanded with ``prefixes``. Returns the new text and the number of
    SERVICE clauses rewritten.

    >>> rewrite_services('SELECT * { SERVICE <x:a> { SERVICE <x:b> { ?s ?p ?o } } SERVICE <x:c> {} }',
    ...                  lambda i: i.upper())
    ('SELECT * { SERVICE <X:A> { SERVICE <x:b> { ?s ?p ?o } } SERVICE <X:C> {} }', 2)
    """
    prefixes = prefixes if prefixes is not None else declared_prefixes(text)
    count, depth = 0, 0
    inside = None  # the depth of the group of the SERVICE being read, "next" before its brace

    def replace(match: re.Match) -> str:
        nonlocal count, depth, inside
        if match.group("open") is not None:
            depth += 1
            if inside == "next":
                inside = depth
        elif match.group("close") is not None:
            if inside == depth:
                inside = None
            depth -= 1
        elif match.group("service") is not None and inside is None:
            inside = "next"
            endpoint = match.group("endpoint")
            if endpoint is not None and not endpoint.startswith(("?", "$")):
                iri = endpoint[1:-1] if endpoint.startswith("<") else _expand(endpoint, prefixes)
                count += 1
                return f"{match.group('service')}<{target_for(iri)}>"
        return match.group(0)

    return _TOKEN.sub(replace, text), count


_PREFIX_DECL = re.compile(r"PREFIX\s+([A-Za-z_][\w.-]*)?:\s*<([^>]*)>", re.IGNORECASE)


def service_query_text(method: str, path: str, content_type: str | None, body: bytes | None) -> str | None:
    """The query of a SPARQL Protocol request as a SERVICE call sends it (GET, or POST direct or form).

    >>> service_query_text("POST", "/service/0", "application/sparql-query", b"ASK {}")
    'ASK {}'
    >>> service_query_text("GET", "/service/0?query=ASK%20%7B%7D", None, None)
    'ASK {}'
    """
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if method == "POST" and media_type == "application/sparql-query":
        return (body or b"").decode("utf-8")
    if method == "POST" and media_type == "application/x-www-form-urlencoded":
        fields = urllib.parse.parse_qs((body or b"").decode("utf-8"))
    else:
        fields = urllib.parse.parse_qs(path.split("?", 1)[1] if "?" in path else "")
    return fields.get("query", [None])[0]


def declared_prefixes(text: str) -> dict[str, str]:
    return {(name or ""): iri for name, iri in _PREFIX_DECL.findall(text)}


def _expand(name: str, prefixes: dict[str, str]) -> str:
    prefix, _, local = name.partition(":")
    return prefixes.get(prefix, name + "#unknown-prefix") + local


class ServiceProxy:
    """A loopback HTTP server that forwards SERVICE requests to their endpoint or its mirror."""

    def __init__(self, mirrors: dict[str, str] | None = None, timeout: float = 30.0,
                 cache: Callable[[], ox.Store | None] | None = None):
        """``cache`` gives the store that answers for endpoints whose mirror is :data:`CACHE`."""
        self.mirrors = dict(mirrors or {})
        self.timeout = timeout
        self._cache_loader = cache
        self._cache: ox.Store | None = None
        self.routes: dict[str, str] = {}
        self.lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                proxy._forward(self, "POST")

            def do_GET(self):
                proxy._forward(self, "GET")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def route(self, iri: str) -> str:
        """The loopback IRI that stands for the endpoint ``iri``."""
        with self.lock:
            for key, value in self.routes.items():
                if value == iri:
                    return f"http://127.0.0.1:{self.port}/service/{key}"
            key = str(len(self.routes))
            self.routes[key] = iri
        return f"http://127.0.0.1:{self.port}/service/{key}"

    def _forward(self, handler, method: str) -> None:
        key = handler.path.split("?", 1)[0].rsplit("/", 1)[-1]
        iri = self.routes.get(key)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        if iri is None:
            self._reply(handler, 404, b"unknown service route", "text/plain")
            return
        if self.mirrors.get(iri) == CACHE:
            self._reply(handler, *self._answer_from_cache(handler, body))
            return
        target = urllib.parse.urlsplit(self.mirrors.get(iri, iri))
        path = target.path or "/"
        query = handler.path.split("?", 1)[1] if "?" in handler.path else target.query
        if query:
            path += "?" + query
        connection_type = http.client.HTTPSConnection if target.scheme == "https" else http.client.HTTPConnection
        headers = {"User-Agent": USER_AGENT, "Accept": handler.headers.get("Accept", "*/*")}
        if handler.headers.get("Content-Type"):
            headers["Content-Type"] = handler.headers["Content-Type"]
        try:
            connection = connection_type(target.hostname, target.port, timeout=self.timeout)
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            self._reply(handler, response.status, data, response.getheader("Content-Type", "application/octet-stream"))
            connection.close()
        except OSError as error:
            self._reply(handler, 502, f"could not reach {iri}: {error}".encode(), "text/plain")

    def cache_store(self) -> ox.Store | None:
        """The store of the offline cache (loaded on first use), or None if the build has none."""
        with self.lock:
            if self._cache is None and self._cache_loader is not None:
                self._cache = self._cache_loader()
            return self._cache

    def _answer_from_cache(self, handler, body: bytes | None) -> tuple[int, bytes, str]:
        """Evaluate a SPARQL Protocol query request on the cache store: (status, body, media type)."""
        store = self.cache_store()
        if store is None:
            return (503, b"this build has no offline Wikidata cache: run `astana-kg wikidata fetch`, then "
                         b"`astana-kg build`", "text/plain")
        text = service_query_text(handler.command, handler.path, handler.headers.get("Content-Type"), body)
        if text is None:
            return 400, b"no query in the request", "text/plain"
        try:
            result = store.query(text)
        except SyntaxError as error:
            return 400, str(error).encode(), "text/plain"
        accept = handler.headers.get("Accept") or "*/*"
        if isinstance(result, ox.QueryTriples):
            return 200, result.serialize(format=ox.RdfFormat.N_TRIPLES), "application/n-triples"
        fmt = ox.QueryResultsFormat.JSON
        if "json" not in accept and "xml" in accept:
            fmt = ox.QueryResultsFormat.XML
        return 200, result.serialize(format=fmt), fmt.media_type

    @staticmethod
    def _reply(handler, status: int, body: bytes, content_type: str) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
