"""Helpers for tests that talk to real servers over HTTP: `astana-kg serve` and `oxigraph
serve-read-only` started as subprocesses on loopback ports reserved for them (so that test
processes running side by side never share one), a tiny canary HTTP server that counts every
connection made to it, and the turns that let a test that times a server run alone.

Every server started here runs in its own process group and is stopped (SIGTERM, then SIGKILL)
by its own process id when the ``with`` block ends, however the block ends.
"""

from __future__ import annotations

import contextlib
import fcntl
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from werkzeug.datastructures import Headers

BIN = Path(sys.executable).parent


def executable(name: str) -> str:
    """A command of this virtual environment (beside the running Python), else from PATH."""
    local = BIN / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"no {name} beside {sys.executable} nor on PATH")
    return found


@contextlib.contextmanager
def short_directory(prefix: str = "akg-tmp-"):
    """A new directory in /tmp, short enough for a Unix socket a level or two below it (pytest's
    own temporary directories may not be), removed with what is in it afterwards."""
    directory = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@contextlib.contextmanager
def reserved_port():
    """A TCP port on 127.0.0.1 that no other socket can be given while the block runs.

    A socket stays bound to it (not listening) with SO_REUSEADDR and SO_REUSEPORT, so that the
    server started on it can bind it too, while the kernel hands it to no one asking for any
    free port: not another test process's server or canary, nor a client's outgoing connection.
    (A port that was free a moment ago is no such promise: granian binds with SO_REUSEPORT, and
    two of them on one port would share its connections.)
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@contextlib.contextmanager
def turn(directory: Path, *, alone: bool):
    """Hold a turn among the test processes that share ``directory``: any number of them at once,
    or one ``alone``, which waits for the tests running to end while those that come wait for it.

    Two flock(2) locks: ``turns.lock`` (shared, or exclusive when alone) and ``turns.turnstile``,
    passed through before taking the first, and held by an alone turn until it has it, so that
    shared turns taken one after the other cannot keep it waiting for ever."""
    with open(directory / "turns.turnstile", "a") as turnstile, open(directory / "turns.lock", "a") as lock:
        fcntl.flock(turnstile, fcntl.LOCK_EX)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        finally:
            fcntl.flock(turnstile, fcntl.LOCK_UN)
        yield  # the locks go with the files


class PortInUse(RuntimeError):
    """The server could not bind its port: someone else holds it."""


def http_get(url: str, headers: dict[str, str] | None = None, timeout: float = 30.0) -> tuple[int, Headers, bytes]:
    """GET ``url``: (status, headers, body), also for 4xx and 5xx answers. Header names are
    case-insensitive, as HTTP has them (the server sends them in lower case)."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, Headers(list(response.headers.items())), response.read()
    except urllib.error.HTTPError as error:
        return error.code, Headers(list(error.headers.items())), error.read()


def sparql_get(endpoint: str, query: str, accept: str = "application/sparql-results+json") -> tuple[int, dict, bytes]:
    """A SPARQL Protocol query by GET."""
    return http_get(endpoint + "?" + urllib.parse.urlencode({"query": query}), {"Accept": accept})


def _log_tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextlib.contextmanager
def running(command: list[str], ready_url: str, *, timeout: float = 60.0, env: dict | None = None):
    """Run ``command`` in its own process group until ``ready_url`` answers 200; yield the process.

    Raises RuntimeError with the end of the server's log if it exits or is not ready in time.
    """
    descriptor, name = tempfile.mkstemp(prefix="akg-server-", suffix=".log")
    os.close(descriptor)
    log = Path(name)
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True, env=env)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                error = PortInUse if b"Address already in use" in log.read_bytes() else RuntimeError
                raise error(f"{command[0]} exited with {process.returncode} before it was ready:\n"
                            + _log_tail(log))
            try:
                status, _, _ = http_get(ready_url, timeout=2)
                if status == 200:
                    break
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{' '.join(command)} was not ready at {ready_url} within {timeout:g} s:\n"
                                   + _log_tail(log))
            time.sleep(0.1)
        process.log_path = log
        yield process
    finally:
        stop(process)
        log.unlink(missing_ok=True)


def stop(process: subprocess.Popen, grace: float = 10.0) -> None:
    """Stop a server started by :func:`running`: its process group, by its own id."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    # The server's workers and their query processes share the group: make sure none outlives the test.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


#: How many ports a server is tried on before its start fails.
PORT_ATTEMPTS = 5


@contextlib.contextmanager
def on_a_free_port(start):
    """Enter ``start(port)``, a context manager that starts a server on ``port``, on a reserved
    port; yield the port. A server that finds its port taken is started again on another one."""
    for attempt in range(1, PORT_ATTEMPTS + 1):
        with contextlib.ExitStack() as stack:
            port = stack.enter_context(reserved_port())
            try:
                stack.enter_context(start(port))
            except PortInUse:
                if attempt == PORT_ATTEMPTS:
                    raise
                continue
            yield port
            return


def listening_sockets(port: int) -> int | None:
    """How many sockets listen on 127.0.0.1:``port``, from Linux's /proc/net/tcp (None without it)."""
    try:
        lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return None
    local = f"{int.from_bytes(socket.inet_aton('127.0.0.1'), sys.byteorder):08X}:{port:04X}"
    return sum(1 for line in lines if line.split()[1:4:2] == [local, "0A"])  # 0A: LISTEN


@contextlib.contextmanager
def astana_kg_server(build_dir: Path | str, *args: str, workers: int = 1, query_workers: int = 1,
                     timeout: float = 60.0, env: dict | None = None):
    """`astana-kg serve --build BUILD_DIR` on a free 127.0.0.1 port; yields its base URL
    (``http://127.0.0.1:PORT``) once ``/health`` answers and every worker listens. ``env``: the
    server's environment, if not this process's.

    granian's workers each open a listening socket of their own (SO_REUSEPORT), one after the
    other: the first to listen answers ``/health`` while the others may still be starting."""
    @contextlib.contextmanager
    def start(port):
        command = [executable("astana-kg"), "serve", "--build", str(build_dir), "--host", "127.0.0.1",
                   "--port", str(port), "--workers", str(workers), "--query-workers", str(query_workers), *args]
        deadline = time.monotonic() + timeout
        with running(command, f"http://127.0.0.1:{port}/health", timeout=timeout, env=env) as process:
            while (listening := listening_sockets(port)) is not None and listening < workers:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{listening} of the {workers} workers of {' '.join(command)} listen "
                                       f"after {timeout:g} s:\n" + _log_tail(process.log_path))
                time.sleep(0.05)
            yield process

    with on_a_free_port(start) as port:
        yield f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def oxigraph_server(location: Path | str, *args: str, timeout: float = 60.0):
    """`oxigraph serve-read-only --location LOCATION` on a free 127.0.0.1 port; yields its query
    endpoint (``http://127.0.0.1:PORT/query``)."""
    def start(port):
        command = [executable("oxigraph"), "serve-read-only", "--location", str(location),
                   "--bind", f"127.0.0.1:{port}", *args]
        return running(command, f"http://127.0.0.1:{port}/query?" + urllib.parse.urlencode({"query": "ASK {}"}),
                       timeout=timeout)

    with on_a_free_port(start) as port:
        yield f"http://127.0.0.1:{port}/query"


class Canary:
    """A loopback HTTP server that counts every TCP connection made to it (and the requests).

    It answers any request with an empty SPARQL JSON result, so that a SERVICE call that does
    reach it completes.
    """

    EMPTY = json.dumps({"head": {"vars": []}, "results": {"bindings": [{}]}}).encode()

    def __init__(self, body: bytes | None = None, content_type: str = "application/sparql-results+json"):
        """``body`` and ``content_type``: what it answers (by default, one empty SPARQL solution)."""
        self.connections = 0
        self.requests: list[str] = []
        self.bodies: list[str] = []  # request bodies, URL-decoded
        self.user_agents: list[str] = []
        self.answer = self.EMPTY if body is None else body
        self.content_type = content_type
        self._lock = threading.Lock()
        canary = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self):
                with canary._lock:
                    canary.requests.append(f"{self.command} {self.path}")
                    canary.user_agents.append(self.headers.get("User-Agent", ""))
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with canary._lock:
                    canary.bodies.append(urllib.parse.unquote_plus(body.decode("utf-8", "replace")))
                self.send_response(200)
                self.send_header("Content-Type", canary.content_type)
                self.send_header("Content-Length", str(len(canary.answer)))
                self.end_headers()
                self.wfile.write(canary.answer)

            do_GET = do_POST = do_HEAD = _answer

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def get_request(self):
                connection = super().get_request()
                with canary._lock:
                    canary.connections += 1
                return connection

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/sparql"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> Canary:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def server_group(base: str) -> int:
    """The process group of the `astana-kg serve` that answers at ``base`` (``http://127.0.0.1:PORT``;
    it runs in a session of its own), found by the port on its command line."""
    port = str(int(base.rsplit(":", 1)[1])).encode()
    for pid in (int(p) for p in os.listdir("/proc") if p.isdigit()):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                words = cmdline.read().split(b"\0")
        except OSError:
            continue
        if b"--port" in words and port in words:
            return os.getpgid(pid)
    raise AssertionError(f"no server process found for {base}")
