"""The union kept between builds: brought up to date by delete and rederive, it holds what a run of
the rules over the whole new union gives, whatever parts changed, went or came."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rdflib import Graph

from astana_kg.pipeline import union
from astana_kg.pipeline.reasoning import compile_rules

EX = "urn:ex:"
ONTOLOGY = """
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ex: <urn:ex:> .
ex:in a owl:TransitiveProperty ; rdfs:domain ex:Place .
ex:contains owl:inverseOf ex:in .
ex:capitalOf rdfs:subPropertyOf ex:in .
ex:City rdfs:subClassOf ex:Place .
ex:within owl:propertyChainAxiom ( ex:memberOf ex:in ) .
ex:HasCapital owl:equivalentClass [ a owl:Restriction ; owl:onProperty ex:capitalOf ; owl:someValuesFrom ex:City ] .
ex:code a owl:FunctionalProperty .
"""
NODES = [f"<{EX}{n}>" for n in "abcd"] + ["_:e"]  # a blank node too
PREDICATES = [f"<{EX}{p}>" for p in ("in", "contains", "capitalOf", "memberOf", "code")]
TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
CLASSES = [f"<{EX}{c}>" for c in ("City", "Place")]

triples = st.one_of(
    st.builds(lambda s, p, o: f"{s} {p} {o}", st.sampled_from(NODES), st.sampled_from(PREDICATES), st.sampled_from(NODES)),
    st.builds(lambda s, c: f"{s} {TYPE} {c}", st.sampled_from(NODES), st.sampled_from(CLASSES)),
    st.builds(lambda s, v: f'{s} <{EX}code> "{v}"', st.sampled_from(NODES), st.sampled_from("12")),
)
contents = st.lists(triples, max_size=6, unique=True)
part_names = st.sampled_from(["shared", "s1", "s2", "s3", "s4"])


def _parts(triples_by_part: dict[str, list[str]]) -> union.Parts:
    return {name: (hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest(), lambda lines=lines: lines)
            for name, lines in triples_by_part.items()}


def _text(quad) -> str:
    """A quad's triple, a blank node of the kept union written as the blank node it stands for."""
    return f"{quad.subject} {quad.predicate} {quad.object}".replace(f"<{union.BLANK}e>", "_:e")


def _closure(store: ox.Store) -> tuple[set[str], set[str]]:
    default = {_text(q) for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())}
    entailed = {_text(q) for q in store.quads_for_pattern(None, None, None, union.ENTAILED)}
    return default, entailed


@pytest.fixture(scope="module")
def rules():
    return compile_rules(Graph().parse(data=ONTOLOGY, format="turtle"))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=st.dictionaries(part_names, contents, min_size=1, max_size=4),
       after=st.dictionaries(part_names, contents, min_size=1, max_size=4))
def test_a_kept_union_brought_up_to_date_is_the_closure_of_the_new_union(rules, monkeypatch, before, after):
    monkeypatch.setattr(union, "REDO_SHARE", float("inf"))  # always brought up to date, however much changed
    with tempfile.TemporaryDirectory() as directory:
        del_store = union.saturated_union(rules, _parts(before), Path(directory), "rules")[0]
        del del_store
        union.wait()
        assert union.directory_state(Path(directory)) == "kept"
        updated = union.saturated_union(rules, _parts(after), Path(directory), "rules")[0]
        expected = union.saturated_union(rules, _parts(after), None)[0]
        assert _closure(updated) == _closure(expected)
        # and the named graph of each part holds the part
        for name, lines in after.items():
            held = {_text(q) for q in updated.quads_for_pattern(None, None, None, ox.NamedNode(union.PART + name))}
            assert held == set(lines)
        del updated  # closed before its directory is removed


def test_what_follows_only_from_two_parts_together_goes_when_one_changes_and_comes_back_another_way(rules, tmp_path):
    parts = {"s1": ["<urn:ex:a> <urn:ex:in> <urn:ex:b>"], "s2": ["<urn:ex:b> <urn:ex:in> <urn:ex:c>"],
             "s3": ["<urn:ex:d> <urn:ex:code> <urn:ex:e>"]}
    ac = "<urn:ex:a> <urn:ex:in> <urn:ex:c>"
    del_store = union.saturated_union(rules, _parts(parts), tmp_path, "rules")[0]
    assert ac in _closure(del_store)[1]
    del del_store
    union.wait()
    parts["s2"] = ["<urn:ex:b> <urn:ex:in> <urn:ex:d>"]  # a-in-c no longer follows
    store = union.saturated_union(rules, _parts(parts), tmp_path, "rules")[0]
    assert ac not in _closure(store)[0] and "<urn:ex:a> <urn:ex:in> <urn:ex:d>" in _closure(store)[1]
    del store
    parts["s3"] = ["<urn:ex:a> <urn:ex:in> <urn:ex:c>"]  # now asserted by a part: in the union, not entailed
    store = union.saturated_union(rules, _parts(parts), tmp_path, "rules")[0]
    default, entailed = _closure(store)
    assert ac in default and ac not in entailed
    assert (default, entailed) == _closure(union.saturated_union(rules, _parts(parts), None)[0])


def test_a_union_whose_manifest_is_gone_or_of_other_rules_is_saturated_afresh(rules, tmp_path, monkeypatch):
    parts = {"s1": ["<urn:ex:a> <urn:ex:in> <urn:ex:b>"], "s2": ["<urn:ex:b> <urn:ex:in> <urn:ex:c>"]}
    del_store = union.saturated_union(rules, _parts(parts), tmp_path, "rules")[0]
    del del_store
    union.wait()
    updates = []
    monkeypatch.setattr(union, "_update", lambda *args: updates.append(args))
    (tmp_path / union.MANIFEST).unlink()  # as a build stopped half-way through an update leaves it
    store = union.saturated_union(rules, _parts(parts), tmp_path, "rules")[0]
    assert "<urn:ex:a> <urn:ex:in> <urn:ex:c>" in _closure(store)[1]
    del store
    union.wait()
    assert json.loads((tmp_path / union.MANIFEST).read_text())["rules"] == "rules"
    store = union.saturated_union(rules, _parts(parts), tmp_path, "other rules")[0]
    assert "<urn:ex:a> <urn:ex:in> <urn:ex:c>" in _closure(store)[1]
    del store
    union.wait()
    assert updates == [] and union.directory_state(tmp_path) == "kept"
    assert json.loads((tmp_path / union.MANIFEST).read_text())["rules"] == "other rules"


def test_a_union_another_build_holds_open_is_not_touched(rules, tmp_path):
    parts = {"s1": ["<urn:ex:a> <urn:ex:in> <urn:ex:b>"], "s2": ["<urn:ex:b> <urn:ex:in> <urn:ex:c>"]}
    del_store = union.saturated_union(rules, _parts(parts), tmp_path, "rules")[0]
    del del_store
    union.wait()
    held = ox.Store(str(tmp_path / union.STORE))  # the other build
    manifest = (tmp_path / union.MANIFEST).read_text()
    parts["s2"] = ["<urn:ex:b> <urn:ex:in> <urn:ex:d>"]
    store = union.saturated_union(rules, _parts(parts), tmp_path, "rules")[0]
    assert "<urn:ex:a> <urn:ex:in> <urn:ex:d>" in _closure(store)[1]
    assert (tmp_path / union.MANIFEST).read_text() == manifest
    assert "<urn:ex:a> <urn:ex:in> <urn:ex:c>" in _closure(held)[1]


def test_a_union_whose_lock_another_build_holds_is_neither_read_nor_written(rules, tmp_path):
    parts = {"s1": ["<urn:ex:a> <urn:ex:in> <urn:ex:b>"], "s2": ["<urn:ex:b> <urn:ex:in> <urn:ex:c>"]}
    del_store = union.saturated_union(rules, _parts(parts), tmp_path, "rules")[0]
    del del_store
    union.wait()
    manifest = (tmp_path / union.MANIFEST).read_text()
    other = os.open(tmp_path / union.LOCK, os.O_RDWR)
    fcntl.flock(other, fcntl.LOCK_EX)  # as another build does while it brings the union up to date
    try:
        parts["s2"] = ["<urn:ex:b> <urn:ex:in> <urn:ex:d>"]
        store = union.saturated_union(rules, _parts(parts), tmp_path, "rules")[0]
        assert "<urn:ex:a> <urn:ex:in> <urn:ex:d>" in _closure(store)[1]
        union.wait()
        assert (tmp_path / union.MANIFEST).read_text() == manifest
        held = ox.Store.read_only(str(tmp_path / union.STORE))
        assert "<urn:ex:a> <urn:ex:in> <urn:ex:c>" in _closure(held)[1]
    finally:
        os.close(other)


def test_a_union_saturated_to_keep_is_saturated_on_disk_then_given_its_parts(rules, tmp_path, monkeypatch):
    parts = {"s1": ["<urn:ex:a> <urn:ex:in> <urn:ex:b>", "_:e <urn:ex:in> <urn:ex:a>"],
             "s2": ["<urn:ex:b> <urn:ex:in> <urn:ex:c>"]}
    made, seen = [], []
    real_store, real_fixpoint = ox.Store, union.run_to_fixpoint
    monkeypatch.setattr(union.ox, "Store", lambda *args: made.append(args) or real_store(*args))

    def fixpoint(store, rules):  # what the store holds when the rules run
        seen.append((sorted(str(g) for g in store.named_graphs()), (tmp_path / union.PARTS).exists()))
        real_fixpoint(store, rules)

    monkeypatch.setattr(union, "run_to_fixpoint", fixpoint)
    store = union.saturated_union(rules, _parts(parts), tmp_path, "rules")[0]
    assert made == [(str(tmp_path / union.STORE),)]  # no store in memory
    assert seen == [([], True)]  # the union alone, its parts' text beside it
    assert "<urn:ex:a> <urn:ex:in> <urn:ex:c>" in _closure(store)[1]
    del store
    union.wait()
    assert not (tmp_path / union.PARTS).exists() and union.directory_state(tmp_path) == "kept"
    monkeypatch.setattr(union.ox, "Store", real_store)
    held = ox.Store.read_only(str(tmp_path / union.STORE))
    for name, lines in parts.items():
        assert {_text(q) for q in held.quads_for_pattern(None, None, None, ox.NamedNode(union.PART + name))} == set(lines)
    assert _closure(held) == _closure(union.saturated_union(rules, _parts(parts), None)[0])


def test_a_union_whose_parts_could_not_be_loaded_is_not_kept(rules, tmp_path, monkeypatch, capsys):
    parts = {"s1": ["<urn:ex:a> <urn:ex:in> <urn:ex:b>"], "s2": ["<urn:ex:b> <urn:ex:in> <urn:ex:c>"]}

    def unreadable(path):
        raise OSError(f"{path}: no space left on device")

    monkeypatch.setattr(union, "text_parts", unreadable)
    store = union.saturated_union(rules, _parts(parts), tmp_path, "rules")[0]
    assert "<urn:ex:a> <urn:ex:in> <urn:ex:c>" in _closure(store)[1]  # the build goes on with it
    del store
    union.wait()
    assert union.directory_state(tmp_path) == "none" and not (tmp_path / union.PARTS).exists()
    assert f"the union of the reasoning was not kept in {tmp_path}" in capsys.readouterr().err
    monkeypatch.undo()
    (tmp_path / union.PARTS).write_text("left by a build that was stopped\n")
    store = union.saturated_union(rules, _parts(parts), tmp_path, "rules")[0]  # saturated afresh
    del store
    union.wait()
    assert union.directory_state(tmp_path) == "kept"
    (tmp_path / union.PARTS).write_text("left by a build that was stopped\n")
    store = union.saturated_union(rules, _parts(parts), tmp_path, "rules")[0]  # brought up to date
    assert not (tmp_path / union.PARTS).exists()
    del store


ID = "https://w3id.org/astana-kg/id/"  # entities of the graph: two made the same is a contradiction
CONTRADICTING = ONTOLOGY.replace("urn:ex:", ID) + f"""
<{ID}City> owl:disjointWith <{ID}Person> .
"""
ENTITIES = [f"<{ID}{n}>" for n in "abcd"] + ["_:e"]
entity_triples = st.one_of(
    st.builds(lambda s, p, o: f"{s} {p} {o}", st.sampled_from(ENTITIES),
              st.sampled_from([f"<{ID}{p}>" for p in ("in", "capitalOf", "memberOf", "code")]), st.sampled_from(ENTITIES)),
    st.builds(lambda s, c: f"{s} {TYPE} {c}", st.sampled_from(ENTITIES), st.sampled_from([f"<{ID}{c}>" for c in ("City", "Person")])),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=st.dictionaries(part_names, st.lists(entity_triples, max_size=5, unique=True), min_size=1, max_size=3),
       after=st.dictionaries(part_names, st.lists(entity_triples, max_size=5, unique=True), min_size=1, max_size=3))
@example(before={"shared": []}, after={"shared": [f"_:e <{ID}code> <{ID}a>", f"_:e <{ID}code> <{ID}b>"]})
def test_the_contradictions_of_a_union_brought_up_to_date_are_those_of_the_new_union(monkeypatch, before, after):
    from astana_kg.pipeline import reasoning

    rules = compile_rules(Graph().parse(data=CONTRADICTING, format="turtle"))
    monkeypatch.setattr(union, "REDO_SHARE", float("inf"))

    def found(lines):
        said = Graph().parse(data="".join(f"{line} .\n" for part in lines.values() for line in part) or " ", format="nt")
        return lambda store, joined: reasoning.contradictions(rules, store, [said], joined)

    # One parse of the new input for both runs: a finding may name a blank node, by the label the
    # parse gave it.
    check_after = found(after)
    with tempfile.TemporaryDirectory() as directory:
        first, _ = union.saturated_union(rules, _parts(before), Path(directory), "rules", contradictions=found(before))
        del first
        union.wait()
        updated, findings = union.saturated_union(rules, _parts(after), Path(directory), "rules",
                                                  contradictions=check_after)
        del updated
    expected = union.saturated_union(rules, _parts(after), None, contradictions=check_after)[1]
    assert findings == expected
