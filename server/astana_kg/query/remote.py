"""The store behind a SPARQL endpoint of another engine (``astana-kg serve --store URL``).

A graph too large for one machine's pyoxigraph store is loaded into an external SPARQL 1.1
engine (Virtuoso, QLever, Apache Jena Fuseki), and the server answers over it as over the
embedded store: :class:`RemoteStore` reads like a read-only ``pyoxigraph.Store`` (``query``,
``quads_for_pattern``, ``named_graphs``), and :class:`RemotePool` runs a query job like the
pool of query processes (``run(job, timeout)``). Everything above them is unchanged: the
safety checks, negotiation, caching, the pages, fragments and the JSON API.

- **The query text.** A query job is first run by query processes over an *empty* store: the
  engine sees only texts pyoxigraph parses as SPARQL (a bad one is refused with pyoxigraph's
  400, line and column), and the query's form (solutions, boolean or graph) is known. Then its
  text goes to the engine with the SPARQL protocol (an HTML form POST).
- **The dataset.** The engine holds the dump's named graphs and, in a graph of its own
  (:data:`DEFAULT_GRAPH` unless told otherwise), their merge; each query is sent with that
  graph as ``default-graph-uri`` and the build's named graphs as ``named-graph-uri``, so that
  the engine's other graphs (Virtuoso's system graphs) are never seen, and a query reads the
  dataset the embedded store holds. A query with its own ``FROM`` or a request naming graphs
  keeps its own dataset, as the embedded store does.
- **The answers.** Solutions are asked for as SPARQL JSON results, graphs as N-Triples, and
  parsed as they arrive by pyoxigraph's parsers into the objects the embedded store yields; the
  row and byte caps stop reading (the rest is never fetched), so results are serialized by the
  same code.
- **The deadline.** Every read from the engine waits at most the time left; past the deadline
  the connection is closed (the engine sees the client go) and the query is answered 503.
- **Errors.** An engine that refuses the text answers 400 with its message; one that cannot be
  reached or answers otherwise, 502.
- **SERVICE.** The engine would make a SERVICE call itself, from its own network, where the
  allow-list and the proxy do not hold: with a remote store a SERVICE (and LOAD) is refused
  with 403.

>>> with_base("SELECT * { ?s ?p ?o }", "http://127.0.0.1/sparql")
'BASE <http://127.0.0.1/sparql>\\nSELECT * { ?s ?p ?o }'
>>> pattern_query(ox.NamedNode("urn:s"), None, ox.Literal("x"), ox.DefaultGraph())
'SELECT ?p WHERE { <urn:s> ?p "x" }'
"""

from __future__ import annotations

import dataclasses
import http.client
import io
import socket
import threading
import time
import urllib.parse

import pyoxigraph as ox

from . import sparqltext
from ..paths import BASE
from .worker import Job, Outcome, QueryPool, evaluate
from .problems import Problem, bad_gateway, forbidden, service_unavailable

#: The graph an external engine holds the merge of the named graphs in (the embedded store's default graph).
DEFAULT_GRAPH = BASE + "graph/default"

SOLUTIONS_ACCEPT = "application/sparql-results+json"
GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.5"


class Deadline:
    """The time a query has left; every read from the engine waits at most that long."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self.bodies: list[_Body] = []

    def close(self) -> None:
        """Close every answer still being read (the rest of it is never fetched)."""
        for body in self.bodies:
            body.close()

    def left(self) -> float:
        return self.end - time.monotonic()

    def passed(self) -> bool:
        return self.left() <= 0


class DeadlinePassed(Problem):
    """503: the query ran past its deadline in the engine (the connection to it is closed)."""

    def __init__(self, deadline: Deadline):
        super().__init__(503, f"the query ran past its deadline of {deadline.seconds:g} s in the store's engine "
                              "and was stopped (the connection to it closed)",
                         {"Retry-After": str(int(deadline.seconds) or 1)})


class _Body(io.RawIOBase):
    """An engine's answer read as it arrives, each read bounded by the deadline.

    Virtuoso names a blank node ``nodeID://b1`` in JSON results (``_:b1`` in N-Triples), which
    is no blank node label: it is read as ``b1``. (The sequence is JSON's structure, never the
    inside of a string, where its quotes would be escaped.)
    """

    VIRTUOSO_BNODE = b'"type": "bnode", "value": "nodeID://'
    BNODE = b'"type": "bnode", "value": "'

    def __init__(self, connection: http.client.HTTPConnection, response: http.client.HTTPResponse,
                 deadline: Deadline):
        self.connection, self.response, self.deadline = connection, response, deadline
        self._carry = b""   # the end of the last chunk, which may begin the sequence read anew
        self._ready = b""   # read and rewritten, not yet handed on
        deadline.bodies.append(self)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._ready:
            chunk = self._read(65536)
            if not chunk:
                self._ready, self._carry = self._carry, b""
                break
            data = (self._carry + chunk).replace(self.VIRTUOSO_BNODE, self.BNODE)
            keep = len(self.VIRTUOSO_BNODE) - 1
            self._ready, self._carry = data[:-keep], data[-keep:]
        size = min(len(buffer), len(self._ready))
        buffer[:size] = self._ready[:size]
        self._ready = self._ready[size:]
        return size

    def _read(self, size: int) -> bytes:
        left = self.deadline.left()
        if left <= 0:
            self.close()
            raise DeadlinePassed(self.deadline)
        self.connection.sock.settimeout(left)
        try:
            return self.response.read1(size)
        except (TimeoutError, socket.timeout):
            self.close()
            raise DeadlinePassed(self.deadline) from None

    def close(self) -> None:
        if not self.closed:
            self.connection.close()  # unread results are never fetched; the engine sees the client go
        super().close()


class RemoteTriples:
    """The triples of a CONSTRUCT or DESCRIBE answer, parsed as they arrive."""

    kind = "graph"

    def __init__(self, body: _Body, fmt: ox.RdfFormat):
        self._quads = ox.parse(body, format=fmt)

    def __iter__(self):
        for quad in self._quads:
            yield quad.triple


def with_base(text: str, base_iri: str | None) -> str:
    """The text with a BASE declaration first (the protocol has no base parameter)."""
    return f"BASE <{base_iri}>\n{text}" if base_iri else text


def _position(term, variable: str) -> str:
    return variable if term is None else str(term)


def pattern_query(subject, predicate, obj, graph) -> str:
    """A SELECT of the unbound positions of a quad pattern; the bound ones written as N-Triples terms.

    ``graph`` None matches the default graph and every named graph, as ``quads_for_pattern`` does.
    """
    triple = f"{_position(subject, '?s')} {_position(predicate, '?p')} {_position(obj, '?o')}"
    names = " ".join(v for t, v in ((subject, "?s"), (predicate, "?p"), (obj, "?o")) if t is None)
    if isinstance(graph, ox.DefaultGraph):
        return f"SELECT {names or '*'} WHERE {{ {triple} }}"
    if graph is not None:
        return f"SELECT {names or '*'} WHERE {{ GRAPH {graph} {{ {triple} }} }}"
    return f"SELECT {names} ?g WHERE {{ {{ {triple} }} UNION {{ GRAPH ?g {{ {triple} }} }} }}"


def default_graph_quads(dump: bytes, graph: str = DEFAULT_GRAPH) -> bytes:
    """N-Quads of the merge of the dump's named graphs (each triple once, sorted) in ``graph``: what
    an external engine loads beside the dump to hold the embedded store's default graph.

    >>> dump = b'<urn:a> <urn:p> "x" <urn:g1> .\\n<urn:a> <urn:p> "x" <urn:g2> .\\n'
    >>> default_graph_quads(dump, "urn:d")
    b'<urn:a> <urn:p> "x" <urn:d> .\\n'
    """
    target = ox.NamedNode(graph)
    triples = {quad.triple for quad in ox.parse(dump, format=ox.RdfFormat.N_QUADS)}
    lines = sorted(str(ox.Quad(t.subject, t.predicate, t.object, target)) + " .\n" for t in triples)
    return "".join(lines).encode("utf-8")


def ask_answer(solutions: ox.QuerySolutions) -> ox.QueryBoolean:
    """The boolean of an ASK that Virtuoso answered as one solution binding ``__ASK_RETVAL`` to 1 or 0.

    >>> ask_answer(ox.parse_query_results(
    ...     b'{"head": {"vars": ["__ASK_RETVAL"]}, "results": {"bindings": [{"__ASK_RETVAL": '
    ...     b'{"type": "typed-literal", "datatype": "http://www.w3.org/2001/XMLSchema#integer", "value": "1"}}]}}',
    ...     format=ox.QueryResultsFormat.JSON))
    <QueryBoolean true>
    """
    names = [v.value for v in solutions.variables]
    rows = list(solutions)
    if names != ["__ASK_RETVAL"] or len(rows) > 1:
        raise bad_gateway(f"the store's engine answered an ASK query with solutions of {names}")
    value = rows[0]["__ASK_RETVAL"] if rows else None
    answer = value is not None and value.value in ("1", "true")
    return ox.parse_query_results(b'{"head": {}, "boolean": %s}' % (b"true" if answer else b"false"),
                                  format=ox.QueryResultsFormat.JSON)


class RemoteStore:
    """A read-only store whose queries run in an external SPARQL engine at ``url``."""

    def __init__(self, url: str, named_graphs: list[str], default_graph: str = DEFAULT_GRAPH,
                 timeout: float = 30.0):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"the store URL {url!r} is not an http(s) URL of a SPARQL endpoint")
        self.url = url
        self._parts = parts
        self.graphs = list(named_graphs)
        self.default_graph = default_graph
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"RemoteStore({self.url!r})"

    # -- the part of pyoxigraph.Store's interface the server reads ---------------------------

    def query(self, query: str, base_iri: str | None = None, default_graph=None, named_graphs=None,
              substitutions: dict | None = None, deadline: Deadline | None = None, kind: str | None = None):
        """The results of ``query``, as ``pyoxigraph.Store.query`` gives them; ``kind`` ("solutions",
        "boolean" or "graph"), when known, says which formats to ask for."""
        if substitutions:
            query = sparqltext.bind_values(query, {variable.value: term for variable, term in substitutions.items()})
        fields = [("query", with_base(query, base_iri))]
        if default_graph is not None or named_graphs is not None:
            fields += [("default-graph-uri", g.value) for g in default_graph or []]
            fields += [("named-graph-uri", g.value) for g in (self._ours() if named_graphs is None else named_graphs)]
        elif "FROM" not in sparqltext.keywords(query):
            fields += [("default-graph-uri", self.default_graph)]
            fields += [("named-graph-uri", g.value) for g in self._ours()]
        accept = {"graph": GRAPH_ACCEPT, None: f"{SOLUTIONS_ACCEPT}, {GRAPH_ACCEPT}"}.get(kind, SOLUTIONS_ACCEPT)
        body, media_type = self._post(fields, accept, deadline or Deadline(self.timeout))
        results_format = ox.QueryResultsFormat.from_media_type(media_type)
        if results_format is not None:
            results = ox.parse_query_results(body, format=results_format)
            if kind == "boolean" and isinstance(results, ox.QuerySolutions):
                return ask_answer(results)
            return results
        rdf_format = ox.RdfFormat.from_media_type(media_type)
        if rdf_format is not None:
            return RemoteTriples(body, rdf_format)
        body.close()
        raise bad_gateway(f"the store at {self.url} answered in {media_type or 'no media type'}, "
                          "neither SPARQL results nor RDF")

    def quads_for_pattern(self, subject, predicate, obj, graph_name=None):
        """The quads matching a pattern (``graph_name`` None: in every graph, the default one too).

        None match a blank node: a query cannot name one the engine holds (in a query, a blank node
        is a variable).

        >>> list(RemoteStore("http://127.0.0.1:9/sparql", []).quads_for_pattern(ox.BlankNode("b1"), None, None))
        []
        """
        if any(isinstance(term, ox.BlankNode) for term in (subject, predicate, obj, graph_name)):
            return
        results = self.query(pattern_query(subject, predicate, obj, graph_name))
        for solution in results:
            graph = graph_name if graph_name is not None else (solution["g"] or ox.DefaultGraph())
            yield ox.Quad(subject or solution["s"], predicate or solution["p"], obj or solution["o"], graph)

    def named_graphs(self):
        return iter(self._ours())

    def _ours(self) -> list[ox.NamedNode]:
        return [ox.NamedNode(g) for g in self.graphs]

    # -- the protocol ------------------------------------------------------------------------

    def _post(self, fields: list[tuple[str, str]], accept: str, deadline: Deadline) -> tuple[_Body, str]:
        parts = self._parts
        left = deadline.left()
        if left <= 0:
            raise DeadlinePassed(deadline)
        connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        connection = connection_class(parts.hostname, parts.port, timeout=left)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        try:
            connection.request("POST", target, urllib.parse.urlencode(fields).encode("utf-8"), {
                "Accept": accept, "Content-Type": "application/x-www-form-urlencoded"})
            response = connection.getresponse()
        except (TimeoutError, socket.timeout):
            connection.close()
            raise DeadlinePassed(deadline) from None
        except OSError as error:
            connection.close()
            raise bad_gateway( f"the store at {self.url} cannot be reached: {error}") from None
        except http.client.HTTPException as error:
            connection.close()
            raise bad_gateway( f"the store at {self.url} answered no HTTP: {error!r}") from None
        media_type = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
        if response.status != 200:
            detail = response.read(2000).decode("utf-8", "replace").strip()
            connection.close()
            if response.status == 400:
                raise Problem(400, f"the store's engine refused the query: {detail}")
            raise bad_gateway( f"the store at {self.url} answered {response.status}: {detail[:500]}")
        if response.getheader("X-SQL-State"):  # Virtuoso's "anytime" answer: what it found before its own limit
            state = response.getheader("X-SQL-State")
            connection.close()
            raise service_unavailable(f"the store's engine stopped the query at its own time limit and answered in "
                                      f"part (X-SQL-State {state}); the answer is not given", int(deadline.seconds) or 1)
        return _Body(connection, response, deadline), media_type


#: The functions a query sent to the engine may call by IRI: the XSD casts of SPARQL 1.1.
ALLOWED_FUNCTIONS = "http://www.w3.org/2001/XMLSchema#"


def check_functions(text: str) -> None:
    """Refuse (403) a query that calls a function by an IRI other than an XSD cast: an engine
    reads some of its own as calls out (Virtuoso's ``<bif:http_get>`` fetches any URL).

    >>> check_functions('PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> SELECT (xsd:integer("1") AS ?n) {}')
    >>> check_functions('PREFIX b: <bif:> SELECT (b:http_get("http://127.0.0.1:9/") AS ?x) {}')
    Traceback (most recent call last):
    ...
    astana_kg.query.problems.Problem: the function <bif:http_get> is refused: ...
    """
    for iri, start in sparqltext.function_calls(text):
        if not iri.startswith(ALLOWED_FUNCTIONS) or ":" not in iri:
            raise forbidden(f"the function <{iri}> is refused: queries run in the store's engine, where a function "
                            "outside SPARQL's own and the XSD casts may reach the network (a collection right "
                            "after a predicate IRI reads as a call too)",
                            function=iri, character=start)


class RemotePool:
    """Runs query jobs in the external engine, with the pool's interface (``run``, ``size``, ``close``).

    ``checker`` is a pool of query processes over an empty store: it parses each query as the
    embedded path does (and says which form it has) under the same deadline and memory cap.
    """

    isolated = None
    why_not_isolated = "queries run in the external engine"

    def __init__(self, store: RemoteStore, checker: QueryPool, size: int):
        self.store = store
        self.checker = checker
        self.size = size
        self._slots = threading.BoundedSemaphore(size)

    def run(self, job: Job, timeout: float) -> Outcome:
        if job.operation != "query":
            raise forbidden(f"the store at {self.store.url} is read-only here: no {job.operation}")
        deadline = Deadline(timeout)
        check_functions(job.text)
        checked = self.checker.run(dataclasses.replace(job, row_cap=0), timeout)
        if not self._slots.acquire(timeout=max(deadline.left(), 0)):
            raise service_unavailable(f"all {self.size} connections to the store stayed busy for {timeout:g} s",
                                      int(timeout) or 1)
        bound = _Bound(self.store, deadline, checked.kind)
        try:
            return evaluate(bound, job)
        except Problem:
            raise
        except (SyntaxError, OSError, ValueError) as error:
            if deadline.passed():
                raise DeadlinePassed(deadline) from None
            raise bad_gateway(f"the store at {self.store.url} answered with results that do not parse: {error}") \
                from None
        finally:
            deadline.close()
            self._slots.release()

    def close(self) -> None:
        self.checker.close()


class _Bound:
    """The store as ``evaluate`` reads it: one query, under one deadline, its form known."""

    def __init__(self, store: RemoteStore, deadline: Deadline, kind: str):
        self.store, self.deadline, self.kind = store, deadline, kind

    def query(self, text: str, **kwargs):
        return self.store.query(text, deadline=self.deadline, kind=self.kind, **kwargs)
