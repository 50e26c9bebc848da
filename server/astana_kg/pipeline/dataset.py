"""The dataset of the input graphs, as the violation queries see it, kept between builds and
brought up to date graph by graph.

The violation queries (``queries/checks/*-violation.rq``) run over the input graphs (the
ontology, each source and draft graph, the curation and the provenance), each in its named graph,
with their merge in the default graph (:func:`astana_kg.pipeline.rdftext.dataset_store`). A build
with a cache keeps that store on disk (``dataset/`` in the cache), beside a manifest of a key of
each graph's content. A rebuild replaces the graphs whose key changed:

1. each changed graph's new triples are loaded beside it;
2. what it held and holds no more is set aside, and it takes its new triples;
3. what was set aside leaves the default graph unless a graph holds it still; the new triples
   join it.

The store then holds what a store made afresh from the same graphs holds (the tests compare the
two), for the cost of the changed graphs. Without a kept store, or with more than half of the
graphs changed, the store is made afresh on disk. A build holds the lock of ``dataset/`` while it
uses the store; one that finds it held makes its store in memory, as a build without a cache does.

>>> import tempfile
>>> from rdflib import Graph, URIRef
>>> one, two = Graph(), Graph()
>>> _ = one.add((URIRef("urn:a"), URIRef("urn:p"), URIRef("urn:b")))
>>> _ = two.add((URIRef("urn:a"), URIRef("urn:p"), URIRef("urn:b")))
>>> directory = Path(tempfile.mkdtemp())
>>> with kept_dataset({URIRef("urn:g1"): one, URIRef("urn:g2"): two}, directory) as store:
...     len(store)
3
>>> with kept_dataset({URIRef("urn:g1"): Graph(), URIRef("urn:g2"): two}, directory) as store:
...     len(store)  # the triple stays in the default graph: urn:g2 holds it
2
>>> with kept_dataset({URIRef("urn:g1"): Graph()}, directory) as store:
...     len(store)
0
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef

from .cache import code_version, lock_directory
from .rdftext import Terms, dataset_store, load_lines, new_store

STORE = "store"
MANIFEST = "manifest.json"

#: The graphs of an update: a changed graph's new triples, what left the changed graphs.
STAGING = "urn:x-astana-kg:dataset:"
NEW = STAGING + "new:"
REMOVED = STAGING + "removed"

#: The share of the graphs that may have changed for the kept store to be brought up to date;
#: beyond it, loading the whole dataset afresh costs less.
REDO_SHARE = 0.5


def content_keys(graphs: dict[URIRef, Graph], terms: Terms, keys: dict[URIRef, str]) -> dict[str, str]:
    """A key of each graph's content by name: ``keys[name]`` where given (the key of a source
    graph's claims, :func:`astana_kg.pipeline.build.graph_keys`), else a digest of its triples."""
    return {str(name): keys.get(name) or hashlib.sha256("\n".join(sorted(terms.triples(graph))).encode()).hexdigest()
            for name, graph in graphs.items()}


def _manifest(directory: Path) -> dict | None:
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("code") != code_version():
        return None  # made by other code, or by other versions of the libraries: made afresh
    return manifest if isinstance(manifest.get("graphs"), dict) else None


def _write_manifest(directory: Path, keys: dict[str, str]) -> None:
    tmp = directory / f".{MANIFEST}.tmp-{os.getpid()}"
    tmp.write_text(json.dumps({"code": code_version(), "graphs": keys}))
    os.replace(tmp, directory / MANIFEST)


def _update(store: ox.Store, graphs: dict[URIRef, Graph], terms: Terms, changed: list[str], gone: list[str]) -> None:
    """Bring ``store`` up to date: the graphs named ``changed`` take their triples in ``graphs``,
    those named ``gone`` leave it, and the default graph stays their merge (the steps of the
    module's description)."""
    by_name = {str(name): graph for name, graph in graphs.items()}
    load_lines(store, (f"{triple} <{NEW}{name}> ." for name in changed for triple in terms.triples(by_name[name])))
    not_staged = f'FILTER(!STRSTARTS(STR(?g), "{STAGING}"))'
    for name in changed + gone:
        store.update(f"INSERT {{ GRAPH <{REMOVED}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} "
                     f"FILTER NOT EXISTS {{ GRAPH <{NEW}{name}> {{ ?s ?p ?o }} }} }} ; DROP SILENT GRAPH <{name}>")
    for name in changed:
        store.update(f"INSERT {{ GRAPH <{name}> {{ ?s ?p ?o }} . ?s ?p ?o }} WHERE {{ GRAPH <{NEW}{name}> {{ ?s ?p ?o }} }} ; "
                     f"DROP SILENT GRAPH <{NEW}{name}>")
    store.update(f"DELETE {{ ?s ?p ?o }} WHERE {{ GRAPH <{REMOVED}> {{ ?s ?p ?o }} "
                 f"FILTER NOT EXISTS {{ GRAPH ?g {{ ?s ?p ?o }} {not_staged} }} }} ; DROP SILENT GRAPH <{REMOVED}>")


@contextlib.contextmanager
def fresh_dataset(graphs: dict[URIRef, Graph], terms: Terms, scratch: Path | None = None) -> Iterator[ox.Store]:
    """A store of ``graphs`` made afresh (:func:`astana_kg.pipeline.rdftext.dataset_store`): on
    disk in the directory ``scratch``, made for it and removed with what is in it when the ``with``
    block ends, else in memory. On disk, the store holds no more memory than the storage's caches:
    in memory, its quads and their indexes (at 5,000 articles, 3.3 GiB went back when it was let
    go). The caller lets
    go of the store within the block: an open store writes its files again once they are removed.

    >>> import tempfile
    >>> from rdflib import Graph, URIRef
    >>> g = Graph(); _ = g.add((URIRef("urn:a"), URIRef("urn:p"), URIRef("urn:b")))
    >>> scratch = Path(tempfile.mkdtemp()) / "checks"
    >>> with fresh_dataset({URIRef("urn:g"): g}, Terms(), scratch) as store:
    ...     len(store), scratch.is_dir()
    ...     del store
    (2, True)
    >>> scratch.exists()
    False
    """
    if scratch is None:
        yield dataset_store(graphs, terms)
        return
    try:
        store = dataset_store(graphs, terms, new_store(scratch))
        yield store
        del store
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@contextlib.contextmanager
def kept_dataset(graphs: dict[URIRef, Graph], directory: Path | None, terms: Terms | None = None,
                 keys: dict[URIRef, str] | None = None, counts: dict[str, int] | None = None,
                 scratch: Path | None = None) -> Iterator[ox.Store]:
    """A store of ``graphs``, each in its named graph, with their merge in the default graph: the
    store kept in ``directory`` brought up to date when it can be, else made afresh there (without
    ``directory``, or while another build holds its lock, made afresh in ``scratch``, see
    :func:`fresh_dataset`). ``keys``: a key of the content of some graphs (:func:`content_keys`).
    ``counts``: its ``hits`` go up by one when the kept store was brought up to date, its
    ``misses`` when it was made afresh. The store is the caller's until the ``with`` block ends."""
    terms = Terms() if terms is None else terms
    counts = {"hits": 0, "misses": 0} if counts is None else counts
    if directory is None:
        with fresh_dataset(graphs, terms, scratch) as store:
            yield store
        return
    directory.mkdir(parents=True, exist_ok=True)
    lock = lock_directory(directory)
    if lock is None:
        with fresh_dataset(graphs, terms, scratch) as store:
            yield store
        return
    try:
        wanted = content_keys(graphs, terms, keys or {})
        manifest = _manifest(directory)
        kept = manifest["graphs"] if manifest is not None and (directory / STORE).is_dir() else None
        changed = [name for name, key in wanted.items() if kept is not None and kept.get(name) != key]
        gone = [name for name in kept or () if name not in wanted]
        try:
            store = ox.Store(str(directory / STORE)) if kept is not None else None
        except OSError:  # open in a process that does not take the lock: left as it is
            with fresh_dataset(graphs, terms, scratch) as store:
                yield store
            return
        # The manifest goes while the store changes: a build stopped half-way leaves none, and
        # the next one makes the store afresh.
        (directory / MANIFEST).unlink(missing_ok=True)
        if store is not None and len(changed) + len(gone) <= REDO_SHARE * len(wanted):
            _update(store, graphs, terms, changed, gone)
            counts["hits"] += 1
        else:
            del store
            store = dataset_store(graphs, terms, new_store(directory / STORE))
            counts["misses"] += 1
        store.flush()
        _write_manifest(directory, wanted)
        yield store
        del store
    finally:
        os.close(lock)
