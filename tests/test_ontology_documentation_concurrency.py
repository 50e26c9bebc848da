"""Builds that document the ontology at the same time, from a cold pyLODE (which writes the pickle
of its background vocabularies into its own folder on first use, not atomically): each gets the
whole documentation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from astana_kg.pipeline.build import project_root
from astana_kg.pipeline.dumps import _import_ontpub, _pylode_turn

DOCUMENT = ("from pathlib import Path; from astana_kg.pipeline.dumps import ontology_html; "
            "html = ontology_html(Path({path!r})); print(len(html))")


def test_builds_documenting_the_ontology_at_once_from_a_cold_pylode_all_succeed():
    folder = Path(sys.modules[_import_ontpub().__module__].__file__).resolve().parents[1] / "rdf"
    assert folder.is_dir(), folder
    with _pylode_turn():  # no build of another test process is reading them while they go
        for name in ("refs.pickle", "refs_titles.pickle"):
            (folder / name).unlink(missing_ok=True)
    code = DOCUMENT.format(path=str(project_root() / "ontology" / "astana-kg.ttl"))
    processes = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for _ in range(6)]
    outcomes = [(p.wait(timeout=300), p.stdout.read().decode(), p.stderr.read().decode()[-500:]) for p in processes]
    assert [status for status, _, _ in outcomes] == [0] * 6, outcomes
    assert len({out for _, out, _ in outcomes}) == 1  # the same documentation, whole, in each
    assert (folder / "refs.pickle").is_file()
