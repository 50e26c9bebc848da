"""Running queries where they can be stopped: a pool of query processes, each with the store open.

pyoxigraph cannot cancel a running query, so every query (and, in writable mode, every update)
runs in a process of its own that can be killed. Each query process

- has a network of its own, whose only way out is the SERVICE proxy (``astana_kg.query.isolation``);
- has a memory cap (``RLIMIT_DATA``): a query that needs more is stopped, and answered so;
- serializes its results itself and caps them in rows and in bytes, so only bytes cross the
  process boundary; a process left large by an answer is replaced.

The pool (:class:`QueryPool`) keeps answering cheap queries while expensive ones run: a query
still running after ``long_after`` seconds moves to one of a few long-query slots, at the lowest
CPU priority, and gives its place back to the queries that follow; when every long slot is taken,
it is stopped and answered 503 with Retry-After. Past its deadline a query is stopped (503).

This module is kept light: query processes import only it and the plain modules it names
(``astana_kg.query.isolation``, ``astana_kg.prefixes``, ``astana_kg.query.problems``).
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection

import pyoxigraph as ox

from ..prefixes import TURTLE_PREFIXES
from .problems import Problem, bad_gateway, service_unavailable, syntax_error



@dataclass
class Job:
    text: str
    solutions_media_type: str | None  # the format negotiated for SELECT/ASK results, None if none fits
    graph_media_type: str | None      # the format negotiated for CONSTRUCT/DESCRIBE results
    default_graphs: list[str]
    named_graphs: list[str]
    row_cap: int
    base_iri: str | None = None       # relative IRIs in the query resolve against it (the endpoint's URL)
    byte_cap: int = 32 * 1024 * 1024  # the most bytes of results (solutions or triples) returned
    operation: str = "query"          # or "update", or "snapshot" (writable mode; ``text`` is the directory)


class NotAcceptable(Exception):
    """No format the client accepts fits the kind of result the query gives."""


@dataclass
class Outcome:
    body: bytes
    media_type: str
    kind: str                # "solutions", "boolean" or "graph"
    rows: int
    truncated: bool
    cap: str | None = None   # what cut the answer: "row-cap" or "byte-cap"


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
    if isinstance(results, ox.QueryTriples) or getattr(results, "kind", None) == "graph":  # remote.RemoteTriples
        return "graph"
    return "solutions"


RESULT_FORMATS = [ox.QueryResultsFormat.JSON, ox.QueryResultsFormat.XML, ox.QueryResultsFormat.CSV,
                  ox.QueryResultsFormat.TSV]
GRAPH_FORMATS = [ox.RdfFormat.TURTLE, ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG,
                 ox.RdfFormat.JSON_LD, ox.RdfFormat.RDF_XML]


def format_for(media_type: str):
    return next(f for f in RESULT_FORMATS + GRAPH_FORMATS if f.media_type == media_type)


def _term_size(term) -> int:
    """Roughly the bytes a term takes in any results format (enough to bound an answer's size)."""
    if isinstance(term, ox.Triple):
        return 16 + _term_size(term.subject) + _term_size(term.predicate) + _term_size(term.object)
    size = 24 + len(term.value)
    if isinstance(term, ox.Literal):
        size += len(term.language or "") + len(term.datatype.value)
    return size


def evaluate(store: ox.Store, job: Job) -> Outcome:
    """Run ``job`` on ``store`` and serialize its results in the job's format, capping rows and bytes."""
    results = store.query(job.text, base_iri=job.base_iri, **_dataset_kwargs(job))
    kind = kind_of(results)
    media_type = job.graph_media_type if kind == "graph" else job.solutions_media_type
    if media_type is None:
        raise NotAcceptable(kind)
    fmt = format_for(media_type)
    if kind == "boolean":
        return Outcome(results.serialize(format=fmt), fmt.media_type, kind, 1, False)
    if kind == "graph":
        triples, size, cap = [], 0, None
        for triple in results:
            if len(triples) == job.row_cap:
                cap = "row-cap"
                break
            size += _term_size(triple)
            if size > job.byte_cap:
                cap = "byte-cap"
                break
            triples.append(triple)
        return Outcome(serialize_graph(triples, fmt), fmt.media_type, kind, len(triples), cap is not None, cap)
    variables = [v.value for v in results.variables]
    bindings, size, cap = [], 0, None
    encoded: dict = {}  # each distinct term is turned into JSON once (IRIs recur from row to row)
    for solution in results:
        if len(bindings) == job.row_cap:
            cap = "row-cap"
            break
        row = {}
        for name, term in zip(variables, solution):  # a solution iterates over its values in variable order
            if term is not None:
                size += _term_size(term) + len(name)
                value = encoded.get(term)
                if value is None:
                    value = encoded[term] = _term_json(term)
                row[name] = value
        if size > job.byte_cap:
            cap = "byte-cap"
            break
        bindings.append(row)
    document = json.dumps({"head": {"vars": variables}, "results": {"bindings": bindings}},
                          ensure_ascii=False).encode("utf-8")
    rows = len(bindings)
    del encoded, bindings
    if fmt != ox.QueryResultsFormat.JSON:
        document = ox.parse_query_results(document, format=ox.QueryResultsFormat.JSON).serialize(format=fmt)
    return Outcome(document, fmt.media_type, kind, rows, cap is not None, cap)


def _named_graph_triples(store: ox.Store) -> set:
    return {ox.Triple(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None)
            if not isinstance(q.graph_name, ox.DefaultGraph)}


def evaluate_update(store: ox.Store, job: Job) -> Outcome:
    """Apply an update; keep the default graph the merge of the named graphs (as the build makes it).

    A triple an update adds to a named graph is added to the default graph; one it removes from
    the last named graph that held it is removed from the default graph. What an update writes to
    the default graph itself stays there.
    """
    before = _named_graph_triples(store)
    store.update(job.text, base_iri=job.base_iri)
    after = _named_graph_triples(store)
    default = ox.DefaultGraph()
    for triple in after - before:
        store.add(ox.Quad(triple.subject, triple.predicate, triple.object, default))
    for triple in before - after:
        store.remove(ox.Quad(triple.subject, triple.predicate, triple.object, default))
    store.flush()
    return Outcome(b"", "", "update", 0, False)


def serialize_graph(triples: list, fmt) -> bytes:
    """Triples in an RDF format; as default-graph quads for the dataset formats, with prefixes where they fit."""
    if fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
        triples = [ox.Quad(t.subject, t.predicate, t.object) for t in triples]
    if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG):
        return ox.serialize(triples, format=fmt, prefixes=TURTLE_PREFIXES)
    return ox.serialize(triples, format=fmt)


# ---------------------------------------------------------------------------------------------
# Query processes
# ---------------------------------------------------------------------------------------------

@dataclass
class ProcessOptions:
    """How a query process is started (sent to it as JSON on its command line)."""

    writable: bool = False              # open the store read-write (the one writer of writable mode)
    memory_bytes: int | None = None     # RLIMIT_DATA of the process
    isolation: str = "auto"             # "auto", "required" or "off": a network namespace of its own
    relay: tuple[int, str] | None = None  # (port, Unix socket path): the SERVICE proxy, reached from inside


_statm: list[int] = []  # the open /proc/self/statm of this process, read anew at each call


def _rss_bytes() -> int:
    if not _statm:
        _statm.append(os.open("/proc/self/statm", os.O_RDONLY | os.O_CLOEXEC))
    return int(os.pread(_statm[0], 256, 0).split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _worker_main(store_path: str, requests: Connection, connection: Connection, options: ProcessOptions,
                 isolated: str | None) -> None:
    """The loop of a query process: receive a job, answer ``(status, value, rss)``."""
    store = ox.Store(store_path) if options.writable else ox.Store.read_only(store_path)
    connection.send(("ready", {"isolated": isolated is None, "why": isolated, "pid": os.getpid()}, _rss_bytes()))
    while True:
        try:
            job = requests.recv()
        except EOFError:
            return
        try:
            if job.operation == "update":
                outcome = evaluate_update(store, job)
            elif job.operation == "snapshot":  # a consistent copy (hard links) that readers may open
                store.backup(job.text)
                outcome = Outcome(b"", "", "snapshot", 0, False)
            else:
                outcome = evaluate(store, job)
            reply = ("ok", outcome)
        except SyntaxError as error:
            reply = ("syntax", str(error))
        except NotAcceptable as error:
            reply = ("not-acceptable", str(error))
        except MemoryError:
            reply = ("memory", "")
        except OSError as error:
            reply = ("remote", str(error))
        except RuntimeError as error:  # pyoxigraph's run-time failures of updates (a graph that exists already)
            reply = ("failed", str(error))
        except Exception as error:  # reported to the parent, which answers 500 for a server fault
            reply = ("error", f"{type(error).__name__}: {error}")
        outcome = None
        connection.send((*reply, _rss_bytes()))
        reply = None


def _process_main(argv: list[str]) -> None:
    """``python -m astana_kg.query.worker STORE R W OPTIONS``: isolate, cap memory, then serve jobs."""
    import resource

    from astana_kg.query import isolation

    options = ProcessOptions(**json.loads(argv[3]))
    why = "network isolation is off" if options.isolation == "off" else isolation.isolate()
    if why is not None and options.isolation == "required":
        sys.stderr.write(f"astana-kg query process: network isolation is required and failed: {why}\n")
        sys.exit(3)
    if why is None and options.relay:
        isolation.start_relay(*options.relay)
    if options.memory_bytes:
        resource.setrlimit(resource.RLIMIT_DATA, (options.memory_bytes, options.memory_bytes))
    from astana_kg.query import worker  # the importable twin, so that what is sent pickles as astana_kg.query.worker.*

    worker._worker_main(argv[0], Connection(int(argv[1]), writable=False),
                             Connection(int(argv[2]), readable=False), options, why)


class WorkerDied(Exception):
    """The query process ended while it ran a job; ``reason`` says what is known of why."""

    def __init__(self, reason: str, retry: bool):
        super().__init__(reason)
        self.reason = reason
        self.retry = retry  # killed from outside (not by its query): the job may run again elsewhere


class _Worker:
    """One query process and the pipes to it; its last lines of standard error are kept."""

    def __init__(self, store_path: str, options: ProcessOptions):
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "astana_kg.query.worker", store_path, str(to_child_r), str(from_child_w),
             json.dumps(asdict(options))],
            pass_fds=(to_child_r, from_child_w), stdin=subprocess.DEVNULL, stderr=subprocess.PIPE,
            env={**os.environ, "RUST_BACKTRACE": "0"},
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self.sender = Connection(to_child_w, readable=False)
        self.parent = Connection(from_child_r, writable=False)
        self._replies = select.poll()  # one system call per wait (Connection.poll builds a selector each time)
        self._replies.register(from_child_r, select.POLLIN)
        self.info: dict | None = None
        self.stderr_tail: list[str] = []
        self.last_words: set[str] = set()  # what its standard error said of a fatal end
        self.killed_by_us = False
        self._stderr_reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._stderr_reader.start()

    def _read_stderr(self) -> None:
        for line in self.process.stderr:
            text = line.decode("utf-8", "replace")
            sys.stderr.write(text)
            self.stderr_tail = (self.stderr_tail + [text.strip()])[-20:]
            if "memory allocation of" in text or "MemoryError" in text:
                self.last_words.add("memory")
            if "overflowed its stack" in text:
                self.last_words.add("stack")

    def ready(self, timeout: float = 30.0) -> dict:
        """Wait for the process's greeting (its isolation); raise WorkerDied if it never comes."""
        if self.info is None:
            if not self.parent.poll(timeout):
                self.kill()
                raise WorkerDied("the query process did not start in time", retry=False)
            try:
                _, self.info, self.rss = self.parent.recv()
            except (EOFError, OSError):
                self.process.wait(timeout=5)
                raise WorkerDied(self.why_dead(), retry=False) from None
        return self.info

    def send(self, job) -> None:
        self.sender.send(job)

    def answered(self, timeout: float) -> bool:
        """Whether a reply (or the end of the process) is there to read, waiting up to ``timeout`` s."""
        return bool(self._replies.poll(max(0.0, timeout) * 1000))

    def alive(self) -> bool:
        return self.process.poll() is None

    def why_dead(self) -> str:
        """What the exit status and the last words of a dead process say of its end."""
        status = self.process.poll()
        self._stderr_reader.join(timeout=5)  # what it wrote before it ended, read to the end
        for reason in ("memory", "stack"):
            if reason in self.last_words:
                return reason
        if status is not None and status < 0:
            return f"signal {-status}"
        return f"exit status {status}"

    def renice(self, niceness: int) -> None:
        try:
            os.setpriority(os.PRIO_PROCESS, self.process.pid, niceness)
        except OSError:
            pass

    def kill(self) -> None:
        self.killed_by_us = True
        if self.process.poll() is None:
            self.process.kill()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.sender.close()
        self.parent.close()


class QueryPool:
    """Query processes: ``size`` for queries as they come, ``long_slots`` more for long-running ones.

    ``run`` takes a free process (waiting while all ``size`` are busy), sends the job, and waits.
    A job still running after ``long_after`` seconds takes a long slot and the lowest CPU priority,
    and a fresh process takes its place among the ``size``; with no long slot free it is stopped
    (503). At the deadline a job is stopped (503). A process is replaced when it dies, when it
    was reniced, and when an answer left it larger than ``recycle_bytes``.
    """

    def __init__(self, store_path: str, size: int = 2, options: ProcessOptions | None = None,
                 long_slots: int = 2, long_after: float = 0.25, recycle_bytes: int = 256 * 1024 * 1024):
        self.store_path = store_path
        self.options = options or ProcessOptions()
        self.size = size
        self.long_slots = long_slots
        self.long_after = long_after
        self.recycle_bytes = recycle_bytes
        self.lock = threading.Lock()
        self.idle: list[_Worker] = []
        self.running: set[_Worker] = set()
        self.long_running = 0  # of ``running``, the processes that hold a long slot
        self.starting = 0  # processes being started in the background
        self.slots = threading.BoundedSemaphore(size)
        self.long = threading.BoundedSemaphore(long_slots) if long_slots else None
        self.closed = False
        self.isolated: bool | None = None
        self.why_not_isolated: str | None = None
        for _ in range(size):
            self.idle.append(self._start())

    def _start(self) -> _Worker:
        worker = _Worker(self.store_path, self.options)
        info = worker.ready()
        self.isolated, self.why_not_isolated = info["isolated"], info["why"]
        return worker

    def _replenish(self) -> None:
        """Start a process for the idle list in the background, unless enough are idle or starting.

        The writer of writable mode is replaced at once instead, while its caller still holds the
        one slot: two processes must never hold the store's lock."""
        if self.options.writable:
            with self.lock:
                if self.closed or self.idle:
                    return
            try:
                worker = self._start()
            except WorkerDied:
                return
            with self.lock:
                self.idle.append(worker)
            return
        with self.lock:
            if self.closed or not self._short_of():
                return
            self.starting += 1

        def start():
            try:
                worker = self._start()
            except WorkerDied:
                worker = None
            with self.lock:
                self.starting -= 1
                if worker is not None and not self.closed and self._short_of():
                    self.idle.append(worker)
                    return
            if worker is not None:
                worker.kill()
        threading.Thread(target=start, daemon=True).start()

    def _short_of(self) -> bool:
        """Whether the pool has fewer processes for queries as they come (idle, starting, running
        without a long slot) than it keeps: ``size``, and one spare when jobs may move to long
        slots. Called with the lock held."""
        kept = len(self.idle) + self.starting + len(self.running) - self.long_running
        return kept < self.size + (1 if self.long else 0)

    def _take(self) -> _Worker:
        """An idle process (a new one if none is), counted as running."""
        with self.lock:
            worker = self.idle.pop() if self.idle else None
            if worker is not None:
                self.running.add(worker)
        if worker is None or not worker.alive():
            if worker is not None:
                self._retire(worker)
            worker = self._start()
            with self.lock:
                self.running.add(worker)
        return worker

    def _retire(self, worker: _Worker) -> None:
        """Stop a process, no longer counted as running (so that a replacement is started)."""
        with self.lock:
            self.running.discard(worker)
        worker.kill()

    def _give_back(self, worker: _Worker, rss: int | None) -> None:
        if rss is not None and rss > self.recycle_bytes:
            self._retire(worker)
            self._replenish()
            return
        with self.lock:
            self.running.discard(worker)
            if not self.closed and self._short_of():
                self.idle.append(worker)
                return
        worker.kill()

    def run(self, job: Job, timeout: float) -> Outcome:
        """Run ``job``; its outcome, or the Problem that answers it."""

        deadline = time.monotonic() + timeout
        for attempt in (1, 2):
            try:
                status, value = self._run_once(job, deadline, timeout)
                break
            except WorkerDied as died:
                if died.retry and attempt == 1 and time.monotonic() < deadline:
                    continue  # the process was killed from outside: run the job again on a fresh one
                if died.reason == "memory":
                    mb = (self.options.memory_bytes or 0) // (1024 * 1024)
                    raise Problem(503, f"the {job.operation} needed more memory than the {mb} MB each one may "
                                         "use, and was stopped; narrow it (LIMIT, fewer variables, more selective "
                                         "patterns)", limit="memory", memory_mb=mb) from None
                if died.reason == "stack":
                    raise Problem(400, f"the {job.operation} is nested too deeply to evaluate") from None
                raise service_unavailable(f"the query process stopped while running the {job.operation} "
                                          f"({died.reason}); it was replaced", 1) from None
        if status == "ok":
            return value
        if status == "syntax":
            raise syntax_error(job.operation, value)
        if status == "not-acceptable":
            raise NotAcceptable(value)
        if status == "remote":
            raise bad_gateway(f"a remote SERVICE or LOAD failed: {value}")
        if status == "failed":
            raise Problem(400, f"the {job.operation} could not be applied: {value}")
        if status == "memory":
            mb = (self.options.memory_bytes or 0) // (1024 * 1024)
            raise Problem(503, f"the {job.operation} needed more memory than the {mb} MB each one may use, "
                                 "and was stopped", limit="memory", memory_mb=mb)
        raise RuntimeError(value)

    def _run_once(self, job: Job, deadline: float, timeout: float):
        if not self.slots.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise service_unavailable(f"all {self.size} query processes stayed busy for {timeout:g} s", int(timeout) or 1)
        slot_held, long_held = True, False
        worker = running = None
        try:
            worker = self._take()
            running = worker
            if self.long:
                self._replenish()  # a spare, warm by the time this job might move to a long slot
            try:
                worker.send(job)
            except OSError:  # it died before the job reached it
                raise self._lost(worker, long_held) from None
            first_wait = min(self.long_after, max(0.0, deadline - time.monotonic())) if self.long else None
            if first_wait is not None and not worker.answered(first_wait):
                if time.monotonic() < deadline:
                    if not self.long.acquire(blocking=False):
                        self._retire(worker)
                        self._replenish()
                        worker = None
                        raise service_unavailable(
                            f"the query was stopped after {self.long_after:g} s: {self.long_slots} long-running "
                            "queries are running already; retry later", 5)
                    long_held = True
                    with self.lock:
                        self.long_running += 1
                    worker.renice(19)  # behind every query that is not long-running
                    self.slots.release()  # the next query takes a fresh process
                    slot_held = False
                    self._replenish()
            if not worker.answered(deadline - time.monotonic()):
                self._retire(worker)
                if not long_held:
                    self._replenish()
                worker = None
                raise service_unavailable(f"the {job.operation} ran past its deadline of {timeout:g} s and was "
                                          "stopped", int(timeout) or 1)
            try:
                status, value, rss = worker.parent.recv()
            except (EOFError, OSError):
                lost, worker = worker, None
                raise self._lost(lost, long_held) from None
            if long_held:
                worker.kill()  # it runs at the lowest priority now: a fresh process replaces it
            else:
                self._give_back(worker, rss)
            worker = None
            return status, value
        finally:
            with self.lock:
                self.running.discard(running)
                if long_held:
                    self.long_running -= 1
            if worker is not None and worker.alive() and not long_held:
                worker.kill()
                self._replenish()
            if slot_held:
                self.slots.release()
            if long_held:
                self.long.release()

    def _lost(self, worker: _Worker, long_held: bool) -> WorkerDied:
        """What to raise for a process that died under a job (it is replaced)."""
        try:
            worker.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        reason = worker.why_dead()
        retry = reason == "signal 9" and not worker.killed_by_us
        self._retire(worker)
        if not long_held:
            self._replenish()
        return WorkerDied(reason, retry)

    def processes(self) -> dict[str, list[int]]:
        """The process ids of the pool: idle, and running a job."""
        with self.lock:
            return {"idle": [w.process.pid for w in self.idle], "running": [w.process.pid for w in self.running]}

    def close(self):
        with self.lock:
            self.closed = True
            for worker in self.idle:
                worker.kill()
            self.idle.clear()


if __name__ == "__main__":
    _process_main(sys.argv[1:])
