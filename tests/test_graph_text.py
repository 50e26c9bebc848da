"""The build's own ways with graphs and their text agree with the plain ones they stand for: the
store written once (``WrittenOnce``) with rdflib's Memory store, and the one-pass readings of a
sorted dump (its default graph, the lines two dumps do not share) with sets of its lines.

The terms are drawn to be hard on text: literals that begin with one another's text, language
tags and datatypes, spaces, quotes and angle brackets inside literals, blank nodes.
"""

from __future__ import annotations

from unittest import mock

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD

from astana_kg.pipeline.build import DRAFT_GRAPHS, default_graph_lines, default_graph_parts, sorted_difference
from astana_kg.pipeline.rdftext import WrittenOnce, dataset_store, sorted_nquads, to_oxigraph

EXAMPLES = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

IRIS = st.sampled_from([URIRef(f"urn:x:{name}") for name in ("a", "ab", "a-b", "b", "c")])
TEXTS = st.sampled_from(["x", "x y", "x y z", 'say "x"', "<urn:x:a>", "x <urn:g>", "", "é", "x\n", "Ā", "€", "\U0001d538"])  # 1 to 4 bytes of UTF-8
LITERALS = st.builds(lambda text, kind: Literal(text) if kind == "plain" else
                     Literal(text, lang="en") if kind == "en" else Literal(text, datatype=XSD.string)
                     if kind == "string" else Literal(text, datatype=XSD.token),
                     TEXTS, st.sampled_from(["plain", "en", "string", "token"]))
BLANKS = st.sampled_from([BNode("b1"), BNode("b2")])
SUBJECTS, OBJECTS = st.one_of(IRIS, BLANKS), st.one_of(IRIS, LITERALS, BLANKS)
TRIPLES = st.tuples(SUBJECTS, IRIS, OBJECTS)
GRAPH_NAMES = st.sampled_from([URIRef("urn:g:1"), URIRef("urn:g:2"), URIRef("urn:g:10"),
                               URIRef(DRAFT_GRAPHS + "001")])
QUADS = st.tuples(SUBJECTS, IRIS, OBJECTS, GRAPH_NAMES)
PATTERN_TERMS = st.one_of(st.none(), IRIS, LITERALS, BLANKS)


@EXAMPLES
@given(added=st.lists(TRIPLES, max_size=30), removed=st.lists(st.tuples(PATTERN_TERMS, PATTERN_TERMS, PATTERN_TERMS),
                                                               max_size=3),
       patterns=st.lists(st.tuples(PATTERN_TERMS, PATTERN_TERMS, PATTERN_TERMS), min_size=1, max_size=10))
def test_a_graph_written_once_answers_every_pattern_as_rdflibs_memory_store(added, removed, patterns):
    ours, theirs = Graph(store=WrittenOnce()), Graph()
    ours += added
    theirs += added
    for pattern in patterns[:2]:  # a lookup before the removals makes an index they must drop
        list(ours.triples(pattern))
    for pattern in removed:
        ours.remove(pattern)
        theirs.remove(pattern)
    if added:  # and an addition after them
        ours.add(added[0])
        theirs.add(added[0])
    assert len(ours) == len(theirs)
    assert set(ours) == set(theirs)
    for pattern in patterns:
        assert set(ours.triples(pattern)) == set(theirs.triples(pattern)), pattern
        assert (pattern in ours) == (pattern in theirs)


def _graphs(quads) -> dict:
    """The quads as the build's graphs by name."""
    graphs: dict = {}
    for s, p, o, g in quads:
        graphs.setdefault(g, Graph(store=WrittenOnce())).add((s, p, o))
    return graphs


def _dump(quads) -> bytes:
    """A dump as the build writes it: the quads as pyoxigraph writes them, sorted, once each."""
    return sorted_nquads(_graphs(quads))


def _default_by_sets(dump: bytes, drafts: bool) -> bytes:
    draft = b"<" + DRAFT_GRAPHS.encode()
    triples = {parts[0] for parts in (line.rsplit(b" ", 2) for line in dump.splitlines() if line)
               if drafts or not parts[1].startswith(draft)}
    return b"".join(triple + b" .\n" for triple in sorted(triples))


@EXAMPLES
@given(quads=st.lists(QUADS, max_size=40), drafts=st.booleans())
def test_the_default_graph_read_in_one_pass_of_the_dump_is_the_sorted_set_of_its_triples(quads, drafts):
    dump = _dump(quads)
    assert default_graph_lines(dump, drafts=drafts) == _default_by_sets(dump, drafts)


@EXAMPLES
@given(quads=st.lists(QUADS, max_size=40), drafts=st.booleans(), size=st.integers(1, 400))
def test_the_default_graph_in_parts_is_its_lines_each_part_whole_lines_of_about_the_size_asked(quads, drafts, size):
    dump = _dump(quads)
    parts = list(default_graph_parts(dump, drafts=drafts, size=size))
    assert b"".join(parts) == _default_by_sets(dump, drafts)
    assert all(part.endswith(b"\n") for part in parts)
    # A part ends with the line that reaches the size: without that line, it is shorter.
    assert all(len(part[:part.rstrip(b"\n").rfind(b"\n") + 1]) < size for part in parts)


@EXAMPLES
@given(old=st.lists(TRIPLES, max_size=30), new=st.lists(TRIPLES, max_size=30))
def test_the_lines_two_sorted_dumps_do_not_share_are_their_set_differences(old, new):
    before, after = _dump([(*t, URIRef("urn:g:1")) for t in old]), _dump([(*t, URIRef("urn:g:1")) for t in new])
    removed, added = sorted_difference(before, after)
    lines_before, lines_after = set(before.splitlines()) - {b""}, set(after.splitlines()) - {b""}
    assert removed == sorted(lines_before - lines_after)
    assert added == sorted(lines_after - lines_before)


@EXAMPLES
@given(quads=st.lists(QUADS, max_size=40))
def test_the_dump_is_every_quad_once_in_the_order_of_its_lines(quads):
    graphs = _graphs(quads)
    lines = {ox.serialize([ox.Quad(*(to_oxigraph(t) for t in quad))], format=ox.RdfFormat.N_QUADS) for quad in quads}
    expected = b"".join(sorted(lines, key=lambda line: line.decode("utf-8"))) or b"\n"
    assert sorted_nquads(graphs) == expected


@EXAMPLES
@given(quads=st.lists(QUADS, max_size=40), chunk=st.integers(1, 8))
@example(quads=[(URIRef("urn:x:a"), URIRef("urn:x:b"), literal, URIRef("urn:g:1"))  # one line, in two runs
                for literal in (Literal("x"), Literal("x", datatype=XSD.string))], chunk=1)
def test_the_dump_written_to_a_file_a_part_at_a_time_is_the_dump_made_at_once(quads, chunk, tmp_path_factory):
    from astana_kg.pipeline import rdftext

    expected = sorted_nquads(_graphs(quads))
    path = tmp_path_factory.mktemp("dump") / "dump.nq"
    # parts and sorted runs of a few lines: a repeated line across two of them
    with mock.patch.multiple(rdftext, LOAD_CHUNK=chunk, SORT_RUN=max(1, chunk - 2)):
        rdftext.write_nquads(_graphs(quads), path)
    assert path.read_bytes() == expected
    assert [p.name for p in path.parent.iterdir()] == ["dump.nq"]  # the runs removed
    assert b"".join(rdftext.text_parts(path, chunk * 10)) == expected


@EXAMPLES
@given(quads=st.lists(QUADS, max_size=40))
@example(quads=[(URIRef("urn:x:a"), URIRef("urn:x:b"), literal, URIRef("urn:g:1"))  # one RDF term, one line
                for literal in (Literal("x"), Literal("x", datatype=XSD.string))])
def test_the_lines_of_each_graph_made_from_it_are_the_dumps_lines_of_that_graph(quads):
    from astana_kg.pipeline.dumps import _lines_by_graph
    from astana_kg.pipeline.rdftext import GraphLines

    graphs = _graphs(quads)
    graphs[URIRef("urn:g:empty")] = Graph(store=WrittenOnce())  # no lines: not one of the dump's graphs
    made = GraphLines(graphs)
    assert list(made.items()) == list(_lines_by_graph(sorted_nquads(graphs)).items())
    assert len(made) == len({quad[3] for quad in quads})


@EXAMPLES
@given(lines=st.lists(st.sampled_from([b"<urn:x:a>", b"<urn:x:b>", b"<urn:x:ab>", b'"x y"', b"\xc4\x80"]), max_size=30),
       chunk=st.integers(1, 8))
def test_sorted_lines_are_written_once_each_in_order_and_taken_from_the_list(lines, chunk):
    import io

    from astana_kg.pipeline import rdftext

    expected = b"".join(line + b"\n" for line in sorted(set(lines))) or b"\n"
    out, given_lines = io.BytesIO(), list(lines)
    with mock.patch.object(rdftext, "LOAD_CHUNK", chunk):
        rdftext.write_sorted_lines(given_lines, out)
    assert out.getvalue() == expected and given_lines == []


def test_lines_loaded_in_chunks_give_the_store_a_single_load_would(monkeypatch):
    from astana_kg.pipeline import rdftext

    lines = [f"<urn:x:s{n}> <urn:x:p> \"{n}\" ." for n in range(25)] + ["<urn:x:s0> <urn:x:p> _:b1 ."]
    whole = ox.Store()
    rdftext.load_lines(whole, lines, ox.RdfFormat.N_TRIPLES)
    monkeypatch.setattr(rdftext, "LOAD_CHUNK", 7)
    chunked = ox.Store()
    rdftext.load_lines(chunked, lines, ox.RdfFormat.N_TRIPLES)
    assert len(chunked) == len(whole) == 26
    assert set(map(str, chunked)) == set(map(str, whole))


def test_a_text_loaded_in_parts_gives_the_store_a_single_load_would(monkeypatch):
    from astana_kg.pipeline import rdftext

    text = "".join(f"<urn:x:s{n}> <urn:x:p> \"{'y' * (n % 5)}\" <urn:x:g{n % 3}> .\n" for n in range(40)).encode()
    whole = ox.Store()
    whole.bulk_load(text, format=ox.RdfFormat.N_QUADS)
    for size in (1, 7, 45, 46, 47, 200, len(text) - 1, len(text), 10 * len(text)):  # inside a line, at its end, past it
        monkeypatch.setattr(rdftext, "LOAD_CHUNK_BYTES", size)
        store = _LoadsRecorded()
        rdftext.bulk_load_text(store, text)
        assert b"".join(store.parts) == text
        # Each part ends at the end of the first line that reaches its size (or is all that is left).
        assert all(part.endswith(b"\n") and (len(part) <= size or b"\n" not in part[size - 1:-1]) for part in store.parts)
        assert set(map(str, store.store)) == set(map(str, whole)), size


class _LoadsRecorded:
    """A store that keeps the text of each bulk load it is given."""

    def __init__(self):
        self.store, self.parts = ox.Store(), []

    def bulk_load(self, data, format):
        self.parts.append(data)
        self.store.bulk_load(data, format=format)


@EXAMPLES
@given(quads=st.lists(QUADS, max_size=40))
def test_the_store_of_the_checks_holds_each_graph_and_their_merge_as_default_graph(quads):
    from astana_kg.pipeline import rdftext

    graphs = _graphs(quads)
    expected = {ox.Quad(*(to_oxigraph(t) for t in (s, p, o)), ox.NamedNode(str(g))) for s, p, o, g in quads}
    expected |= {ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in expected}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rdftext, "LOAD_CHUNK", 3)  # a graph's triples and the default graph's in several loads
        store = dataset_store(graphs)
    assert len(store) == len(expected)
    assert set(store) == expected


def test_the_store_of_the_checks_is_given_each_triple_of_the_default_graph_once(monkeypatch):
    from astana_kg.pipeline import rdftext

    shared = (URIRef("urn:x:a"), URIRef("urn:x:p"), Literal("x"))
    graphs = {URIRef(f"urn:g:{n}"): Graph(store=WrittenOnce()) for n in range(3)}
    for n, graph in enumerate(graphs.values()):
        graph.add(shared)
        graph.add((URIRef("urn:x:a"), URIRef("urn:x:p"), Literal(str(n))))
    loaded: list = []
    real = rdftext.load_lines

    def load_lines(store, lines, *args):
        lines = list(lines)
        loaded.extend(lines)
        real(store, lines, *args)

    monkeypatch.setattr(rdftext, "load_lines", load_lines)
    store = dataset_store(graphs)
    assert len(loaded) == len(set(loaded)) == 6 + 4  # every quad once, and the default graph's 4 triples once
    assert len(store) == 10


TYPED_TEXTS = st.sampled_from(["4", "04", "-0", "x", "1.50", "2017-05-04", "2017-05-04T10:00:00Z", "true", "", " 4"])
DATATYPES = st.sampled_from([XSD.integer, XSD.nonNegativeInteger, XSD.decimal, XSD.date, XSD.dateTime, XSD.boolean,
                             XSD.string, URIRef("urn:x:type")])
TERMS = st.one_of(IRIS, LITERALS, BLANKS, st.builds(lambda text, datatype: Literal(text, datatype=datatype),
                                                    TYPED_TEXTS, DATATYPES),
                  st.builds(lambda text, datatype: Literal(text, datatype=datatype, normalize=False),
                            TYPED_TEXTS, DATATYPES))


@EXAMPLES
@pytest.mark.filterwarnings("ignore::UserWarning")  # rdflib on ill-typed values ("x" as an xsd:boolean)
@given(terms=st.lists(TERMS, max_size=12))
def test_terms_pickled_as_made_are_unpickled_as_they_were(terms):
    """What :func:`pickle_terms` skips (checking an IRI, parsing a literal's value) gives back the
    terms: equal, of one type, with one hash, value, datatype, language, well-typedness and text.
    (rdflib's own pickling makes a literal anew from its text, which writes a literal made with
    ``normalize=False`` in its canonical form: "04" as "4", "Z" as "+00:00".)"""
    import pickle

    from astana_kg.pipeline.rdftext import pickle_terms

    fast = pickle.loads(pickle_terms(terms))
    assert fast == terms
    for got, expected in zip(fast, terms):
        assert type(got) is type(expected) and hash(got) == hash(expected) and str(got) == str(expected)
        if isinstance(expected, Literal):
            assert (got.value, got.datatype, got.language, got.ill_typed) == \
                   (expected.value, expected.datatype, expected.language, expected.ill_typed)
            assert got.n3() == expected.n3() and to_oxigraph(got) == to_oxigraph(expected)


def test_terms_unpickled_with_shared_iris_leave_nothing_for_the_cyclic_collector():
    """A build pauses the cyclic collector: an unpickler in a cycle (with what it made, all kept
    until it is let go) would stay until the build's end."""
    import gc

    from astana_kg.pipeline.rdftext import pickle_terms, unpickle_terms

    data = pickle_terms([(URIRef(f"urn:x:{n}"), URIRef("urn:x:p"), Literal(n)) for n in range(100)])
    iris: dict = {}
    gc.collect()
    gc.disable()
    try:
        terms = unpickle_terms(data, iris)
        assert gc.collect() == 0
    finally:
        gc.enable()
    assert len(terms) == 100 and len(iris) == 102  # the subjects, the predicate, xsd:integer


_GRAPH_NAMES = ["<urn:g:1>", "<urn:g:2>", "<urn:g:10>", "<urn:g:1x>"]  # one a prefix of others, but for ">"
_QUAD_LINE = st.builds(lambda s, o, g: f"<urn:x:{s}> <urn:x:p> {o} {g} .".encode(),
                       st.sampled_from(["a", "b", "ab", "é"]),
                       st.sampled_from(['"x"', '"<urn:g:1> ."', "<urn:g:1>", "<urn:x:a>", '"y z"@en']),
                       st.sampled_from(_GRAPH_NAMES))


@EXAMPLES
@given(old=st.sets(_QUAD_LINE, max_size=25), new=st.sets(_QUAD_LINE, max_size=25),
       replaced=st.sets(st.sampled_from(_GRAPH_NAMES)), searched=st.booleans())
@example(old=set(), new={b"<urn:x:a> <urn:x:p> <urn:x:a> <urn:g:1> ."}, replaced={"<urn:g:1>"}, searched=True)
@example(old={b"<urn:x:a> <urn:x:p> <urn:x:a> <urn:g:1> ."}, new=set(), replaced={"<urn:g:1>"}, searched=True)
def test_a_dump_whose_graphs_are_replaced_is_the_sorted_dump_of_the_lines_kept_and_the_new(old, new, replaced,
                                                                                           searched):
    """What a rebuild writes, the lines of the graphs it replaced cut out of the last dump and their
    new lines put where they sort (each searched for, or, when many are, all merged in one pass),
    is the dump written of all the lines anew."""
    import io

    from astana_kg.pipeline import rdftext
    from astana_kg.pipeline.rdftext import LinesOf, write_sorted_lines

    def replace_lines(*args):
        with mock.patch.object(rdftext, "BYTES_PER_SEARCH", 0 if searched else 10 ** 9):
            return rdftext.replace_lines(*args)

    tails = [f" {name} .".encode() for name in sorted(replaced)]
    ends = tuple(tails)
    lines = sorted(line for line in new if line.endswith(ends))  # the replaced graphs' lines now
    dump = io.BytesIO()
    write_sorted_lines(list(old), dump)
    kept = [line for line in old if not line.endswith(ends)]
    expected = io.BytesIO()
    write_sorted_lines(kept + lines, expected)
    out = io.BytesIO()
    removed, added = replace_lines(dump.getvalue(), tails, lines, out)
    assert out.getvalue() == expected.getvalue()
    before = {line for line in old if line.endswith(ends)}
    assert (removed, added) == (sorted(before - set(lines)), sorted(set(lines) - before))
    for name in _GRAPH_NAMES:  # each graph's lines, found in the dump when asked for
        tail = f" {name} .".encode()
        assert list(LinesOf(dump.getvalue(), tail)) == sorted(line for line in old if line.endswith(tail))
