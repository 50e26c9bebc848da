"""What `astana-kg serve --help` and the README's table of options say of the options that concern
where the graph is published and where Wikidata's answers come from: what they do, precisely."""

from __future__ import annotations

import re

import pytest

from astana_kg.cli import parser


def option_help(capsys, option: str, next_option: str) -> str:
    """What `astana-kg serve --help` prints for ``option`` (up to ``next_option``), on one line."""
    with pytest.raises(SystemExit):
        parser().parse_args(["serve", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    found = re.search(re.escape(option) + r"(?: [A-Z_]+)? (.*?) " + re.escape(next_option), text.split("options:")[-1])
    assert found, f"{option} is in the help"
    return found.group(1)


def readme_row(root, option: str) -> str:
    rows = [line for line in (root / "README.md").read_text(encoding="utf-8").splitlines()
            if line.startswith(f"| `{option}")]
    assert len(rows) == 1, f"one row of the options table for {option}"
    return rows[0]


def test_public_base_is_said_to_name_the_documents_and_leave_the_graphs_iris(root, capsys):
    for text in (option_help(capsys, "--public-base", "--server-url"), readme_row(root, "--public-base")):
        assert "documents" in text and "named under" in text, text
        assert re.search(r"the graph's own IRIs stay under `?https://w3id\.org/astana-kg/", text), text
        assert "the base of the graph's IRIs" not in text


def test_wikidata_cache_is_said_to_answer_always_and_without_it_only_when_wikidata_cannot_be_reached(root, capsys):
    for text in (option_help(capsys, "--wikidata-cache", "--public-base"), readme_row(root, "--wikidata-cache")):
        assert "every SERVICE call to Wikidata" in text and "only when Wikidata" in text, text


def serve_environment(tmp_path, monkeypatch, *options: str) -> dict:
    """The environment `astana-kg serve OPTIONS` starts the HTTP server with (the exec is caught)."""
    (tmp_path / "store").mkdir(exist_ok=True)  # a build there already: serve does not build
    started = {}

    def execvpe(file, command, env):
        started.update(env)
        raise SystemExit(0)

    monkeypatch.setattr("os.execvpe", execvpe)
    args = parser().parse_args(["serve", "--build", str(tmp_path), *options])
    with pytest.raises(SystemExit):
        args.func(args)
    return started


@pytest.mark.parametrize("options, per_worker_mib", [
    ((), 32),                                  # the default: 64 MiB over the default 2 workers
    (("--workers", "4"), 16),
    (("--workers", "1", "--cache-mb", "10"), 10),
    (("--workers", "3", "--cache-mb", "96"), 32),
])
def test_the_answer_caches_of_all_workers_together_hold_at_most_cache_mb(tmp_path, monkeypatch, options,
                                                                          per_worker_mib):
    from astana_kg.http import config_from_environment

    env = serve_environment(tmp_path, monkeypatch, *options)
    assert config_from_environment(env)["CACHE_BYTES"] == per_worker_mib * 1024 * 1024


def test_cache_mb_is_said_to_be_shared_out_among_the_workers(root, capsys):
    for text in (option_help(capsys, "--cache-mb", "--no-cors"), readme_row(root, "--cache-mb")):
        assert "all workers" in text and "its share" in text, text
