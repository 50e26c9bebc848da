"""benchmarks/corpus.py, the synthetic corpus of the scale benchmark: what it writes is a project the
real `astana-kg build` builds and validates, shaped like the seeds, and the same for the same seed."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from astana_kg.pipeline.build import project_root

CORPUS_PY = project_root() / "benchmarks" / "corpus.py"


def load_corpus():
    spec = importlib.util.spec_from_file_location("corpus", CORPUS_PY)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


corpus = load_corpus()


def files_of(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    return corpus.generate(10, 7, tmp_path_factory.mktemp("corpus") / "project")


@pytest.fixture(scope="module")
def built_corpus(generated):
    """The generated project built by the command line, as a user would (a process of its own)."""
    out = generated / "build"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(project_root() / "server"), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run([sys.executable, "-m", "astana_kg.cli", "build", "--root", str(generated), "--out", str(out)],
                            capture_output=True, text=True, env=env, timeout=600)
    return result, out


def test_the_real_build_builds_and_validates_ten_generated_articles(built_corpus):
    result, out = built_corpus
    assert result.returncode == 0, result.stderr
    info = json.loads((out / "build-info.json").read_text())
    sources = sorted(g for g in info["graphs"] if "/graph/source/" in g)
    assert [g.rsplit("/", 1)[1] for g in sources] == [f"{n:03d}" for n in range(10)]
    assert all(info["graphs"][g] > 500 for g in sources)
    inferred = {g.rsplit("/", 1)[1]: n for g, n in info["graphs"].items() if "/graph/inferred/" in g}
    assert all(inferred.get(f"{n:03d}", 0) > 0 for n in range(10)), inferred  # each source entails something
    assert (out / "store").is_dir() and (out / "astana-kg.nq").stat().st_size > 0
    assert "time per stage:" in result.stdout


@pytest.fixture(scope="module")
def built_year(tmp_path_factory):
    """Twenty generated articles, the later ones dated after the summer (as the seeds' 003 is), built
    by the command line."""
    project = corpus.generate(20, 1, tmp_path_factory.mktemp("year") / "project")
    out = project / "build"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(project_root() / "server"), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run([sys.executable, "-m", "astana_kg.cli", "build", "--root", str(project), "--out", str(out)],
                            capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr
    return out


@pytest.mark.parametrize("query", sorted(p.name for p in (project_root() / "queries/cq").glob("*.rq")))
def test_every_competency_query_has_answers_on_a_generated_corpus_binding_what_it_binds_on_the_seeds(
        built_year, query):
    """The benchmark times the competency queries on generated corpora: each must find there the
    kinds of facts it finds in the seeds (one that answers nothing times nothing)."""
    import pyoxigraph as ox

    path = project_root() / "queries/cq" / query
    expected = json.loads(path.with_suffix(".srj").read_text(encoding="utf-8"))
    bound_in_seeds = {name for row in expected["results"]["bindings"] for name in row}
    store = ox.Store.read_only(str(built_year / "store"))
    solutions = store.query(path.read_text(encoding="utf-8"))
    names = [v.value for v in solutions.variables]
    rows = [dict(zip(names, solution)) for solution in solutions]
    assert rows, f"{query} has no answer on the generated corpus"
    assert {name for row in rows for name, value in row.items() if value is not None} == bound_in_seeds
    if query.startswith("09-"):  # every aspect of the local agreement the seeds give
        aspects = {str(row["aspect"].value) for row in rows}
        assert aspects == {str(row["aspect"]["value"]) for row in expected["results"]["bindings"]}


def test_every_quote_of_a_generated_article_occurs_in_its_text_where_its_claim_says(generated):
    from astana_kg.pipeline.claims import load_claims, load_sources

    claims = load_claims(generated / "data/claims", load_sources(generated / "data/sources"))
    assert len({c.source.id for c in claims}) == 10
    for claim in claims:
        assert claim.source.text[claim.start:claim.end] == claim.quote


def test_the_same_seed_writes_the_same_bytes_and_another_seed_other_articles(tmp_path):
    first = files_of(corpus.generate(10, 7, tmp_path / "first"))
    second = files_of(corpus.generate(10, 7, tmp_path / "second"))
    other = files_of(corpus.generate(10, 8, tmp_path / "other"))
    assert any(name.startswith("data/sources/") for name in first)
    assert first == second
    assert [v for k, v in other.items() if k.startswith("data/sources/")] != \
        [v for k, v in first.items() if k.startswith("data/sources/")]


def test_generated_articles_are_shaped_like_the_seeds(generated):
    """Per article, about as many claims and source-graph triples as the seeds; the core (Russia, the
    memorandum) in every article; most persons named in one article only."""
    from rdflib import URIRef
    from rdflib.namespace import RDF

    from astana_kg.pipeline.build import load_inputs
    from astana_kg.namespaces import AKG, DATA

    inputs = load_inputs(generated)
    graphs = {name: g for name, g in inputs.graphs.items() if "/graph/source/" in str(name)}
    assert len(graphs) == 10
    mean = sum(len(g) for g in graphs.values()) / len(graphs)
    assert 1000 <= mean <= 2000  # the seeds: 1,443
    for graph in graphs.values():
        assert (DATA.russia, RDF.type, AKG.State) in graph
        assert (DATA.memorandum, RDF.type, AKG.Memorandum) in graph
    persons: dict[URIRef, int] = {}
    for graph in graphs.values():
        for person in set(graph.subjects(RDF.type, AKG.Person)):
            persons[person] = persons.get(person, 0) + 1
    once = sum(1 for count in persons.values() if count == 1)
    assert len(persons) > 40 and once / len(persons) > 0.4


def test_the_command_refuses_to_run_without_a_size(capsys):
    with pytest.raises(SystemExit) as exit_info:
        corpus.main(["--out", "x"])
    assert exit_info.value.code == 2
    assert "--articles and --out are needed" in capsys.readouterr().err


def test_the_generator_replaces_its_own_output_and_refuses_any_other_directory(tmp_path, capsys):
    out = corpus.generate(2, 1, tmp_path / "corpus")
    (out / "data/sources/stale.txt").write_text("left from before")
    corpus.generate(2, 1, out)
    assert not (out / "data/sources/stale.txt").exists()
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    (project / "data/README.md").write_text("someone's work")
    with pytest.raises(SystemExit):
        corpus.main(["--articles", "2", "--out", str(project)])
    assert "not written by this generator" in capsys.readouterr().err
    assert (project / "data/README.md").read_text() == "someone's work"


def test_a_corpus_larger_than_its_shortest_names_allow_gets_longer_names_and_is_written(tmp_path, monkeypatch):
    """With three syllables, two-syllable words are nine, and town names (a word and an ending)
    45: fewer than 60 articles mint. The generator used to draw such names for ever."""
    monkeypatch.setattr(corpus, "SYLLABLES", ("ka", "ra", "mi"))
    monkeypatch.setattr(corpus, "ATTEMPTS", 20)
    project = corpus.generate(60, 3, tmp_path / "project")
    assert len(list((project / "data/claims").glob("*.yaml"))) == 60
    text = "".join(path.read_text(encoding="utf-8") for path in (project / "data/claims").glob("*.yaml"))
    towns = set(re.findall(r'id:town-\d+-[a-z]+ a akg:City ; rdfs:label "([^"]+)"', text))
    assert len(towns) > len(corpus.SYLLABLES) ** 2 * len(corpus.TOWN_ENDINGS)
