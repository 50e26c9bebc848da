#!/usr/bin/env python3
"""Set up and run astana-kg with nothing but Python 3.11+.

    python3 dev.py run    install into .venv, build the graph, and serve it on http://127.0.0.1:8000/
    python3 dev.py test   install into .venv (with test tools) and run the whole test suite, in parallel

Both create the virtual environment .venv on first use and install the project into it
(editable, so that the package reads ontology/, data/ and shapes/ from this checkout).
Extra arguments after `test` go to pytest (`-n 0` runs the tests in one process); after `run`,
to `astana-kg serve`.

Each step says what it runs and how long it took. A step whose inputs did not change since it
last ran is skipped: the pip install (pyproject.toml and the packages in .venv), each `npm ci`
(its package-lock.json) and the build (the files it reads and the code that builds them). What
each step last ran on is kept in .venv/dev-stamps.json; delete it to redo every step.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMPS = VENV / "dev-stamps.json"
WEB = ROOT / "server" / "astana_kg" / "web"
TEST_CLIENTS = ROOT / "tests" / "js"

#: What `astana-kg build` reads: its input directories, the offline Wikidata cache, and the
#: package's own modules (not the web server's, nor the page's files).
BUILD_INPUTS = ("ontology", "data", "shapes", "queries", "var/wikidata-cache.nq", "server/astana_kg/*.py",
                "server/astana_kg/pipeline/*.py", "server/astana_kg/query/*.py")
#: pytest's options for the whole suite: one worker more than there are cores (at most 4), since
#: many tests spend part of their time waiting on a server, a browser or a client they started;
#: a test module's tests on one worker (they share the module's server and browser), handed out in
#: the order the suite collects them (the slowest modules first: see tests/conftest.py).
PARALLEL = ("-n", str(min(4, (os.cpu_count() or 1) + 1)), "--dist", "loadfile", "--no-loadscope-reorder")


def sh(*command: str | Path) -> None:
    print("+", " ".join(str(c) for c in command), flush=True)
    subprocess.run([str(c) for c in command], cwd=ROOT, check=True)


@contextlib.contextmanager
def step(what: str):
    """Say that ``what`` runs, then how long it took (or that it failed, and after how long)."""
    print(f"dev.py: {what} ...", flush=True)
    started = time.monotonic()
    try:
        yield
    except BaseException:
        print(f"dev.py: {what}: failed after {time.monotonic() - started:.1f} s", flush=True)
        raise
    print(f"dev.py: {what}: done in {time.monotonic() - started:.1f} s", flush=True)


def up_to_date(what: str, why: str) -> None:
    print(f"dev.py: {what}: up to date ({why}), skipped", flush=True)


def files_digest(root: Path, patterns: tuple[str, ...]) -> str:
    """A SHA-256 over the names and contents of the files that ``patterns`` name under ``root``
    (a directory stands for every file in it); a pattern that names nothing counts as absent."""
    digest = hashlib.sha256()
    for pattern in patterns:
        paths = sorted(root.glob(pattern))
        files = sorted({f for p in paths for f in ([p] if p.is_file() else p.rglob("*"))
                        if f.is_file() and "__pycache__" not in f.parts})
        digest.update(f"{pattern}:{len(files)}\0".encode())
        for path in files:
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def installed_packages() -> str:
    """A SHA-256 over the names (with versions) of the distributions installed in .venv."""
    found = sorted(p.relative_to(VENV).as_posix() for pattern in ("lib/python*/site-packages/*.dist-info",
                                                                  "Lib/site-packages/*.dist-info")
                   for p in VENV.glob(pattern))
    return hashlib.sha256("\n".join(found).encode()).hexdigest()


def read_stamps() -> dict:
    try:
        return json.loads(STAMPS.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def write_stamp(name: str, value) -> None:
    """Record what step ``name`` last ran on (written whole, then renamed into place)."""
    stamps = read_stamps()
    stamps[name] = value
    partial = STAMPS.with_name(f".{STAMPS.name}.{os.getpid()}")
    partial.write_text(json.dumps(stamps, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(partial, STAMPS)


def install(extras: str = "") -> None:
    """pip install the project (editable, with ``extras``) into .venv, unless pyproject.toml and
    the installed packages are as they were after an install that had these extras."""
    if sys.version_info < (3, 11):
        sys.exit(f"astana-kg needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        with step(f"creating the virtual environment {VENV}"):
            venv.create(VENV, with_pip=True)
    target = f".[{extras}]" if extras else "."
    wanted = {extras} - {""}
    pyproject = files_digest(ROOT, ("pyproject.toml",))
    last = read_stamps().get("install", {})
    unchanged = last.get("pyproject") == pyproject and last.get("packages") == installed_packages()
    if unchanged and wanted <= set(last.get("extras", [])):
        up_to_date(f"pip install -e {target}", "pyproject.toml and the packages in .venv are unchanged")
        return
    with step(f"pip install -e {target}"):
        sh(BIN / "python", "-m", "pip", "install", "--disable-pip-version-check", "-e", target)
    extras_installed = sorted(wanted | (set(last.get("extras", [])) if unchanged else set()))
    write_stamp("install", {"pyproject": pyproject, "packages": installed_packages(), "extras": extras_installed})


def npm_ci(directory: Path, ready: Path, then=None) -> None:
    """`npm ci` in ``directory`` (and ``then()``), unless ``ready`` exists and package-lock.json is
    unchanged since the last time."""
    name = f"npm ci --prefix {directory.relative_to(ROOT)}"
    lock = files_digest(directory, ("package-lock.json",))
    if ready.exists() and read_stamps().get(name) == lock:
        up_to_date(name, "package-lock.json is unchanged")
        return
    with step(name):
        sh("npm", "ci", "--prefix", directory, "--no-audit", "--no-fund")
        if then:
            then()
    write_stamp(name, lock)


def apt_install(*packages: str) -> None:
    """Install Debian packages (as root, with apt-get); say what is missing otherwise."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.exit(f"dev.py: needs the Debian packages {' '.join(packages)}; install them as root")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    with step(f"apt-get install {' '.join(packages)}"):
        subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages], check=True, env=env)


def install_web() -> None:
    """The web page's editor (YASGUI, from npm), copied into the package's static files."""
    if not shutil.which("npm"):
        apt_install("nodejs", "npm")
    npm_ci(WEB, WEB / "static" / "vendor" / "yasgui" / "VERSION", then=lambda: sh(sys.executable, WEB / "vendor.py"))


def install_test_clients() -> None:
    """Third-party clients the tests drive (Comunica, from npm)."""
    npm_ci(TEST_CLIENTS, TEST_CLIENTS / "node_modules" / ".bin" / "comunica-sparql")


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


def install_virtuoso() -> None:
    """OpenLink Virtuoso from Debian, the external SPARQL engine `serve --store` is tested against."""
    if not shutil.which("virtuoso-t") or not shutil.which("isql-vt"):
        apt_install("virtuoso-opensource")


def build() -> None:
    """`astana-kg build`, unless the link ``build`` still names the build made from the same
    inputs, code and packages as now."""
    inputs = hashlib.sha256((files_digest(ROOT, BUILD_INPUTS) + installed_packages()).encode()).hexdigest()
    link = ROOT / "build"
    current = link.resolve()
    last = read_stamps().get("build", {})
    if last.get("inputs") == inputs and last.get("directory") == str(current) \
            and (current / "store").is_dir() and (current / "build-info.json").is_file():
        up_to_date("astana-kg build", "its input files, code and packages are unchanged")
        return
    with step("astana-kg build"):
        sh(BIN / "astana-kg", "build")
    write_stamp("build", {"inputs": inputs, "directory": str(link.resolve())})


def keep_bytecode() -> None:
    """Compiled modules go to ``.venv/pycache`` (PYTHONPYCACHEPREFIX), also where the environment
    sets PYTHONDONTWRITEBYTECODE: every process the commands start (the build, the server and its
    workers and query processes, each test worker) then reads the package's and the tests' bytecode
    instead of compiling them again, and the checkout holds no ``__pycache__``."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(VENV / "pycache")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test"):
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    keep_bytecode()
    try:
        if command == "run":
            install()
            install_web()
            build()
            print("dev.py: astana-kg serve (Ctrl-C stops it)", flush=True)
            os.execv(str(BIN / "astana-kg"), [str(BIN / "astana-kg"), "serve", *rest])
        install("test")
        install_web()
        install_test_clients()
        install_browser()
        install_java()
        install_virtuoso()
        pytest = [str(BIN / "python"), "-m", "pytest", *PARALLEL, *rest]
        print("+", " ".join(pytest), flush=True)
        return subprocess.run(pytest, cwd=ROOT).returncode
    except subprocess.CalledProcessError as error:
        return error.returncode or 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
