"""The OWL API's own OWL 2 profile checkers, run in a Java virtual machine through JPype.

The OWL API 3.4.3 jar is the one the ``owlready2`` package ships for Pellet; Java comes from
Debian (``default-jre-headless``, which ``python3 dev.py test`` installs). Nothing is downloaded.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

PROFILES = ("OWL2RLProfile", "OWL2DLProfile")


def skip_without_java() -> None:
    """Skip the calling test when there is no Java, except in CI (CI set), where it fails."""
    if not shutil.which("java") and not os.environ.get("CI"):
        pytest.skip("the OWL API profile checks need Java (apt-get install default-jre-headless, which "
                    "`python3 dev.py test` does); in CI a missing Java fails instead")


def owlapi_classpath() -> list[str]:
    import owlready2

    pellet = Path(owlready2.__file__).parent / "pellet"
    jars = sorted(pellet.glob("owlapi-distribution-*.jar"))
    assert jars, f"no OWL API jar in {pellet}"
    return [str(jar) for jar in jars] + [str(jar) for jar in sorted(pellet.glob("slf4j-*.jar"))]


def start_jvm() -> None:
    import jpype

    if not jpype.isJVMStarted():
        jpype.startJVM(classpath=owlapi_classpath(), convertStrings=True)


def profile_violations(path: Path, profile: str = "OWL2RLProfile") -> list[str]:
    """Every violation of ``profile`` the OWL API reports for the ontology document ``path``."""
    import jpype

    start_jvm()
    manager = jpype.JClass("org.semanticweb.owlapi.apibinding.OWLManager").createOWLOntologyManager()
    ontology = manager.loadOntologyFromOntologyDocument(jpype.JClass("java.io.File")(str(path)))
    checker = jpype.JClass(f"org.semanticweb.owlapi.profiles.{profile}")()
    return sorted(str(violation) for violation in checker.checkOntology(ontology).getViolations())
