"""The HTTP server's main process: granian, with the app's modules imported before it forks the workers.

``astana-kg serve`` runs ``python -m astana_kg.server.launch GRANIAN-OPTIONS``. granian forks its
workers from this process, and each worker then makes the app (``front:create_front``). Modules
imported here first (Flask and its kin, pyoxigraph, this package's server) are already in each
worker's memory when it starts: their pages are shared between the workers instead of each
importing a private copy. They are frozen out of the garbage collector's reach (``gc.freeze``),
so that its passes do not write to them and copy them page by page into every worker.

Importing them starts no thread and opens nothing (the app reads its configuration and opens
the store in ``create_front``, in each worker).
"""

from __future__ import annotations

import gc
import sys

#: Imported before the workers are forked (what ``front:create_front`` would import in each).
SHARED_MODULES = ("flask", "jinja2", "werkzeug", "pyoxigraph", "astana_kg.server", "astana_kg.server.front")


def preload() -> None:
    """Import what every worker uses, and keep the garbage collector off it."""
    import importlib

    for name in SHARED_MODULES:
        importlib.import_module(name)
    gc.collect()
    gc.freeze()


def main() -> None:
    preload()
    from granian.cli import entrypoint

    sys.argv[0] = "granian"
    entrypoint()


if __name__ == "__main__":
    main()
