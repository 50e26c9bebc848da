"""The memory of `astana-kg serve`: what its processes share, so that more workers cost less."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from helpers_server import astana_kg_server, server_group  # noqa: E402


def _children(pid: int) -> list[int]:
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as children:
            found += [int(child) for child in children.read().split()]
    return found


def _rollup(pid: int) -> dict[str, int]:
    """/proc/PID/smaps_rollup, in bytes."""
    fields = {}
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            words = line.split()
            if words[-1] == "kB":
                fields[words[0].rstrip(":")] = int(words[1]) * 1024
    return fields


def _mapped_files(pid: int) -> str:
    with open(f"/proc/{pid}/maps") as maps:
        return maps.read()


def test_serve_workers_share_the_apps_modules_imported_once_before_they_are_forked(built):
    with astana_kg_server(built.out, workers=2) as base:
        main = server_group(base)  # the main process leads the server's group
        workers = [pid for pid in _children(main)
                   if b"astana_kg.query.worker" not in Path(f"/proc/{pid}/cmdline").read_bytes()]
        assert len(workers) == 2, workers
        # The main process imported them (their extension modules are mapped in it) ...
        maps = _mapped_files(main)
        assert "pyoxigraph" in maps and "markupsafe" in maps, "the app's modules are imported before the fork"
        # ... so the pages of their objects are the workers' in common with it, not a private copy each
        # (granian's own modules alone come to about 6 MB; with the app's, about 15 MB).
        for worker in workers:
            assert _rollup(worker)["Shared_Dirty"] > 10 * 1024 * 1024, _rollup(worker)
