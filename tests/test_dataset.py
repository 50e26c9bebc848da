"""The dataset of the violation queries kept between builds: brought up to date graph by graph, it
holds what a store made afresh from the new graphs holds, whatever graphs changed, went or came."""

from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import BNode, Graph, Literal, URIRef

from astana_kg.pipeline import cache, dataset
from astana_kg.pipeline.rdftext import dataset_store

EX = "urn:ex:"
NODES = [URIRef(EX + n) for n in "abc"] + [BNode("e")]
PREDICATES = [URIRef(EX + p) for p in "pq"]
VALUES = NODES + [Literal("x"), Literal("x", lang="en")]

triples = st.tuples(st.sampled_from(NODES), st.sampled_from(PREDICATES), st.sampled_from(VALUES))
graph_names = st.sampled_from([URIRef(EX + f"graph/{n}") for n in range(4)])
datasets = st.dictionaries(graph_names, st.lists(triples, max_size=5, unique=True), min_size=1, max_size=4)


def _graphs(contents: dict) -> dict[URIRef, Graph]:
    graphs = {}
    for name, found in contents.items():
        graphs[name] = Graph()
        for triple in found:
            graphs[name].add(triple)
    return graphs


def _quads(store) -> set[str]:
    return {str(quad) for quad in store}


def _kept(contents: dict, directory: Path, counts: dict | None = None) -> set[str]:
    """The quads of the kept dataset of ``contents``, let go of once read (the store on disk is
    open in one place at a time)."""
    with dataset.kept_dataset(_graphs(contents), directory, counts=counts) as store:
        return _quads(store)


@settings(max_examples=80, deadline=None)
@given(before=datasets, after=datasets)
def test_a_kept_dataset_brought_up_to_date_holds_what_a_fresh_one_holds(before, after):
    with tempfile.TemporaryDirectory() as directory:
        assert _kept(before, Path(directory)) == _quads(dataset_store(_graphs(before)))
        counts = {"hits": 0, "misses": 0}
        original = dataset.REDO_SHARE
        dataset.REDO_SHARE = float("inf")  # always brought up to date, however much changed
        try:
            got = _kept(after, Path(directory), counts)
        finally:
            dataset.REDO_SHARE = original
        assert counts == {"hits": 1, "misses": 0}
        assert got == _quads(dataset_store(_graphs(after)))  # nothing left in the graphs of the update


def test_a_triple_another_graph_holds_stays_in_the_default_graph_when_one_graph_drops_it(tmp_path):
    shared = (URIRef(EX + "a"), URIRef(EX + "p"), Literal("x"))
    before = {URIRef(EX + "g1"): [shared], URIRef(EX + "g2"): [shared, (URIRef(EX + "b"), URIRef(EX + "p"), Literal("y"))]}
    after = {URIRef(EX + "g1"): [], URIRef(EX + "g2"): [shared]}
    _kept(before, tmp_path)
    default = {quad for quad in _kept(after, tmp_path) if quad.count("<") == 2}  # no graph name
    assert default == {f'<{EX}a> <{EX}p> "x"'}


def test_more_than_half_of_the_graphs_changed_makes_the_store_afresh(tmp_path):
    counts = {"hits": 0, "misses": 0}
    one = {URIRef(EX + f"g{n}"): [(URIRef(EX + "a"), URIRef(EX + "p"), Literal(str(n)))] for n in range(4)}
    for contents in (one, {name: [] for name in one}):
        assert _kept(contents, tmp_path, counts) == _quads(dataset_store(_graphs(contents)))
    assert counts == {"hits": 0, "misses": 2}


def test_a_manifest_of_other_code_means_a_store_made_afresh(tmp_path, monkeypatch):
    counts = {"hits": 0, "misses": 0}
    contents = {URIRef(EX + "g"): [(URIRef(EX + "a"), URIRef(EX + "p"), Literal("x"))]}
    _kept(contents, tmp_path, counts)
    monkeypatch.setattr(dataset, "code_version", lambda: "other")
    assert _kept(contents, tmp_path, counts) == _quads(dataset_store(_graphs(contents)))
    assert counts == {"hits": 0, "misses": 2}


def test_a_lock_held_by_another_build_leaves_the_kept_store_alone(tmp_path):
    contents = {URIRef(EX + "g"): [(URIRef(EX + "a"), URIRef(EX + "p"), Literal("x"))]}
    _kept(contents, tmp_path)
    manifest = (tmp_path / dataset.MANIFEST).read_bytes()
    other = os.open(tmp_path / cache.LOCK, os.O_RDWR)
    fcntl.flock(other, fcntl.LOCK_EX)
    try:
        changed = {URIRef(EX + "g"): [(URIRef(EX + "a"), URIRef(EX + "p"), Literal("y"))]}
        counts = {"hits": 0, "misses": 0}
        assert _kept(changed, tmp_path, counts) == _quads(dataset_store(_graphs(changed)))
        assert counts == {"hits": 0, "misses": 0}  # in memory: the kept store neither used nor made
        assert (tmp_path / dataset.MANIFEST).read_bytes() == manifest
    finally:
        os.close(other)
