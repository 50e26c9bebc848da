"""Validation of the build's input: closed vocabulary, SHACL shapes, and violation queries.

Every failure raises :class:`astana_kg.pipeline.rdftext.InvalidInput` with a report a person can act on:
which node, which rule, why, and the claim (file and line) the node comes from.
"""

from __future__ import annotations

import functools
import json
import multiprocessing
import os
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.compare import to_canonical_graph
from rdflib.namespace import RDF, RDFS, SH
from rdflib.plugins.serializers.nt import _nt_row

from ..namespaces import AKG, DATA, GRAPH, PROVENANCE_GRAPH, WIKIDATA_GRAPH
from . import memory
from .cache import cached
from .dataset import kept_dataset
from .rdftext import InvalidInput, ntriples, triples_of


def _invalid(report: str):
    return InvalidInput(report)


def claim_locations(inputs) -> dict[URIRef, list[str]]:
    """For each node, the ``file:line`` of every claim whose facts mention it."""
    where: dict[URIRef, list[str]] = defaultdict(list)
    for claim in inputs.claims:
        nodes = set()
        for s, p, o in claim.triples:
            nodes.update(t for t in (s, o) if isinstance(t, URIRef))
        for node in nodes:
            where[node].append(claim.where)
    return where


def _where(node, locations) -> str:
    places = locations.get(node, [])
    if not places:
        return ""
    shown = ", ".join(places[:3]) + (f" and {len(places) - 3} more" if len(places) > 3 else "")
    return f" (claims at {shown})"


def check_vocabulary(inputs) -> None:
    """Every ``akg:`` term used in the data must be defined by the ontology; a report line gives
    the line of the claim file where the facts write the term."""
    defined = {s for s in inputs.ontology.subjects() if isinstance(s, URIRef)}
    namespace = str(AKG)
    problems = set()  # (file, line, local name): sorted by file, then by line
    for claim in inputs.claims:
        for triple in claim.triples:
            for term in triple:
                if isinstance(term, URIRef) and str(term).startswith(namespace) and term not in defined:
                    problems.add((str(claim.path), claim.line_of(term), str(term)[len(namespace):]))
    if problems:
        raise _invalid("unknown ontology terms:\n  " + "\n  ".join(
            f"{path}:{line}: akg:{name} is not a term of the ontology" for path, line, name in sorted(problems)))


#: The name the report gives the check of :func:`dangling_references`.
DANGLING_REFERENCE = "dangling-reference-violation"


def dangling_references(graphs: dict[URIRef, Graph]) -> list[dict[str, str]]:
    """The references to nodes described nowhere: for each IRI of the data's namespace that a
    triple of some graph has as its object and that no graph gives an ``rdf:type`` (usually a
    misspelt IRI in a claim file), one row for each node and property that refer to it, ordered
    by node, then by the node that refers to it. The graphs are read as their merge (as the
    violation queries read the default graph), in one pass where no reference dangles, and the
    rows are those of the query::

        SELECT DISTINCT ?this ?usedBy ?property WHERE {
          ?usedBy ?property ?this .
          FILTER(isIRI(?this) && STRSTARTS(STR(?this), "https://w3id.org/astana-kg/id/"))
          FILTER NOT EXISTS { ?this rdf:type ?type }
        }

    It is checked here rather than by such a query: over the store of every graph on disk, the
    query read each of the merge's triples from it (2 to 3.5 s at 500 articles, of the queries' 5).

    >>> from rdflib import Graph
    >>> g = Graph(); _ = g.add((DATA.a, AKG.roleIn, DATA.memorandun)); _ = g.add((DATA.a, RDF.type, AKG.Role))
    >>> dangling_references({URIRef("urn:g"): g})
    [{'this': 'https://w3id.org/astana-kg/id/memorandun', 'usedBy': 'https://w3id.org/astana-kg/id/a', \
'property': 'https://w3id.org/astana-kg/ontology#roleIn'}]
    """
    namespace, rdf_type = str(DATA), RDF.type
    typed, referred = set(), set()
    for graph in graphs.values():
        for s, p, o in triples_of(graph):
            if p == rdf_type:
                typed.add(s)
            if type(o) is URIRef and o.startswith(namespace):
                referred.add(o)
    dangling = referred - typed
    if not dangling:
        return []
    rows = {(o, s, p) for graph in graphs.values() for s, p, o in triples_of(graph) if o in dangling}
    return [{"this": str(o), "usedBy": str(s), "property": str(p)}
            for o, s, p in sorted(rows, key=lambda row: tuple(map(str, row)))]


def _written_at(results: Graph, focus, path, value, claims) -> list[str]:
    """The ``file:line`` of each claim that writes the triple a result of path ``path`` (a property
    or its inverse, described in ``results``: a validation report or the shapes) between ``focus``
    and ``value`` is about."""
    if value is None or path is None:
        return []
    inverse = results.value(path, SH.inversePath)
    if isinstance(path, URIRef):
        subject, predicate, value_ = focus, path, value
    elif isinstance(inverse, URIRef):
        subject, predicate, value_ = value, inverse, focus
    else:
        return []
    return [f"{claim.path}:{claim.line_of_triple(subject, predicate, value_)}"
            for claim in claims if (subject, predicate, value_) in claim.triples]


def _shape_label(shapes: Graph, shape):
    """The label of ``shape``, or of the node shape that holds it (a property shape has none)."""
    label = shapes.value(shape, RDFS.label) if shape is not None else None
    while label is None and shape is not None:
        parent = shapes.value(None, SH.property, shape)
        if parent is None:
            break
        shape, label = parent, shapes.value(parent, RDFS.label)
    return label or shape


def _path_text(shapes: Graph, path) -> str:
    """A property shape's path as SPARQL writes it (``akg:roleIn``, ``^oa:hasBody``, ``(a|b)``)."""
    if path is None:
        return ""
    inverse = shapes.value(path, SH.inversePath)
    if inverse is not None:
        return "^" + _path_text(shapes, inverse)
    alternatives = shapes.value(path, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(_path_text(shapes, p) for p in Collection(shapes, alternatives)) + ")"
    return path.n3(shapes.namespace_manager)


def _format_results(results: Graph, shapes: Graph, locations, claims=()) -> list[str]:
    lines = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        focus = results.value(result, SH.focusNode)
        shape = results.value(result, SH.sourceShape)
        path = results.value(result, SH.resultPath)
        message = results.value(result, SH.resultMessage)
        value = results.value(result, SH.value)
        line = f"{focus}: {_shape_label(shapes, shape)}"
        if path is not None:
            inverse = results.value(path, SH.inversePath)
            shown = f"^{inverse.n3(results.namespace_manager)}" if inverse is not None else path.n3(results.namespace_manager)
            line += f" [path {shown}]"
        line += f": {message}"
        if value is not None and value != focus:
            line += f" (value {value})"
        written = _written_at(results, focus, path, value, claims)
        lines.append(line + (f" (written at {', '.join(written)})" if written else _where(focus, locations)))
    return sorted(lines)


# ---------------------------------------------------------------------------------------------
# The data shapes, source by source
# ---------------------------------------------------------------------------------------------

#: The namespace of the IRIs given to the shapes' blank nodes.
SHAPE_NODES = "urn:astana-kg:shape-node:"


def shapes_for_engine(path: Path, cache=None) -> tuple[Graph, str]:
    """The shapes of ``path`` with their property shapes named by IRIs (the same in every build),
    so that a result's source shape names a node of this graph; and as N-Triples for the engine.
    Paths, lists and nested shapes stay blank nodes, as engines expect them. The graph is shared
    by every call for the same bytes: read it, never change it. ``cache`` (a
    :class:`astana_kg.pipeline.cache.Cache`) keeps them for the next build."""
    text = path.read_bytes()
    return cached(cache, "schema", (b"shapes", text), lambda: _shapes_for_engine(text))


#: The base a Turtle input is parsed against: a scheme of its own, which every relative reference
#: (a path, a query, a fragment, even ``//host/path``) keeps when resolved against it.
RELATIVE_SCHEME = "x-astana-kg-relative:"
RELATIVE = RELATIVE_SCHEME + "//base/"


class RelativeIRI(ValueError):
    """A relative IRI in an input that must hold absolute ones."""


def parse_absolute(text: bytes) -> Graph:
    """Turtle whose IRIs are all absolute, parsed; a relative IRI is refused, since it would
    resolve against wherever the file lies (and put the checkout's path in what is published).

    >>> len(parse_absolute(b'<urn:a> <urn:b> <urn:c> .'))
    1
    >>> parse_absolute(b'<urn:a> <urn:b> <c> .')
    Traceback (most recent call last):
    ...
    astana_kg.pipeline.checks.RelativeIRI: a relative IRI, <c>: every IRI must be absolute
    """
    graph = Graph().parse(data=text, format="turtle", publicID=RELATIVE)
    for triple in graph:
        for term in triple:
            if isinstance(term, Literal) and term.datatype is not None:
                term = term.datatype
            if isinstance(term, URIRef) and term.startswith(RELATIVE_SCHEME):
                reference = term[len(RELATIVE):] if term.startswith(RELATIVE) else term[len(RELATIVE_SCHEME):]
                raise RelativeIRI(f"a relative IRI, <{reference}>: every IRI must be absolute")
    return graph


@functools.lru_cache(maxsize=1)
def _shapes_for_engine(text: bytes) -> tuple[Graph, str]:
    parsed = parse_absolute(text)
    canonical = to_canonical_graph(parsed)
    named = {o: URIRef(SHAPE_NODES + str(o)) for o in canonical.objects(None, SH.property) if isinstance(o, BNode)}
    shapes = Graph()
    shapes.namespace_manager = parsed.namespace_manager
    for s, p, o in canonical:
        shapes.add((named.get(s, s), p, named.get(o, o)))
    return shapes, "".join(sorted(_nt_row(triple) for triple in shapes))


@dataclass(frozen=True)
class ShapeRun:
    """One run of the data shapes: a name (the graph it validates), what its data is made of
    (``identity``, made only for a cache's key: its N-Triples text, or the key of its graph's
    content and the text of what is added to it), a function that makes the data as N-Triples,
    the nodes it reports on (``focus``: the nodes of that graph) and of those, the ``subjects`` of
    the graph. A result about a subject is this run's; about a node the graph only points at, only
    a result with a value along an inverse path (the value's triple pointing at it is this graph's):
    any other result about it (a count) is the run's of the graph that describes it."""

    name: str
    identity: Callable[[], bytes] = field(compare=False)
    make: Callable[[], str] = field(compare=False)
    focus: frozenset[str]
    subjects: frozenset[str] = frozenset()

    @property
    def data(self) -> str:
        return self.make()


def shape_runs(inputs) -> Iterator[ShapeRun]:
    """The runs of the data shapes: one per source graph (and draft graph), and one for the graphs shared by every
    source (curation, provenance) for their subjects that no source describes. Each is made as it
    is taken (made all at once for the 5,000 source graphs of 5,000 articles, the runs took the
    build from 2.2 GiB to 4.3 GiB).

    Each run sees the graph it validates; the curation triples whose subject is a node of it (its
    Wikidata links and identifiers); every rdf:type any graph (the ontology's included) gives a
    node it mentions; and the ontology's rdfs:subClassOf axioms. Shapes with paths of one step
    (all of shapes/data-shapes.ttl: a property, its inverse, alternatives of properties) then
    judge a node of the source by what the source says of it: what a source says of a node holds
    on its own (a minimum count is met within one source), and what several sources say of a
    node together is the reasoner's (functional properties, disjoint classes) and the violation
    queries' to check.

    A graph with a key of its content (``inputs.keys``) is identified by the key and the text of
    what the run adds to it: its own text is made only if the run is."""
    found: dict = defaultdict(set)
    rdf_type = RDF.type  # looked up once: each lookup in rdflib's namespace makes the IRI anew
    for graph in inputs.graphs.values():
        for s, o in graph.subject_objects(rdf_type):
            found[s].add(o)
    types = {node: tuple(classes) for node, classes in found.items()}  # a tuple of one: a fifth of a set's bytes
    del found
    hierarchy = {t for t in inputs.ontology.triples((None, RDFS.subClassOf, None))
                 if isinstance(t[0], URIRef) and isinstance(t[2], URIRef)}
    hierarchy_text = ntriples(hierarchy, inputs.terms).encode()
    shared = Graph()
    for name in (WIKIDATA_GRAPH, PROVENANCE_GRAPH):
        if name in inputs.graphs:
            shared += inputs.graphs[name]
    about: dict = defaultdict(list)  # the shared triples by subject, looked up for each node of each run
    for triple in shared:
        about[triple[0]].append(triple)
    described = set()

    def run(name, graph: Graph, focus: set | None, key: str | None = None) -> tuple[ShapeRun, set]:
        """The run of ``graph`` about the nodes ``focus`` (None: the graph's subjects that are
        IRIs, found in the same pass over its triples), and those nodes."""
        nodes, pointed = set(), set()
        for s, _, o in triples_of(graph):
            nodes.add(s)
            if isinstance(o, URIRef):
                pointed.add(o)
            elif not isinstance(o, Literal):
                nodes.add(o)
        if focus is None:  # the nodes are the subjects and the blank nodes pointed at so far
            focus = {node for node in nodes if isinstance(node, URIRef)}
        nodes |= pointed
        added = {t for node in focus for t in about.get(node, ())}
        nodes.update(t for s, _, o in added for t in (s, o) if not isinstance(t, Literal))
        added.update((node, rdf_type, cls) for node in nodes for cls in types.get(node, ()))

        def make() -> str:  # sorted: the same graph, the same text
            return ntriples(set(graph) | added | hierarchy, inputs.terms)

        def identity() -> bytes:
            if key is None:
                return make().encode()
            return b"graph " + key.encode() + b"\n" + ntriples(added, inputs.terms).encode() + b"\n" + hierarchy_text

        return ShapeRun(name, identity, make, frozenset(str(n) for n in focus | pointed),
                        frozenset(str(n) for n in focus)), focus

    drafts = {name: graph for name, graph in inputs.graphs.items() if str(name).startswith(str(GRAPH["draft/"]))}
    for name, graph in sorted({**inputs.source_graphs(), **drafts}.items()):  # drafts are validated as sources are
        made, subjects = run(str(name), graph, None, inputs.keys.get(name))
        described |= subjects
        yield made
    rest = {s for s in shared.subjects() if isinstance(s, URIRef)} - described
    if rest:
        yield run("curation", shared, rest)[0]


def violations(shapes_nt: str, data_nt: str, focus: frozenset[str]) -> list[tuple[str, str, str, str, str]]:
    """Run the shapes over the data with rudof; each result about a node of ``focus`` as (focus
    node, source shape, path, message, value). A function of its arguments alone, so that a pool
    of processes can run it."""
    import pyrudof

    rudof = pyrudof.Rudof(pyrudof.RudofConfig())
    # Strict: the data is N-Triples this module wrote (and the lax reader costs 80 ms a call).
    rudof.read_data(data_nt, format=pyrudof.RDFFormat.NTriples, reader_mode=pyrudof.ReaderMode.Strict)
    rudof.read_shacl(shapes_nt, format=pyrudof.ShaclFormat.NTriples)
    report = rudof.validate_shacl()
    if report.conforms:
        return []
    found = []
    for result in report.violations:
        if result.focus_node in focus:
            value = result.value
            found.append((result.focus_node, result.source_shape, result.path or "", result.message or "",
                          "" if value is None else str(value)))
    return sorted(set(found))


def _along_an_inverse_path(shapes: Graph, shape: str) -> bool:
    """Whether the property shape ``shape`` constrains the triples that point at its focus node."""
    path = shapes.value(URIRef(shape), SH.path)
    return path is not None and shapes.value(path, SH.inversePath) is not None


def _format_violation(row, shapes: Graph, locations, claims=()) -> str:
    focus, shape, path, message, value = row
    shape = URIRef(shape)
    own = shapes.value(shape, SH.message)  # the shape's own message, as pySHACL reports it
    line = f"{focus}: {_shape_label(shapes, shape)}"
    path_node = shapes.value(shape, SH.path)
    if path_node is not None:
        line += f" [path {_path_text(shapes, path_node)}]"
    line += f": {own if own is not None else message.strip(chr(34))}"
    if value and value != focus:
        line += f" (value {value})"
    # A literal value (rudof writes it quoted) is no node a claim's triple points at.
    written = [] if not value or value.startswith('"') else \
        _written_at(shapes, URIRef(focus), path_node, URIRef(value), claims)
    return line + (f" (written at {', '.join(written)})" if written else _where(URIRef(focus), locations))


#: The number of runs from which they are shared among processes (fewer take less than starting them).
POOL_FROM = 16


#: The runs whose data is made and handed to the pool, per process of the pool, at most at a time.
IN_FLIGHT = 4


def _run_all(shapes_nt: str, runs: Iterable[ShapeRun], cache, workers: int | None) -> Iterator[tuple[ShapeRun, list]]:
    """Each run with its results, as they come: from the cache, else computed (in a pool of
    processes from the :data:`POOL_FROM`-th run to compute on, when there are several cores). A
    run's data is made when it is handed to a process, and at most :data:`IN_FLIGHT` runs a
    process wait for it: the runs and their data are never all held at once."""
    workers = workers or os.cpu_count() or 1
    todo: list = []  # the runs to compute, until there are enough of them for a pool
    pending: deque = deque()  # (run, key, future) handed to the pool, in order
    pool = None

    def computed(run, key, rows):
        if cache is not None:
            cache.put("validate", key, json.dumps(rows).encode())
        return run, rows

    shapes_text = shapes_nt.encode()  # of every run's key
    try:
        for run in runs:
            key = cache.key(shapes_text, run.identity(), "\n".join(sorted(run.focus)).encode()) \
                if cache is not None else None
            entry = cache.get("validate", key) if cache is not None else None
            if entry is not None:
                yield run, [tuple(row) for row in json.loads(entry)]
                continue
            todo.append((run, key))
            if pool is None and workers == 1:
                yield computed(run, key, violations(shapes_nt, run.data, run.focus))
                todo = []
                continue
            if pool is None and len(todo) < POOL_FROM:
                continue  # fewer take less than starting the processes
            if pool is None:
                # Fresh processes (forkserver), not forks of this one: a fork of a process whose other
                # threads hold locks (the stores', the terminal display's) can wait on them for ever.
                pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("forkserver"))
            pending.extend((waiting, its_key, pool.submit(violations, shapes_nt, waiting.data, waiting.focus))
                           for waiting, its_key in todo)
            todo = []
            while len(pending) > IN_FLIGHT * workers:
                run, key, future = pending.popleft()
                yield computed(run, key, future.result())
        while pending:
            run, key, future = pending.popleft()
            yield computed(run, key, future.result())
        for run, key in todo:
            yield computed(run, key, violations(shapes_nt, run.data, run.focus))
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _ontology_failures(inputs, shapes_file: Path, cache=None) -> list[str]:
    """The lines of the report of the ontology's violations of the shapes ``shapes_file``
    (pySHACL), none if it conforms. ``cache`` keeps that an ontology conforms to the shapes, under
    the text of both (a ``schema`` entry): a build whose ontology and shapes are those of the last
    spends on them neither pySHACL's validation nor its import (0.05 to 0.08 s and 0.43 s, measured
    alone)."""
    key = None
    if cache is not None:
        key = cache.key(b"ontology conforms", ntriples(inputs.ontology, inputs.terms).encode(), shapes_file.read_bytes())
        if cache.get("schema", key) == b"conforms":
            return []
    import pyshacl  # here: most builds find the ontology's entry, and the import is most of the cost

    shapes = Graph().parse(shapes_file, format="turtle")
    conforms, results, _ = pyshacl.validate(
        inputs.ontology, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True,
    )
    if conforms:
        if key is not None:
            cache.put("schema", key, b"conforms")
        return []
    return [f"{shapes_file.name}:",
            *("  " + line for line in _format_results(results, shapes, claim_locations(inputs), inputs.claims))]


def validate_shapes(inputs, shapes_dir: Path, cache=None, workers: int | None = None) -> None:
    """Validate the ontology against its shapes (pySHACL), and the data against the data shapes
    source by source (rudof; see :func:`shape_runs` for what each run sees)."""
    failures = _ontology_failures(inputs, shapes_dir / "ontology-shapes.ttl", cache)
    shapes_file = shapes_dir / "data-shapes.ttl"
    shapes, shapes_nt = shapes_for_engine(shapes_file, cache)
    rows = [row for run, found in _run_all(shapes_nt, shape_runs(inputs), cache, workers) for row in found
            if row[0] in run.subjects or (row[4] and _along_an_inverse_path(shapes, row[1]))]
    if rows:
        locations = claim_locations(inputs)
        failures.append(f"{shapes_file.name}:")
        failures.extend("  " + line for line in sorted({_format_violation(row, shapes, locations, inputs.claims) for row in rows}))
    if failures:
        raise _invalid("SHACL validation failed:\n" + "\n".join(failures))


def _answers(store, files: list[Path]) -> list[list[dict[str, str | None]]]:
    """The rows each query file's SELECT gives over ``store``, each a dict of the values of its
    variables: plain text, so that no result of pyoxigraph (which must be let go on the thread
    that made it) outlives this call, which may run in a thread of its own."""
    answers = []
    for path in files:
        solutions = store.query(path.read_text(encoding="utf-8"))
        variables = [v.value for v in solutions.variables]
        answers.append([{name: None if solution[name] is None else solution[name].value for name in variables}
                        for solution in solutions])
    return answers


def run_violation_queries(inputs, checks_dir: Path, cache=None, scratch: Path | None = None,
                          found: dict[str, list[dict[str, str]]] | None = None) -> None:
    """Run every ``*-violation.rq``: each must return no rows; the rows it returns are the report,
    after the rows of the checks already run, ``found`` (by name, as :func:`dangling_references`
    gives them). With ``cache``, over the input graphs' store it keeps
    (:mod:`astana_kg.pipeline.dataset`); else over a store made in the directory ``scratch`` and
    removed (in memory without it)."""
    files = sorted(checks_dir.glob("*-violation.rq"))
    if not files:
        raise _invalid(f"{checks_dir}: no *-violation.rq checks found")
    locations = None  # where each node comes from: worked out only if a check reports something
    failures = []
    with kept_dataset(inputs.graphs, cache.directory / "dataset" if cache is not None else None, inputs.terms,
                      inputs.keys, cache.counts["dataset"] if cache is not None else None, scratch) as store:
        answers = _answers(store, files)
        del store  # not kept open by the frame of a report that is raised
    memory.release()  # the store's, freed in this thread's arena of the allocator
    for name, rows in [*(found or {}).items(), *((path.name, rows) for path, rows in zip(files, answers))]:
        for cells in rows:
            focus = cells.get("this")
            row = ", ".join(f"{k}={v if v is not None else ''}" for k, v in cells.items())
            if focus is not None and locations is None:
                locations = claim_locations(inputs)
            failures.append(f"{name}: {row}" + (_where(URIRef(focus), locations) if focus is not None else ""))
    if failures:
        raise _invalid("violation queries returned rows:\n  " + "\n  ".join(failures))


def inconsistency_report(error, inputs) -> str:
    """The report of data inconsistent under OWL 2 RL (a :class:`reasoning.InconsistentData`):
    each finding, then for each entity it names the claims (file and line) that give the entity a
    class or that write it together with another node of the finding."""
    lines = []
    for message, nodes in error.findings:
        lines.append(message)
        named = set(nodes)
        for node in dict.fromkeys(nodes):
            places = [claim.where for claim in inputs.claims
                      if any(s == node and p == RDF.type for s, p, o in claim.triples)
                      or (any(node in (s, o) for s, p, o in claim.triples)
                          and any(t in named - {node} for s, p, o in claim.triples for t in (s, p, o)))]
            if places:
                lines.append(f"    {node} (claims at {', '.join(dict.fromkeys(places))})")
    return "the data is inconsistent under OWL 2 RL:\n  " + "\n  ".join(lines)
