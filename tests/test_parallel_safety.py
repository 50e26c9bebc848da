"""Test processes side by side (pytest-xdist's workers, the tests of other checkouts): a port
reserved for one test server is given to no other socket, a server that finds its port taken
starts on another, a test that times a server runs alone, and the package's doctests open the
session's build, not the checkout's."""

from __future__ import annotations

import contextlib
import errno
import select
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

import astana_kg

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
import helpers_server  # noqa: E402
from helpers_server import (  # noqa: E402
    PortInUse, astana_kg_server, http_get, listening_sockets, on_a_free_port, oxigraph_server, reserved_port,
    running, turn,
)


@pytest.fixture
def listener():
    """A plain listening socket on a port of its own, as another program would hold it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock


@pytest.fixture
def holder():
    """A plain socket bound to a port of its own (not listening, so that a probe of the port is
    refused at once instead of waiting for an answer)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock


@pytest.fixture
def taken_first(monkeypatch, holder):
    """Make the next ``count`` ports the helpers reserve the one ``holder`` holds; the ports they
    were handed."""
    handed: list[int] = []
    real = helpers_server.reserved_port

    def install(count: int):
        @contextlib.contextmanager
        def reserve():
            if len(handed) < count:
                handed.append(holder.getsockname()[1])
                yield handed[-1]
            else:
                with real() as port:
                    handed.append(port)
                    yield port

        monkeypatch.setattr(helpers_server, "reserved_port", reserve)
        return handed

    return install


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory) -> Path:
    location = tmp_path_factory.mktemp("oxigraph") / "store"
    ox.Store(str(location)).flush()
    return location


def test_a_reserved_port_is_refused_to_a_socket_that_binds_it_plainly():
    with reserved_port() as port, socket.socket() as other:
        with pytest.raises(OSError) as refused:
            other.bind(("127.0.0.1", port))
        assert refused.value.errno == errno.EADDRINUSE


def test_an_astana_kg_server_whose_port_is_taken_starts_on_another_port(built, taken_first, holder):
    handed = taken_first(1)
    with astana_kg_server(built.out) as base:
        status, _, body = http_get(base + "/health")
        assert status == 200, body
        assert handed[0] == holder.getsockname()[1] and base == f"http://127.0.0.1:{handed[1]}"


def test_an_oxigraph_server_whose_port_is_taken_starts_on_another_port(empty_store, taken_first, holder):
    handed = taken_first(1)
    with oxigraph_server(empty_store) as endpoint:
        status, _, body = http_get(endpoint + "?query=ASK%7B%7D", {"Accept": "application/sparql-results+json"})
        assert status == 200 and b"true" in body, body
        assert handed[0] == holder.getsockname()[1] and endpoint == f"http://127.0.0.1:{handed[1]}/query"


def test_a_server_that_finds_every_port_taken_fails_saying_so(taken_first, monkeypatch):
    """With Python's own http.server as the server: it starts in a blink."""
    monkeypatch.setattr(helpers_server, "PORT_ATTEMPTS", 3)
    handed = taken_first(3)

    def start(port):
        return running([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)],
                       f"http://127.0.0.1:{port}/", timeout=30)

    with pytest.raises(PortInUse, match="Address already in use"):
        with on_a_free_port(start):
            pass
    assert len(handed) == 3


def test_a_reserved_port_that_nothing_listens_on_counts_no_listening_socket(listener):
    with reserved_port() as port:
        assert listening_sockets(port) == 0
    assert listening_sockets(listener.getsockname()[1]) == 1


def test_a_server_of_two_workers_is_handed_over_once_both_listen(built):
    with astana_kg_server(built.out, workers=2) as base:
        assert listening_sockets(int(base.rsplit(":", 1)[1])) == 2


#: A test process taking a shared turn in argv[1]: it says "in" once it has it, and ends it when its stdin closes.
SHARED_TURN = f"""
import sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
from pathlib import Path
from helpers_server import turn
with turn(Path(sys.argv[1]), alone=False):
    print("in", flush=True)
    sys.stdin.read()
"""


def blocked_on(path: Path) -> int:
    """How many flock(2) requests wait for the lock of ``path`` (from /proc/locks)."""
    inode = f":{path.stat().st_ino} "
    with open("/proc/locks") as locks:
        return sum(1 for line in locks if "->" in line and inode in line)


def wait_for(condition, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not reached within {timeout:g} s: {what}"
        time.sleep(0.02)


def test_a_test_alone_waits_for_the_tests_running_and_those_that_come_wait_for_it(tmp_path):
    def shared_turn():
        return subprocess.Popen([sys.executable, "-c", SHARED_TURN, str(tmp_path)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)

    running = shared_turn()
    later = None
    alone_in, alone_done = threading.Event(), threading.Event()

    def alone():
        with turn(tmp_path, alone=True):
            alone_in.set()
            alone_done.wait(60)

    thread = threading.Thread(target=alone)
    try:
        assert running.stdout.readline() == "in\n"
        thread.start()
        wait_for(lambda: blocked_on(tmp_path / "turns.lock") == 1, "the alone turn waiting for the running test")
        later = shared_turn()
        wait_for(lambda: blocked_on(tmp_path / "turns.turnstile") == 1, "a later test waiting behind the alone turn")
        assert not alone_in.is_set()
        running.stdin.close()
        assert alone_in.wait(30), "the alone turn did not start when the running test ended"
        wait_for(lambda: blocked_on(tmp_path / "turns.lock") == 1, "the later test waiting for the alone turn")
        alone_done.set()
        assert later.stdout.readline() == "in\n"
    finally:
        alone_done.set()
        thread.join(30)
        for process in (running, later):
            if process is not None:
                process.stdin.close()
                process.wait(30)


def test_tests_that_are_not_alone_run_at_the_same_time(tmp_path):
    first = subprocess.Popen([sys.executable, "-c", SHARED_TURN, str(tmp_path)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    second = subprocess.Popen([sys.executable, "-c", SHARED_TURN, str(tmp_path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert first.stdout.readline() == "in\n"
        assert select.select([second.stdout], [], [], 30)[0], "the second test waited for the first"
        assert second.stdout.readline() == "in\n"
    finally:
        for process in (first, second):
            process.stdin.close()
            process.wait(30)


def test_every_test_of_the_run_has_a_node_id_of_its_own(request):
    ids = [item.nodeid for item in request.session.items]
    assert len(ids) == len(set(ids)), [nodeid for nodeid in set(ids) if ids.count(nodeid) > 1]


def test_the_doctests_project_opens_the_session_build_and_reads_the_project_inputs(doctest_project, built, root,
                                                                                   monkeypatch):
    monkeypatch.setenv("ASTANA_KG_ROOT", str(doctest_project))
    kg = astana_kg.open()
    assert repr(kg) == f"<KnowledgeGraph {doctest_project / 'build' / 'store'}>"
    assert (doctest_project / "build").resolve() == built.out
    assert kg.entity("Iran").wikidata == ["http://www.wikidata.org/entity/Q794"]
    sums = Path("data") / "sources" / "SHA256SUMS"
    assert (doctest_project / sums).read_bytes() == (root / sums).read_bytes()
