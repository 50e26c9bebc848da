"""The package's folders show its stages, and its imports run one way: the HTTP layer
(``astana_kg.http``) and the Python API (``astana_kg.api``) over the query layer
(``astana_kg.query``) and the build pipeline (``astana_kg.pipeline``), never the other way round;
the query layer imports no part of the pipeline; the units of the package's top level import one
another without a cycle, and so do the modules of each stage.

The imports are read from the source (``ast``), those inside functions included: an import put
off until a function runs is an import all the same.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import astana_kg

PACKAGE = Path(astana_kg.__file__).parent
#: The modules of the package's top level: the package, the command and the plain names and paths
#: every stage shares.
TOP_LEVEL_MODULES = {"__init__", "cli", "paths", "namespaces", "prefixes"}
#: Its folders: the stages, the drafting of claims, and the page's files.
TOP_LEVEL_FOLDERS = {"pipeline", "query", "api", "http", "draft", "web"}
#: The one module below the HTTP layer that may import it: the command that starts the server.
MAY_IMPORT_THE_HTTP_LAYER = {"astana_kg.cli"}
#: What the query processes may load besides the standard library and the package itself.
QUERY_PROCESS_LIBRARIES = {"pyoxigraph"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources() -> dict[str, Path]:
    found = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}
    assert {"astana_kg", "astana_kg.pipeline.build", "astana_kg.query.worker", "astana_kg.api.graph", "astana_kg.http",
            "astana_kg.draft"} <= set(found)
    return found


MODULES = _sources()


class _Imports(ast.NodeVisitor):
    """Every import of one module: (line, imported name, whether it runs when the module is imported)."""

    def __init__(self, module: str, is_package: bool):
        self.package = module.split(".") if is_package else module.split(".")[:-1]
        self.found: list[tuple[int, str, bool]] = []
        self.depth = 0

    def visit_FunctionDef(self, node):
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Import(self, node: ast.Import):
        for alias in node.names:
            self.found.append((node.lineno, alias.name, self.depth == 0))

    def visit_ImportFrom(self, node: ast.ImportFrom):
        if node.level:
            base = ".".join(self.package[:len(self.package) - node.level + 1] + ([node.module] if node.module else []))
        else:
            base = node.module or ""
        for alias in node.names:  # ``from . import x`` imports the module x; ``from .m import f``, the module m
            name = f"{base}.{alias.name}"
            self.found.append((node.lineno, name if name in MODULES else base, self.depth == 0))


def imports(module: str) -> list[tuple[int, str, bool]]:
    path = MODULES[module]
    reader = _Imports(module, path.name == "__init__.py")
    reader.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return reader.found


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _node(module: str) -> str | None:
    """The unit of the top level a module belongs to: a top-level module, or a subpackage as a
    whole; None for the package's ``__init__``, which every import of a submodule runs and which
    imports the Python API only when one of its names is asked for."""
    parts = module.split(".")
    return None if parts == ["astana_kg"] else ".".join(parts[:2])


def _find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the directed graph ``edges``, as the path that closes it, or None."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == "open":
                return path[path.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        state[node] = "done"
        path.pop()
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_find_cycle_names_the_modules_of_a_cycle_and_none_for_a_layered_graph():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"http": {"query", "build"}, "query": {"text"}, "build": {"text"}}) is None


def test_a_relative_import_is_read_as_the_module_it_names():
    federation = {name for _, name, _ in imports("astana_kg.http.federation")}
    assert {"astana_kg.query.worker", "astana_kg.http.errors"} <= federation  # from ..m import f, from .m import f
    build = {name: at_import for _, name, at_import in imports("astana_kg.pipeline.build")}
    assert build["astana_kg.pipeline.checks"] is True  # from . import checks: the module, not the package
    graph = {name: at_import for _, name, at_import in imports("astana_kg.api.graph")}
    assert graph["astana_kg.pipeline.build"] is False  # imported inside a function


def _imports_of(units: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    """Where a module of ``units`` imports one of ``forbidden`` (at import or inside a function)."""
    return sorted({f"{MODULES[module].relative_to(PACKAGE.parent)}:{line} imports {name}"
                   for module in MODULES if any(_within(module, unit) for unit in units)
                   for line, name, _ in imports(module) if any(_within(name, unit) for unit in forbidden)})


def test_the_package_top_level_holds_only_the_shared_modules_and_the_folders_of_its_parts():
    modules = {path.stem for path in PACKAGE.glob("*.py")}
    folders = {path.name for path in PACKAGE.iterdir() if path.is_dir() and path.name != "__pycache__"}
    assert modules == TOP_LEVEL_MODULES, f"a module at the top level of {PACKAGE} belongs in a folder of its stage"
    assert folders == TOP_LEVEL_FOLDERS
    assert all((PACKAGE / name / "__init__.py").is_file() for name in TOP_LEVEL_FOLDERS - {"web"})


def test_the_query_layer_imports_neither_the_pipeline_nor_the_python_api_nor_the_http_layer():
    offending = _imports_of(("astana_kg.query",), ("astana_kg.pipeline", "astana_kg.api", "astana_kg.http"))
    assert not offending, "\n".join(offending)


def test_the_pipeline_imports_neither_the_python_api_nor_the_http_layer():
    offending = _imports_of(("astana_kg.pipeline",), ("astana_kg.api", "astana_kg.http", "astana_kg.draft"))
    assert not offending, "\n".join(offending)


def test_the_python_api_imports_the_query_layer_and_the_pipeline_but_not_the_http_layer():
    imported = {name for module in MODULES if _within(module, "astana_kg.api") for _, name, _ in imports(module)}
    assert any(_within(name, "astana_kg.query") for name in imported)
    offending = _imports_of(("astana_kg.api",), ("astana_kg.http", "astana_kg.draft"))
    assert not offending, "\n".join(offending)


def test_the_drafting_of_claims_imports_the_pipeline_and_no_other_stage():
    offending = _imports_of(("astana_kg.draft",), ("astana_kg.query", "astana_kg.api", "astana_kg.http"))
    assert not offending, "\n".join(offending)


def test_the_shared_modules_of_the_top_level_import_no_stage():
    shared = tuple(f"astana_kg.{name}" for name in TOP_LEVEL_MODULES - {"__init__", "cli"})
    offending = _imports_of(shared, tuple(f"astana_kg.{name}" for name in TOP_LEVEL_FOLDERS))
    assert not offending, "\n".join(offending)


def test_no_module_below_the_http_layer_imports_it():
    offending = sorted({f"{MODULES[module].relative_to(PACKAGE.parent)}:{line} imports {name}"
                        for module in MODULES
                        if not _within(module, "astana_kg.http") and module not in MAY_IMPORT_THE_HTTP_LAYER
                        for line, name, _ in imports(module) if _within(name, "astana_kg.http")})
    assert not offending, "\n".join(offending)


def test_the_modules_of_the_package_top_level_import_one_another_without_a_cycle():
    edges: dict[str, set[str]] = {}
    for module in MODULES:
        source = _node(module)
        if source is None:
            continue
        targets = {_node(name) for _, name, _ in imports(module) if _within(name, "astana_kg")}
        edges.setdefault(source, set()).update(t for t in targets if t is not None and t != source)
    assert {"astana_kg.cli", "astana_kg.pipeline", "astana_kg.query", "astana_kg.api", "astana_kg.http"} <= set(edges)
    cycle = _find_cycle(edges)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_modules_of_each_stage_import_one_another_without_a_cycle():
    for stage in ("astana_kg.pipeline", "astana_kg.query", "astana_kg.api"):
        edges = {module: {name for _, name, _ in imports(module) if _within(name, stage) and name != module}
                 for module in MODULES if _within(module, stage) and module != stage}
        assert len(edges) > 1 or stage == "astana_kg.api", stage
        cycle = _find_cycle(edges)
        assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_query_processes_load_no_library_but_pyoxigraph():
    """What ``python -m astana_kg.query.worker`` loads when it starts: the module-level imports of
    the query processes' modules and of all they import (rdflib or Flask would slow every start)."""
    todo, seen, libraries = ["astana_kg", "astana_kg.query.worker", "astana_kg.query.isolation"], set(), {}
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        for line, name, at_import in imports(module):
            if not at_import:
                continue
            if _within(name, "astana_kg"):
                parts = name.split(".")
                todo.extend(".".join(parts[:i]) for i in range(1, len(parts) + 1) if ".".join(parts[:i]) in MODULES)
            elif name.split(".")[0] not in sys.stdlib_module_names:
                libraries.setdefault(name.split(".")[0], f"{MODULES[module].relative_to(PACKAGE.parent)}:{line}")
    assert "astana_kg.prefixes" in seen and "astana_kg.query.problems" in seen
    unexpected = {name: where for name, where in libraries.items() if name not in QUERY_PROCESS_LIBRARIES}
    assert not unexpected, unexpected
