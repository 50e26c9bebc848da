"""The project's SPARQL files: loaded by name, with the title and description in their header.

A query file starts with comment lines ``# title: ...`` and ``# description: ...``; its expected
answer, where there is one, sits beside it as ``NAME.srj`` (SPARQL 1.1 JSON results).

>>> q = load("cq/01-guarantors")
>>> q.title
'Guarantors of the Syrian ceasefire'
>>> q.expected_path.name
'01-guarantors.srj'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..paths import project_root

QUERIES_DIR = project_root() / "queries"
_HEADER = re.compile(r"^#\s*(title|description):\s*(.+)$", re.MULTILINE)


@dataclass(frozen=True)
class Query:
    name: str
    path: Path
    text: str
    title: str
    description: str

    @property
    def expected_path(self) -> Path:
        return self.path.with_suffix(".srj")

    @property
    def ordered(self) -> bool:
        """Whether the answer's order is part of it (the query ends in ORDER BY)."""
        return bool(re.search(r"\bORDER\s+BY\b", self.text, re.IGNORECASE))


def load(name: str, directory: Path = QUERIES_DIR) -> Query:
    """Load ``queries/NAME.rq``."""
    path = directory / f"{name}.rq"
    text = path.read_text(encoding="utf-8")
    header = dict(_HEADER.findall(text))
    return Query(name, path, text, header.get("title", name), header.get("description", ""))


def load_all(subdirectory: str, directory: Path = QUERIES_DIR) -> list[Query]:
    """Every query of ``queries/SUBDIRECTORY``, sorted by name."""
    return [load(f"{subdirectory}/{p.stem}", directory) for p in sorted((directory / subdirectory).glob("*.rq"))]
