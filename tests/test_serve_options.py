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
