"""Federation: SERVICE calls leave through a local forwarding proxy.

pyoxigraph calls a SERVICE endpoint itself, with its own User-Agent and to the IRI written in the
query. Every (allow-listed) SERVICE endpoint of a query is therefore rewritten to a loopback
proxy, which forwards the request with a descriptive User-Agent, to the configured mirror of that
endpoint if there is one (a local copy, a cache, a test stand-in), else to the endpoint itself.

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

from .. import __version__

USER_AGENT = (f"astana-kg/{__version__} (https://w3id.org/astana-kg/; SPARQL endpoint federating on behalf "
              "of its users)")

# Tokens that can hide the word SERVICE: comments, strings, IRIs. Long strings first.
_TOKEN = re.compile(
    r'(?P<skip>#[^\n]*|"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\s]*>)'
    r'|(?P<service>\bSERVICE\b(?:\s+SILENT\b)?\s*)(?P<endpoint><[^<>"{}|^`\\\s]*>|[A-Za-z_][\w.-]*:[\w.%:-]*|[A-Za-z_]?[\w.-]*:|\?\w+|\$\w+)?',
    re.IGNORECASE,
)


def rewrite_services(text: str, target_for: Callable[[str], str], prefixes: dict[str, str] | None = None):
    """Replace the endpoint of every SERVICE outside comments, strings and IRIs.

    ``target_for(iri)`` gives the new endpoint IRI; prefixed names are expanded with ``prefixes``.
    Returns the new text and the number of SERVICE clauses rewritten.
    """
    prefixes = prefixes if prefixes is not None else declared_prefixes(text)
    count = 0

    def replace(match: re.Match) -> str:
        nonlocal count
        if match.group("skip") is not None:
            return match.group(0)
        endpoint = match.group("endpoint")
        if endpoint is None or endpoint.startswith(("?", "$")):
            return match.group(0)
        iri = endpoint[1:-1] if endpoint.startswith("<") else _expand(endpoint, prefixes)
        count += 1
        return f"{match.group('service')}<{target_for(iri)}>"

    return _TOKEN.sub(replace, text), count


_PREFIX_DECL = re.compile(r"PREFIX\s+([A-Za-z_][\w.-]*)?:\s*<([^>]*)>", re.IGNORECASE)


def declared_prefixes(text: str) -> dict[str, str]:
    return {(name or ""): iri for name, iri in _PREFIX_DECL.findall(text)}


def _expand(name: str, prefixes: dict[str, str]) -> str:
    prefix, _, local = name.partition(":")
    return prefixes.get(prefix, name + "#unknown-prefix") + local


class ServiceProxy:
    """A loopback HTTP server that forwards SERVICE requests to their endpoint or its mirror."""

    def __init__(self, mirrors: dict[str, str] | None = None, timeout: float = 30.0):
        self.mirrors = dict(mirrors or {})
        self.timeout = timeout
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
