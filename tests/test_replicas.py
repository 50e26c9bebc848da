"""Read replicas behind the balancer of deploy/haproxy.cfg: two `astana-kg serve` over one build,
HAProxy from Debian in front, all on loopback. A bounded load runs while one replica is killed;
no request is lost (the balancer replays those that were in flight on the killed replica)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import urllib.parse
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from helpers_server import (astana_kg_server, http_get, reserved_port, running, server_group,  # noqa: E402
                            short_directory)

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "deploy" / "haproxy.cfg"


def _haproxy() -> str:
    found = shutil.which("haproxy") or ("/usr/sbin/haproxy" if os.path.exists("/usr/sbin/haproxy") else None)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("haproxy is not installed (dev.py test installs it from Debian)")
        pytest.skip("haproxy is not installed")
    return found


def test_the_balancer_configuration_is_valid():
    result = subprocess.run([_haproxy(), "-c", "-f", str(CONFIG)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_killing_one_replica_under_load_loses_no_request(built):
    haproxy = _haproxy()
    # The replica killed outright cannot remove its runtime directory: it gets a temporary one of its own.
    with short_directory() as killed, \
            astana_kg_server(built.out, workers=1, env={**os.environ, "TMPDIR": str(killed)}) as first, \
            astana_kg_server(built.out, workers=1) as second, reserved_port() as front:
        env = dict(os.environ, ASTANA_KG_FRONT=f"127.0.0.1:{front}",
                   ASTANA_KG_REPLICA_1=first.removeprefix("http://"), ASTANA_KG_REPLICA_2=second.removeprefix("http://"))
        base = f"http://127.0.0.1:{front}"
        with running([haproxy, "-db", "-f", str(CONFIG)], base + "/health", env=env):
            outcomes: list[int] = []
            replicas: list[str] = []
            lock = threading.Lock()
            done = threading.Event()
            answered_before_kill = threading.Event()

            def client(index: int) -> None:
                for n in range(100):  # bounded: 100 requests per client
                    query = f"# client {index} request {n}\nASK {{ <https://w3id.org/astana-kg/id/russia> ?p ?o }}"
                    status, headers, _ = http_get(base + "/sparql?" + urllib.parse.urlencode({"query": query}),
                                                  timeout=30)
                    with lock:
                        outcomes.append(status)
                        replicas.append(headers.get("X-Replica", ""))
                        if len(outcomes) >= 40 and {"replica1", "replica2"} <= set(replicas):
                            answered_before_kill.set()  # both replicas are answering
                    if done.is_set():
                        return

            clients = [threading.Thread(target=client, args=(i,)) for i in range(6)]
            for thread in clients:
                thread.start()
            assert answered_before_kill.wait(120), f"both replicas did not answer: {set(replicas)}"
            os.killpg(server_group(first), signal.SIGKILL)
            for thread in clients:
                thread.join(120)
            done.set()
            assert len(outcomes) == 6 * 100
            assert [s for s in outcomes if s != 200] == [], f"{len([s for s in outcomes if s != 200])} requests failed"
            assert replicas[-1] == "replica2"  # the killed one was taken out
            # The survivor answers alone now.
            status, _, body = http_get(base + "/health")
            assert status == 200 and b'"status"' in body
