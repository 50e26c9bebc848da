"""The front door: an ASGI application that reads each request whole, then hands it to the Flask app.

The HTTP server (granian) reads and writes connections in an event loop, so an idle or slow
client costs a socket, not a thread. This front keeps it so for request bodies too: it reads the
body on the event loop, within a size limit (413) and a time limit (408), and only a complete
request takes one of the threads that run the Flask (WSGI) app. A client that declares a body and
never sends it, or sends it a byte at a time, holds no thread and is dropped at the time limit.

>>> import asyncio, threading
>>> from flask import Flask
>>> flask_app, release = Flask("demo"), threading.Event()
>>> flask_app.add_url_rule("/echo", "echo", lambda: __import__("flask").request.get_data(), methods=["POST"])
>>> flask_app.add_url_rule("/hang", "hang", lambda: str(release.wait(5)))
>>> front = Front(flask_app, max_body=10, body_timeout=1.0, threads=1)
>>> asyncio.run(call(front, "POST", "/echo", b"hello"))
(200, b'hello')
>>> asyncio.run(call(front, "POST", "/echo", b"x" * 11))[0]
413

A request still in the app at the deadline is answered 503, and when half the threads are held
so the worker gives up (``on_stuck``):

>>> stuck = []
>>> front = Front(flask_app, max_body=10, body_timeout=1.0, threads=2, deadline=0.2, on_stuck=lambda: stuck.append(1))
>>> asyncio.run(call(front, "GET", "/hang"))[0], stuck, front.stuck
(503, [1], 1)
>>> release.set()
"""

from __future__ import annotations

import asyncio
import functools
import io
import os
import signal
import sys
from concurrent.futures import ThreadPoolExecutor

from .errors import HttpError, PROBLEM_JSON, error_answer, payload_too_large


class Front:
    """ASGI over a WSGI app: bodies read on the event loop, the app run on a bounded thread pool."""

    def __init__(self, wsgi_app, max_body: int, body_timeout: float, threads: int, deadline: float = 60.0,
                 on_stuck=None, hot_path=None, on_close=None):
        """``deadline``: the longest a request may take in the app before the client is answered 503;
        ``on_stuck``: called when half the threads are held by requests past it (by default the
        worker process exits, and the server starts another); ``on_close``: called when the server
        stops the application (its query processes, sockets and temporary files are let go)."""
        self.app = wsgi_app
        self.max_body = max_body
        self.body_timeout = body_timeout
        self.deadline = deadline
        self.threads = threads
        self.stuck = 0  # threads still running a request that was answered 503 at the deadline
        self.on_stuck = on_stuck or _exit_worker
        self.hot_path = hot_path  # answers some requests on the event loop (a cache hit), or returns None
        self.on_close = on_close
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="astana-kg-app")

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    resend_held_stop_signal()
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    self.executor.shutdown(wait=False, cancel_futures=True)
                    if self.on_close is not None:
                        self.on_close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        try:
            body = await self._body(scope, receive)
        except HttpError as error:
            await _respond(send, error.status, [(b"content-type", PROBLEM_JSON.encode())], error.body())
            return
        if self.hot_path is not None and not body:
            answered = self.hot_path(scope)
            if callable(answered):  # a query to run: on a thread, as the app would, without the framework
                await self._in_thread(scope, send, answered)
                return
            if answered is not None:
                await _respond(send, *answered)
                return
        await self._in_thread(scope, send, _call_wsgi, self.app, _environ(scope, body))

    async def _in_thread(self, scope, send, function, *args) -> None:
        """Answer with what ``function(*args)`` returns (status, headers, body), run on the thread pool
        within the deadline."""
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self.executor, function, *args)
        try:
            status, headers, payload = await asyncio.wait_for(asyncio.shield(future), self.deadline)
        except TimeoutError:
            # The thread cannot be stopped: answer the client, count the thread as held until it ends.
            self.stuck += 1
            future.add_done_callback(self._released)
            if self.stuck * 2 >= self.threads:
                self.on_stuck()
            error = HttpError(503, f"the request took more than {self.deadline:g} s and was given up",
                              {"Retry-After": "5"})
            await _respond(send, 503, [(b"content-type", PROBLEM_JSON.encode()), (b"retry-after", b"5")],
                           error.body())
            return
        await _respond(send, status, headers, payload, keep_length=scope["method"] == "HEAD")

    def _released(self, _future) -> None:
        self.stuck -= 1

    async def _body(self, scope, receive) -> bytes:
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    raise HttpError(400, "the Content-Length header is not a number") from None
                if declared > self.max_body:
                    raise payload_too_large(self.max_body)
        body = bytearray()
        try:
            async with asyncio.timeout(self.body_timeout):
                while True:
                    try:
                        message = await receive()
                    except (TimeoutError, asyncio.CancelledError):
                        raise
                    except Exception as error:  # the server's own reading failed: a malformed chunk
                        raise HttpError(400, f"the request body could not be read: {error}") from None
                    if message["type"] == "http.disconnect":  # gone, or its chunked encoding is malformed
                        raise HttpError(400, "the request body could not be read to its end (the connection "
                                             "closed, or its chunked encoding is malformed)")
                    body += message.get("body", b"")
                    if len(body) > self.max_body:
                        raise payload_too_large(self.max_body)
                    if not message.get("more_body"):
                        return bytes(body)
        except TimeoutError:
            raise HttpError(408, f"the request body did not arrive within {self.body_timeout:g} s") from None


def _environ(scope, body: bytes) -> dict:
    """The WSGI environ (PEP 3333) of an ASGI HTTP scope."""
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client") or ("", 0)
    environ = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": scope.get("root_path", "").encode("utf-8").decode("latin-1"),
        "PATH_INFO": scope["path"].encode("utf-8").decode("latin-1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1] or 80),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "REMOTE_ADDR": str(client[0]),
        "REMOTE_PORT": str(client[1]),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body)),
    }
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        if name == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = value
        elif name == "CONTENT_LENGTH":
            continue
        else:
            key = "HTTP_" + name
            environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


def _call_wsgi(app, environ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    started: dict = {}

    def start_response(status, headers, exc_info=None):
        started["status"], started["headers"] = status, headers

    result = app(environ, start_response)
    try:
        payload = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    headers = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in started["headers"]]
    return int(started["status"].split(" ", 1)[0]), headers, payload


#: The stop signals (SIGTERM, SIGINT) a worker received while it was starting, before granian
#: listened for them.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
_held_stop_signals: list[int] = []


def hold_stop_signals() -> None:
    """Keep the stop signals this process receives from now on, until :func:`resend_held_stop_signal`.

    A worker forked by granian's main process inherits its handlers, which set the main process's
    flags (in the worker's copy of them): a SIGTERM that comes while the worker is still making the
    app (opening the store, starting its query processes) would be lost, and the worker would then
    serve on until killed. The main process calls this in each worker as it is forked
    (``astana_kg.http.launch``).
    """
    _held_stop_signals.clear()
    for number in STOP_SIGNALS:
        signal.signal(number, lambda received, frame: _held_stop_signals.append(received))


def resend_held_stop_signal() -> None:
    """Send this process again the first stop signal it held, once granian listens for it (at the
    application's start-up): the worker then stops as it would have."""
    if _held_stop_signals:
        os.kill(os.getpid(), _held_stop_signals[0])
        _held_stop_signals.clear()


def _exit_worker() -> None:
    """End this worker process (the server starts a fresh one): its threads are held for good."""
    import logging
    import os

    logging.getLogger("astana_kg").error("half the app threads are held by requests past their deadline: "
                                         "this worker exits and is replaced")
    os._exit(3)


async def _respond(send, status: int, headers, body: bytes, keep_length: bool = False) -> None:
    if not keep_length:  # a HEAD answer keeps the length the GET would have
        headers = [h for h in headers if h[0] != b"content-length"] + [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def call(app, method: str, path: str, body: bytes = b"", headers=(), query_string: bytes = b"",
               full: bool = False):
    """Call an ASGI app once, in-process: (status, body), or (status, headers, body) with ``full``."""
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list = []

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "query_string": query_string, "http_version": "1.1",
             "headers": [(b"content-length", str(len(body)).encode()), *headers], "scheme": "http",
             "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 50000)}
    await app(scope, receive, send)
    payload = b"".join(m.get("body", b"") for m in sent[1:])
    if full:
        return sent[0]["status"], {k.decode(): v.decode() for k, v in sent[0]["headers"]}, payload
    return sent[0]["status"], payload


class HotPath:
    """A query request answered without the framework: a cache hit or a 304 on the event loop, a
    miss on a thread.

    It reads the request as the ``/sparql`` view does and keys it with the same function
    (``prepare``), answers a miss with the same function (``answer_query``) and its errors as the
    app's error handler does, and writes the same headers (``outcome_headers``, ``cors_headers``)
    and the same log line; anything else (a request it cannot read, a form, a POST) goes on to
    the app. It needs the server's URL (``SERVER_URL``), which the base IRI of a query is made of.

    It returns ``(status, headers, body)``, or a function that computes them (for a miss, which
    runs the query), or None (for the app).
    """

    def __init__(self, app):
        from .origin import normalize

        self.app = app
        self.base_iri = normalize(app.config["SERVER_URL"]) + "sparql" if app.config.get("SERVER_URL") else None

    def __call__(self, scope):
        import time

        from . import outcome_headers, prepare, protocol

        if (self.base_iri is None or scope["method"] != "GET" or scope["path"] != "/sparql"
                or scope.get("root_path") or not scope.get("query_string")):
            return None
        started = time.perf_counter()
        try:
            sparql = protocol.parse("GET", scope["query_string"].decode("latin-1"), None, b"")
        except HttpError:
            return None  # the app says what is wrong
        wanted: dict[bytes, str] = {}
        for name, value in scope["headers"]:
            if name in (b"accept", b"if-none-match"):
                text = value.decode("latin-1")
                wanted[name] = f"{wanted[name]},{text}" if name in wanted else text
        endpoint = self.app.extensions["astana_kg"]()
        prepared = prepare(endpoint, sparql, wanted.get(b"accept"), self.base_iri)
        if prepared.not_modified(wanted.get(b"if-none-match")):
            status, headers, body, rows = 304, prepared.headers, b"", None
        else:
            outcome = endpoint.cache.get(prepared.key)
            if outcome is None:
                return functools.partial(self._miss, endpoint, sparql, wanted.get(b"accept"),
                                         wanted.get(b"if-none-match"), prepared, started)
            status, body, rows = 200, outcome.body, outcome.rows
            headers = outcome_headers(endpoint, prepared, outcome, hit=True)
        return self._finish(sparql, started, status, headers, body, rows)

    def _miss(self, endpoint, sparql, accept, if_none_match, prepared, started):
        """Run the query (on a thread): the answer, or the error, as the app writes them."""
        from werkzeug.exceptions import InternalServerError

        from . import answer_query

        try:
            answer = answer_query(endpoint, sparql, accept, if_none_match, self.base_iri, prepared)
        except HttpError as error:
            return self._finish(sparql, started, *error_answer(error), None)
        except Exception:  # a server fault: logged, and answered 500, as the framework does
            self.app.logger.exception("Exception on /sparql [GET]")
            return self._finish(sparql, started, *error_answer(HttpError(500, InternalServerError.description)), None)
        return self._finish(sparql, started, answer.status, answer.headers, answer.body, answer.rows)

    def _finish(self, sparql, started, status, headers, body, rows):
        import time

        from . import cors_headers, log_request, query_hash

        headers = {**headers, **cors_headers(self.app.config)}
        log_request("GET", "/sparql", status, (time.perf_counter() - started) * 1000, query_hash(sparql.text), rows)
        return status, [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()], body


def create_front(config: dict | None = None) -> Front:
    """The ASGI application ``astana-kg serve`` runs: the Flask app behind :class:`Front`."""
    from . import create_app

    app = create_app(config)
    # Queries have their own deadline, enforced by killing their process; the front's deadline
    # bounds everything else a request does (pages, fragments, the JSON API), with a margin.
    return Front(app, int(app.config["MAX_CONTENT_LENGTH"]), float(app.config["BODY_TIMEOUT"]),
                 int(app.config["APP_THREADS"]), deadline=float(app.config["QUERY_TIMEOUT"]) + 10,
                 hot_path=HotPath(app) if app.config["EAGER"] else None, on_close=lambda: close_app(app))


def close_app(app) -> None:
    """Let go of what the app's endpoint holds, if it made one: its query processes, the
    federation proxy's sockets, temporary stores."""
    endpoint = app.extensions["astana_kg"]
    if endpoint.made():
        endpoint().close()
