"""The HTTP server's main process: granian, with the app's modules imported before it forks the workers.

``astana-kg serve`` runs ``python -m astana_kg.http.launch GRANIAN-OPTIONS``. granian forks its
workers from this process, and each worker then makes the app (``front:create_front``). Modules
imported here first (Flask and its kin, pyoxigraph, this package's server) are already in each
worker's memory when it starts: their pages are shared between the workers instead of each
importing a private copy. They are frozen out of the garbage collector's reach (``gc.freeze``),
so that its passes do not write to them and copy them page by page into every worker.

Importing them starts no thread and opens nothing (the app reads its configuration and opens
the store in ``create_front``, in each worker).

A worker holds the stop signals it receives while it starts (``front.hold_stop_signals``): a
SIGTERM sent to the server while a worker is being replaced still stops that worker at once.

The workers make their sockets and scratch stores in a directory of this process
(``ASTANA_KG_RUNTIME_DIR``, ``astana-kg-run-*`` in the temporary directory), which it removes as
it ends: what a worker killed outright leaves there goes with it.
"""

from __future__ import annotations

import gc
import os
import signal
import sys

#: Imported before the workers are forked (what ``front:create_front`` would import in each).
SHARED_MODULES = ("flask", "jinja2", "werkzeug", "pyoxigraph", "astana_kg.http", "astana_kg.http.front")


def preload() -> None:
    """Import what every worker uses, and keep the garbage collector off it."""
    import importlib

    for name in SHARED_MODULES:
        importlib.import_module(name)
    gc.collect()
    gc.freeze()


def _hold_stop_signals_in_worker() -> None:
    from astana_kg.http import front

    front.hold_stop_signals()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, front.STOP_SIGNALS)  # one sent meanwhile is held now


def runtime_directory() -> str:
    """The workers' directory (in the environment they inherit), removed when this process ends."""
    import atexit

    from astana_kg.http.federation import remove_directory, socket_directory

    # Short enough for a socket in a directory of its own within it (prefix and mkdtemp's 8 letters).
    directory = socket_directory("astana-kg-run-", "astana-kg-proxy-xxxxxxxx/proxy.sock")
    os.environ["ASTANA_KG_RUNTIME_DIR"] = directory
    atexit.register(remove_directory, directory, os.getpid())  # not by a forked worker that runs exit handlers
    return directory


def main() -> None:
    preload()
    runtime_directory()
    from astana_kg.http import front

    # From its first instant, a worker keeps a stop signal that comes before granian listens for
    # it (the handlers it inherits from this process would lose it), and acts on it at start-up.
    # The signals are blocked across the fork, so that none falls between fork and handler.
    os.register_at_fork(before=lambda: signal.pthread_sigmask(signal.SIG_BLOCK, front.STOP_SIGNALS),
                        after_in_parent=lambda: signal.pthread_sigmask(signal.SIG_UNBLOCK, front.STOP_SIGNALS),
                        after_in_child=_hold_stop_signals_in_worker)
    from granian.cli import entrypoint

    sys.argv[0] = "granian"
    entrypoint()


if __name__ == "__main__":
    main()
