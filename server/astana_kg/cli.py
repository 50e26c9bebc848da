"""The ``astana-kg`` command line.

Exit statuses of ``astana-kg build``: 0 built, 1 invalid input (a report says which file, line,
node and rule), 2 any other error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .build import BUILT, ERROR, INVALID_INPUT, InvalidInput, build, project_root
from .reasoning import InconsistentData
from .store import QueryError, open_store, run_query


def _cmd_build(args) -> int:
    try:
        result = build(Path(args.out), Path(args.root) if args.root else None)
    except (InvalidInput, InconsistentData) as error:
        print(f"astana-kg build: invalid input, nothing was written\n{error}", file=sys.stderr)
        return INVALID_INPUT
    except Exception as error:  # the documented exit status 2 for everything unexpected
        print(f"astana-kg build: error: {type(error).__name__}: {error}", file=sys.stderr)
        return ERROR
    print(result.summary())
    return BUILT


def _cmd_query(args) -> int:
    try:
        store = open_store(Path(args.store))
    except FileNotFoundError as error:
        print(f"astana-kg query: {error}", file=sys.stderr)
        return ERROR
    try:
        output = run_query(store, args.sparql, args.format)
    except QueryError as error:
        print(f"astana-kg query: {error}", file=sys.stderr)
        return INVALID_INPUT
    sys.stdout.write(output)
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="astana-kg", description=__doc__.splitlines()[0])
    root.add_argument("--version", action="version", version=f"astana-kg {__version__}")
    commands = root.add_subparsers(dest="command", required=True)

    b = commands.add_parser("build", help="validate, reason and build the store and dump")
    b.add_argument("--out", default=str(project_root() / "build"), help="output directory (default: build/)")
    b.add_argument("--root", help="project directory holding ontology/, data/, shapes/ (default: this checkout)")
    b.set_defaults(func=_cmd_build)

    q = commands.add_parser("query", help="run a SPARQL query against the built store")
    q.add_argument("sparql", help="the SPARQL query text, or @FILE to read it from a file")
    q.add_argument("--format", choices=["json", "xml", "csv", "tsv", "table"], default="table")
    q.add_argument("--store", default=str(project_root() / "build"), help="build directory (default: build/)")
    q.set_defaults(func=_cmd_query)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if getattr(args, "sparql", "").startswith("@"):
        args.sparql = Path(args.sparql[1:]).read_text(encoding="utf-8")
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
