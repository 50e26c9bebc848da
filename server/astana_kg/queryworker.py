"""Running queries where they can be stopped (a module kept light: query processes import only this): a pool of worker processes, each with the store
opened read-only. pyoxigraph cannot cancel a running query, so a query past its deadline is
stopped by killing its process, which is then replaced.

Workers serialize the results themselves (with pyoxigraph's serializers) and cap the rows, so
only bytes cross the process boundary.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection

import pyoxigraph as ox



@dataclass
class Job:
    text: str
    solutions_media_type: str | None  # the format negotiated for SELECT/ASK results, None if none fits
    graph_media_type: str | None      # the format negotiated for CONSTRUCT/DESCRIBE results
    default_graphs: list[str]
    named_graphs: list[str]
    row_cap: int
    base_iri: str | None = None       # relative IRIs in the query resolve against it (the endpoint's URL)


class NotAcceptable(Exception):
    """No format the client accepts fits the kind of result the query gives."""


@dataclass
class Outcome:
    body: bytes
    media_type: str
    kind: str                # "solutions", "boolean" or "graph"
    rows: int
    truncated: bool


def _term_json(term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {"type": "triple", "value": {"subject": _term_json(term.subject),
                                            "predicate": _term_json(term.predicate),
                                            "object": _term_json(term.object)}}
    raise TypeError(term)


def _dataset_kwargs(job: Job) -> dict:
    kwargs = {}
    if job.default_graphs:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs]
    elif job.named_graphs:
        kwargs["default_graph"] = []  # the protocol: named graphs alone leave the default graph empty
    if job.named_graphs:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
    return kwargs


def kind_of(results) -> str:
    if isinstance(results, ox.QueryBoolean):
        return "boolean"
    if isinstance(results, ox.QueryTriples):
        return "graph"
    return "solutions"


RESULT_FORMATS = [ox.QueryResultsFormat.JSON, ox.QueryResultsFormat.XML, ox.QueryResultsFormat.CSV,
                  ox.QueryResultsFormat.TSV]
GRAPH_FORMATS = [ox.RdfFormat.TURTLE, ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG,
                 ox.RdfFormat.JSON_LD, ox.RdfFormat.RDF_XML]


def format_for(media_type: str):
    return next(f for f in RESULT_FORMATS + GRAPH_FORMATS if f.media_type == media_type)


def evaluate(store: ox.Store, job: Job) -> Outcome:
    """Run ``job`` on ``store`` and serialize its results in the job's format, capping the rows."""
    results = store.query(job.text, base_iri=job.base_iri, **_dataset_kwargs(job))
    kind = kind_of(results)
    media_type = job.graph_media_type if kind == "graph" else job.solutions_media_type
    if media_type is None:
        raise NotAcceptable(kind)
    fmt = format_for(media_type)
    if kind == "boolean":
        return Outcome(results.serialize(format=fmt), fmt.media_type, kind, 1, False)
    if kind == "graph":
        triples = []
        for triple in results:
            if len(triples) == job.row_cap:
                return Outcome(serialize_graph(triples, fmt), fmt.media_type, kind, len(triples), True)
            triples.append(triple)
        return Outcome(serialize_graph(triples, fmt), fmt.media_type, kind, len(triples), False)
    variables = [v.value for v in results.variables]
    bindings, truncated = [], False
    encoded: dict = {}  # each distinct term is turned into JSON once (IRIs recur from row to row)
    for solution in results:
        if len(bindings) == job.row_cap:
            truncated = True
            break
        row = {}
        for name, term in zip(variables, solution):  # a solution iterates over its values in variable order
            if term is not None:
                value = encoded.get(term)
                if value is None:
                    value = encoded[term] = _term_json(term)
                row[name] = value
        bindings.append(row)
    document = json.dumps({"head": {"vars": variables}, "results": {"bindings": bindings}},
                          ensure_ascii=False).encode("utf-8")
    if fmt != ox.QueryResultsFormat.JSON:
        document = ox.parse_query_results(document, format=ox.QueryResultsFormat.JSON).serialize(format=fmt)
    return Outcome(document, fmt.media_type, kind, len(bindings), truncated)


#: Prefixes written in Turtle and TriG answers (the project's own and the common vocabularies).
TURTLE_PREFIXES = {
    "akg": "https://w3id.org/astana-kg/ontology#", "id": "https://w3id.org/astana-kg/id/",
    "graph": "https://w3id.org/astana-kg/graph/", "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#", "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#", "skos": "http://www.w3.org/2004/02/skos/core#",
    "schema": "https://schema.org/", "prov": "http://www.w3.org/ns/prov#", "oa": "http://www.w3.org/ns/oa#",
    "time": "http://www.w3.org/2006/time#", "dcterms": "http://purl.org/dc/terms/",
    "sd": "http://www.w3.org/ns/sparql-service-description#", "void": "http://rdfs.org/ns/void#",
    "wd": "http://www.wikidata.org/entity/",
}


def serialize_graph(triples: list, fmt) -> bytes:
    """Triples in an RDF format; as default-graph quads for the dataset formats, with prefixes where they fit."""
    if fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
        triples = [ox.Quad(t.subject, t.predicate, t.object) for t in triples]
    if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG):
        return ox.serialize(triples, format=fmt, prefixes=TURTLE_PREFIXES)
    return ox.serialize(triples, format=fmt)


# ---------------------------------------------------------------------------------------------
# Worker processes
# ---------------------------------------------------------------------------------------------

def _worker_main(store_path: str, requests: Connection, connection: Connection) -> None:
    store = ox.Store.read_only(store_path)
    while True:
        try:
            job = requests.recv()
        except EOFError:
            return
        try:
            outcome = evaluate(store, job)
            connection.send(("ok", outcome))
        except SyntaxError as error:
            connection.send(("syntax", str(error)))
        except NotAcceptable as error:
            connection.send(("not-acceptable", str(error)))
        except OSError as error:
            connection.send(("remote", str(error)))
        except Exception as error:  # reported to the parent, which answers 500 for a server fault
            connection.send(("error", f"{type(error).__name__}: {error}"))


class _Worker:
    """One query process (``python -m astana_kg.queryworker STORE R W``) and the pipes to it."""

    def __init__(self, store_path: str):
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "astana_kg.queryworker", store_path, str(to_child_r), str(from_child_w)],
            pass_fds=(to_child_r, from_child_w), stdin=subprocess.DEVNULL,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self.sender = Connection(to_child_w, readable=False)
        self.parent = Connection(from_child_r, writable=False)

    def send(self, job) -> None:
        self.sender.send(job)

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self):
        self.process.kill()
        self.process.wait(timeout=5)
        self.sender.close()
        self.parent.close()


class QueryPool:
    """A fixed number of query processes; ``run`` waits for a free one, runs, kills on deadline."""

    def __init__(self, store_path: str, size: int = 2):
        self.store_path = store_path
        self.lock = threading.Lock()
        self.free: list[_Worker] = []
        self.available = threading.Semaphore(size)
        self.size = size
        self.pid = os.getpid()
        for _ in range(size):
            self.free.append(_Worker(store_path))

    def run(self, job: Job, timeout: float) -> Outcome:
        from .server.errors import bad_gateway, service_unavailable, syntax_error

        deadline = time.monotonic() + timeout
        if not self.available.acquire(timeout=timeout):
            raise service_unavailable(f"all {self.size} query workers stayed busy for {timeout:g} s", int(timeout))
        try:
            with self.lock:
                worker = self.free.pop() if self.free else _Worker(self.store_path)
            if not worker.alive():
                worker = _Worker(self.store_path)
            worker.send(job)
            remaining = max(0.0, deadline - time.monotonic())
            if not worker.parent.poll(remaining):
                worker.kill()
                with self.lock:
                    self.free.append(_Worker(self.store_path))
                raise service_unavailable(f"the query ran past its deadline of {timeout:g} s and was stopped",
                                          int(timeout))
            try:
                status, value = worker.parent.recv()
            except (EOFError, OSError):
                worker.kill()
                status, value = "error", "the query worker died (its process was replaced)"
                worker = _Worker(self.store_path)
            with self.lock:
                self.free.append(worker)
        finally:
            self.available.release()
        if status == "ok":
            return value
        if status == "syntax":
            raise syntax_error("query", value)
        if status == "not-acceptable":
            raise NotAcceptable(value)
        if status == "remote":
            raise bad_gateway(f"a remote SERVICE failed: {value}")
        raise RuntimeError(value)

    def close(self):
        with self.lock:
            for worker in self.free:
                worker.kill()
            self.free.clear()


if __name__ == "__main__":
    # Run the module's importable twin, so that what it sends pickles as astana_kg.queryworker.*.
    from astana_kg import queryworker

    queryworker._worker_main(sys.argv[1], Connection(int(sys.argv[2]), writable=False),
                             Connection(int(sys.argv[3]), readable=False))
