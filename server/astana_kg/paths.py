"""Where things are: the project directory and the names of a build's parts."""

from __future__ import annotations

import os
from pathlib import Path

#: The public base of every IRI of the graph.
BASE = "https://w3id.org/astana-kg/"

DUMP_NAME = "astana-kg.nq"
STORE_NAME = "store"
INFO_NAME = "build-info.json"


def project_root() -> Path:
    """The project directory: ``$ASTANA_KG_ROOT`` or the checkout this package lives in."""
    env = os.environ.get("ASTANA_KG_ROOT")
    return Path(env).resolve() if env else Path(__file__).resolve().parents[2]


def builds_directory(out: Path) -> Path:
    """Where the builds live that the link ``out`` points at: ``.NAME.builds`` beside it.

    >>> builds_directory(Path("/srv/astana-kg/build"))
    PosixPath('/srv/astana-kg/.build.builds')
    """
    return out.parent / f".{out.name}.builds"
