"""Shared fixtures: one build of the real project per test session, and throw-away copies of the
project for tests that break its input on purpose."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from astana_kg.build import build, project_root
from astana_kg.store import open_store

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from helpers_browser import headless_chromium, skip_without_chromium  # noqa: E402
from helpers_server import astana_kg_server  # noqa: E402

ROOT = project_root()
INPUT_DIRS = ("ontology", "data", "shapes", "queries")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The result of building the real project (graphs in memory, store and dump on disk)."""
    out = tmp_path_factory.mktemp("build") / "build"
    return build(out, ROOT)


@pytest.fixture(scope="session")
def store(built):
    return open_store(built.out)


@pytest.fixture
def project_copy(tmp_path) -> Path:
    """A copy of the project's inputs that a test may break."""
    for name in INPUT_DIRS:
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path


@pytest.fixture(scope="module")
def server(built):
    """`astana-kg serve` over the session's build, as users run it; its base URL."""
    with astana_kg_server(built.out) as base:
        yield base


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Chromium (skipped without it, except in CI, where that fails)."""
    skip_without_chromium()
    with headless_chromium(tmp_path_factory.mktemp("chromium-profile"), tmp_path_factory.mktemp("chromedriver")) as driver:
        yield driver
