"""``astana-kg draft``: the article copied byte for byte, a claim file of drafts the build accepts
with --include-drafts and refuses without, the exit statuses and the refusals."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys

import pyoxigraph as ox
import pytest
import yaml

from astana_kg.pipeline.build import build, InvalidInput
from astana_kg.pipeline.claims import load_claim_file, load_sources
from astana_kg.cli import main
from astana_kg.namespaces import AKG, GRAPH
from astana_kg.paths import DUMP_NAME, STORE_NAME, project_root
from rdflib.namespace import RDF

ROOT = project_root()

#: An article written for these tests (no third party's text).
ARTICLE = """Envoys agree on a monitoring plan for Syria

ASTANA, May 4. /TASS/. Russia, Iran and Turkey, as guarantors of the ceasefire regime in Syria, agreed on Thursday to hold more talks.

“We will keep working together,” Russian Foreign Minister Sergey Lavrov told reporters. He added, ‘The plan needs time.’

Observers from the US and Jordan attended the talks.
"""


def draft(root, article, source_id="005", *extra):
    return main(["draft", str(article), "--id", source_id, "--root", str(root), *extra])


@pytest.fixture
def article(tmp_path):
    path = tmp_path / "monitoring plan.txt"
    path.write_bytes(ARTICLE.encode("utf-8"))
    return path


def test_draft_copies_the_article_byte_for_byte_with_its_checksum_and_writes_drafts(project_copy, article, capsys):
    assert draft(project_copy, article) == 0
    copied = project_copy / "data/sources/005_monitoring-plan.txt"
    assert copied.read_bytes() == article.read_bytes()
    sums = (project_copy / "data/sources/SHA256SUMS").read_text()
    assert f"{hashlib.sha256(article.read_bytes()).hexdigest()}  005_monitoring-plan.txt\n" in sums
    document = yaml.safe_load((project_copy / "data/claims/005.yaml").read_text())
    assert document["claims"]
    assert all(c["status"] == "draft" and 0 <= c["confidence"] <= 1 and c["why"] for c in document["claims"])
    out = capsys.readouterr().out
    assert "entities linked to existing IRIs" in out and "statements" in out


def test_every_drafted_quote_is_found_by_the_claim_loader(project_copy, article):
    assert draft(project_copy, article) == 0
    claims = load_claim_file(project_copy / "data/claims/005.yaml", load_sources(project_copy / "data/sources"))
    assert claims and all(c.draft for c in claims)
    assert any(c.quote.startswith("“We will keep working together,”") for c in claims)


@pytest.fixture(scope="module")
def drafted_project(tmp_path_factory):
    """A copy of the project with the test article drafted as source 005."""
    root = tmp_path_factory.mktemp("drafted")
    for name in ("ontology", "data", "shapes", "queries"):
        shutil.copytree(ROOT / name, root / name)
    article = root / "monitoring plan.txt"
    article.write_bytes(ARTICLE.encode("utf-8"))
    assert draft(root, article) == 0
    return root


@pytest.fixture(scope="module")
def drafted_build(drafted_project, tmp_path_factory):
    return build(tmp_path_factory.mktemp("out") / "build", drafted_project, include_drafts=True)


def test_a_draft_is_refused_by_the_build_with_its_lines(drafted_project, tmp_path):
    with pytest.raises(InvalidInput) as refused:
        build(tmp_path / "refused", drafted_project)
    assert "005.yaml:" in refused.value.report and "draft claim" in refused.value.report
    assert not (tmp_path / "refused").exists()


def test_include_drafts_builds_a_draft_into_its_own_graph_outside_the_default_graph(drafted_build):
    draft_graph = "https://w3id.org/astana-kg/graph/draft/005"
    assert any(str(name) == draft_graph for name in drafted_build.graphs)
    dump = (drafted_build.out / DUMP_NAME).read_text()
    assert f"<{draft_graph}> ." in dump
    store = ox.Store.read_only(str(drafted_build.out / STORE_NAME))
    in_default = store.query("ASK { ?s <https://w3id.org/astana-kg/ontology#quotation> \"We will keep working together\" }")
    in_draft = store.query(f"ASK {{ GRAPH <{draft_graph}> {{ ?s <https://w3id.org/astana-kg/ontology#quotation> ?q }} }}")
    assert not bool(in_default) and bool(in_draft)


def test_the_source_page_and_the_pages_of_its_nodes_carry_a_draft_mark(drafted_project, drafted_build, monkeypatch):
    from astana_kg.http import create_app

    monkeypatch.setenv("ASTANA_KG_ROOT", str(drafted_project))  # the server reads the article from the project
    app = create_app({"BUILD_DIR": str(drafted_build.out), "TESTING": True, "QUERY_WORKERS": 1})
    try:
        client = app.test_client()
        source = client.get("/id/source-005", headers={"Accept": "text/html"}, follow_redirects=True)
        assert source.status_code == 200
        page = source.get_data(as_text=True)
        assert 'data-testid="draft"' in page and "graph/draft/005" in page
        statement = next(str(s) for s in drafted_build.graphs[GRAPH["draft/005"]].subjects(RDF.type, AKG.Statement))
        node = client.get("/id/" + statement.rsplit("/", 1)[-1], headers={"Accept": "text/html"}, follow_redirects=True)
        assert node.status_code == 200 and 'data-testid="draft"' in node.get_data(as_text=True)
        russia = client.get("/id/russia", headers={"Accept": "text/html"}, follow_redirects=True).get_data(as_text=True)
        assert 'class="src draft"' in russia and 'data-testid="draft"' not in russia
    finally:
        app.extensions["astana_kg"]().close()


@pytest.mark.parametrize("content, reason", [(b"", "empty"), (b"  \n\n", "empty"), (b"Caf\xe9 talks\n", "not UTF-8")])
def test_unusable_articles_exit_1_saying_why(project_copy, tmp_path, capsys, content, reason):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    assert draft(project_copy, path) == 1
    assert reason in capsys.readouterr().err
    assert not list((project_copy / "data/sources").glob("005_*"))


def test_a_taken_id_exits_1_without_force_and_a_draft_is_replaced_with_force(project_copy, article, capsys):
    assert draft(project_copy, article) == 0
    assert draft(project_copy, article) == 1
    assert "taken" in capsys.readouterr().err
    assert draft(project_copy, article, "005", "--force") == 0


def test_a_reviewed_claim_file_is_never_overwritten_even_with_force(project_copy, article, capsys):
    before = (project_copy / "data/claims/001.yaml").read_bytes()
    assert draft(project_copy, article, "001", "--force") == 1
    assert "reviewed" in capsys.readouterr().err
    assert (project_copy / "data/claims/001.yaml").read_bytes() == before
    assert len(list((project_copy / "data/sources").glob("001_*"))) == 1


def test_a_malformed_id_exits_1(project_copy, article, capsys):
    assert draft(project_copy, article, "5") == 1
    assert "three digits" in capsys.readouterr().err


def test_an_unexpected_failure_exits_2(tmp_path, article, capsys):
    (tmp_path / "data/sources").mkdir(parents=True)
    (tmp_path / "data/claims").mkdir()
    (tmp_path / "data/claims/000.yaml").write_text("source: [unclosed\n")
    (tmp_path / "data/sources/SHA256SUMS").mkdir()  # the checksum list cannot be written
    assert draft(tmp_path, article) == 2
    assert "error" in capsys.readouterr().err


def test_the_command_line_program_exits_1_for_a_missing_article(project_copy, tmp_path):
    done = subprocess.run([sys.executable, "-m", "astana_kg.cli", "draft", str(tmp_path / "none.txt"), "--id", "005",
                           "--root", str(project_copy)], capture_output=True, text=True)
    assert done.returncode == 1 and "no such file" in done.stderr


@pytest.mark.parametrize("extra, message", [("status: reviewed", "the one status"), ("confidence: 1.5", "from 0 to 1"),
                                            ("confidence: yes", "from 0 to 1")])
def test_the_claim_loader_refuses_a_status_other_than_draft_and_a_confidence_outside_0_to_1(tmp_path, extra, message):
    from astana_kg.pipeline.claims import CurationError

    (tmp_path / "005_a.txt").write_text("Russia and Iran met.", encoding="utf-8")
    path = tmp_path / "005.yaml"
    path.write_text(f'source: "005"\ncreated: "2026-01-01T00:00:00Z"\ncurator: "https://w3id.org/astana-kg/"\n'
                    f'claims:\n  - quote: "Russia and Iran met."\n    {extra}\n'
                    '    facts: |\n      id:russia a akg:State .\n', encoding="utf-8")
    with pytest.raises(CurationError, match=message):
        load_claim_file(path, load_sources(tmp_path))


@pytest.mark.parametrize("line_end", ["\r\n", "\r"], ids=["crlf", "cr"])
def test_an_article_with_other_line_ends_is_copied_as_is_and_drafted_as_the_build_reads_it(project_copy, tmp_path, line_end):
    article = tmp_path / "lines.txt"
    article.write_bytes(ARTICLE.replace("\n", line_end).encode("utf-8"))
    assert draft(project_copy, article) == 0
    assert (project_copy / "data/sources/005_lines.txt").read_bytes() == article.read_bytes()
    claims = load_claim_file(project_copy / "data/claims/005.yaml", load_sources(project_copy / "data/sources"))
    text = claims[0].source.text
    assert all(text[c.start:c.end] == c.quote for c in claims)


#: Two more articles written for these tests, for drafting several at once.
SECOND = """Guarantors meet again in the Kazakh capital

ASTANA, July 5. /TASS/. Delegations of Russia, Iran and Turkey met on Wednesday to discuss the zones.

“The zones must hold,” Russian Foreign Minister Sergey Lavrov said.
"""

THIRD = """Talks on Syria end without a map

MOSCOW, September 15. /TASS/. The talks in Astana ended on Friday without an agreed map, Iran said.
"""


def draft_several(root, articles, first_id, *extra):
    return main(["draft", *map(str, articles), "--id", first_id, "--root", str(root), *extra])


@pytest.fixture
def articles(tmp_path, article):
    second, third = tmp_path / "zones.txt", tmp_path / "no map.txt"
    second.write_text(SECOND, encoding="utf-8")
    third.write_text(THIRD, encoding="utf-8")
    return [article, second, third]


def test_several_articles_take_consecutive_ids_each_with_its_report_and_quotes_the_loader_finds(project_copy, articles, capsys):
    assert draft_several(project_copy, articles, "005") == 0
    out = capsys.readouterr().out
    sources = load_sources(project_copy / "data/sources")
    for source_id, path in zip(("005", "006", "007"), articles):
        copied = next((project_copy / "data/sources").glob(f"{source_id}_*.txt"))
        assert copied.read_bytes() == path.read_bytes()
        assert f"wrote {project_copy / 'data/claims' / source_id}.yaml" in out
        claims = load_claim_file(project_copy / f"data/claims/{source_id}.yaml", sources)
        assert claims and all(c.draft and c.source.text[c.start:c.end] == c.quote for c in claims)
    assert out.count("entities linked to existing IRIs") == 3 and "drafted 3 of 3 articles" in out
    sums = (project_copy / "data/sources/SHA256SUMS").read_text()
    assert all(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  " in sums for p in articles)



def test_the_command_line_program_takes_articles_before_between_and_after_the_options(project_copy, articles):
    first, second, third = map(str, articles)
    done = subprocess.run([sys.executable, "-m", "astana_kg.cli", "draft", first, "--id", "005", second,
                           "--root", str(project_copy), third], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "drafted 3 of 3 articles" in done.stdout
    for source_id, path in zip(("005", "006", "007"), articles):
        copied = next((project_copy / "data/sources").glob(f"{source_id}_*.txt"))
        assert copied.read_bytes() == path.read_bytes()


def test_the_command_line_program_still_refuses_an_unknown_option_among_the_articles(project_copy, articles):
    done = subprocess.run([sys.executable, "-m", "astana_kg.cli", "draft", str(articles[0]), "--id", "005", "--bogus",
                           str(articles[1]), "--root", str(project_copy)], capture_output=True, text=True)
    assert done.returncode == 2 and "unrecognized arguments: --bogus" in done.stderr
    assert not list((project_copy / "data/sources").glob("005_*.txt"))


def without_created(claim_file: str) -> str:
    """A claim file without its ``created`` line (the time it was drafted at)."""
    return re.sub(r'^created: .*\n', "", claim_file, count=1, flags=re.MULTILINE)


def test_several_articles_load_the_graphs_names_once_and_draft_as_each_alone_would(project_copy, articles, tmp_path,
                                                                                     monkeypatch):
    from astana_kg.draft import command

    alone = tmp_path / "alone"
    for name in ("ontology", "data", "shapes", "queries"):
        shutil.copytree(project_copy / name, alone / name)
    for number, path in enumerate(articles, start=5):
        assert draft(alone, path, f"{number:03d}") == 0
    loads = []
    load = command.load_gazetteer
    monkeypatch.setattr(command, "load_gazetteer", lambda *a, **k: loads.append(a) or load(*a, **k))
    assert draft_several(project_copy, articles, "005") == 0
    assert len(loads) == 1
    for source_id in ("005", "006", "007"):
        # The same file but for the time each was drafted at.
        assert (without_created((project_copy / f"data/claims/{source_id}.yaml").read_text())
                == without_created((alone / f"data/claims/{source_id}.yaml").read_text()))


def test_of_several_articles_an_unusable_one_is_refused_alone_and_the_command_exits_1(project_copy, articles, tmp_path,
                                                                                        capsys):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"\n\n")
    assert draft_several(project_copy, [articles[0], empty, articles[1]], "005") == 1
    captured = capsys.readouterr()
    assert f"{empty} as 006: {empty}: empty" in captured.err and "drafted 2 of 3 articles" in captured.out
    assert (project_copy / "data/claims/005.yaml").is_file() and (project_copy / "data/claims/007.yaml").is_file()
    assert not (project_copy / "data/claims/006.yaml").exists()
    assert not list((project_copy / "data/sources").glob("006_*"))
    assert "006_" not in (project_copy / "data/sources/SHA256SUMS").read_text()


def test_force_over_several_ids_replaces_a_draft_but_never_a_reviewed_file(project_copy, articles, capsys):
    assert draft(project_copy, articles[2], "005") == 0
    reviewed = (project_copy / "data/claims/004.yaml").read_bytes()
    assert draft_several(project_copy, articles[:2], "004") == 1  # 005 is taken, 004 reviewed
    assert draft_several(project_copy, articles[:2], "004", "--force") == 1
    err = capsys.readouterr().err
    assert "as 004:" in err and "reviewed" in err
    assert (project_copy / "data/claims/004.yaml").read_bytes() == reviewed
    assert [p.name for p in (project_copy / "data/sources").glob("005_*")] == ["005_zones.txt"]


def test_several_articles_whose_ids_would_run_past_999_are_all_refused_with_exit_1(project_copy, articles, capsys):
    assert draft_several(project_copy, articles, "998") == 1
    assert "998 to 1000" in capsys.readouterr().err
    assert not list((project_copy / "data/sources").glob("99[89]_*"))


def test_of_several_articles_one_that_fails_unexpectedly_exits_2_and_the_others_are_drafted(project_copy, articles,
                                                                                              monkeypatch, capsys):
    from astana_kg.draft import command

    real = command.draft_article

    def failing(text, source_id, *rest):
        if source_id == "006":
            raise MemoryError("out of memory")
        return real(text, source_id, *rest)

    monkeypatch.setattr(command, "draft_article", failing)
    assert draft_several(project_copy, articles, "005") == 2
    assert "as 006: error: MemoryError: out of memory" in capsys.readouterr().err
    assert not list((project_copy / "data/sources").glob("006_*"))
    assert (project_copy / "data/claims/005.yaml").is_file() and (project_copy / "data/claims/007.yaml").is_file()
