"""The build's cache: what a stage made of one source, kept under the hash of everything it was
made from, so that a rebuild after editing one article redoes that article only (and the stages
that read every source together).

The cache is the directory ``.NAME.cache/`` beside the build link ``NAME`` (``build`` gives
``.build.cache/``). Each entry is a file ``STAGE/KEY``, where ``KEY`` is the SHA-256 of the stage's
input as the stage reads it, and of the code of this package:

- ``claims``: a claim file's bytes and name (the entry also records the text digest of the source
  the file names: a changed article text is a miss; a copy of the project elsewhere hits, and the
  claims read from the entry name the files of the project being built);
- ``validate``: the exact graph the data shapes are run over for one source, and the shapes;
- ``reason``: the source graph (or the key of its content) and the curation triples it is reasoned
  with (or their digest), and the rules;
- ``keys``: the digest of a stage's input under a key that costs less to make: the curation
  triples a source is reasoned with, under the key of its graph's content (see
  :func:`astana_kg.pipeline.build.graph_keys`) and a digest of the curation graph;
- ``schema``: what the build makes of the ontology and the shapes alone (the rules compiled from
  the ontology, the shapes made ready for the engine, the ontology's documentation page), under
  the bytes it is made from (:func:`cached`).

An entry is a pure function of its key, so a build that uses the cache writes the same bytes as a
clean build. The code in every key includes the versions of the libraries whose output an entry
holds (:data:`LIBRARIES`): an upgrade of one is a miss, not a result of the version before. A
build that succeeds removes the entries it did not use: the cache holds one build's worth.
``astana-kg build --no-cache`` neither reads nor writes it; removing the directory clears it.

>>> import tempfile
>>> cache = Cache(Path(tempfile.mkdtemp()))
>>> cache.get("reason", cache.key(b"graph")) is None
True
>>> cache.put("reason", cache.key(b"graph"), b"entailed")
>>> cache.get("reason", cache.key(b"graph")), cache.counts["reason"]
(b'entailed', {'hits': 1, 'misses': 1})
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata
import os
import pickle
from collections import defaultdict
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

STAGES = ("claims", "validate", "reason", "keys", "schema")

#: The distributions whose output the cache keeps or a rebuild reuses: the parsers of the claims
#: (PyYAML, rdflib, whose terms the cached claims are), the reasoner's and the store's engine and
#: serializers (pyoxigraph), the schema closure (owlrl), the shapes engine (pyrudof) and the
#: ontology's documentation (pyLODE).
LIBRARIES = ("PyYAML", "rdflib", "pyoxigraph", "owlrl", "pyrudof", "pyLODE")


def cache_directory(out: Path) -> Path:
    """The cache of the builds of the link ``out``: ``.NAME.cache`` beside it.

    >>> cache_directory(Path("/srv/astana-kg/build"))
    PosixPath('/srv/astana-kg/.build.cache')
    """
    return out.parent / f".{out.name}.cache"


@lru_cache(maxsize=1)
def code_version() -> str:
    """A digest of the modules a build can run (the package's top level, the pipeline and the
    query layer) and of the versions of :data:`LIBRARIES`: a change to either makes an entry miss."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for name in LIBRARIES:
        digest.update(f"{name}=={importlib.metadata.version(name)}\0".encode())
    for path in sorted(p for folder in ("", "pipeline", "query") for p in (package / folder).glob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


#: The lock file of what a build keeps in a directory of the cache beside the entries.
LOCK = "lock"


def lock_directory(directory: Path) -> int | None:
    """A descriptor holding the lock (``lock`` in ``directory``) of what a build keeps there
    beside the entries (a store brought up to date from build to build), or ``None`` if another
    build holds it: that one does without, as a build without a cache does."""
    descriptor = os.open(directory / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(descriptor)
        return None
    return descriptor


class Cache:
    """Entries by stage and key, counted: ``counts[stage]`` has the hits and misses of this build."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.counts: dict[str, dict[str, int]] = defaultdict(lambda: {"hits": 0, "misses": 0})
        self.used: set[Path] = set()

    def key(self, *parts: bytes) -> str:
        digest = hashlib.sha256(code_version().encode())
        for part in parts:
            digest.update(len(part).to_bytes(8, "big") + part)
        return digest.hexdigest()

    def _path(self, stage: str, key: str) -> Path:
        return self.directory / stage / key

    def get(self, stage: str, key: str) -> bytes | None:
        path = self._path(stage, key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            self.counts[stage]["misses"] += 1
            return None
        self.counts[stage]["hits"] += 1
        self.used.add(path)
        return data

    def miss(self, stage: str) -> None:
        """Count a miss of an entry that was found but does not apply (``get`` counted it a hit)."""
        self.counts[stage]["hits"] -= 1
        self.counts[stage]["misses"] += 1

    def put(self, stage: str, key: str, data: bytes) -> None:
        """Write an entry (atomically: a killed build leaves no half-written entry)."""
        path = self._path(stage, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{key}.tmp-{os.getpid()}")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        self.used.add(path)

    def prune(self) -> None:
        """Remove the entries this build did not use."""
        for stage in STAGES:
            directory = self.directory / stage
            if directory.is_dir():
                for path in directory.iterdir():
                    if path not in self.used:
                        path.unlink(missing_ok=True)

    def summary(self) -> dict[str, dict[str, int]]:
        """The hits and misses of each stage, of the kept union of the reasoning
        (:mod:`astana_kg.pipeline.union`) and of the kept dataset of the violation queries
        (:mod:`astana_kg.pipeline.dataset`): a hit when it was brought up to date; and of the
        last build's dump: a hit when the lines of unchanged graphs were taken from it."""
        return {stage: dict(self.counts[stage]) for stage in (*STAGES, "union", "dataset", "dump")
                if stage in self.counts}


def cached(cache: Cache | None, stage: str, parts: tuple[bytes, ...], make: Callable[[], T]) -> T:
    """What ``make()`` gives, from ``cache`` (pickled under the key of ``parts``, which must be
    all it is made from) when it holds it, else made and put there. Without a cache, made.

    >>> import tempfile
    >>> cache, made = Cache(Path(tempfile.mkdtemp())), []
    >>> cached(cache, "schema", (b"ontology",), lambda: made.append(1) or {"rules": 1})
    {'rules': 1}
    >>> cached(cache, "schema", (b"ontology",), lambda: made.append(1) or {"rules": 1}), made
    ({'rules': 1}, [1])
    """
    if cache is None:
        return make()
    key = cache.key(stage.encode(), *parts)
    entry = cache.get(stage, key)
    if entry is not None:
        return pickle.loads(entry)
    made = make()
    cache.put(stage, key, pickle.dumps(made))
    return made
