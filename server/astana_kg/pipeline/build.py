"""The build: read the ontology, the sources, the claims and the curated links; validate; reason;
write a pyoxigraph store and a sorted N-Quads dump.

The build is all or nothing: it writes into a temporary directory beside the output, and only when
every stage passed does the output (``build``, a symbolic link) switch to it, in one rename.

Builds live in ``.NAME.builds/`` beside the link ``NAME``. A server resolves the link once when it
starts and serves that directory until it stops, so a build keeps the build it replaces (the one
servers started before it may still serve) and removes the older ones: restart a server between
two rebuilds. A build first removes what killed builds left beside the link (``.NAME.tmp-PID``,
``.NAME.link-PID``, ``.NAME.old-PID`` of processes that no longer run). A build directory of an
older version (a plain directory) is moved into ``.NAME.builds/`` as the build replaced.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import functools
import gc
import hashlib
import io
import itertools
import json
import multiprocessing
import os
import re
import shutil
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.namespace import RDF, RDFS

from . import checks, dumps, labels, memory, reasoning, union, wikidata
from .cache import Cache, cache_directory, cached, code_version
from .claims import Claim, CurationError, annotation_triples, load_claim_file, load_claims, load_sources, source_graphs
from ..namespaces import (
    AKG, BASE, DATA, GRAPH, ONTOLOGY, ONTOLOGY_GRAPH, PROV, PROVENANCE_GRAPH, SCHEMA,
    WD, WIKIDATA_GRAPH,
)
from .progress import Report, Stages
from .rdftext import (LOAD_CHUNK_BYTES, GraphLines, InvalidInput, LinesOf, Terms, WrittenOnce, bulk_load_text,
                      nquads_lines, pickle_terms, replace_lines, text_parts, triples_of, unpickle_terms, write_nquads)

#: Exit statuses of ``astana-kg build``.
BUILT, INVALID_INPUT, ERROR = 0, 1, 2

from ..paths import DUMP_NAME, INFO_NAME, STORE_NAME, builds_directory, project_root  # noqa: F401 (re-exported)

#: The files every build reads, besides the sources and the claim file of each source.
REQUIRED_FILES = ("ontology/astana-kg.ttl", "shapes/ontology-shapes.ttl", "shapes/data-shapes.ttl",
                  "data/wikidata/verified-qids.tsv", "data/curation/wikidata-links.tsv",
                  "data/curation/identifiers.tsv")


@dataclass
class Inputs:
    """Everything the build reads, parsed."""

    root: Path
    ontology: Graph
    claims: list[Claim]
    graphs: dict[URIRef, Graph]
    files: list[Path] = field(default_factory=list)
    terms: Terms = field(default_factory=lambda: Terms())  # each term as N-Quads writes it, for every stage
    #: With a cache, a key of each source (and draft) graph's content: made from the keys of the
    #: claim files that give it claims (see :func:`graph_keys`), not from its triples.
    keys: dict[URIRef, str] = field(default_factory=dict)

    def source_graphs(self) -> dict[URIRef, Graph]:
        return {name: graph for name, graph in self.graphs.items() if str(name).startswith(str(GRAPH["source/"]))}

    def union(self, *, with_ontology: bool = True, with_drafts: bool = True) -> Graph:
        union = Graph()
        for name, graph in self.graphs.items():
            if (with_ontology or name != ONTOLOGY_GRAPH) and (with_drafts or not is_draft_graph(name)):
                union += graph
        return union


#: The named graphs of draft claims (``graph/draft/NNN``): built only with ``--include-drafts``,
#: kept out of the default graph and of reasoning.
DRAFT_GRAPHS = str(GRAPH["draft/"])


def is_draft_graph(name) -> bool:
    return str(name).startswith(DRAFT_GRAPHS)


def refuse_drafts(claims: list[Claim]) -> None:
    """Raise InvalidInput listing every draft claim (file:line): a build without
    ``--include-drafts`` holds reviewed claims only."""
    drafts = [claim for claim in claims if claim.draft]
    if drafts:
        lines = [f"{claim.where}: draft claim quoting {claim.quote[:60]!r}" for claim in drafts]
        files = sorted({claim.source.id for claim in drafts})
        raise InvalidInput(
            f"{len(drafts)} draft claims (status: draft) are not reviewed; review them with "
            f"`astana-kg review {files[0]}` or build them apart with --include-drafts:\n  " + "\n  ".join(lines))


def _read_tsv(path: Path) -> list[tuple[int, dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        return [(number, row) for number, row in enumerate(reader, start=2)]


def wikidata_graph(root: Path, labelled) -> Graph:
    """The curation graph: links to checked Wikidata items, and other public identifiers
    (``labelled``: the entities of the graph, the nodes some source labels)."""
    checked = {row["qid"]: (number, row) for number, row in _read_tsv(root / "data/wikidata/verified-qids.tsv")}
    graph = Graph()
    links_path = root / "data/curation/wikidata-links.tsv"
    for number, row in _read_tsv(links_path):
        entity = DATA[row["entity"]]
        qid = row["qid"]
        if qid not in checked:
            raise InvalidInput(
                f"{links_path}:{number}: {row['entity']} is linked to {qid}, which is not in "
                "data/wikidata/verified-qids.tsv; only checked identifiers may be used"
            )
        if entity not in labelled:
            raise InvalidInput(f"{links_path}:{number}: {row['entity']} is not an entity of the graph")
        list_line, list_row = checked[qid]
        item = WD[qid]
        alignment = DATA[f"wikidata-alignment-{row['entity']}"]
        graph.add((entity, SCHEMA.sameAs, item))
        graph.add((alignment, RDF.type, AKG.WikidataAlignment))
        graph.add((alignment, AKG.alignedEntity, entity))
        graph.add((alignment, AKG.wikidataItem, item))
        graph.add((alignment, AKG.basis, Literal(
            f"data/wikidata/verified-qids.tsv line {list_line}: {list_row['label']} = {qid} ({list_row['kind']})"
        )))
        graph.add((alignment, PROV.wasDerivedFrom, URIRef(BASE + "files/data/wikidata/verified-qids.tsv")))
    ids_path = root / "data/curation/identifiers.tsv"
    for number, row in _read_tsv(ids_path):
        entity = DATA[row["entity"]]
        if entity not in labelled:
            raise InvalidInput(f"{ids_path}:{number}: {row['entity']} is not an entity of the graph")
        graph.add((entity, AKG[row["property"]], Literal(row["value"])))
        alignment = DATA[f"identifier-{row['entity']}-{row['property']}"]
        graph.add((alignment, RDF.type, PROV.Entity))
        graph.add((alignment, AKG.alignedEntity, entity))
        graph.add((alignment, AKG.basis, Literal(row["basis"])))
    return graph


def provenance_graph(inputs_graphs: dict[URIRef, Graph], sources) -> Graph:
    """PROV-O descriptions of the named graphs and of the reasoning that makes the inferred graphs
    (:func:`inferred_provenance` describes those once they are made)."""
    graph = Graph()
    reasoning_activity = DATA["owl-rl-reasoning"]
    for source in sources.values():
        draft = GRAPH[f"draft/{source.id}"]
        if draft in inputs_graphs:
            graph.add((draft, RDF.type, PROV.Entity))
            graph.add((draft, RDFS.label, Literal(f"Draft facts of source {source.id}, not reviewed", lang="en")))
            graph.add((draft, RDFS.comment, Literal("Proposed by astana-kg draft and not yet reviewed: outside the "
                                                    "default graph and the reasoning.", lang="en")))
            graph.add((draft, PROV.wasDerivedFrom, source.iri))
            graph.add((draft, PROV.wasDerivedFrom, URIRef(BASE + f"files/data/claims/{source.id}.yaml")))
        if source.graph not in inputs_graphs:
            continue  # a source without claims has no graph to describe
        graph.add((source.graph, RDF.type, PROV.Entity))
        graph.add((source.graph, RDFS.label, Literal(f"Facts attested by source {source.id}", lang="en")))
        graph.add((source.graph, PROV.wasDerivedFrom, source.iri))
        graph.add((source.graph, PROV.wasDerivedFrom, URIRef(BASE + f"files/data/claims/{source.id}.yaml")))
        graph.add((reasoning_activity, PROV.used, source.graph))
    graph.add((ONTOLOGY_GRAPH, RDF.type, PROV.Entity))
    graph.add((ONTOLOGY_GRAPH, RDFS.label, Literal("The astana-kg ontology", lang="en")))
    graph.add((ONTOLOGY_GRAPH, PROV.wasDerivedFrom, ONTOLOGY))
    graph.add((WIKIDATA_GRAPH, RDF.type, PROV.Entity))
    graph.add((WIKIDATA_GRAPH, RDFS.label, Literal("Curated links to checked Wikidata items and other identifiers", lang="en")))
    graph.add((WIKIDATA_GRAPH, PROV.wasDerivedFrom, URIRef(BASE + "files/data/wikidata/verified-qids.tsv")))
    graph.add((WIKIDATA_GRAPH, PROV.wasDerivedFrom, URIRef(BASE + "files/data/curation/wikidata-links.tsv")))
    graph.add((reasoning_activity, RDF.type, PROV.Activity))
    graph.add((reasoning_activity, RDFS.label, Literal(
        "OWL 2 RL rules compiled from the ontology, run source by source with pyoxigraph", lang="en")))
    graph.add((reasoning_activity, PROV.used, ONTOLOGY_GRAPH))
    graph.add((reasoning_activity, PROV.used, WIKIDATA_GRAPH))
    return graph


def inferred_provenance(inferred: reasoning.Inferred) -> Graph:
    """PROV-O descriptions of the inferred graphs: each derived from its source graph, the
    ontology and the curation graph; the shared one from the ontology and the curation graph, and
    from every source graph if some of its triples follow only from several graphs together."""
    graph = Graph()
    reasoning_activity = DATA["owl-rl-reasoning"]
    sources = sorted(GRAPH["source/" + str(name).rsplit("/", 1)[-1]] for name in inferred.graphs
                     if name != reasoning.SHARED_INFERRED_GRAPH)
    for name in inferred.graphs:
        graph.add((name, RDF.type, PROV.Entity))
        graph.add((name, PROV.wasGeneratedBy, reasoning_activity))
        graph.add((name, PROV.wasDerivedFrom, ONTOLOGY_GRAPH))
        graph.add((name, PROV.wasDerivedFrom, WIKIDATA_GRAPH))
        if name == reasoning.SHARED_INFERRED_GRAPH:
            graph.add((name, RDFS.label, Literal(
                "Triples entailed under OWL 2 RL from the curation graph alone, or only from several graphs together",
                lang="en")))
            for source in sources if inferred.together else ():
                graph.add((name, PROV.wasDerivedFrom, source))
        else:
            number = str(name).rsplit("/", 1)[-1]
            graph.add((name, RDFS.label, Literal(
                f"Triples entailed under OWL 2 RL from source {number}, not asserted by it", lang="en")))
            graph.add((name, PROV.wasDerivedFrom, GRAPH["source/" + number]))
    return graph


def missing_inputs(root: Path, sources) -> list[str]:
    """A line for each file the build needs that is not there: a required file, or the claim file
    ``data/claims/NNN.yaml`` of a source ``data/sources/NNN_*.txt`` (``claims: []`` while it has none)."""
    missing = [f"{root / name}: no such file" for name in REQUIRED_FILES if not (root / name).is_file()]
    for source in sources.values():
        path = root / "data/claims" / f"{source.id}.yaml"
        if not path.is_file():
            missing.append(f"{path}: no such file; it holds the claims of {source.path.name} "
                           "(a source without claims yet has one with 'claims: []')")
    return missing


#: The number of claim files to parse from which they are shared among processes.
POOL_FROM = 16


def _parsed_claim_file(path: str, sources_dir: str) -> tuple[bytes | None, tuple | None]:
    """Parse one claim file in a process of the pool: the pickled cache entry (source id, text
    digest of that source, claims), or the fault as (path, line, message)."""
    sources = _sources_of(sources_dir)
    try:
        claims = load_claim_file(Path(path), sources)
    except CurationError as error:
        return None, (error.path, error.line, error.message)
    return _claims_entry(claims), None


@functools.lru_cache(maxsize=1)
def _sources_of(directory: str):
    return load_sources(Path(directory))


def _claims_entry(claims: list[Claim]) -> bytes:
    """The cache entry of a claim file: its source's id and a digest of the source's text, and its
    claims, each with its evidence made (:func:`rdftext.pickle_terms`)."""
    source = claims[0].source if claims else None
    for claim in claims:
        claim.evidence = tuple(annotation_triples(claim))
    return pickle_terms((source.id if source else None,
                         hashlib.sha256(source.text.encode()).hexdigest() if source else None, claims))


def graph_keys(cache: Cache, files: list[tuple[str, list[Claim]]]) -> dict[URIRef, str]:
    """A key of the content of each graph the claims of ``files`` (each file's cache key and claims)
    go to: a digest of the keys of the files that give the graph a claim, and of the text of the
    source each names.

    A graph is the facts and the evidence of its claims (:func:`claims.source_graphs`), and what a
    file's claims are depends on the file's bytes and on the text of the source it names alone
    (which is why the ``claims`` entry of a file may be reused), so the same key is the same graph:
    the stages that keep what they made of a graph can key it so, without the graph's text."""
    given: dict[URIRef, set[bytes]] = {}
    for key, claims in files:
        if claims:  # all of one source
            text = hashlib.sha256(claims[0].source.text.encode()).hexdigest()
            for name in {claim.graph for claim in claims}:
                given.setdefault(name, set()).add(f"{key} {text}".encode())
    return {name: cache.key(b"graph", *sorted(parts)) for name, parts in given.items()}


def _load_claim_files(root: Path, sources, cache: Cache | None,
                      iris: dict[str, URIRef]) -> tuple[list[Claim], dict[URIRef, str]]:
    """Every claim of every claim file, in file order, and with a cache the key of each graph they
    go to (:func:`graph_keys`); each file's claims from the cache if it holds them (the file's
    bytes and name, and the text of the source it names, unchanged), the others parsed (in a pool
    of processes when there are many); the first fault in file order is raised."""
    claims_dir = root / "data/claims"
    files = sorted(claims_dir.glob("*.yaml"))
    if not files:
        return load_claims(claims_dir, sources), {}  # the error of an empty directory
    texts = {source.id: hashlib.sha256(source.text.encode()).hexdigest() for source in sources.values()}
    found: list[list[Claim] | None] = [None] * len(files)
    # Keyed by the file's name, not its whole path: a copy of the project (another checkout, a
    # moved directory) reuses the entries, which are given this project's paths when read.
    keys = [cache.key(path.name.encode(), path.read_bytes()) if cache is not None else None for path in files]
    for index, key in enumerate(keys):
        entry = cache.get("claims", key) if cache is not None else None
        if entry is not None:
            source_id, text_digest, cached = unpickle_terms(entry, iris)
            if source_id is not None and texts.get(source_id) == text_digest:
                for claim in cached:
                    claim.path, claim.source = files[index], sources[source_id]
                found[index] = cached
                continue
            cache.miss("claims")
    todo = [index for index, claims in enumerate(found) if claims is None]
    workers = os.cpu_count() or 1
    if len(todo) >= POOL_FROM and workers > 1:
        context = multiprocessing.get_context("forkserver")  # fresh processes, as in checks
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            parsed = list(pool.map(_parsed_claim_file, [str(files[i]) for i in todo],
                                   [str(root / "data/sources")] * len(todo), chunksize=8))
    else:
        parsed = []
        for index in todo:
            try:
                parsed.append((_claims_entry(load_claim_file(files[index], sources)), None))
            except CurationError as error:
                parsed.append((None, (error.path, error.line, error.message)))
    for index, (entry, fault) in zip(todo, parsed):
        if fault is not None:
            raise CurationError(*fault)
        _, _, found[index] = unpickle_terms(entry, iris)
        if cache is not None and found[index]:
            cache.put("claims", keys[index], entry)
    keyed = graph_keys(cache, list(zip(keys, found))) if cache is not None else {}
    return [claim for claims in found for claim in claims], keyed


@functools.lru_cache(maxsize=1)
def _canonical_ontology(text: bytes) -> Graph:
    """The ontology with stable labels for its blank nodes (restrictions, lists), so that dumps are
    reproducible; shared by the builds of one process that read the same bytes (copied, not changed)."""
    parsed = checks.parse_absolute(text)
    canonical = Graph()
    canonical += to_canonical_graph(parsed)
    return canonical


def load_inputs(root: Path, include_drafts: bool = False, cache: Cache | None = None) -> Inputs:
    """Parse every input; raise InvalidInput naming the file and line of the first fault (every
    missing file, if files are missing), or every draft claim unless ``include_drafts``. ``cache``
    keeps each claim file's parsed claims."""
    sources = load_sources(root / "data/sources")
    missing = missing_inputs(root, sources)
    if missing:
        raise InvalidInput("missing input files:\n  " + "\n  ".join(missing))
    terms = Terms()
    ontology_path = root / "ontology/astana-kg.ttl"
    try:
        ontology = Graph()
        ontology += _canonical_ontology(ontology_path.read_bytes())
    except checks.RelativeIRI as error:
        raise InvalidInput(f"{ontology_path}: {error}") from None
    except Exception as error:
        raise InvalidInput(f"{ontology_path}: not valid Turtle: {error}") from None
    try:
        claims, keys = _load_claim_files(root, sources, cache, terms.iris)
    except CurationError as error:
        raise InvalidInput(str(error)) from None
    if not include_drafts:
        refuse_drafts(claims)
    graphs: dict[URIRef, Graph] = {ONTOLOGY_GRAPH: ontology}
    graphs.update(source_graphs(claims))
    labelled = {s for name, graph in graphs.items() if name != ONTOLOGY_GRAPH for s in graph.subjects(RDFS.label)}
    graphs[WIKIDATA_GRAPH] = wikidata_graph(root, labelled)
    graphs[PROVENANCE_GRAPH] = provenance_graph(graphs, sources)
    files = sorted(
        [ontology_path, root / "data/wikidata/verified-qids.tsv", root / "data/curation/wikidata-links.tsv",
         root / "data/curation/identifiers.tsv"]
        + [s.path for s in sources.values()]
        + list((root / "data/claims").glob("*.yaml"))
        + list((root / "shapes").glob("*.ttl"))
    )
    return Inputs(root, ontology, claims, graphs, files, terms=terms, keys=keys)


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------

def default_graph_lines(dump: bytes, drafts: bool = True) -> bytes:
    """The triples of the sorted N-Quads ``dump`` without their graph, once each, as N-Quads lines
    of the default graph: loaded with the dump, they make the default graph the RDF merge of the
    named graphs (as :func:`materialize_default_graph` does, without a SPARQL update over them all;
    with ``drafts=False``, of those that are not draft graphs).

    >>> default_graph_lines(b'<urn:a> <urn:p> "x y" <urn:g1> .\\n<urn:a> <urn:p> "x y" <urn:g2> .\\n')
    b'<urn:a> <urn:p> "x y" .\\n'
    """
    return b"".join(default_graph_parts(dump, drafts))


def default_graph_parts(dump: bytes | Path, drafts: bool = True, size: int = LOAD_CHUNK_BYTES):
    """The bytes of :func:`default_graph_lines`, a part of about ``size`` bytes at a time (whole
    lines): what a bulk load takes, without the text or the lines of the whole default graph.
    ``dump``: its bytes, or its file (read a line at a time).

    >>> list(default_graph_parts(b'<urn:a> <urn:p> <urn:b> <urn:g> .\\n<urn:a> <urn:p> <urn:c> <urn:g> .\\n', size=1))
    [b'<urn:a> <urn:p> <urn:b> .\\n', b'<urn:a> <urn:p> <urn:c> .\\n']
    """
    draft = b"<" + DRAFT_GRAPHS.encode()
    lines, length, last = [], 0, None
    # One pass, in the dump's order: a triple's quads are next to one another there (each line is
    # the triple, a space and an IRI, and no term's text begins with another's and a space), and
    # the triples come in the order of their own lines.
    with io.BytesIO(dump) if isinstance(dump, bytes) else open(dump, "rb") as text:
        for line in text:
            triple, _, graph = line[:-3].rpartition(b" ")  # "S P O G .\n"
            if triple and triple != last and (drafts or not graph.startswith(draft)):
                lines.append(triple + b" .\n")
                length += len(triple) + 3
                last = triple
                if length >= size:
                    yield b"".join(lines)
                    lines, length = [], 0
    if lines:
        yield b"".join(lines)


def materialize_default_graph(store: ox.Store, drafts: bool = True) -> None:
    """Make the store's default graph the RDF merge of its named graphs (with ``drafts=False``,
    of those that are not draft graphs).

    Queries then see every fact once in the default graph, as the SPARQL dataset's merge, where
    a union computed at query time would repeat a triple once per graph that holds it.
    """
    if drafts:
        store.update("INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")
    else:
        drafts_prefix = json.dumps(DRAFT_GRAPHS)  # a constant of this module, a valid SPARQL string
        store.update(f"INSERT {{ ?s ?p ?o }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(!STRSTARTS(STR(?g), {drafts_prefix})) }}")


def input_digest(files: list[Path], root: Path) -> str:
    """A SHA-256 over the build's input files, names and contents: the identity of a build."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def output_path(out: Path | str) -> Path:
    """The absolute path of the link ``out``, its directory resolved but not the link itself."""
    out = Path(os.path.abspath(out))
    return out.parent.resolve() / out.name


def _alive(pid: int) -> bool:
    """Whether process ``pid`` still exists (one of another user counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


def remove_stale_temporaries(out: Path) -> list[Path]:
    """Remove what killed builds of ``out`` left beside it, and return their paths.

    ``.NAME.tmp-PID`` is a half-written build, ``.NAME.link-PID`` a link not yet swapped in,
    ``.NAME.old-PID`` a build that older versions had moved aside, ``.NAME.checks-PID`` and
    ``.NAME.union-PID`` the stores of a build's violation queries and of the union it reasons
    over (:func:`scratch_directory`); each is removed once its process ``PID`` no longer runs (a
    live build's are kept)."""
    out = output_path(out)
    if not out.parent.is_dir():
        return []
    pattern = re.compile(rf"\.{re.escape(out.name)}\.(?:tmp|link|old|checks|union)-(\d+)")
    removed = []
    for path in sorted(out.parent.iterdir()):
        match = pattern.fullmatch(path.name)
        if match and int(match[1]) != os.getpid() and not _alive(int(match[1])):
            _remove(path)
            removed.append(path)
    return removed


def scratch_directory(out: Path, purpose: str) -> Path:
    """A directory beside the link ``out`` for what this process's build of it makes and removes
    (``.NAME.PURPOSE-PID``): on the disk of the build, not in a temporary directory that may be
    held in memory, and removed by a later build if this one is killed (:func:`remove_stale_temporaries`)."""
    out = output_path(out)
    return out.parent / f".{out.name}.{purpose}-{os.getpid()}"


def prepare_output(out: Path) -> None:
    """Check that ``out`` can become a link to a build, and remove stale temporaries beside it."""
    out = output_path(out)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"{out} is a file, not a build")
    remove_stale_temporaries(out)


@contextlib.contextmanager
def _locked(builds: Path):
    """Hold the lock of ``builds`` (one build at a time adds a build and swaps the link)."""
    with open(builds / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _new_build_directory(builds: Path, label: str) -> Path:
    """A fresh name in ``builds``: the UTC time and ``label``, made unique."""
    name = f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{label}"
    path, number = builds / name, 1
    while path.exists():
        number += 1
        path = builds / f"{name}-{number}"
    return path


def _install(out: Path, tmp: Path, label: str) -> Path:
    """Move the complete build ``tmp`` into ``.NAME.builds/`` and point the link ``out`` at it.

    The switch is one rename(2) of a new link over the old one: ``out`` always names a complete
    build, the old one or the new one. The build replaced is kept (a running server may serve it),
    older ones are removed."""
    builds = builds_directory(out)
    builds.mkdir(exist_ok=True)
    with _locked(builds):
        previous = out.resolve() if out.is_symlink() and out.is_dir() else None
        directory = _new_build_directory(builds, label)
        tmp.rename(directory)
        link = out.parent / f".{out.name}.link-{os.getpid()}"
        link.unlink(missing_ok=True)
        os.symlink(os.path.relpath(directory, out.parent), link)
        moved = None
        try:
            if out.is_dir() and not out.is_symlink():
                # A build of an older version: the one step that is not atomic, taken once.
                moved = previous = _new_build_directory(builds, "replaced")
                out.rename(moved)
            os.replace(link, out)
        except BaseException:
            link.unlink(missing_ok=True)
            if moved is not None and moved.is_dir() and not out.exists():
                moved.rename(out)
            raise
        for path in builds.iterdir():
            if not path.name.startswith(".") and path not in (directory, previous):
                _remove(path)
    return directory


def sorted_difference(old: bytes, new: bytes) -> tuple[list[bytes], list[bytes]]:
    """The lines of ``old`` not in ``new`` and those of ``new`` not in ``old``, both texts' lines
    sorted and distinct (a dump, the default graph made from it): one pass over each, in step.

    >>> sorted_difference(b"a\\nb\\nd\\n", b"b\\nc\\nd\\ne\\n")
    ([b'a'], [b'c', b'e'])
    """
    removed, added = [], []
    olds, news = ((line.rstrip(b"\n") for line in io.BytesIO(text) if line != b"\n") for text in (old, new))
    a, b = next(olds, None), next(news, None)
    while a is not None and b is not None:
        if a == b:
            a, b = next(olds, None), next(news, None)
        elif a < b:
            removed.append(a)
            a = next(olds, None)
        else:
            added.append(b)
            b = next(news, None)
    if a is not None:
        removed.append(a)
        removed.extend(olds)
    if b is not None:
        added.append(b)
        added.extend(news)
    return removed, added


#: The share of the dump's lines a rebuild may change and still make its store from the last one.
STORE_REUSE_AT_MOST = 0.1


def previous_build(out: Path) -> Path | None:
    """The directory of the build the link ``out`` names, if this code (and these libraries) wrote
    it: its files are then what this build would write from the same lines."""
    try:
        previous = out.resolve(strict=True) if out.is_symlink() else None
        if previous is None:
            return None
        made = json.loads((previous / INFO_NAME).read_text(encoding="utf-8")).get("store") or {}
    except (OSError, ValueError):
        return None
    return previous if made.get("code") == code_version() else None


def _read_info(directory: Path | None) -> dict:
    """The build info of the build in ``directory``; empty where there is none, or it cannot be read."""
    try:
        info = json.loads((directory / INFO_NAME).read_text(encoding="utf-8")) if directory is not None else {}
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def _store_from_previous(previous: Path | None, info: dict, target: Path, dump: bytes, default: Callable[[], bytes],
                         extra_quads: list[ox.Quad], extra_graphs: list[str],
                         changes: tuple[list[bytes], list[bytes]] | None = None) -> bool:
    """Make the store at ``target`` from the store of the build ``previous`` (see
    :func:`previous_build`; ``info``: its build info): a copy of it (a checkpoint: hard links to its files), changed by the
    lines in which the two dumps, and the two default graphs made from them (``default()`` gives
    this build's), differ, and given this build's ``extra_quads``. The store then holds what a bulk
    load of this build's dump would. ``changes``: the lines of the two dumps that differ (the
    removed, the added), if known; the default graph then changes by the triples of those lines
    (one leaves it where no graph of the dump holds it any more).

    False, with nothing made, where it cannot be done so: no previous build, more than
    :data:`STORE_REUSE_AT_MOST` of the lines changed (a bulk load is faster then), or a changed
    line with a blank node (a bulk load gives blank nodes labels of its own, so a line of a dump
    does not name the store's)."""
    if previous is None:
        return False
    made = info.get("store") or {}
    try:
        old_dump = (previous / DUMP_NAME).read_bytes() if changes is None else b""
    except OSError:
        return False
    if changes is not None:
        removed, added = changes
    elif old_dump == dump:  # the same quads, and so the same default graph
        removed, added = [], []
    else:
        removed, added = sorted_difference(old_dump, dump)
        less, more = sorted_difference(default_graph_lines(old_dump, drafts=False), default())
        removed += less
        added += more
    del old_dump
    if len(removed) + len(added) > STORE_REUSE_AT_MOST * (dump.count(b"\n") or 1):
        return False
    if any(b"_:" in line for line in itertools.chain(removed, added)):
        return False
    if any(f" <{name}> .\n".encode() in dump for name in set(extra_graphs) | set(made.get("extra_graphs", []))):
        return False  # a graph of the extra quads is also one of the dump's: cleared, it would lose them
    try:
        ox.Store.read_only(str(previous / STORE_NAME)).backup(str(target))
    except OSError:  # the previous build removed meanwhile by another build
        shutil.rmtree(target, ignore_errors=True)
        return False
    store = ox.Store(str(target))
    removed_quads = list(ox.parse(b"".join(line + b"\n" for line in removed), format=ox.RdfFormat.N_QUADS))
    added_quads = list(ox.parse(b"".join(line + b"\n" for line in added), format=ox.RdfFormat.N_QUADS))
    for quad in removed_quads:
        store.remove(quad)
    store.extend(added_quads)
    for name in made.get("extra_graphs", []):
        store.clear_graph(ox.NamedNode(name))
    if changes is not None:
        _merge_changes(store, removed_quads, added_quads, set(extra_graphs) | set(made.get("extra_graphs", [])))
    store.extend(extra_quads)
    store.flush()
    return True


def _merge_changes(store: ox.Store, removed: list[ox.Quad], added: list[ox.Quad], extra_graphs: set[str]) -> None:
    """Bring the default graph of ``store`` (the merge of its named graphs but the draft ones and
    ``extra_graphs``) up to date after the quads ``removed`` left those graphs and ``added`` joined them."""
    def merged(name) -> bool:
        return isinstance(name, ox.NamedNode) and not name.value.startswith(DRAFT_GRAPHS) and name.value not in extra_graphs

    for s, p, o in {(q.subject, q.predicate, q.object) for q in removed if merged(q.graph_name)}:
        if not any(merged(quad.graph_name) for quad in store.quads_for_pattern(s, p, o)):
            store.remove(ox.Quad(s, p, o, ox.DefaultGraph()))
    store.extend([ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in added if merged(q.graph_name)])


#: The file in the cache that records the key of the content of some graphs of the last build's
#: dump (see :func:`_dump`).
DUMP_KEYS = "dump-keys.json"


def _dump(graphs: dict[URIRef, Graph], terms: Terms | None, previous: Path | None, info: dict, keys: dict[str, str],
          recorded: Path | None, counts: dict[str, int] | None, path: Path) -> tuple[tuple[list, list] | None,
                                                                                  Mapping[str, list[bytes]],
                                                                                  frozenset[str]]:
    """Write the sorted N-Quads of ``graphs`` (:func:`sorted_nquads`) to ``path``; return the lines
    in which it differs from the dump of the build ``previous`` (see :func:`previous_build`; ``info``: its build info), if
    that is known; its lines by graph (taken from the last dump, or made from the graphs as they
    are read: :class:`astana_kg.pipeline.rdftext.GraphLines`); and the graphs whose lines are the
    previous dump's.

    Where that dump is the one whose graphs' keys the file ``recorded`` lists, the lines of the
    graphs whose key is the one in ``keys`` (the same key, the same graph) are taken from it, and
    only the other graphs are written: those are the only lines that can differ (``counts`` goes
    up by a hit). Else every graph is written (a miss), and the difference is not known."""
    try:
        known = json.loads(recorded.read_text()) if recorded is not None and previous is not None else {}
    except (OSError, ValueError):
        known = {}
    same = {name for name, key in keys.items() if known.get("graphs", {}).get(name) == key} \
        if known.get("dump_sha256") and known.get("dump_sha256") == info.get("dump_sha256") else set()
    same &= {str(name) for name in graphs}
    if not same:
        if counts is not None:
            counts["misses"] += 1
        write_nquads(graphs, path, terms)
        return None, GraphLines(graphs, terms), frozenset()
    terms = Terms() if terms is None else terms
    dump = (previous / DUMP_NAME).read_bytes()

    def tail(name: str) -> bytes:  # a line "S P O G ." of the graph G ends so
        return f" {terms[URIRef(name)]} .".encode()

    # The lines of the graphs that are not the same (changed, new or gone) are replaced; the others
    # are the last dump's, read by the downloads only where they cannot reuse the last build's.
    groups: dict[str, Sequence[bytes]] = {}
    after = []
    for name, graph in graphs.items():
        if str(name) in same:
            if len(graph):
                groups[str(name)] = LinesOf(dump, tail(str(name)))
            continue
        written = sorted(set(nquads_lines({name: graph}, terms)))
        if written:
            groups[str(name)] = written
        after += written
    replaced = sorted(({str(name) for name in graphs} | set(info.get("graphs", {}))) - same)
    with open(path, "wb") as out:
        changes = replace_lines(dump, [tail(name) for name in replaced], after, out)
    if counts is not None:
        counts["hits"] += 1
    return changes, dict(sorted(groups.items())), frozenset(same)


def _load_store(path: Path, dump: Path, defaults, extra_quads: list[ox.Quad]) -> None:
    """Make the store at ``path`` from the dump's file ``dump`` (bulk-loaded a part at a time), the
    default graph's text ``defaults`` (its parts) and ``extra_quads``, and compact it."""
    store = ox.Store(str(path))
    for part in text_parts(dump):
        store.bulk_load(part, format=ox.RdfFormat.N_QUADS)
    for part in defaults:
        bulk_load_text(store, part)
    if extra_quads:
        store.extend(extra_quads)
    store.optimize()


def write_build(out: Path, graphs: dict[URIRef, Graph], info: dict, extra: dict[str, str] | None = None,
                extra_quads: list[ox.Quad] | None = None, terms: Terms | None = None,
                reuse: bool = False, keys: dict[str, str] | None = None, recorded: Path | None = None,
                counts: dict[str, int] | None = None, ready: Callable[[], object] | None = None) -> Path:
    """Write the dump, the store, the build info and ``extra`` text files into a new build, point
    the link ``out`` at it, and return its directory. ``ready`` is called once the build is
    written and before it is put in place: what it raises leaves no build and the link as it was.

    ``extra_quads`` (the Wikidata cache) go into the store only, in their own named graph: not
    into the dump, nor into the default graph. With ``reuse``, the store is made from the store
    of the build ``out`` names now where that can be done (:func:`_store_from_previous`), and the
    downloads of the graphs whose lines are unchanged are taken from it (:func:`dumps.write_downloads`);
    with ``keys`` too (a key of the content of some graphs, by name), so are the dump's lines of the
    graphs whose key is the one the file ``recorded`` gives for its dump (:func:`_dump`), and the
    file then records this build's."""
    out = output_path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    prepare_output(out)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        previous = previous_build(out) if reuse else None
        previous_info = _read_info(previous)
        changes, groups, unchanged = _dump(graphs, terms, previous if keys else None, previous_info, keys or {},
                                           recorded, counts, tmp / DUMP_NAME)
        memory.release()
        # Its bytes are read where a last build's store may be brought up to date with them; else
        # the dump is read from its file a part at a time, not held whole beside the graphs.
        dump = (tmp / DUMP_NAME).read_bytes() if previous is not None else None
        source = tmp / DUMP_NAME if dump is None else dump  # what reads the dump in parts takes
        extra_graphs = sorted({quad.graph_name.value for quad in extra_quads or []
                               if isinstance(quad.graph_name, ox.NamedNode)})
        default = functools.cache(lambda: default_graph_lines(dump, drafts=False))
        loading = None
        # A store made afresh is loaded by a thread beside the downloads: the bulk loads and the
        # compaction let go of the interpreter, which the downloads hold most of their time.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="build-store") as pool:
            if not _store_from_previous(previous, previous_info, tmp / STORE_NAME, dump, default, extra_quads or [],
                                        extra_graphs, changes):
                # The default graph's text, if the last build's was compared with it, else a part
                # at a time: its lines and its text are most of the dump's size.
                defaults = [default()] if default.cache_info().currsize else default_graph_parts(source, drafts=False)
                loading = pool.submit(_load_store, tmp / STORE_NAME, tmp / DUMP_NAME, defaults, extra_quads or [])
            del default, changes
            manifest = dumps.write_downloads(source, tmp, previous, groups, unchanged)
        if loading is not None:
            loading.result()  # what the thread raised, once the downloads are made
        del groups, source, loading
        memory.release()
        for name, text in (extra or {}).items():
            (tmp / name).write_text(text, encoding="utf-8")
            if name in dumps.DOCUMENTS:
                manifest.update(dumps.manifest({name: text.encode("utf-8")}))
        digest = manifest[DUMP_NAME]["sha256"]
        # The dump's newlines, counted by write_downloads: one a quad, or the one of a dump without any.
        info = dict(info, dump_sha256=digest, quads=manifest[DUMP_NAME]["triples"] or 1, downloads=manifest,
                    store={"code": code_version(), "extra_graphs": extra_graphs})
        (tmp / INFO_NAME).write_text(json.dumps(info, indent=2, sort_keys=True) + "\n")
        if ready is not None:
            ready()
        if recorded is not None:
            recorded.unlink(missing_ok=True)  # until this build is the one the link names
        directory = _install(out, tmp, digest[:12])
        if recorded is not None and keys:
            written = recorded.with_name(f".{recorded.name}.tmp-{os.getpid()}")
            written.write_text(json.dumps({"dump_sha256": digest, "graphs": keys}, sort_keys=True))
            os.replace(written, recorded)
        return directory
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# The build
# ---------------------------------------------------------------------------------------------

@dataclass
class BuildResult:
    out: Path  # the build's own directory, which stays as it is when a later build moves the link
    graphs: dict[URIRef, Graph]
    timings: dict[str, float]
    info: dict
    link: Path | None = None  # the link that names the newest build
    cache: dict | None = None  # hits and misses of the cache per stage (None: built without it)
    classes: Counter = field(default_factory=Counter)  # entities per class of the ontology (see census)

    def summary(self) -> str:
        lines = [f"built {self.link} -> {self.out}" if self.link else f"built {self.out}"]
        lines.append("triples per graph:")
        for name in sorted(self.graphs, key=str):
            lines.append(f"  {len(self.graphs[name]):7d}  {name}")
        lines.append("entities per class (asserted or inferred):")
        for cls, count in sorted(self.classes.items(), key=lambda kv: (-kv[1], str(kv[0]))):
            lines.append(f"  {count:7d}  akg:{str(cls)[len(str(AKG)):]}")
        lines.append(f"entities without a checked Wikidata identifier: {len(self.info['unlinked'])} "
                     f"(listed in {(self.link or self.out) / 'unlinked.tsv'})")
        if self.cache is not None:
            lines.append("cache (hits/misses): " + ", ".join(
                f"{stage} {counts['hits']}/{counts['misses']}" for stage, counts in self.cache.items()))
        lines.append("time per stage:")
        for stage, seconds in self.timings.items():
            lines.append(f"  {seconds:7.2f} s  {stage}")
        return "\n".join(lines)


def unlinked_entities(graphs: dict[URIRef, Graph]) -> list[tuple[str, str, str]]:
    """Persons, parties and places with no Wikidata link: (IRI, label, class) rows for curators."""
    return census(graphs)[0]


def census(graphs: dict[URIRef, Graph]) -> tuple[list[tuple[str, str, str]], Counter]:
    """The unlinked entities (:func:`unlinked_entities`) and how many entities (IRIs of the data)
    each class of the ontology has in any graph, asserted or inferred. Each graph is read in one
    pass, without the indexes rdflib's lookups would make of it (after the write stage has dropped
    them, a lookup of every type took 0.9 s of a 100x build's summary)."""
    # Terms looked up in sets and dicts, by hash (rdflib compares terms in Python, for each triple).
    classes, zone = {AKG.Person, AKG.Party, AKG.Place, AKG.NewsOrganization}, {AKG.DeEscalationZone}
    kinds = {RDF.type: "type", SCHEMA.sameAs: "link", RDFS.label: "label"}
    linked, labels, types = set(), [], set()
    for graph in graphs.values():
        for s, p, o in triples_of(graph):
            kind = kinds.get(p)
            if kind == "type":
                types.add((s, o))
            elif kind == "link":
                linked.add(s)
            elif kind == "label":
                labels.append((s, o))
    zones = {s for s, o in types if o in zone}
    typed = [(s, o) for s, o in types if o in classes]
    data = str(DATA)
    found = [(entity, cls) for entity, cls in typed if isinstance(entity, URIRef) and entity.startswith(data)
             and entity not in linked and entity not in zones]
    wanted = {entity for entity, _ in found}
    names: dict = {}
    for entity, text in labels:
        if entity in wanted:
            names[entity] = min(names.get(entity, str(text)), str(text))  # one of them, the same every time
    unlinked = sorted({(str(entity), names.get(entity, ""), f"akg:{str(cls)[len(str(AKG)):]}") for entity, cls in found})
    akg = str(AKG)  # terms are strings: no str() of a million of them
    counts = Counter(o for s, o in types if isinstance(o, URIRef) and o.startswith(akg) and s.startswith(data))
    return unlinked, counts


def _wikidata_cache(path: Path, root: Path) -> tuple[list[ox.Quad], dict]:
    """The quads of the offline Wikidata cache and what build-info says of it: the fetched cache
    file if there is one, else the checked claims of data/wikidata/ (every build has a cache)."""
    try:
        if path.is_file():
            quads, digest = wikidata.read_cache(path)
            return quads, {"file": str(path), "sha256": digest, "quads": len(quads), "graph": wikidata.CACHE_GRAPH}
        quads = wikidata.checked_quads(root)
    except wikidata.CacheError as error:
        raise InvalidInput(str(error)) from None
    digest = hashlib.sha256(ox.serialize(quads, format=ox.RdfFormat.N_QUADS)).hexdigest()
    return quads, {"file": None, "derived_from": list(wikidata.CHECKED_FILES), "sha256": digest,
                   "quads": len(quads), "graph": wikidata.CHECKED_GRAPH}


@contextlib.contextmanager
def _without_cyclic_gc():
    """Pause Python's cyclic garbage collector: a build makes millions of objects (rdflib terms and
    triples) that live until it ends, and each full collection walks all of them, so that with
    the collector on, a build of 500 articles spent most of its load stage collecting (68 s cached,
    6 s without). Reference counting still frees what a build drops."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build(out: Path, root: Path | None = None, wikidata_cache: Path | None = None,
          report: Report | None = None, include_drafts: bool = False, cache: bool = True) -> BuildResult:
    """Run every stage; raise InvalidInput (exit 1) for bad input, anything else is an error (exit 2).

    ``wikidata_cache`` (default: ``var/wikidata-cache.nq`` of the project, if present; else the
    checked claims of data/wikidata/) is loaded into the store as its own named graph, apart from
    the sources and from reasoning. Draft claims are refused unless ``include_drafts``: then each
    draft source's go to ``graph/draft/NNN``, outside the default graph and the reasoning. ``report``
    hears of each stage as it starts and ends. ``cache`` keeps what each source gave each stage in
    ``.NAME.cache/`` beside the link (see :mod:`astana_kg.pipeline.cache`); ``False`` neither reads nor writes it."""
    with _without_cyclic_gc():
        try:
            return _build(out, root, wikidata_cache, report, include_drafts, cache)
        finally:
            union.wait()  # the union of the reasoning, kept for the next build, is on disk


def _build(out: Path, root: Path | None, wikidata_cache: Path | None, report: Report | None,
           include_drafts: bool, cache: bool) -> BuildResult:
    root = root or project_root()
    out = output_path(out)
    prepare_output(out)
    stages = Stages(report)
    kept = Cache(cache_directory(out)) if cache else None

    stages.begin("load")
    inputs = load_inputs(root, include_drafts, kept)
    cache_quads, cache_info = _wikidata_cache(wikidata_cache or wikidata.default_cache_path(root), root)

    memory.release()  # between stages, what the last one let go
    stages.begin("validate")
    checks.check_vocabulary(inputs)
    # The violation queries run in a thread of their own beside the shapes, the reasoning and the
    # writing: pyoxigraph lets go of the interpreter while it loads their store and answers them,
    # most of their time. Nothing changes the input graphs once loaded, and what they report is
    # still reported after the shapes' faults and before the reasoner's, as when they ran in
    # between; the build is written, but not put in place, before they have answered.
    found = {checks.DANGLING_REFERENCE: checks.dangling_references(inputs.graphs)}  # reported with the queries'
    background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="violation-queries")
    try:
        violations = background.submit(checks.run_violation_queries, inputs, root / "queries" / "checks", kept,
                                       scratch_directory(out, "checks"), found)
        checks.validate_shapes(inputs, root / "shapes", cache=kept)

        memory.release()
        stages.begin("reason")
        try:
            inferred = reasoning.infer_by_source(inputs.ontology, inputs.source_graphs(),
                                                 {WIKIDATA_GRAPH: inputs.graphs[WIKIDATA_GRAPH]}, cache=kept,
                                                 terms=inputs.terms, keys=inputs.keys,
                                                 scratch=scratch_directory(out, "union"))
        except reasoning.InconsistentData as error:
            violations.result()
            raise InvalidInput(checks.inconsistency_report(error, inputs)) from None
        except reasoning.UnsupportedSchema as error:
            violations.result()
            raise InvalidInput(f"{root / 'ontology/astana-kg.ttl'}: {error}") from None
        graphs = dict(inputs.graphs)
        graphs.update(inferred.graphs)
        graphs[PROVENANCE_GRAPH] = provenance = Graph(store=WrittenOnce())
        provenance.store.extend(inputs.graphs[PROVENANCE_GRAPH])
        provenance.store.extend(inferred_provenance(inferred))
        reviewed = {name: graph for name, graph in graphs.items() if not is_draft_graph(name)}
        graphs.update(labels.label_graphs(reviewed, PROVENANCE_GRAPH))  # generated labels, in a graph of their own
        if kept is None:  # what their thread held is not held beside what writing holds
            violations.result()
            background.shutdown()  # their thread ended: at 1,000x (their store then in memory) its memory went back only then

        memory.release()
        stages.begin("document")
        ontology_file = root / "ontology/astana-kg.ttl"
        documentation = cached(kept, "schema", (b"documentation", str(ontology_file).encode(),
                                                ontology_file.read_bytes()),
                               lambda: dumps.ontology_html(ontology_file))

        stages.begin("write")
        unlinked, classes = census(graphs)
        for graph in graphs.values():  # the last lookups are done: writing reads each graph in full
            if isinstance(graph.store, WrittenOnce):
                graph.store.drop_indexes()
        info = {"input_sha256": input_digest(inputs.files, root), "graphs": {str(k): len(v) for k, v in graphs.items()},
                "unlinked": [row[0] for row in unlinked]}
        info["wikidata_cache"] = cache_info
        unlinked_tsv = "entity\tlabel\tclass\n" + "".join("\t".join(row) + "\n" for row in unlinked)
        keys = {str(name): key for name, key in (*inputs.keys.items(), *inferred.keys.items())}
        directory = write_build(out, graphs, info, {"unlinked.tsv": unlinked_tsv,
                                                    dumps.ONTOLOGY_HTML_NAME: documentation},
                                extra_quads=cache_quads, terms=inputs.terms, reuse=kept is not None,
                                keys=keys, recorded=kept.directory / DUMP_KEYS if kept is not None else None,
                                counts=kept.counts["dump"] if kept is not None else None,
                                ready=violations.result)
    finally:
        background.shutdown()  # waits for the queries, whatever ended the build
    if kept is not None:
        kept.prune()
    stages.end()
    return BuildResult(directory, graphs, stages.timings, info, out, kept.summary() if kept is not None else None,
                       classes)
