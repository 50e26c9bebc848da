"""Federation: SERVICE calls (and LOAD) leave through a local forwarding proxy, and only through it.

pyoxigraph calls a SERVICE endpoint itself, with its own User-Agent and to the IRI written in the
query. Every allow-listed endpoint of a query is therefore rewritten (``sparqltext.rewrite``) to
a route of this proxy, which forwards the request with a descriptive User-Agent, to the
configured mirror of that endpoint if there is one (a local copy, a test stand-in), else to the
endpoint itself. The proxy makes routes for allow-listed endpoints only, so the destination it
forwards to is checked where the network is reached. Query processes live in a network of their
own whose only way out is this proxy's Unix socket (``astana_kg.query.isolation``).

The build's offline Wikidata cache (see ``astana_kg.pipeline.wikidata``) answers for Wikidata's endpoint
when the proxy cannot connect to it (a configured mirror is never replaced), and always when its
mirror is :data:`CACHE` (``"cache"``, ``astana-kg serve --wikidata-cache``): the request is
evaluated in this process on a store that holds only the cache graph, so that federated queries
run unchanged without a network. The cache describes itself (its graph IRI, label, sources,
properties), so a SERVICE block asking for those triples learns whether, and from what, the calls
are answered. A SERVICE call that fails is reported with the endpoint it was for
(:meth:`ServiceProxy.public_error`), never with the proxy's route.

pyoxigraph sends each SERVICE block as a query of its own, without the bindings of the rest of
the query: a block should be selective by itself (anchored on an item or a rare property).

"""

from __future__ import annotations

import http.client
import http.server
import os
import re
import shutil
import socketserver
import tempfile
import threading
import urllib.parse
import weakref
from collections.abc import Callable

import pyoxigraph as ox

from ..pipeline.wikidata import USER_AGENT, WIKIDATA_ENDPOINT, cache_graph_of
from .errors import HttpError, forbidden

#: The mirror value that answers from the offline Wikidata cache.
CACHE = "cache"

#: How the query engine reports an error answer of a SERVICE endpoint.
_ENGINE_ERROR = re.compile(r"Error (\d{3}) ([^\n]*?) returned by (\S+) with payload:\n?(.*)", re.DOTALL)
#: The most of a remote error answer a problem's detail quotes.
QUOTED_PAYLOAD = 500


def public_detail(detail: str, routes: dict[str, str]) -> tuple[str, list[str]]:
    """The detail of a failed SERVICE call with each proxy route (``routes``: route URL -> endpoint
    IRI) replaced by the endpoint it stands for, and the endpoints it names.

    >>> routes = {"http://127.0.0.1:4000/service/0": "https://q.example/sparql"}
    >>> public_detail("a remote SERVICE or LOAD failed: Error 502 Bad Gateway returned by "
    ...               "http://127.0.0.1:4000/service/0 with payload:\\ncould not reach it: refused", routes)
    ('the SERVICE call to <https://q.example/sparql> failed (HTTP 502 Bad Gateway): could not reach it: refused',
     ['https://q.example/sparql'])
    >>> public_detail("timed out reading http://127.0.0.1:4000/service/0?x=1", routes)
    ('timed out reading <https://q.example/sparql>', ['https://q.example/sparql'])
    """
    named: list[str] = []

    def endpoint_of(url: str) -> str | None:
        iri = routes.get(url.split("?", 1)[0])
        if iri is not None and iri not in named:
            named.append(iri)
        return iri

    engine = _ENGINE_ERROR.search(detail)
    iri = endpoint_of(engine.group(3)) if engine else None
    if iri:
        status, reason, _, payload = engine.groups()
        payload = payload.strip()
        if len(payload) > QUOTED_PAYLOAD:
            payload = payload[:QUOTED_PAYLOAD] + " …"
        said = f"the SERVICE call to <{iri}> failed (HTTP {status} {reason})"
        return (f"{said}: {payload}" if payload else said), named
    text = re.sub(r"http://127\.0\.0\.1:\d+/service/\d+(\?\S*)?",
                  lambda m: f"<{endpoint_of(m.group(0)) or m.group(0)}>", detail)
    return text, named


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


def remote_contexts(data: bytes) -> list[str]:
    """The remote contexts (``"@context": "IRI"``, at any depth) of a JSON document; [] if it is not JSON.

    >>> remote_contexts(b'{"@context": ["http://x.example/c", {"a": "http://y.example/"}], "b": {"@context": "z"}}')
    ['http://x.example/c', 'z']
    >>> remote_contexts(b'{"head": {"vars": []}}'), remote_contexts(b'not json')
    ([], [])
    """
    import json

    try:
        document = json.loads(data)
    except ValueError:
        return []
    found: list[str] = []

    def walk(node, in_context=False):
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, key == "@context")
        elif isinstance(node, list):
            for value in node:
                walk(value, in_context)
        elif isinstance(node, str) and in_context:
            found.append(node)

    walk(document)
    return found


#: The longest path a Unix socket may have on Linux (``sun_path`` holds 108 bytes, with the final NUL).
UNIX_PATH_MAX = 107


def socket_directory(prefix: str, name: str, parent: str | None = None) -> str:
    """A new private directory for the Unix socket ``name``: in ``parent`` (by default the temporary
    directory, ``TMPDIR``), or in ``/tmp`` when the socket's path there would be longer than a Unix
    socket's may be.

    >>> import shutil, tempfile
    >>> long = tempfile.mkdtemp(prefix="x" * 120)
    >>> tempfile.tempdir, kept = long, tempfile.tempdir
    >>> made = socket_directory("astana-kg-proxy-", "proxy.sock")
    >>> tempfile.tempdir = kept
    >>> made.startswith("/tmp/astana-kg-proxy-") and len(made + "/proxy.sock") <= UNIX_PATH_MAX
    True
    >>> os.rmdir(made); shutil.rmtree(long)
    """
    directory = tempfile.mkdtemp(prefix=prefix, dir=parent)
    if len(os.fsencode(os.path.join(directory, name))) <= UNIX_PATH_MAX:
        return directory
    os.rmdir(directory)
    return tempfile.mkdtemp(prefix=prefix, dir="/tmp")


def remove_directory(directory: str, owner: int) -> None:
    """Remove ``directory`` if this is the process ``owner`` that made it (not a forked child)."""
    if os.getpid() == owner:
        shutil.rmtree(directory, ignore_errors=True)


class ServiceProxy:
    """A loopback HTTP server that forwards SERVICE requests to their endpoint or its mirror."""

    def __init__(self, allowed: list[str], mirrors: dict[str, str] | None = None, timeout: float = 30.0,
                 cache: Callable[[], ox.Store | None] | None = None, directory: str | None = None):
        """``allowed``: the endpoints it may forward to; ``cache`` gives the store that answers for
        endpoints whose mirror is :data:`CACHE`; ``directory``: where its Unix socket is made (see
        :func:`socket_directory`)."""
        self.allowed = frozenset(allowed)
        self.max_bytes = 64 * 1024 * 1024  # the most a remote answer may hold
        self.mirrors = dict(mirrors or {})
        self.timeout = timeout
        self._cache_loader = cache
        self._cache: ox.Store | None = None
        self._pool = None  # the query process that answers from the cache
        self.routes: dict[str, str] = {}
        self.lock = threading.RLock()
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
        # The same proxy on a Unix socket: what query processes in their own network reach.
        self._socket_dir = socket_directory("astana-kg-proxy-", "proxy.sock", directory)
        self.unix_path = os.path.join(self._socket_dir, "proxy.sock")
        # Removed by close(), or as the interpreter exits if the proxy was never closed.
        self._remove = weakref.finalize(self, remove_directory, self._socket_dir, os.getpid())

        class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
            daemon_threads = True

        class UnixHandler(Handler):
            def address_string(self):
                return "query-process"

        self.unix_server = UnixServer(self.unix_path, UnixHandler)
        # serve_forever looks for a shutdown request between polls: at the default half second,
        # closing an app would wait a second for its two servers.
        for server in (self.server, self.unix_server):
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def route(self, iri: str) -> str:
        """The loopback IRI that stands for the allow-listed endpoint ``iri`` (403 for any other)."""
        if iri not in self.allowed:
            raise forbidden(f"<{iri}> is not on this endpoint's federation allow-list", service=iri)
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
        try:
            length = int(handler.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= self.max_bytes:
            self._reply(handler, 400, b"bad Content-Length", "text/plain")
            return
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
        connection = connection_type(target.hostname, target.port, timeout=self.timeout)
        try:
            connection.connect()
        except OSError as error:  # Wikidata unreachable (not a mirror): the offline cache answers, if the build has one
            if iri == WIKIDATA_ENDPOINT and iri not in self.mirrors and self.cache_store() is not None:
                self._reply(handler, *self._answer_from_cache(handler, body))
            else:
                self._reply(handler, 502, f"could not reach {iri}: {error}".encode(), "text/plain")
            return
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read(self.max_bytes + 1)
            connection.close()
            if len(data) > self.max_bytes:
                self._reply(handler, 502, f"{iri} answered more than {self.max_bytes} bytes".encode(), "text/plain")
                return
            content_type = response.getheader("Content-Type", "")
            if "json" in content_type and remote_contexts(data):
                # The engine would fetch them itself, from anywhere: refuse the document instead.
                self._reply(handler, 502, f"{iri} answered JSON-LD with remote contexts "
                                          f"({', '.join(remote_contexts(data))}), which are not fetched".encode(),
                            "text/plain")
                return
            self._reply(handler, response.status, data, response.getheader("Content-Type", "application/octet-stream"))
        except (OSError, http.client.HTTPException) as error:
            self._reply(handler, 502, f"could not reach {iri}: {error}".encode(), "text/plain")

    def cache_store(self) -> ox.Store | None:
        """The store of the offline cache (loaded on first use), or None if the build has none."""
        with self.lock:
            if self._cache is None and self._cache_loader is not None:
                self._cache = self._cache_loader()
            return self._cache

    def _cache_pool(self):
        """A query process over a copy of the cache on disk, made on first use: the remote query
        text runs there, as any query does (its own network with no way out, a memory cap, a
        deadline), never in this process."""
        from ..query.worker import ProcessOptions, QueryPool

        with self.lock:
            if self._pool is None:
                store = self.cache_store()
                if store is None:
                    return None
                path = os.path.join(self._socket_dir, "cache-store")
                copy = ox.Store(path)
                copy.extend(store.quads_for_pattern(None, None, None))
                copy.flush()
                del copy
                self._pool = QueryPool(path, 1, ProcessOptions(memory_bytes=256 * 1024 * 1024), long_slots=0)
            return self._pool

    def _answer_from_cache(self, handler, body: bytes | None) -> tuple[int, bytes, str]:
        """Evaluate a SPARQL Protocol query request on the cache: (status, body, media type)."""
        from ..query.worker import Job, NotAcceptable
        from ..query import sparqltext

        pool = self._cache_pool()
        if pool is None:
            return (503, b"this build has no offline Wikidata cache: run `astana-kg build` again (a build holds "
                         b"the checked claims of data/wikidata/, or the cache `astana-kg wikidata fetch` wrote)",
                    "text/plain")
        text = service_query_text(handler.command, handler.path, handler.headers.get("Content-Type"), body)
        if text is None:
            return 400, b"no query in the request", "text/plain"
        try:
            if sparqltext.calls(text, "query"):
                return 400, b"the offline cache answers no SERVICE or LOAD of its own", "text/plain"
        except HttpError as error:
            return 400, error.detail.encode(), "text/plain"
        accept = handler.headers.get("Accept") or "*/*"
        fmt = ox.QueryResultsFormat.XML if "json" not in accept and "xml" in accept else ox.QueryResultsFormat.JSON
        job = Job(text, fmt.media_type, ox.RdfFormat.N_TRIPLES.media_type, [], [], 10000)
        try:
            outcome = pool.run(job, self.timeout)
        except HttpError as error:
            return error.status, error.detail.encode(), "text/plain"
        except NotAcceptable:
            return 406, b"no format fits", "text/plain"
        return 200, outcome.body, outcome.media_type

    def public_error(self, error: HttpError) -> HttpError:
        """A failed SERVICE call's error (502) as a client should see it: naming the endpoint it was
        for (``service``), never the proxy's route, and, for Wikidata's, the offline cache that can
        answer instead (``offline_cache``, its graph IRI)."""
        with self.lock:
            routes = {f"http://127.0.0.1:{self.port}/service/{key}": iri for key, iri in self.routes.items()}
        detail, named = public_detail(error.detail, routes)
        extra = dict(error.extra)
        if len(named) == 1:
            extra["service"] = named[0]
        store = self.cache_store() if WIKIDATA_ENDPOINT in named else None
        if store is not None and cache_graph_of(store):
            extra["offline_cache"] = cache_graph_of(store)
        return HttpError(error.status, detail, dict(error.headers), **extra)

    @staticmethod
    def _reply(handler, status: int, body: bytes, content_type: str) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def close(self) -> None:
        for server in (self.server, self.unix_server):
            server.shutdown()
            server.server_close()
        if self._pool is not None:
            self._pool.close()
        self._remove()  # the socket, and the cache's store if one was made
