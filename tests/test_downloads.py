"""The downloads beside the dump: the TriG of the whole graph, written a graph at a time, is the
TriG of one serialization; a build that reuses the files of the graphs an earlier build wrote
from the same lines writes the bytes of a build that serializes everything again."""

import json
from pathlib import Path
from unittest import mock

import pyoxigraph as ox
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from astana_kg.pipeline import dumps
from astana_kg.paths import DUMP_NAME, INFO_NAME

EXAMPLES = settings(max_examples=60, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

ID, RDFS = "https://w3id.org/astana-kg/id/", "http://www.w3.org/2000/01/rdf-schema#"
IRIS = st.sampled_from([ox.NamedNode(iri) for iri in (ID + "a", ID + "b-c", ID + "x/y", "urn:x:a", RDFS + "label")])
TEXTS = st.sampled_from(["x", 'say "x"', "x\ny", "é", "\U0001d538", "", "a {b} ."])
LITERALS = st.one_of(st.builds(ox.Literal, TEXTS), st.builds(lambda text: ox.Literal(text, language="en"), TEXTS),
                     st.builds(lambda text: ox.Literal(text, datatype=ox.NamedNode("urn:x:type")), TEXTS))
BLANKS = st.sampled_from([ox.BlankNode("b1"), ox.BlankNode("b2")])
GRAPHS = st.sampled_from([ox.NamedNode(dumps.GRAPH_PREFIX + name) for name in ("source/000", "source/001", "labels", "x/y")])
QUADS = st.builds(ox.Quad, st.one_of(IRIS, BLANKS), IRIS, st.one_of(IRIS, LITERALS, BLANKS), GRAPHS)


def dump_of(quads) -> bytes:
    """A build's dump of ``quads``: their N-Quads lines, sorted, once each."""
    lines = {f"{quad} .\n".encode() for quad in quads}
    return b"".join(sorted(lines)) or b"\n"


def files(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


def write(dump: bytes, directory: Path, previous: Path | None = None, **given) -> dict:
    """Write the downloads of ``dump`` as a build does: the dump, the downloads, the build info."""
    directory.mkdir()
    (directory / DUMP_NAME).write_bytes(dump)
    manifest = dumps.write_downloads(dump, directory, previous, **given)
    (directory / INFO_NAME).write_text(json.dumps({"downloads": manifest}, sort_keys=True))
    return manifest


@EXAMPLES
@given(quads=st.lists(QUADS, max_size=25))
def test_the_trig_written_a_graph_at_a_time_is_the_trig_of_one_serialization(quads, tmp_path_factory):
    directory = tmp_path_factory.mktemp("downloads")
    dump = dump_of(quads)
    manifest = write(dump, directory / "build")
    by_graph = sorted(ox.parse(dump, format=ox.RdfFormat.N_QUADS), key=lambda quad: quad.graph_name.value)  # stable
    in_one = ox.serialize(by_graph, format=ox.RdfFormat.TRIG, prefixes=dumps.PREFIXES) if quads else b""
    trig = (directory / "build" / dumps.TRIG_NAME).read_bytes()
    assert trig == in_one
    assert manifest[dumps.TRIG_NAME]["bytes"] == len(trig)
    assert set(ox.parse(trig, format=ox.RdfFormat.TRIG)) == set(ox.parse(dump, format=ox.RdfFormat.N_QUADS))


@EXAMPLES
@given(before=st.lists(QUADS, max_size=25), after=st.lists(QUADS, max_size=25))
def test_a_build_that_reuses_the_unchanged_graphs_of_the_last_writes_the_bytes_of_one_that_does_not(
        before, after, tmp_path_factory):
    directory = tmp_path_factory.mktemp("downloads")
    write(dump_of(before), directory / "last")
    reused = write(dump_of(after), directory / "reused", directory / "last")
    fresh = write(dump_of(after), directory / "fresh")
    assert reused == fresh
    assert files(directory / "reused") == files(directory / "fresh")


@EXAMPLES
@given(before=st.lists(QUADS, max_size=25), after=st.lists(QUADS, max_size=25))
def test_downloads_given_the_lines_by_graph_and_which_are_the_last_dumps_are_those_made_without(
        before, after, tmp_path_factory):
    """What the dump's writer knows (its lines by graph; the graphs whose lines it took from the
    last dump, whose digest is then not made again) changes no byte."""
    directory = tmp_path_factory.mktemp("downloads")
    write(dump_of(before), directory / "last")
    old, new = dumps._lines_by_graph(dump_of(before)), dumps._lines_by_graph(dump_of(after))
    unchanged = frozenset(graph for graph, lines in new.items() if old.get(graph) == lines)
    told = write(dump_of(after), directory / "told", directory / "last", groups=new, unchanged=unchanged)
    fresh = write(dump_of(after), directory / "fresh")
    assert told == fresh
    assert files(directory / "told") == files(directory / "fresh")


def test_the_turtle_of_an_unchanged_graph_is_the_last_builds_file_and_a_changed_one_is_written_anew(tmp_path):
    keep, change = (ox.NamedNode(dumps.GRAPH_PREFIX + name) for name in ("source/000", "source/001"))
    label = ox.NamedNode(RDFS + "label")
    before = [ox.Quad(ox.NamedNode(ID + "a"), label, ox.Literal("a"), keep),
              ox.Quad(ox.NamedNode(ID + "b"), label, ox.Literal("b"), change)]
    write(dump_of(before), tmp_path / "last")
    write(dump_of(before[:1] + [ox.Quad(ox.NamedNode(ID + "b"), label, ox.Literal("B"), change)]),
          tmp_path / "next", tmp_path / "last")
    kept, changed = (dumps.graph_file_name(graph.value) for graph in (keep, change))
    assert (tmp_path / "next" / kept).stat().st_ino == (tmp_path / "last" / kept).stat().st_ino
    assert (tmp_path / "next" / changed).stat().st_ino != (tmp_path / "last" / changed).stat().st_ino
    assert b'"B"' in (tmp_path / "next" / changed).read_bytes()
    assert b'"B"' in (tmp_path / "next" / dumps.TRIG_NAME).read_bytes()


def test_the_downloads_of_a_build_without_its_parts_file_are_all_written_anew(tmp_path):
    quad = ox.Quad(ox.NamedNode(ID + "a"), ox.NamedNode(RDFS + "label"), ox.Literal("a"),
                   ox.NamedNode(dumps.GRAPH_PREFIX + "source/000"))
    write(dump_of([quad]), tmp_path / "last")
    (tmp_path / "last" / dumps.PARTS_NAME).unlink()
    write(dump_of([quad]), tmp_path / "next", tmp_path / "last")
    write(dump_of([quad]), tmp_path / "fresh")
    name = dumps.graph_file_name(quad.graph_name.value)
    assert (tmp_path / "next" / name).stat().st_nlink == 1
    assert files(tmp_path / "next") == files(tmp_path / "fresh")


@EXAMPLES
@given(quads=st.lists(QUADS, max_size=25), size=st.integers(1, 200))
def test_the_downloads_written_from_the_dumps_file_are_those_written_from_its_bytes(quads, size, tmp_path_factory):
    """A build without a last build to compare with reads its dump from the file, a part at a time."""
    from astana_kg.pipeline import rdftext

    root, dump = tmp_path_factory.mktemp("downloads"), dump_of(quads)
    from_bytes = write(dump, root / "bytes")
    (root / "file").mkdir()
    (root / "file" / DUMP_NAME).write_bytes(dump)
    with mock.patch.object(rdftext, "LOAD_CHUNK_BYTES", size):  # parts of a few lines
        from_file = dumps.write_downloads(root / "file" / DUMP_NAME, root / "file")
    (root / "file" / INFO_NAME).write_text(json.dumps({"downloads": from_file}, sort_keys=True))
    assert from_file == from_bytes
    assert files(root / "file") == files(root / "bytes")
