#!/usr/bin/env python3
"""Set up and run astana-kg with nothing but Python 3.11+.

    python3 dev.py run    install into .venv, build the graph, and serve it on http://127.0.0.1:8000/
    python3 dev.py test   install into .venv (with test tools) and run the whole test suite

Both create the virtual environment .venv on first use and install the project into it
(editable, so that the package reads ontology/, data/ and shapes/ from this checkout).
Extra arguments after `test` go to pytest; after `run`, to `astana-kg serve`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def sh(*command: str | Path) -> None:
    print("+", " ".join(str(c) for c in command), flush=True)
    subprocess.run([str(c) for c in command], cwd=ROOT, check=True)


def install(extras: str = "") -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"astana-kg needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        venv.create(VENV, with_pip=True)
    target = f".[{extras}]" if extras else "."
    sh(BIN / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", target)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test"):
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    try:
        if command == "run":
            install()
            sh(BIN / "astana-kg", "build")
            os.execv(str(BIN / "astana-kg"), [str(BIN / "astana-kg"), "serve", *rest])
        install("test")
        result = subprocess.run([str(BIN / "python"), "-m", "pytest", *rest], cwd=ROOT)
        return result.returncode
    except subprocess.CalledProcessError as error:
        return error.returncode or 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
