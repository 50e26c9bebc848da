"""dev.py, the set-up script: each step runs when what it depends on changed, and only then.

The script is loaded afresh for each test and pointed at a throw-away project; the commands it
would run (pip, npm, astana-kg build) are recorded, and stand-ins make what they would make.
"""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

import pytest

DEV_PY = Path(__file__).resolve().parent.parent / "dev.py"


class Project:
    """A throw-away checkout with dev.py's paths pointing into it, and the commands dev.py ran."""

    def __init__(self, root: Path):
        spec = importlib.util.spec_from_file_location(f"dev_{id(self)}", DEV_PY)
        self.dev = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self.dev)
        self.root = root
        dev = self.dev
        dev.ROOT, dev.VENV = root, root / ".venv"
        dev.BIN, dev.STAMPS = dev.VENV / "bin", dev.VENV / "dev-stamps.json"
        dev.WEB, dev.TEST_CLIENTS = root / "server/astana_kg/web", root / "tests/js"
        self.site_packages = dev.VENV / "lib/python3.11/site-packages"
        for name, text in {"pyproject.toml": "[project]\nname = 'x'\n", "ontology/o.ttl": "o", "data/claims/000.yaml": "c",
                           "shapes/s.ttl": "s", "queries/checks/c-violation.rq": "q",
                           "server/astana_kg/pipeline/build.py": "b", "server/astana_kg/http/app.py": "a",
                           "server/astana_kg/web/package-lock.json": "{}", "tests/js/package-lock.json": "{}",
                           ".venv/bin/python": "", "README.md": "r"}.items():
            self.write(name, text)
        self.site_packages.mkdir(parents=True)
        self.commands: list[str] = []
        self.builds = 0
        dev.sh = self.sh

    def write(self, name: str, text: str) -> None:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def sh(self, *command) -> None:
        """Record ``command`` and make what it would make."""
        words = [str(c) for c in command]
        self.commands.append(" ".join(Path(w).name if os.sep in w else w for w in words))
        if "pip" in words:
            (self.site_packages / "x-1.0.dist-info").mkdir(exist_ok=True)
        elif words[:2] == ["npm", "ci"]:
            (Path(words[3]) / "node_modules/.bin").mkdir(parents=True, exist_ok=True)
            (Path(words[3]) / "node_modules/.bin/comunica-sparql").write_text("")
        elif words[-1].endswith("vendor.py"):
            (self.dev.WEB / "static/vendor/yasgui").mkdir(parents=True, exist_ok=True)
            (self.dev.WEB / "static/vendor/yasgui/VERSION").write_text("1")
        elif words[-1] == "build":
            self.builds += 1
            directory = self.root / f".build.builds/{self.builds}"
            (directory / "store").mkdir(parents=True)
            (directory / "build-info.json").write_text("{}")
            (self.root / "build").unlink(missing_ok=True)
            (self.root / "build").symlink_to(directory)

    def ran(self, word: str) -> int:
        """How many recorded commands hold ``word``; the record starts afresh."""
        count = sum(1 for command in self.commands if word in command.split())
        self.commands.clear()
        return count


@pytest.fixture
def project(tmp_path) -> Project:
    return Project(tmp_path)


def test_a_second_install_is_skipped_while_pyproject_and_the_packages_are_unchanged(project):
    project.dev.install()
    assert project.ran("pip") == 1
    project.dev.install()
    assert project.ran("pip") == 0


def test_the_install_runs_again_when_pyproject_changes(project):
    project.dev.install()
    project.write("pyproject.toml", "[project]\nname = 'x'\ndependencies = ['rdflib']\n")
    project.ran("pip")
    project.dev.install()
    assert project.ran("pip") == 1


@pytest.mark.parametrize("change", ["added", "removed"])
def test_the_install_runs_again_when_a_package_of_the_venv_was_added_or_removed(project, change):
    project.dev.install()
    project.ran("pip")
    if change == "added":
        (project.site_packages / "other-2.0.dist-info").mkdir()
    else:
        (project.site_packages / "x-1.0.dist-info").rmdir()
    project.dev.install()
    assert project.ran("pip") == 1


def test_an_install_with_the_test_extra_serves_a_later_plain_install_but_not_the_reverse(project):
    project.dev.install()
    project.dev.install("test")
    assert project.ran("pip") == 2
    project.dev.install()
    project.dev.install("test")
    assert project.ran("pip") == 0


def test_npm_ci_runs_again_only_when_its_lock_file_changed_or_its_result_is_gone(project):
    project.dev.install_web()
    project.dev.install_test_clients()
    assert project.ran("ci") == 2
    project.dev.install_web()
    project.dev.install_test_clients()
    assert project.ran("ci") == 0
    project.write("tests/js/package-lock.json", '{"lockfileVersion": 3}')
    project.dev.install_web()
    project.dev.install_test_clients()
    assert project.commands == ["npm ci --prefix js --no-audit --no-fund"]
    project.ran("ci")
    (project.dev.WEB / "static/vendor/yasgui/VERSION").unlink()
    project.dev.install_web()
    assert project.commands[0] == "npm ci --prefix web --no-audit --no-fund" and project.commands[1].endswith("vendor.py")


def test_a_second_build_of_unchanged_inputs_is_skipped(project):
    project.dev.build()
    project.dev.build()
    assert project.builds == 1


@pytest.mark.parametrize("name", ["ontology/o.ttl", "data/claims/000.yaml", "shapes/s.ttl",
                                  "queries/checks/c-violation.rq", "server/astana_kg/pipeline/build.py",
                                  "var/wikidata-cache.nq", "data/claims/001.yaml"])
def test_the_build_runs_again_when_a_file_it_reads_changed_or_appeared(project, name):
    project.dev.build()
    project.write(name, "changed")
    project.dev.build()
    assert project.builds == 2


def test_the_build_runs_again_when_a_file_it_reads_was_removed(project):
    project.write("data/claims/001.yaml", "c")
    project.dev.build()
    (project.root / "data/claims/001.yaml").unlink()
    project.dev.build()
    assert project.builds == 2


def test_the_build_runs_again_when_the_packages_of_the_venv_changed(project):
    project.dev.build()
    (project.site_packages / "rdflib-8.0.dist-info").mkdir()
    project.dev.build()
    assert project.builds == 2


def test_files_the_build_does_not_read_do_not_rebuild(project):
    project.dev.build()
    project.write("server/astana_kg/http/app.py", "changed")
    project.write("README.md", "changed")
    project.write("server/astana_kg/__pycache__/build.cpython-311.pyc", "bytes")
    project.dev.build()
    assert project.builds == 1


@pytest.mark.parametrize("change", ["relinked", "removed", "store removed"])
def test_the_build_runs_again_when_the_link_no_longer_names_the_build_made(project, change):
    project.dev.build()
    made = (project.root / "build").resolve()
    if change == "relinked":
        other = project.root / "elsewhere"
        (other / "store").mkdir(parents=True)
        (other / "build-info.json").write_text("{}")
        (project.root / "build").unlink()
        (project.root / "build").symlink_to(other)
    elif change == "removed":
        (project.root / "build").unlink()
    else:
        (made / "store").rmdir()
    project.dev.build()
    assert project.builds == 2


def test_each_step_says_what_runs_and_how_long_it_took_or_that_it_was_skipped(project, capsys):
    project.dev.install()
    project.dev.build()
    first = capsys.readouterr().out
    assert re.search(r"^dev\.py: pip install -e \. \.\.\.$", first, re.M), first
    assert re.search(r"^dev\.py: pip install -e \.: done in \d+\.\d s$", first, re.M), first
    assert re.search(r"^dev\.py: astana-kg build: done in \d+\.\d s$", first, re.M), first
    project.dev.install()
    project.dev.build()
    second = capsys.readouterr().out
    assert re.search(r"^dev\.py: pip install -e \.: up to date \(.+\), skipped$", second, re.M), second
    assert re.search(r"^dev\.py: astana-kg build: up to date \(.+\), skipped$", second, re.M), second


def test_a_failed_build_is_not_recorded_as_done(project, capsys):
    def failing(*command):
        raise project.dev.subprocess.CalledProcessError(1, [str(c) for c in command])

    project.dev.build()
    project.write("data/claims/000.yaml", "broken")
    project.dev.sh = failing
    with pytest.raises(project.dev.subprocess.CalledProcessError):
        project.dev.build()
    assert re.search(r"^dev\.py: astana-kg build: failed after \d+\.\d s$", capsys.readouterr().out, re.M)
    project.dev.sh = project.sh
    project.dev.build()
    assert project.builds == 2


def test_the_test_command_runs_pytest_in_parallel_and_passes_its_arguments_last(project, monkeypatch):
    for name in ("install", "install_web", "install_test_clients", "install_browser"):
        monkeypatch.setattr(project.dev, name, lambda *args: None)
    seen = []
    monkeypatch.setattr(project.dev.subprocess, "run",
                        lambda command, **kwargs: seen.append(command) or project.dev.subprocess.CompletedProcess(command, 3))
    assert project.dev.main(["test", "-n", "0", "tests/test_dev.py"]) == 3
    command = seen[0]
    assert command[1:3] == ["-m", "pytest"] and {"-n", "--dist"} <= set(command[3:-3]), command
    assert command[-3:] == ["-n", "0", "tests/test_dev.py"], command
