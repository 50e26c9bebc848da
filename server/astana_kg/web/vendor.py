#!/usr/bin/env python3
"""Copy YASGUI's browser files from node_modules/ into static/vendor/, so the page needs no CDN.

    npm ci --prefix server/astana_kg/web && python3 server/astana_kg/web/vendor.py

`npm ci` installs the version pinned in package-lock.json into node_modules/@zazuko/yasgui/;
this script copies the bundle the page loads (build/yasgui.min.js, which holds YASQE, YASR and
their dependencies, with their icons inlined as SVG; build/yasgui.min.css, which loads nothing
else) and the source map the bundle names, into static/vendor/yasgui/, and writes VERSION there.
Both folders are git-ignored.

Exit codes: 0 copied, 1 node_modules/ lacks a file (run `npm ci` first), 2 any other error.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

WEB = Path(__file__).resolve().parent
PACKAGE = WEB / "node_modules" / "@zazuko" / "yasgui"
TARGET = WEB / "static" / "vendor" / "yasgui"
FILES = ("yasgui.min.js", "yasgui.min.css", "yasgui.min.js.map")

COPIED, MISSING, ERROR = 0, 1, 2


def missing_files(package: Path = PACKAGE) -> list[Path]:
    """The files this script needs that the installed package lacks.

    >>> missing_files(Path("/nonexistent"))[0].name
    'package.json'
    """
    needed = [package / "package.json", *(package / "build" / name for name in FILES)]
    return [path for path in needed if not path.is_file()]


def vendor(package: Path = PACKAGE, target: Path = TARGET) -> str:
    """Replace ``target`` with a fresh copy of the package's files; return the version copied."""
    version = json.loads((package / "package.json").read_text(encoding="utf-8"))["version"]
    staging = target.with_name(target.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name in FILES:
        shutil.copyfile(package / "build" / name, staging / name)
    (staging / "VERSION").write_text(f"@zazuko/yasgui {version}\n", encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return version


def main() -> int:
    missing = missing_files()
    if missing:
        for path in missing:
            print(f"vendor.py: {path} is missing", file=sys.stderr)
        print(f"vendor.py: run `npm ci --prefix {WEB}` first", file=sys.stderr)
        return MISSING
    try:
        version = vendor()
    except (OSError, ValueError, KeyError) as error:
        print(f"vendor.py: could not copy YASGUI into {TARGET}: {error}", file=sys.stderr)
        return ERROR
    print(f"vendor.py: copied @zazuko/yasgui {version} into {TARGET}")
    return COPIED


if __name__ == "__main__":
    sys.exit(main())
