"""The union of every source's reasoning, kept between builds and brought up to date by
delete and rederive.

The last run of :func:`astana_kg.pipeline.reasoning.infer_by_source` saturates the union of the
curation graphs, of every source graph and of what each entails: it finds what follows only from
several graphs together, and the contradictions of the whole. Its input comes in parts: the
curation's closure (with the ontology's facts), and each source with what it entails. A build
with a cache keeps the saturated store on disk (``union/`` in the cache): the union in the default
graph, what the rules added to it also in ``ENTAILED``, and each part in a named graph of its own
(its blank nodes named by :data:`BLANK`), beside a manifest of the key each part was made from
and of whether the union had contradictions. A rebuild replaces the parts whose key changed and
brings the union up to date (the delete-and-rederive method of Gupta, Mumick and Subrahmanian,
1993):

1. what a replaced part held and no part holds now leaves the union, and so does everything the
   rules had added (the over-deletion);
2. what the new parts bring joins it;
3. what left it and follows in one step from what is there comes back (the rederivation);
4. from what joined or came back, the rules run semi-naively: each round matches one atom of a
   rule in what the round before added, and the other atoms in the whole union, until a round
   adds nothing.

The store then holds the closure a run over the whole union gives (the tests compare the two),
for the cost of the changed parts; what joined the union is in the graph :data:`JOINED`, where
the contradictions of a union brought up from one that had none are looked for. Without a kept
store, with a manifest of other rules, or with more than half of the parts changed, the union is
saturated afresh in the store on disk, and its parts are loaded into it for the next build by a
thread of its own, while the build goes on (:func:`wait`). A build holds the lock of ``union/``
while it reads or writes the kept union; one that finds it held does without, as a build without
a cache does.

>>> import tempfile
>>> from rdflib import Graph
>>> from astana_kg.pipeline.reasoning import compile_rules
>>> rules = compile_rules(Graph().parse(data='''
... <urn:locatedIn> a <http://www.w3.org/2002/07/owl#TransitiveProperty> .''', format="turtle"))
>>> parts = {"a": ("1", lambda: ["<urn:x> <urn:locatedIn> <urn:y>"]),
...          "b": ("1", lambda: ["<urn:y> <urn:locatedIn> <urn:z>"])}
>>> directory = Path(tempfile.mkdtemp())
>>> store, _ = saturated_union(rules, parts, directory)
>>> wait()  # until it is on disk
>>> sorted(str(q.object) for q in store.quads_for_pattern(None, None, None, ENTAILED)), directory_state(directory)
(['<urn:z>'], 'kept')
>>> del store
>>> parts["b"] = ("2", lambda: ["<urn:y> <urn:locatedIn> <urn:w>"])
>>> store, _ = saturated_union(rules, parts, directory)
>>> sorted(str(q.object) for q in store.quads_for_pattern(None, None, None, ENTAILED))
['<urn:w>']
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO

import pyoxigraph as ox

from .cache import LOCK, lock_directory  # noqa: F401 (LOCK: the lock file of union/)
from .rdftext import load_lines, new_store, text_parts

ENTAILED = ox.NamedNode("urn:x-astana-kg:entailed")  # as the reasoner's rules write it
#: The named graphs of the parts are this prefix and the part's name.
PART = "urn:x-astana-kg:union:part:"
#: The graphs of an update: a replaced part's new triples, what left the union, what a round added.
NEW = "urn:x-astana-kg:union:new:"
REMOVED = "urn:x-astana-kg:union:removed"
DELTA = "urn:x-astana-kg:union:delta"
NEXT = "urn:x-astana-kg:union:next"
#: What joined the union in its last update: what the new parts brought, and what the rules added
#: or gave back. A contradiction of a union that had none involves one of these triples.
JOINED = "urn:x-astana-kg:union:joined"

#: The share of the parts that may have changed for the kept union to be brought up to date;
#: beyond it, saturating the union afresh costs less.
REDO_SHARE = 0.5

#: A blank node of a part is named by this prefix and its label in the kept union: pyoxigraph's
#: bulk load gives blank nodes new labels, and the kept union meets a part's blank nodes by theirs.
BLANK = "urn:x-astana-kg:union:blank:"

STORE = "store"
MANIFEST = "manifest.json"
#: The N-Quads of the parts of a union saturated afresh, until they are in its store.
PARTS = "parts.nq"

#: The parts of the union by name: the key the part was made from, and its triples as ``S P O``
#: text (N-Triples without the final dot), made only if the part is loaded.
Parts = dict[str, tuple[str, Callable[[], Iterable[str]]]]


def _in_any_part(triple: str = "?s ?p ?o") -> str:
    return f"GRAPH ?part {{ {triple} }} FILTER(STRSTARTS(STR(?part), \"{PART}\"))"


def run_to_fixpoint(store: ox.Store, rules) -> None:
    """Run every rule over the default graph of ``store`` until nothing new follows."""
    size = None
    while size != len(store):
        size = len(store)
        for update in rules.updates.values():
            store.update(update)


def _semi_naive(store: ox.Store, rules) -> None:
    """From the triples in ``DELTA`` (in the default graph too, like all the store's triples), run
    the rules until nothing new follows: each round matches one atom of each rule in ``DELTA``."""
    variants = [rule.update(matched=(i, DELTA), also_into=NEXT)
                for rule in rules.rules.values() for i in range(len(rule.atoms))]
    while next(store.quads_for_pattern(None, None, None, ox.NamedNode(DELTA)), None) is not None:
        store.update(f"INSERT {{ GRAPH <{JOINED}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{DELTA}> {{ ?s ?p ?o }} }}")
        for update in variants:
            store.update(update)
        store.update(f"DROP SILENT GRAPH <{DELTA}> ; "
                     f"INSERT {{ GRAPH <{DELTA}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{NEXT}> {{ ?s ?p ?o }} }} ; "
                     f"DROP SILENT GRAPH <{NEXT}>")


def named_blank_nodes(triple: str) -> str:
    """An ``S P O`` text with its blank nodes named by :data:`BLANK` (a blank node is a subject or
    an object; a literal that reads like one is left as it is).

    >>> print(named_blank_nodes('_:b1 <urn:p> _:b2'))
    <urn:x-astana-kg:union:blank:b1> <urn:p> <urn:x-astana-kg:union:blank:b2>
    >>> print(named_blank_nodes('<urn:a> <urn:p> "_:b2"'))
    <urn:a> <urn:p> "_:b2"
    """
    if "_:" not in triple:
        return triple
    subject, predicate, value = triple.split(" ", 2)
    if subject.startswith("_:"):
        subject = f"<{BLANK}{subject[2:]}>"
    if value.startswith("_:"):
        value = f"<{BLANK}{value[2:]}>"
    return f"{subject} {predicate} {value}"


def _load_parts(store: ox.Store, parts: Parts, names: Iterable[str], prefix: str) -> None:
    load_lines(store, (f"{named_blank_nodes(triple)} <{prefix}{name}> ."
                       for name in names for triple in parts[name][1]()))


def _update(store: ox.Store, rules, parts: Parts, kept: dict[str, str]) -> None:
    """Bring the saturated union in ``store``, made from the parts whose keys ``kept`` lists, up to
    date with ``parts`` (the steps of the module's description)."""
    changed = [name for name, (key, _) in parts.items() if kept.get(name) != key]
    gone = [name for name in kept if name not in parts]
    store.update(f"DROP SILENT GRAPH <{JOINED}>")
    _load_parts(store, parts, changed, NEW)
    for name in changed + gone:
        store.update(f"INSERT {{ GRAPH <{REMOVED}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{PART}{name}> {{ ?s ?p ?o }} "
                     f"FILTER NOT EXISTS {{ GRAPH <{NEW}{name}> {{ ?s ?p ?o }} }} }} ; "
                     f"DROP SILENT GRAPH <{PART}{name}>")
    for name in changed:
        store.update(f"INSERT {{ GRAPH <{PART}{name}> {{ ?s ?p ?o }} }} "
                     f"WHERE {{ GRAPH <{NEW}{name}> {{ ?s ?p ?o }} }} ; DROP SILENT GRAPH <{NEW}{name}>")
    # 1. the over-deletion: what no part holds now, and all the rules had added
    store.update(f"DELETE {{ GRAPH <{REMOVED}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{REMOVED}> {{ ?s ?p ?o }} "
                 f"{_in_any_part()} }} ; "
                 f"INSERT {{ GRAPH <{REMOVED}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{ENTAILED.value}> {{ ?s ?p ?o }} "
                 f"FILTER NOT EXISTS {{ {_in_any_part()} }} }} ; "
                 f"DROP SILENT GRAPH <{ENTAILED.value}> ; "
                 f"DELETE {{ ?s ?p ?o }} WHERE {{ GRAPH <{REMOVED}> {{ ?s ?p ?o }} }}")
    # 2. what the new parts bring
    for name in changed:
        store.update(f"INSERT {{ ?s ?p ?o . GRAPH <{DELTA}> {{ ?s ?p ?o }} }} "
                     f"WHERE {{ GRAPH <{PART}{name}> {{ ?s ?p ?o }} FILTER NOT EXISTS {{ ?s ?p ?o }} }}")
    # 3. the rederivation, 4. the rules from what joined or came back
    for rule in rules.rules.values():
        store.update(rule.update(heads_in=REMOVED, also_into=DELTA))
    store.update(f"DROP SILENT GRAPH <{REMOVED}>")
    _semi_naive(store, rules)


def _saturated_afresh(rules, parts: Parts, scratch: Path | None = None, quads: TextIO | None = None) -> ox.Store:
    """The union saturated in a store made afresh, as a build without a cache makes it: in memory,
    or on disk in the directory ``scratch`` (made for it, and the caller's to remove once the
    store is let go). On disk, the rules take longer and the store holds less memory (at 500
    articles, 10.6 s against 5.3 s, and the process 602 MB against 798 MB). With ``quads`` (a
    text file), the union's blank nodes are named (:data:`BLANK`) and each part's triples are
    written there too, as N-Quads in the part's named graph, in the same pass over their lines."""
    store = new_store(scratch)

    def union() -> Iterable[str]:
        for name, (_, lines) in parts.items():
            if quads is None:
                yield from (f"{triple} ." for triple in lines())
                continue
            graph = f" <{PART}{name}> .\n"
            for triple in lines():
                triple = named_blank_nodes(triple)
                quads.write(triple + graph)
                yield triple + " ."

    load_lines(store, union(), ox.RdfFormat.N_TRIPLES)
    run_to_fixpoint(store, rules)
    return store


def _saturated_to_keep(rules, parts: Parts, directory: Path) -> ox.Store:
    """The union saturated afresh in the store on disk in ``directory``, and the N-Quads of its
    parts written beside it to :data:`PARTS` for :func:`_keep` to load once the rules have run: the
    rules run faster over the union alone than beside the parts, which only the kept store needs."""
    with open(directory / PARTS, "w", encoding="utf-8") as quads:
        return _saturated_afresh(rules, parts, directory / STORE, quads)


def _write_manifest(directory: Path, rules_key: str, keys: dict[str, str], consistent: bool) -> None:
    tmp = directory / f".{MANIFEST}.tmp-{os.getpid()}"
    tmp.write_text(json.dumps({"rules": rules_key, "parts": keys, "consistent": consistent}))
    os.replace(tmp, directory / MANIFEST)


def _manifest(directory: Path) -> dict | None:
    try:
        return json.loads((directory / MANIFEST).read_text())
    except (OSError, ValueError):
        return None


def directory_state(directory: Path) -> str:
    """``kept`` if ``directory`` holds a union a rebuild can bring up to date, else ``none``."""
    return "kept" if _manifest(directory) is not None and (directory / STORE).is_dir() else "none"


def _keep(store: ox.Store, directory: Path, rules_key: str, keys: dict[str, str], consistent: bool,
          lock: int) -> None:
    """Load the parts' N-Quads :data:`PARTS` into the saturated union ``store`` on disk in
    ``directory``, then write its manifest; release ``lock`` (held since the union was saturated)."""
    try:
        for text in text_parts(directory / PARTS):  # a part at a time: a bulk load holds more than its text
            store.bulk_load(text, format=ox.RdfFormat.N_QUADS)  # no blank node
        store.flush()
        _write_manifest(directory, rules_key, keys, consistent)
    except (OSError, RuntimeError, SyntaxError) as error:  # not kept: the next build saturates the union afresh
        print(f"astana-kg build: the union of the reasoning was not kept in {directory}: {error}", file=sys.stderr)
    finally:
        (directory / PARTS).unlink(missing_ok=True)
        os.close(lock)


#: The threads writing a saturated union to disk, by directory (see :func:`wait`).
_WRITING: dict[Path, threading.Thread] = {}


def wait() -> None:
    """Wait until each union this process saturated to keep is whole on disk (a build waits before
    it ends: the parts are loaded into the store by a thread of its own, which lets go of the
    interpreter, while the build goes on with its labels and its dump)."""
    while _WRITING:
        _WRITING.pop(next(iter(_WRITING))).join()


def saturated_union(rules, parts: Parts, directory: Path | None, rules_key: str = "",
                    counts: dict[str, int] | None = None,
                    contradictions: Callable[[ox.Store, str | None], list] | None = None,
                    scratch: Path | None = None) -> tuple[ox.Store, list]:
    """A store whose default graph is the closure of the union of ``parts`` under ``rules``, what
    the rules added also in ``ENTAILED``, and its contradictions: brought up to date from the union
    kept in ``directory`` when it can be (``rules_key``: a digest of the rules, which the kept union
    must have been made with), and kept there for the next build. Without ``directory`` (or while
    another build uses it), made afresh in the directory ``scratch``, or in memory without one
    (:func:`_saturated_afresh`). ``contradictions(store, joined)``: the contradictions of the union in ``store``, or of
    those that involve a triple of the graph ``joined`` (given when the union was brought up to
    date from one that had none: any new contradiction involves a triple that joined it).
    ``counts``: its ``hits`` go up by one when the kept union was brought up to date, its
    ``misses`` when a union had to be saturated afresh."""
    counts = {"hits": 0, "misses": 0} if counts is None else counts
    contradictions = contradictions or (lambda store, joined: [])

    def in_memory() -> tuple[ox.Store, list]:
        store = _saturated_afresh(rules, parts, scratch)
        return store, contradictions(store, None)

    if directory is None:
        return in_memory()
    directory.mkdir(parents=True, exist_ok=True)
    if directory in _WRITING:
        _WRITING.pop(directory).join()
    counts["misses"] += 1  # until it was brought up to date
    lock = lock_directory(directory)
    if lock is None:  # another build is reading or writing it: this one does without
        return in_memory()
    (directory / PARTS).unlink(missing_ok=True)  # left by a build stopped before its parts were loaded
    keys = {name: key for name, (key, _) in parts.items()}
    manifest = _manifest(directory)
    if manifest is not None and manifest.get("rules") == rules_key and (directory / STORE).is_dir():
        kept = manifest["parts"]
        changed = sum(kept.get(name) != key for name, key in keys.items()) + len(set(kept) - set(keys))
        if changed <= REDO_SHARE * len(parts):
            try:
                try:
                    store = ox.Store(str(directory / STORE))
                except OSError:  # open in a process that does not take the lock: left as it is
                    return in_memory()
                # The manifest goes while the store changes: a build stopped half-way leaves none,
                # and the next one saturates the union afresh.
                (directory / MANIFEST).unlink()
                _update(store, rules, parts, kept)
                found = contradictions(store, JOINED if manifest.get("consistent") is True else None)
                store.flush()
                _write_manifest(directory, rules_key, keys, not found)
                counts["misses"] -= 1
                counts["hits"] += 1
                return store, found
            finally:
                os.close(lock)
    (directory / MANIFEST).unlink(missing_ok=True)
    try:
        store = _saturated_to_keep(rules, parts, directory)
        found = contradictions(store, None)
    except BaseException:
        (directory / PARTS).unlink(missing_ok=True)
        os.close(lock)
        raise
    writer = threading.Thread(target=_keep, args=(store, directory, rules_key, keys, not found, lock),
                              name="union-store", daemon=True)
    _WRITING[directory] = writer
    writer.start()
    return store, found
