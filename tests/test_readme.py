"""The README's examples say what the commands print."""

from __future__ import annotations

import re

from astana_kg.query.store import run_query

EXAMPLE = re.compile(r"An example: the guarantors.*?```sparql\n(?P<query>.*?)```\n\n```\n(?P<output>.*?)```", re.S)


def test_the_readme_example_query_prints_the_table_the_readme_shows(root, store):
    found = EXAMPLE.search((root / "README.md").read_text(encoding="utf-8"))
    assert found, "the README's example query and its output were not found"
    assert run_query(store, found.group("query"), "table") == found.group("output")
