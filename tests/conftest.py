"""Shared fixtures: one build of the real project per test session (per worker, when pytest-xdist
runs the tests in parallel), and throw-away copies of the project for tests that break its input
on purpose.

Nothing here writes into the checkout: the package's doctests, which open the project's default
build (``astana_kg.open()``), see a project directory whose build is the session's. A test
marked ``alone`` runs while the other workers wait.
"""

from __future__ import annotations

import shutil
import sys
from collections import Counter
from pathlib import Path

import pytest
from _pytest.doctest import DoctestItem

from astana_kg.pipeline.build import build, project_root
from astana_kg.pipeline.cache import cache_directory
from astana_kg.query.store import open_store

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from helpers_browser import headless_chromium, skip_without_chromium  # noqa: E402
from helpers_comunica import Comunica  # noqa: E402
from helpers_server import astana_kg_server, turn  # noqa: E402

ROOT = project_root()
INPUT_DIRS = ("ontology", "data", "shapes", "queries")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def store(built):
    return open_store(built.out)


def project_view(built, directory: Path) -> Path:
    """``directory`` made a project directory that reads the project's inputs (linked) and whose
    default build (the link ``build``) is ``built``."""
    for name in INPUT_DIRS:
        (directory / name).symlink_to(ROOT / name, target_is_directory=True)
    (directory / "build").symlink_to(built.out, target_is_directory=True)
    return directory


class SessionBuild:
    """The session's build, for the tests and for the package's doctests alike: registered as a
    plugin, since a conftest's fixtures reach only the tests below it."""

    @pytest.fixture(scope="session")
    @classmethod
    def built(cls, tmp_path_factory):
        """The result of building the real project (graphs in memory, store and dump on disk)."""
        out = tmp_path_factory.mktemp("build") / "build"
        return build(out, ROOT)

    @pytest.fixture(scope="session")
    @classmethod
    def doctest_project(cls, built, tmp_path_factory) -> Path:
        return project_view(built, tmp_path_factory.mktemp("project"))

    @pytest.fixture(autouse=True)
    @classmethod
    def doctests_open_the_session_build(cls, request):
        """A doctest's ``astana_kg.open()`` opens the session's build, not the checkout's ``build``
        (which it would otherwise make, and which other test processes would make at the same time)."""
        if isinstance(request.node, DoctestItem):
            project = request.getfixturevalue("doctest_project")
            request.getfixturevalue("monkeypatch").setenv("ASTANA_KG_ROOT", str(project))


def pytest_configure(config):
    config.pluginmanager.register(SessionBuild(), "astana-kg-session-build")


#: The test modules that take longest (each 15 s or more on one worker of the whole suite), longest
#: first. pytest-xdist hands out whole modules in the order they are collected (``dev.py`` turns off
#: its own reordering, by number of tests): started first, none of them is left running alone at
#: the end while the other workers have nothing to do. The list only orders the modules.
SLOWEST_FIRST = ("test_reasoning", "test_safety_availability", "test_incremental", "test_federation",
                 "test_fragments", "test_web_page", "test_json_api", "test_ontology_checks",
                 "test_draft_quality", "test_draft_command")


def pytest_collection_modifyitems(items):
    """Every test has a node id of its own: pytest-xdist hands tests to its workers by node id, and
    schemathesis names the tests of all the operations of an API with the same one (under pytest-xdist
    one of them would run, the others not at all). The slowest modules come first."""
    count = Counter(item.nodeid for item in items)
    for item in items:
        if count[item.nodeid] > 1:
            item._id = type(item.parent.id).parse(f"{item.parent.nodeid}::{item.name}")  # pytest 9's NodeId
    rank = {name: index for index, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.stem if item.path.parent.name == "tests" else "",
                                         len(SLOWEST_FIRST)))  # a stable sort: each module's order kept


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Under pytest-xdist, a test marked ``alone`` (it times how fast something answers) runs, with
    the set-up and tear-down of its fixtures, while no other worker runs a test."""
    if not hasattr(item.config, "workerinput"):
        return (yield)
    with turn(Path(item.config.option.basetemp).parent, alone=item.get_closest_marker("alone") is not None):
        return (yield)


@pytest.fixture
def project_copy(tmp_path, built) -> Path:
    """A copy of the project's inputs that a test may break, with a copy of the session build's
    cache where its build (``build``) looks for one: the cache is keyed by content (and a claim
    file's name), so a build of the copy redoes what the test changed and takes the rest from the
    cache, as a user's rebuild does."""
    for name in INPUT_DIRS:
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copytree(cache_directory(built.link), cache_directory(tmp_path / "build"))
    return tmp_path


@pytest.fixture(scope="module")
def server(built):
    """`astana-kg serve` over the session's build, as users run it; its base URL."""
    with astana_kg_server(built.out) as base:
        yield base


@pytest.fixture(scope="session")
def comunica():
    """Comunica, loaded once per test process: ``comunica(sources, query)`` (see helpers_comunica)."""
    engine = Comunica()
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Chromium (skipped without it, except in CI, where that fails)."""
    skip_without_chromium()
    with headless_chromium(tmp_path_factory.mktemp("chromium-profile"), tmp_path_factory.mktemp("chromedriver")) as driver:
        yield driver
