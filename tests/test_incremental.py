"""Incremental rebuilds: the cache keeps what each source gave the load, validate and reason
stages; a rebuild after editing one article redoes that article alone, and writes the bytes a
clean build writes."""

import hashlib
import importlib.metadata
import importlib.util
import json
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF
from rdflib.compare import isomorphic

from astana_kg.pipeline import build as build_module
from astana_kg.pipeline import checks, union
from astana_kg import cli
from astana_kg.pipeline.build import DUMP_NAME, STORE_NAME, InvalidInput, build
from astana_kg.pipeline import cache as cache_module
from astana_kg.pipeline.cache import Cache, cache_directory
from astana_kg.namespaces import AKG, GRAPH

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from helpers_project import append_claim, append_to_ontology  # noqa: E402

INPUT_DIRS = ("ontology", "data", "shapes", "queries")

#: A claim of source 002 about an event no other source names: it changes that source's graph only.
NEW_CLAIM = ('  - quote: "FAIRBANKS /United States/"\n'
             '    facts: |\n'
             '      id:fairbanks-briefing a akg:Meeting ; rdfs:label "briefing in Fairbanks"@en .\n')


def copy_project(root: Path, directory: Path) -> Path:
    for name in INPUT_DIRS:
        shutil.copytree(root / name, directory / name)
    return directory


def dump_digest(result) -> str:
    return hashlib.sha256((result.out / DUMP_NAME).read_bytes()).hexdigest()


def sources_of(project: Path) -> int:
    return len(list((project / "data" / "claims").glob("*.yaml")))


def store_quads(build_dir: Path) -> tuple[set[str], dict[str, Graph]]:
    """The quads of a build's store in the graphs without a blank node (as text), and the graphs
    with one (a bulk load labels blank nodes its own way: those are compared as graphs, in which
    the IRIs around the blank nodes tell them apart)."""
    store = ox.Store.read_only(str(build_dir / STORE_NAME))
    with_blank = {str(quad.graph_name) for quad in store
                  if isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode)}
    plain, blank = set(), {}
    for quad in store:
        name = str(quad.graph_name)
        if name in with_blank:
            blank.setdefault(name, []).append(f"{quad.subject} {quad.predicate} {quad.object} .\n")
        else:
            plain.add(str(quad))
    return plain, {name: Graph().parse(data="".join(lines), format="nt") for name, lines in blank.items()}


def store_shares_files(build_dir: Path) -> bool:
    """Whether the build's store was made as a checkpoint of another's: some file is a hard link."""
    return any(file.stat().st_nlink > 1 for file in (build_dir / STORE_NAME).iterdir())


def assert_same_store(got: Path, want: Path | tuple) -> None:
    """``got``'s store holds the quads of ``want``'s (a build, or what store_quads read of one)."""
    (got_plain, got_blank) = store_quads(got)
    (want_plain, want_blank) = want if isinstance(want, tuple) else store_quads(want)
    assert len(got_plain) > 10000 and got_plain == want_plain, (len(got_plain - want_plain), len(want_plain - got_plain))
    assert sorted(got_blank) == sorted(want_blank)
    assert all(isomorphic(got_blank[name], want_blank[name]) for name in got_blank)


@dataclass
class Rebuild:
    project: Path
    first: object  # the build with a cold cache
    unchanged: object  # the same input built again
    edited: object  # the build after editing one claim file
    clean: object  # the edited input built without the cache, elsewhere
    digests: list  # the SHA-256 of the dumps of the first build and of the unchanged one
    first_store: tuple  # what the first build's store held (store_quads), read before it was removed


@pytest.fixture(scope="module")
def rebuild(root, tmp_path_factory) -> Rebuild:
    project = copy_project(root, tmp_path_factory.mktemp("incremental"))
    out = project / "build"
    first = build(out, project)
    digests = [dump_digest(first)]  # a build removes the one before the one it replaces: read it now
    first_store = store_quads(first.out)
    unchanged = build(out, project)
    digests.append(dump_digest(unchanged))
    append_claim(project, "002", NEW_CLAIM)
    edited = build(out, project)
    clean = build(project / "clean", project, cache=False)
    return Rebuild(project, first, unchanged, edited, clean, digests, first_store)


def test_a_first_build_misses_every_entry_and_fills_the_cache(rebuild):
    sources = sources_of(rebuild.project)
    assert rebuild.first.cache["claims"] == {"hits": 0, "misses": sources}
    assert rebuild.first.cache["reason"] == {"hits": 0, "misses": sources}
    assert rebuild.first.cache["keys"] == {"hits": 0, "misses": sources}  # the digest of each source's fed triples
    assert rebuild.first.cache["validate"]["hits"] == 0 and rebuild.first.cache["validate"]["misses"] >= sources
    # the rules, the shapes, the documentation, the ontology's conformance to its shapes
    assert rebuild.first.cache["schema"] == {"hits": 0, "misses": 4}
    assert rebuild.first.cache["union"] == {"hits": 0, "misses": 1}
    assert rebuild.first.cache["dataset"] == {"hits": 0, "misses": 1}  # the violation queries' store
    assert rebuild.first.cache["dump"] == {"hits": 0, "misses": 1}  # no dump of a last build
    assert "cache (hits/misses): claims 0/5" in rebuild.first.summary()


def test_the_graphs_of_a_build_from_the_cache_share_each_iri_as_one_object(rebuild):
    """The claims of every file are read from the cache with one object for each IRI: what the
    stages compare and look up across sources is then the same object (an identity), not an
    equal one (rdflib's comparison, in Python)."""
    found: dict[str, list] = {}
    for name, graph in rebuild.unchanged.graphs.items():
        if str(name).startswith(str(GRAPH["source/"])):
            for s in {s for s in graph.subjects(RDF.type) if str(s).endswith("/russia")}:
                found.setdefault(str(s), []).append(s)
            found.setdefault("type", []).extend(p for _, p, _ in graph.triples((None, RDF.type, None)))
    [russia] = [iri for iri in found if iri != "type"]
    assert len(found[russia]) >= 5
    assert all(len({id(term) for term in terms}) == 1 for terms in found.values())


def test_a_rebuild_of_the_same_input_hits_every_entry(rebuild):
    assert all(counts["misses"] == 0 and counts["hits"] > 0 for counts in rebuild.unchanged.cache.values())
    assert set(rebuild.unchanged.cache) == {"claims", "validate", "reason", "keys", "schema", "union", "dataset", "dump"}
    assert rebuild.unchanged.cache["schema"]["hits"] == 4 and rebuild.unchanged.cache["union"]["hits"] == 1
    first, unchanged = rebuild.digests
    assert unchanged == first


def test_editing_one_claim_file_misses_its_own_entries_and_hits_every_other(rebuild):
    sources = sources_of(rebuild.project)
    assert rebuild.edited.cache["claims"] == {"hits": sources - 1, "misses": 1}
    assert rebuild.edited.cache["reason"] == {"hits": sources - 1, "misses": 1}
    assert rebuild.edited.cache["keys"] == {"hits": sources - 1, "misses": 1}
    validate = rebuild.edited.cache["validate"]
    assert validate["misses"] == 1 and validate["hits"] == rebuild.first.cache["validate"]["misses"] - 1
    assert rebuild.edited.cache["schema"] == {"hits": 4, "misses": 0}
    assert rebuild.edited.cache["union"] == {"hits": 1, "misses": 0}  # brought up to date
    assert rebuild.edited.cache["dataset"] == {"hits": 1, "misses": 0}
    assert rebuild.edited.cache["dump"] == {"hits": 1, "misses": 0}  # the unchanged graphs' lines taken from the last


def test_a_rebuild_from_the_cache_writes_the_bytes_of_a_clean_build(rebuild):
    edited = (rebuild.edited.out / DUMP_NAME).read_bytes()
    assert b"fairbanks-briefing" in edited and dump_digest(rebuild.edited) != rebuild.digests[0]
    assert edited == (rebuild.clean.out / DUMP_NAME).read_bytes()
    assert (rebuild.edited.out / "unlinked.tsv").read_bytes() == (rebuild.clean.out / "unlinked.tsv").read_bytes()


def test_a_rebuild_from_the_cache_writes_every_file_of_a_clean_build_byte_for_byte(rebuild):
    # The dump, the TriG and Turtle downloads, the build info and the pages beside them: all but
    # the store (a database, whose files record how it was written).
    def files(build_dir: Path) -> dict[str, bytes]:
        return {str(path.relative_to(build_dir)): path.read_bytes() for path in sorted(build_dir.rglob("*"))
                if path.is_file() and path.relative_to(build_dir).parts[0] != "store"}

    edited, clean = files(rebuild.edited.out), files(rebuild.clean.out)
    assert len(edited) > 10 and "astana-kg.trig" in edited
    assert sorted(edited) == sorted(clean)
    assert [name for name in edited if edited[name] != clean[name]] == []


def test_a_rebuild_takes_the_turtle_files_of_the_graphs_it_left_unchanged_from_the_last_build(rebuild):
    def linked(build_dir: Path) -> set[str]:
        return {path.name for path in build_dir.glob("graph-*.ttl") if path.stat().st_nlink > 1}

    edited, unchanged = linked(rebuild.edited.out), rebuild.unchanged.out
    assert {"graph-source-000.ttl", "graph-source-001.ttl", "graph-source-003.ttl", "graph-ontology.ttl"} <= edited
    assert "graph-source-002.ttl" not in edited  # the source the new claim went into
    assert all((rebuild.edited.out / name).stat().st_ino == (unchanged / name).stat().st_ino for name in edited)
    assert linked(rebuild.clean.out) == set()


def test_a_rebuild_makes_its_store_from_the_last_one_and_holds_what_a_clean_build_holds(rebuild):
    assert store_shares_files(rebuild.edited.out)
    assert not store_shares_files(rebuild.clean.out)
    assert_same_store(rebuild.edited.out, rebuild.clean.out)


def test_a_rebuild_of_the_same_input_makes_its_store_from_the_last_one_unchanged(rebuild):
    assert store_shares_files(rebuild.unchanged.out)
    assert_same_store(rebuild.unchanged.out, rebuild.first_store)


def test_a_rebuild_after_a_claim_is_taken_out_removes_its_quads_from_the_store(project_copy):
    path, _ = append_claim(project_copy, "002", NEW_CLAIM)
    build(project_copy / "build", project_copy)
    path.write_text(path.read_text(encoding="utf-8").replace(NEW_CLAIM, ""), encoding="utf-8")
    edited = build(project_copy / "build", project_copy)
    clean = build(project_copy / "clean", project_copy, cache=False)
    assert store_shares_files(edited.out)
    assert_same_store(edited.out, clean.out)


def test_a_rebuild_whose_changes_touch_a_blank_node_loads_its_store_anew(project_copy):
    first = build(project_copy / "build", project_copy)
    append_to_ontology(project_copy, "[ a owl:Restriction ; owl:onProperty akg:hasRole ;"
                                     " owl:someValuesFrom akg:ProposerRole ] rdfs:subClassOf akg:Agent .")
    edited = build(project_copy / "build", project_copy)
    clean = build(project_copy / "clean", project_copy, cache=False)
    assert first.out != edited.out
    # the shapes' entry holds; the rules, the page, the ontology's conformance miss
    assert edited.cache["schema"] == {"hits": 1, "misses": 3}
    assert edited.cache["union"] == {"hits": 0, "misses": 1}  # other rules: saturated afresh
    assert not store_shares_files(edited.out)
    assert_same_store(edited.out, clean.out)


def test_a_build_keeps_only_the_entries_it_used(rebuild):
    directory = cache_directory(rebuild.project / "build")
    for stage in ("claims", "reason", "keys"):
        assert len(list((directory / stage).iterdir())) == sources_of(rebuild.project), stage
    assert len(list((directory / "validate").iterdir())) == rebuild.first.cache["validate"]["misses"]
    assert len(list((directory / "schema").iterdir())) == 4
    assert union.directory_state(directory / "union") == "kept"  # not an entry: the build keeps it


def test_a_build_without_the_cache_neither_reads_nor_writes_it(rebuild):
    assert rebuild.clean.cache is None
    assert "cache (hits/misses)" not in rebuild.clean.summary()
    assert not cache_directory(rebuild.project / "clean").exists()


def test_a_copy_of_the_project_elsewhere_reads_the_cached_claims_as_its_own_files(rebuild, tmp_path):
    moved = copy_project(rebuild.project, tmp_path / "moved")
    shutil.copytree(cache_directory(rebuild.project / "build"), cache_directory(moved / "build"))
    cache = Cache(cache_directory(moved / "build"))
    inputs = build_module.load_inputs(moved, cache=cache)
    assert cache.counts["claims"] == {"hits": sources_of(moved), "misses": 0}
    assert {claim.path.parent for claim in inputs.claims} == {moved / "data" / "claims"}
    assert {claim.source.path.parent for claim in inputs.claims} == {moved / "data" / "sources"}
    assert {claim.source.text for claim in inputs.claims} == {
        path.read_text(encoding="utf-8") for path in (moved / "data" / "sources").glob("*.txt")}


def test_a_changed_article_text_misses_the_cached_claims_of_its_claim_file(project_copy):
    out = project_copy / "build"
    build(out, project_copy)
    text = next((project_copy / "data" / "sources").glob("004_*.txt"))
    text.write_text(text.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    again = build(out, project_copy)
    assert again.cache["claims"] == {"hits": sources_of(project_copy) - 1, "misses": 1}


def test_a_fault_in_a_cached_source_is_reported_again_without_the_build_redoing_it(project_copy):
    """A cached validation result is the report itself: a fault stays a fault on a rebuild."""
    append_claim(project_copy, "002", '  - quote: "FAIRBANKS /United States/"\n'
                                      '    facts: |\n      id:role-orphan a akg:GuarantorRole ; akg:roleIn id:memorandum .\n')
    reports = []
    for _ in range(2):
        with pytest.raises(InvalidInput) as caught:
            build(project_copy / "build", project_copy)
        reports.append(caught.value.report)
    assert reports[0] == reports[1]
    assert "role-orphan" in reports[0] and "Every role has exactly one holder" in reports[0]


def test_the_command_line_builds_without_the_cache_when_asked(project_copy, capsys):
    out = project_copy / "uncached"
    assert cli.main(["build", "--root", str(project_copy), "--out", str(out), "--no-cache"]) == 0
    assert "cache (hits/misses)" not in capsys.readouterr().out
    assert not cache_directory(out).exists()


# ---------------------------------------------------------------------------------------------
# Enough sources for the pools of processes (claim files parsed, shapes run in parallel)
# ---------------------------------------------------------------------------------------------

def load_corpus():
    spec = importlib.util.spec_from_file_location("corpus", Path(__file__).parents[1] / "benchmarks" / "corpus.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def pooled(tmp_path_factory) -> Path:
    """A generated project of as many articles as make the build use its pools."""
    articles = max(build_module.POOL_FROM, checks.POOL_FROM)
    return load_corpus().generate(articles, 3, tmp_path_factory.mktemp("pooled") / "project")


@pytest.fixture
def pooled_copy(pooled, tmp_path) -> Path:
    shutil.copytree(pooled, tmp_path / "project")
    return tmp_path / "project"


def claim_file(project: Path, number: int) -> Path:
    return sorted((project / "data" / "claims").glob("*.yaml"))[number]


def test_a_quote_missing_from_its_source_is_reported_at_its_line_when_claim_files_are_parsed_in_a_pool(pooled_copy):
    path = claim_file(pooled_copy, 7)
    lines = path.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, start=1) if line.lstrip().startswith("- quote:"))
    lines[number - 1] = lines[number - 1].split("- quote:")[0] + "- quote: words no article has"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        build(pooled_copy / "build", pooled_copy)
    assert caught.value.report.startswith(f"{path}:{number}: quote not found verbatim")


def test_a_shape_violation_is_reported_with_its_node_rule_and_claim_when_shapes_run_in_a_pool(pooled_copy):
    path = claim_file(pooled_copy, 11)
    source_id = path.stem
    append_claim(pooled_copy, source_id, f'- quote: "{first_quote(path)}"\n'
                                         '  facts: |\n    id:role-orphan a akg:GuarantorRole ; akg:roleIn id:memorandum .\n')
    with pytest.raises(InvalidInput) as caught:
        build(pooled_copy / "build", pooled_copy)
    report = caught.value.report
    assert "https://w3id.org/astana-kg/id/role-orphan: Every role has exactly one holder" in report
    assert "[path akg:roleOf]: a role needs exactly one holder (akg:roleOf), an akg:Agent" in report
    assert f"{path.name}:" in report


def first_quote(path: Path) -> str:
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8"))["claims"][0]["quote"].replace('"', '\\"')


@pytest.mark.parametrize("library", cache_module.LIBRARIES)
def test_another_version_of_a_library_whose_output_the_cache_keeps_misses_every_entry(library, monkeypatch, tmp_path):
    cache = Cache(tmp_path)
    before = cache.key(b"graph")
    installed = importlib.metadata.version
    monkeypatch.setattr(cache_module.importlib.metadata, "version",
                        lambda name: installed(name) + (".post1" if name == library else ""))
    cache_module.code_version.cache_clear()
    try:
        assert cache.key(b"graph") != before
    finally:
        monkeypatch.undo()
        cache_module.code_version.cache_clear()
    assert cache.key(b"graph") == before


def test_a_contradiction_a_rebuild_brings_into_the_kept_union_is_reported_as_a_clean_build_reports_it(project_copy):
    build(project_copy / "build", project_copy)
    kept = cache_directory(project_copy / "build") / "union"
    assert json.loads((kept / union.MANIFEST).read_text())["consistent"] is True
    append_claim(project_copy, "002", '  - quote: "FAIRBANKS /United States/"\n'
                                      '    facts: |\n      id:astana a akg:Province .\n'
                                      '      id:iran akg:hasRole id:role-guarantor-russia .\n')
    reports = []  # the rebuild; a clean build; the same input again, over the union kept inconsistent
    for out, cache in (("build", True), ("clean", False), ("build", True)):
        with pytest.raises(InvalidInput) as caught:
            build(project_copy / out, project_copy, cache=cache)
        reports.append(caught.value.report)
    assert reports[0] == reports[1] == reports[2]
    assert "Disjoint classes" in reports[0] and "are distinct entities" in reports[0]
    manifest = json.loads((kept / union.MANIFEST).read_text())  # brought up to date, and known inconsistent
    assert manifest["consistent"] is False and len(manifest["parts"]) == sources_of(project_copy) + 1


def test_an_edit_of_the_curation_misses_every_source_s_reasoning_and_writes_a_clean_build_s_bytes(project_copy):
    """The curation triples a source is fed are picked from the curation graph: an edit of it
    makes the digests of what each source is fed, and what each entails, be made again."""
    out = project_copy / "build"
    build(out, project_copy)
    links = project_copy / "data" / "curation" / "wikidata-links.tsv"
    lines = links.read_text(encoding="utf-8").splitlines(keepends=True)
    links.write_text("".join(line for line in lines if not line.startswith("iran\t")), encoding="utf-8")
    again = build(out, project_copy)
    sources = sources_of(project_copy)
    assert again.cache["keys"] == {"hits": 0, "misses": sources}
    assert again.cache["reason"] == {"hits": 0, "misses": sources}
    clean = build(project_copy / "clean", project_copy, cache=False)
    assert (again.out / DUMP_NAME).read_bytes() == (clean.out / DUMP_NAME).read_bytes()
    assert b"<http://www.wikidata.org/entity/Q794>" not in (again.out / DUMP_NAME).read_bytes()


def test_a_type_one_source_gives_a_node_misses_the_shape_runs_of_every_source_that_names_it(project_copy):
    """A shape run of a source sees the types every graph gives the nodes of that source: it is
    keyed by its graph's content and by them, so a type given in one claim file reruns the shapes
    of every source naming the node, and of no other."""
    out = project_copy / "build"
    first = build(out, project_copy)
    jordan = URIRef("https://w3id.org/astana-kg/id/jordan")
    naming = {name for name, graph in first.graphs.items() if "/graph/source/" in str(name)
              and any(jordan in (s, o) for s, _, o in graph)}
    assert 1 < len(naming) < sources_of(project_copy)
    assert not any((jordan, RDF.type, AKG.Agent) in first.graphs[name] for name in naming)  # inferred only
    append_claim(project_copy, "002", '  - quote: "FAIRBANKS /United States/"\n'
                                      '    facts: |\n      id:jordan a akg:Agent ; rdfs:label "Jordan"@en .\n')
    again = build(out, project_copy)
    # and the run of the curation graph, whose Wikidata alignment of Jordan names it
    assert again.cache["validate"]["misses"] == len(naming | {GRAPH["source/002"]}) + 1
    assert again.cache["reason"]["misses"] == 1


def test_a_violation_a_rebuild_brings_is_reported_as_a_clean_build_reports_it_and_goes_with_its_claim(project_copy):
    """The violation queries run over the input graphs' store the cache keeps, brought up to date
    with the graph of the edited claim file: what it reports is what a clean build reports, and
    a triple taken out of a graph leaves the store."""
    build(project_copy / "build", project_copy)
    path = project_copy / "data" / "claims" / "002.yaml"
    original = path.read_bytes()
    append_claim(project_copy, "002", '  - quote: "FAIRBANKS /United States/"\n'
                                      '    facts: |\n      id:jordan rdfs:label "Hashemite Kingdom"@en .\n')
    reports = []
    for out, cache in (("build", True), ("clean", False)):
        with pytest.raises(InvalidInput) as caught:
            build(project_copy / out, project_copy, cache=cache)
        reports.append(caught.value.report)
    assert reports[0] == reports[1]
    assert "conflicting-label-violation.rq: this=https://w3id.org/astana-kg/id/jordan" in reports[0]
    path.write_bytes(original)
    again = build(project_copy / "build", project_copy)
    assert again.cache["dataset"] == {"hits": 1, "misses": 0}


def test_a_dump_written_by_a_build_without_the_cache_is_not_taken_for_the_one_the_cache_knows(project_copy):
    """The lines of unchanged graphs are taken from the last build's dump only if it is the dump
    whose graphs' keys the cache recorded: a build without the cache in between writes another."""
    out = project_copy / "build"
    path = project_copy / "data" / "claims" / "002.yaml"
    original = path.read_bytes()
    build(out, project_copy)  # records the keys of its dump
    append_claim(project_copy, "002", NEW_CLAIM)
    build(out, project_copy, cache=False)  # the link names a dump with the claim now
    path.write_bytes(original)
    again = build(out, project_copy)  # the keys of source 002's graph are the recorded ones again
    assert again.cache["dump"] == {"hits": 0, "misses": 1}
    clean = build(project_copy / "clean", project_copy, cache=False)
    assert (again.out / DUMP_NAME).read_bytes() == (clean.out / DUMP_NAME).read_bytes()
    assert b"fairbanks-briefing" not in (again.out / DUMP_NAME).read_bytes()


def test_a_triple_a_rebuild_takes_out_of_one_graph_stays_in_the_default_graph_another_graph_holds(project_copy):
    """Source 001 names Russia "Russian side"; a claim of source 002 saying so too, taken out again,
    takes the triple out of 002's graph only: the rebuilt store's default graph (the merge) keeps it."""
    said = ('  - quote: "FAIRBANKS /United States/"\n'
            '    facts: |\n      id:russia skos:altLabel "Russian side"@en .\n')
    path, _ = append_claim(project_copy, "002", said)
    build(project_copy / "build", project_copy)
    path.write_text(path.read_text(encoding="utf-8").replace(said, ""), encoding="utf-8")
    edited = build(project_copy / "build", project_copy)
    assert edited.cache["dump"] == {"hits": 1, "misses": 0} and store_shares_files(edited.out)
    store = ox.Store.read_only(str(edited.out / STORE_NAME))
    merged = ox.Quad(ox.NamedNode("https://w3id.org/astana-kg/id/russia"),
                     ox.NamedNode("http://www.w3.org/2004/02/skos/core#altLabel"),
                     ox.Literal("Russian side", language="en"), ox.DefaultGraph())
    assert merged in store
    del store
    assert_same_store(edited.out, build(project_copy / "clean", project_copy, cache=False).out)


def test_a_class_the_ontology_adds_to_its_hierarchy_reruns_the_shapes_of_every_source(rebuild, tmp_path):
    """Each shape run sees the ontology's rdfs:subClassOf axioms: a class added under another
    misses every run's entry, though no graph changed."""
    project = copy_project(rebuild.project, tmp_path / "project")
    first = build(project / "build", project)
    append_to_ontology(project, 'akg:Governorate a owl:Class ; rdfs:label "governorate"@en ;\n'
                                '    skos:definition "A province of Syria, as the sources call it."@en ;\n'
                                '    rdfs:subClassOf akg:Province ;\n'
                                '    rdfs:isDefinedBy <https://w3id.org/astana-kg/ontology> .')
    edited = build(project / "build", project)
    assert edited.cache["validate"] == {"hits": 0, "misses": first.cache["validate"]["misses"]}
    assert edited.cache["claims"] == {"hits": sources_of(project), "misses": 0}


def test_the_ontology_is_validated_against_its_shapes_until_it_conforms_then_only_when_either_changes(project_copy,
                                                                                                    monkeypatch):
    import pyshacl

    runs, validate = [], pyshacl.validate
    monkeypatch.setattr(pyshacl, "validate", lambda *args, **kwargs: runs.append(1) or validate(*args, **kwargs))
    out = project_copy / "build"
    shutil.rmtree(cache_directory(out), ignore_errors=True)
    build(out, project_copy)
    build(out, project_copy)
    assert len(runs) == 1  # the second build found that this ontology conforms to these shapes
    append_to_ontology(project_copy, '<https://w3id.org/astana-kg/ontology> dcterms:creator "A plain name" .')
    for attempt in (1, 2):  # a violation is found by every build, never kept
        with pytest.raises(InvalidInput, match="the ontology needs a dcterms:creator IRI"):
            build(out, project_copy)
    assert len(runs) == 3


def test_a_rebuild_after_the_last_source_is_taken_out_writes_a_clean_build_s_bytes(tmp_path):
    """A rebuild replaces in the last dump the lines of every graph that is not the same, the graphs
    now gone included: none of the source taken out stays."""
    from helpers_benchmarks import benchmark

    project = benchmark("corpus").generate(3, 2, tmp_path / "project")
    build(project / "build", project)
    data = project / "data"
    text = next((data / "sources").glob("002_*.txt"))
    text.unlink()
    (data / "claims" / "002.yaml").unlink()
    sums = data / "sources" / "SHA256SUMS"
    sums.write_text("".join(line for line in sums.read_text().splitlines(keepends=True) if text.name not in line))
    # The Wikidata links of the entities only the article taken out named go with it.
    claims = "".join(path.read_text(encoding="utf-8") for path in (data / "claims").glob("*.yaml"))
    links = data / "curation" / "wikidata-links.tsv"
    rows = links.read_text(encoding="utf-8").splitlines(keepends=True)
    links.write_text(rows[0] + "".join(row for row in rows[1:]
                                       if re.search(rf"id:{re.escape(row.split(chr(9))[0])}\b(?!-)", claims)))
    again = build(project / "build", project)
    assert again.cache["dump"] == {"hits": 1, "misses": 0}
    clean = build(project / "clean", project, cache=False)
    assert (again.out / DUMP_NAME).read_bytes() == (clean.out / DUMP_NAME).read_bytes()
    assert str(GRAPH["source/002"]).encode() not in (again.out / DUMP_NAME).read_bytes()
