"""Shared fixtures: one build of the real project per test session, and throw-away copies of the
project for tests that break its input on purpose."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from astana_kg.build import build, project_root
from astana_kg.store import open_store

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
