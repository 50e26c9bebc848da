"""Where a build goes: ``build`` is a link to one complete build, switched in one rename; a
running server keeps the build it resolved at its start."""

import json
import os
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS

from astana_kg import build as build_module
from astana_kg import cli
from astana_kg.build import DUMP_NAME, INFO_NAME, STORE_NAME, write_build
from astana_kg.paths import builds_directory
from astana_kg.server import create_app

GRAPH = URIRef("https://w3id.org/astana-kg/graph/test")
THING = URIRef("https://w3id.org/astana-kg/id/thing")
LABEL = f"SELECT ?label WHERE {{ <{THING}> <{RDFS.label}> ?label }}"


def graphs(label: str) -> dict[URIRef, Graph]:
    """A one-triple dataset whose label tells the builds apart."""
    graph = Graph()
    graph.add((THING, RDFS.label, Literal(label)))
    return {GRAPH: graph}


def contents(directory: Path) -> str | None:
    """The label a complete build at ``directory`` holds (its store, dump and build info agree), or
    None where there is no complete build."""
    if not (directory / STORE_NAME).is_dir() or not (directory / INFO_NAME).is_file():
        return None
    info = json.loads((directory / INFO_NAME).read_text())
    dump = (directory / DUMP_NAME).read_bytes()
    assert info["quads"] == dump.count(b"\n")
    store = ox.Store.read_only(str(directory / STORE_NAME))
    return [solution["label"].value for solution in store.query(LABEL)][0]


def temporaries(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if any(f".{kind}-" in p.name for kind in ("tmp", "link", "old")))


def test_build_is_a_link_to_a_build_directory_kept_beside_it(tmp_path):
    out = tmp_path / "build"
    directory = write_build(out, graphs("first"), {})
    assert out.is_symlink() and out.resolve() == directory
    assert directory.parent == builds_directory(out) == tmp_path / ".build.builds"
    assert not Path(os.readlink(out)).is_absolute()  # the project can move with its builds
    assert contents(out) == "first"


def test_a_rebuild_moves_the_link_and_leaves_the_resolved_old_build_whole(tmp_path):
    out = tmp_path / "build"
    write_build(out, graphs("first"), {})
    resolved = out.resolve()
    write_build(out, graphs("second"), {})
    assert out.resolve() != resolved
    assert contents(out) == "second"
    assert contents(resolved) == "first"


def test_at_every_step_of_a_rebuild_the_link_names_a_complete_build_and_one_rename_switches_it(tmp_path, monkeypatch):
    # What a kill leaves is the state after the last step done: check the link after every step.
    out = tmp_path / "build"
    write_build(out, graphs("old"), {})
    steps = []

    def recorded(name, function):
        def step(*args, **kwargs):
            result = function(*args, **kwargs)
            steps.append((name, args, contents(out)))
            return result
        return step

    for name in ("mkdir", "rename", "replace", "symlink", "unlink", "rmdir"):
        monkeypatch.setattr(os, name, recorded(name, getattr(os, name)))
    write_build(out, graphs("new"), {})
    monkeypatch.undo()

    states = [state for _, _, state in steps]
    assert None not in states
    switches = [i for i in range(1, len(states)) if states[i] != states[i - 1]]
    assert states[0] == "old" and states[-1] == "new" and len(switches) == 1
    name, args, _ = steps[switches[0]]
    assert name == "replace" and Path(args[1]) == out


def test_an_error_while_writing_keeps_the_served_build_and_leaves_no_temporary(tmp_path, monkeypatch):
    out = tmp_path / "build"
    first = write_build(out, graphs("first"), {})

    def fail(dump):
        raise OSError("disk full")

    monkeypatch.setattr(build_module.dumps, "build_downloads", fail)
    with pytest.raises(OSError, match="disk full"):
        write_build(out, graphs("second"), {})
    assert out.resolve() == first and contents(out) == "first"
    assert temporaries(tmp_path) == []
    assert sorted(p.name for p in builds_directory(out).iterdir() if not p.name.startswith(".")) == [first.name]


def test_a_build_keeps_the_build_it_replaces_and_removes_older_ones(tmp_path):
    out = tmp_path / "build"
    first = write_build(out, graphs("first"), {})
    second = write_build(out, graphs("second"), {})
    third = write_build(out, graphs("third"), {})
    kept = sorted(p for p in builds_directory(out).iterdir() if not p.name.startswith("."))
    assert kept == sorted([second, third])
    assert not first.exists()
    assert contents(second) == "second" and contents(out) == "third"


def test_a_build_directory_of_an_older_version_is_replaced_by_the_link_and_kept_as_the_previous_build(tmp_path):
    out = tmp_path / "build"
    shutil.copytree(write_build(tmp_path / "elsewhere", graphs("plain"), {}), out)
    assert out.is_dir() and not out.is_symlink()
    new = write_build(out, graphs("linked"), {})
    assert out.is_symlink() and out.resolve() == new and contents(out) == "linked"
    [previous] = [p for p in builds_directory(out).iterdir() if not p.name.startswith(".") and p != new]
    assert contents(previous) == "plain"
    assert temporaries(tmp_path) == []


def test_an_output_that_is_a_file_is_an_error_with_status_2_before_anything_is_built(project_copy, capsys):
    out = project_copy / "build"
    out.write_text("not a build\n")
    status = cli.main(["build", "--root", str(project_copy), "--out", str(out)])
    assert status == 2
    assert f"error: NotADirectoryError: {out} is a file, not a build" in capsys.readouterr().err
    assert out.read_text() == "not a build\n"
    assert not builds_directory(out).exists()


def test_a_server_serves_the_build_it_resolved_at_its_start_after_a_rebuild(tmp_path):
    out = tmp_path / "build"
    first = write_build(out, graphs("first"), {})
    app = create_app({"BUILD_DIR": str(out), "EAGER": True, "QUERY_WORKERS": 1, "TESTING": True})
    endpoint = app.extensions["astana_kg"]()
    try:
        client = app.test_client()
        started_with = client.get("/health").json["build"]
        write_build(out, graphs("second"), {})
        assert contents(out) == "second"
        assert client.get("/health").json["build"] == started_with
        answer = client.get("/sparql", query_string={"query": LABEL})
        assert [b["label"]["value"] for b in answer.json["results"]["bindings"]] == ["first"]
        # A query process started now (one that replaces another) opens the path it is handed.
        assert endpoint.build_dir == first
        assert Path(endpoint.store_path) == first / STORE_NAME
        assert contents(Path(endpoint.store_path).parent) == "first"
    finally:
        endpoint.close()
