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
import shutil
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


WEB = ROOT / "server" / "astana_kg" / "web"


def apt_install(*packages: str) -> None:
    """Install Debian packages (as root, with apt-get); say what is missing otherwise."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.exit(f"dev.py: needs the Debian packages {' '.join(packages)}; install them as root")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages], check=True, env=env)


def install_web() -> None:
    """The web page's editor (YASGUI, from npm), copied into the package's static files."""
    if not shutil.which("npm"):
        apt_install("nodejs", "npm")
    if not (WEB / "static" / "vendor" / "yasgui" / "VERSION").is_file():
        sh("npm", "ci", "--prefix", WEB, "--no-audit", "--no-fund")
        sh(sys.executable, WEB / "vendor.py")


TEST_CLIENTS = ROOT / "tests" / "js"


def install_test_clients() -> None:
    """Third-party clients the tests drive (Comunica, from npm)."""
    if not (TEST_CLIENTS / "node_modules" / ".bin" / "comunica-sparql").exists():
        sh("npm", "ci", "--prefix", TEST_CLIENTS, "--no-audit", "--no-fund")


def install_browser() -> None:
    """Headless Chromium and its driver from Debian, for the browser tests, curl, a client they use,
    and HAProxy, the balancer in front of the read replicas."""
    missing = [] if Path("/usr/bin/chromium").exists() and Path("/usr/bin/chromedriver").exists() \
        else ["chromium", "chromium-driver"]
    missing += [] if shutil.which("curl") else ["curl"]
    missing += [] if shutil.which("haproxy") or Path("/usr/sbin/haproxy").exists() else ["haproxy"]  # the replica tests
    if missing:
        apt_install(*missing)


def install_java() -> None:
    """A Java runtime from Debian, for the OWL API profile checks (the jar ships with owlready2)."""
    if not shutil.which("java"):
        apt_install("default-jre-headless")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test"):
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    try:
        if command == "run":
            install()
            install_web()
            sh(BIN / "astana-kg", "build")
            os.execv(str(BIN / "astana-kg"), [str(BIN / "astana-kg"), "serve", *rest])
        install("test")
        install_web()
        install_test_clients()
        install_browser()
        install_java()
        result = subprocess.run([str(BIN / "python"), "-m", "pytest", *rest], cwd=ROOT)
        return result.returncode
    except subprocess.CalledProcessError as error:
        return error.returncode or 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
