"""Comunica, the JavaScript SPARQL engine (``tests/js``), as the tests run it: one Node.js process
per test process that answers query after query (``tests/js/comunica-runner.js``), each on a fresh
engine, so that Comunica is loaded once and not for every query."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from pathlib import Path

RUNNER = Path(__file__).resolve().parent / "js" / "comunica-runner.js"


class Comunica:
    """``comunica(sources, query)``: the SPARQL JSON results (bytes; without the ``metadata`` member
    Comunica adds) that Comunica gives for ``query`` over ``sources`` (written as on comunica-sparql's
    command line: ``[TYPE@]URL``), and the seconds it took. A query Comunica fails fails the test,
    with Comunica's error."""

    def __init__(self):
        node = shutil.which("node")
        assert node, "Node.js is not installed (python3 dev.py test installs it)"
        self._process = subprocess.Popen([node, str(RUNNER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, cwd=RUNNER.parent)
        self._lock = threading.Lock()
        self._stderr: list[bytes] = []
        threading.Thread(target=lambda: self._stderr.extend(self._process.stderr), daemon=True).start()

    def __call__(self, sources: list[str] | str, query: str, http_retries: int = 0) -> tuple[bytes, float]:
        request = {"sources": [sources] if isinstance(sources, str) else list(sources), "query": query}
        if http_retries:
            request["httpRetryCount"] = http_retries
        with self._lock:
            self._process.stdin.write(json.dumps(request).encode() + b"\n")
            self._process.stdin.flush()
            line = self._process.stdout.readline()
        assert line, f"the Comunica process ended: {b''.join(self._stderr)[-2000:].decode(errors='replace')}"
        reply = json.loads(line)
        assert reply["ok"], reply["error"][-2000:]
        results = json.loads(reply["results"])
        results.pop("metadata", None)  # Comunica's own addition (request counts), after the results
        return json.dumps(results).encode(), reply["seconds"]

    def close(self) -> None:
        self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
