"""Where a build goes: ``build`` is a link to one complete build, switched in one rename; a
running server keeps the build it resolved at its start; killed builds leave nothing behind for
long."""

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS

import astana_kg
from astana_kg.pipeline import build as build_module
from astana_kg import cli
from astana_kg.pipeline.build import DUMP_NAME, INFO_NAME, STORE_NAME, InvalidInput, build, write_build
from astana_kg.paths import builds_directory
from astana_kg.http import create_app

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
    return sorted(p.name for p in parent.iterdir() if any(f".{kind}-" in p.name for kind in ("tmp", "link", "old", "checks", "union")))


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

    def fail(dump, directory, previous=None, groups=None, unchanged=frozenset()):
        raise OSError("disk full")

    monkeypatch.setattr(build_module.dumps, "write_downloads", fail)
    with pytest.raises(OSError, match="disk full"):
        write_build(out, graphs("second"), {})
    assert out.resolve() == first and contents(out) == "first"
    assert temporaries(tmp_path) == []
    assert sorted(p.name for p in builds_directory(out).iterdir() if not p.name.startswith(".")) == [first.name]



def test_the_store_is_loaded_while_the_downloads_are_written(tmp_path, monkeypatch):
    downloading, seen = threading.Event(), []
    load_store, write_downloads = build_module._load_store, build_module.dumps.write_downloads

    def loading(*args):  # finishes only once the downloads have begun (or a minute went by)
        seen.append((threading.current_thread() is not threading.main_thread(), downloading.wait(60)))
        return load_store(*args)

    def downloads(*args, **kwargs):
        downloading.set()
        return write_downloads(*args, **kwargs)

    monkeypatch.setattr(build_module, "_load_store", loading)
    monkeypatch.setattr(build_module.dumps, "write_downloads", downloads)
    directory = write_build(tmp_path / "build", graphs("first"), {})
    assert seen == [(True, True)] and contents(directory) == "first"


def test_an_error_while_loading_the_store_keeps_the_served_build_and_leaves_no_temporary(tmp_path, monkeypatch):
    out = tmp_path / "build"
    first = write_build(out, graphs("first"), {})
    written = []

    def fail(path, dump, defaults, extra_quads):
        raise OSError("disk full")

    def downloads(*args, **kwargs):
        written.append(args[1])
        return write_downloads(*args, **kwargs)

    write_downloads = build_module.dumps.write_downloads
    monkeypatch.setattr(build_module, "_load_store", fail)
    monkeypatch.setattr(build_module.dumps, "write_downloads", downloads)
    with pytest.raises(OSError, match="disk full"):
        write_build(out, graphs("second"), {})
    assert len(written) == 1  # the downloads were made, and the store's error raised after them
    assert out.resolve() == first and contents(out) == "first"
    assert temporaries(tmp_path) == []
    assert sorted(p.name for p in builds_directory(out).iterdir() if not p.name.startswith(".")) == [first.name]

KILLED_BUILD = """
import sys
import threading
from pathlib import Path
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS
from astana_kg.pipeline import build

stored, load_store = threading.Event(), build._load_store

def loaded(*args):
    load_store(*args)
    stored.set()

def stall(dump, directory, previous=None, groups=None, unchanged=frozenset()):
    # the dump and the store are written: say so, then wait to be killed
    stored.wait()
    print("writing", flush=True)
    sys.stdin.read()

build._load_store = loaded
build.dumps.write_downloads = stall
graph = Graph()
graph.add((URIRef("https://w3id.org/astana-kg/id/thing"), RDFS.label, Literal("killed")))
build.write_build(Path(sys.argv[1]), {URIRef("https://w3id.org/astana-kg/graph/test"): graph}, {})
"""


def test_a_build_killed_while_writing_leaves_the_old_build_served_and_the_next_build_removes_its_temporary(tmp_path):
    out = tmp_path / "build"
    first = write_build(out, graphs("first"), {})
    env = dict(os.environ, PYTHONPATH=str(Path(astana_kg.__file__).resolve().parents[1]))
    child = subprocess.Popen([sys.executable, "-c", KILLED_BUILD, str(out)], env=env, text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = child.stdout.readline()
        assert line == "writing\n", child.stderr.read() if not line else line
        assert (tmp_path / f".build.tmp-{child.pid}" / STORE_NAME).is_dir()
    finally:
        child.kill()
        child.wait(timeout=60)
        for stream in (child.stdin, child.stdout, child.stderr):
            stream.close()
    assert temporaries(tmp_path) == [f".build.tmp-{child.pid}"]
    assert out.resolve() == first and contents(out) == "first"
    write_build(out, graphs("second"), {})
    assert temporaries(tmp_path) == []
    assert contents(out) == "second"


def test_a_build_first_removes_the_temporaries_of_dead_builds_and_keeps_those_of_running_ones(project_copy):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    dead_pid = int(dead.stdout)
    running = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        for name in (f".build.tmp-{dead_pid}", f".build.old-{dead_pid}", f".build.tmp-{running.pid}",
                     f".build.checks-{dead_pid}", f".build.checks-{running.pid}", f".build.union-{dead_pid}"):
            (project_copy / name / STORE_NAME).mkdir(parents=True)
        os.symlink("nowhere", project_copy / f".build.link-{dead_pid}")
        (project_copy / ".other.tmp-1").mkdir()  # another output's: not this build's to judge
        (project_copy / "ontology" / "astana-kg.ttl").write_text("not Turtle\n")
        with pytest.raises(InvalidInput):  # even a build that stops at once clears the dead ones
            build(project_copy / "build", project_copy)
        assert temporaries(project_copy) == [f".build.checks-{running.pid}", f".build.tmp-{running.pid}",
                                             ".other.tmp-1"]
    finally:
        running.stdin.close()
        running.wait(timeout=60)


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
