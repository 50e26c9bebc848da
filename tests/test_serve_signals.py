"""How `astana-kg serve` stops: SIGTERM to its process group ends every process of it promptly,
also while granian is replacing a worker that died."""

from __future__ import annotations

import os
import signal
import sys
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from helpers_server import astana_kg_server, http_get, server_group, short_directory  # noqa: E402

#: granian's --workers-kill-timeout in `astana-kg serve`: how long it waits for a worker that does not stop.
KILL_TIMEOUT = 10.0


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.01)
    raise AssertionError(f"not within {timeout:g} s: {what}")


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command's name (state first), None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def living_in_group(group: int) -> list[int]:
    """The processes of ``group`` that still run (a zombie has ended: it only waits to be reaped)."""
    found = []
    for pid in (int(p) for p in os.listdir("/proc") if p.isdigit()):
        fields = _stat(pid)
        if fields is not None and int(fields[2]) == group and fields[0] != "Z":
            found.append(pid)
    return found


def server_workers(main: int) -> list[int]:
    """The worker processes granian's main process runs (its children that are not query processes)."""
    workers = []
    for pid in living_in_group(main):
        fields = _stat(pid)
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if fields is not None and int(fields[1]) == main and b"astana_kg.query.worker" not in command:
            workers.append(pid)
    return workers


def test_sigterm_stops_the_server_at_once_while_a_killed_worker_is_being_replaced(built):
    with astana_kg_server(built.out, workers=2) as base:
        group = server_group(base)  # the main process leads the group
        workers = wait_for(lambda: (lambda w: w if len(w) == 2 else None)(server_workers(group)), 30,
                           "two workers")
        os.kill(workers[0], signal.SIGKILL)
        wait_for(lambda: (lambda w: len(w) == 2 and workers[0] not in w)(server_workers(group)), 30,
                 "the killed worker replaced")
        # The replacement is still making the app (the store, its query processes): stop the server now.
        sent = time.monotonic()
        os.killpg(group, signal.SIGTERM)
        wait_for(lambda: not living_in_group(group), 2 * KILL_TIMEOUT, "the server's processes ended")
        took = time.monotonic() - sent
        assert took < KILL_TIMEOUT / 2, f"the server took {took:.1f} s to stop"


def test_a_replacement_worker_sent_sigterm_while_it_starts_ends_instead_of_serving_on(built):
    with astana_kg_server(built.out, workers=2) as base:
        group = server_group(base)
        workers = wait_for(lambda: (lambda w: w if len(w) == 2 else None)(server_workers(group)), 30,
                           "two workers")
        os.kill(workers[0], signal.SIGKILL)
        replacement = wait_for(lambda: next((w for w in server_workers(group) if w not in workers), None), 30,
                               "the killed worker's replacement")
        os.kill(replacement, signal.SIGTERM)  # it is still making the app: granian does not listen yet
        wait_for(lambda: replacement not in living_in_group(group), KILL_TIMEOUT / 2,
                 "the replacement worker ended on SIGTERM")


def test_a_stopped_server_leaves_no_socket_or_store_in_the_temporary_directory(built):
    def sockets():
        return sorted(p.relative_to(temporary).as_posix() for p in temporary.rglob("*.sock"))

    with short_directory() as temporary:
        with astana_kg_server(built.out, workers=2, env={**os.environ, "TMPDIR": str(temporary)}) as base:
            group = server_group(base)
            workers = wait_for(lambda: (lambda w: w if len(w) == 2 else None)(server_workers(group)), 30,
                               "two workers")
            made = wait_for(lambda: (lambda s: s if len(s) == 2 else None)(sockets()), 30,
                            "the workers' federation sockets")
            # One directory of the main process holds them all.
            assert [p.name for p in temporary.iterdir()] == [made[0].split("/")[0]], made
            assert all(path.startswith("astana-kg-run-") and "/astana-kg-proxy-" in path for path in made), made
            # A worker killed outright cannot remove its socket: it stays until the server stops.
            os.kill(workers[0], signal.SIGKILL)
            wait_for(lambda: (lambda w: len(w) == 2 and workers[0] not in w)(server_workers(group)), 30,
                     "the killed worker replaced")
            wait_for(lambda: len(sockets()) == 3, 30, "the replacement's socket beside the killed worker's")
            os.killpg(group, signal.SIGTERM)
            wait_for(lambda: not living_in_group(group), 2 * KILL_TIMEOUT, "the server's processes ended")
        assert not list(temporary.iterdir()), sorted(p.name for p in temporary.iterdir())


def test_a_server_whose_temporary_directory_is_too_deep_for_a_unix_socket_starts_and_answers(tmp_path, built):
    temporary = tmp_path / ("deep-" * 20)  # a socket's path in it would be longer than 107 bytes
    temporary.mkdir()
    with astana_kg_server(built.out, env={**os.environ, "TMPDIR": str(temporary)}) as base:
        status, _, body = http_get(f"{base}/sparql?" + urllib.parse.urlencode({"query": "ASK {}"}), timeout=30)
        assert status == 200 and b"true" in body, (status, body)
