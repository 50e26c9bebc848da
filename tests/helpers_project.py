"""Breaking a copy of the project's inputs and building it: what the build tests share."""

from __future__ import annotations

from pathlib import Path

from astana_kg import cli


def append_claim(project: Path, source_id: str, claim: str) -> tuple[Path, int]:
    """Append ``claim`` to the source's claim file; return the file and its lines before the claim
    (the claim's first line is the next one)."""
    path = project / "data" / "claims" / f"{source_id}.yaml"
    text = path.read_text(encoding="utf-8").rstrip("\n")
    path.write_text(text + "\n" + claim, encoding="utf-8")
    return path, len(text.splitlines())


def append_to_ontology(project: Path, turtle: str) -> None:
    """Append ``turtle`` (in the ontology file's prefixes) to the project's ontology."""
    path = project / "ontology" / "astana-kg.ttl"
    path.write_text(path.read_text(encoding="utf-8") + "\n" + turtle + "\n", encoding="utf-8")


def build_report(project: Path, capsys) -> tuple[int, str]:
    """`astana-kg build` of ``project`` into ``project/build``: its exit status and what it wrote to stderr."""
    status = cli.main(["build", "--root", str(project), "--out", str(project / "build")])
    return status, capsys.readouterr().err
