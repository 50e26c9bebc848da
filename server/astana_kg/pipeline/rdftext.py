"""The ground the build's stages stand on: the error for wrong input, and graphs written as
N-Triples and N-Quads text (each term once) and loaded from it into pyoxigraph stores.

The build, the checks and the reasoner all import it; it imports none of them.
"""

from __future__ import annotations

import contextlib
import functools
import heapq
import io
import pickle
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.store import Store
from rdflib.namespace import RDF, RDFS, XSD  # noqa: F401 (the doctests use them)


class InvalidInput(Exception):
    """The input is wrong (exit status 1); ``report`` says where and why."""

    def __init__(self, report: str):
        super().__init__(report)
        self.report = report


def to_oxigraph(term) -> ox.NamedNode | ox.Literal | ox.BlankNode:
    """Convert an rdflib term to a pyoxigraph term.

    >>> to_oxigraph(Literal("2017-05-04", datatype=XSD.date))
    <Literal value=2017-05-04 datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#date>>
    """
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    raise TypeError(f"not an RDF term: {term!r}")


def triples_of(graph: Graph):
    """The triples of ``graph``: from its store, if it is a :class:`WrittenOnce`.

    >>> g = Graph(store=WrittenOnce()); g.store.extend([(URIRef("urn:a"), RDF.type, URIRef("urn:C"))])
    >>> list(triples_of(g)) == list(g)
    True
    """
    return graph.store if isinstance(graph.store, WrittenOnce) else graph


def _iri(text: str) -> URIRef:
    return str.__new__(URIRef, text)


def _literal(text: str, language: str | None, datatype: URIRef | None, value, ill_typed: bool | None) -> Literal:
    literal = str.__new__(Literal, text)
    literal._language, literal._datatype, literal._value, literal._ill_typed = language, datatype, value, ill_typed
    return literal


class _TermPickler(pickle.Pickler):
    def reducer_override(self, obj):
        kind = type(obj)
        if kind is URIRef:
            return _iri, (str(obj),)
        if kind is Literal:
            return _literal, (str(obj), obj.language, obj.datatype, obj.value, obj.ill_typed)
        return NotImplemented


def interned_iri(iris: dict[str, URIRef], text: str) -> URIRef:
    """The IRI ``iris`` holds for ``text`` (a valid IRI: not checked), made and kept if it holds none.

    >>> iris = {}
    >>> interned_iri(iris, "urn:a") is interned_iri(iris, "urn:a")
    True
    """
    iri = iris.get(text)
    if iri is None:
        iri = iris[text] = _iri(text)
    return iri


class _TermUnpickler(pickle.Unpickler):
    """Unpickles what :func:`pickle_terms` pickled, each IRI the one object ``iris`` holds for its
    text. (What it makes IRIs with holds ``iris``, not the unpickler: the unpickler keeps what it
    made until it is let go, which a cycle through it would put off until the build's end, the
    cyclic collector being paused.)"""

    def __init__(self, data: bytes, iris: dict[str, URIRef]):
        super().__init__(io.BytesIO(data))
        self._iri = functools.partial(interned_iri, iris)

    def find_class(self, module: str, name: str):
        if module == __name__ and name == "_iri":
            return self._iri
        return super().find_class(module, name)


def unpickle_terms(data: bytes, iris: dict[str, URIRef] | None = None):
    """What :func:`pickle_terms` pickled. With ``iris`` (kept by the caller from one call to the
    next), an IRI is the one object ``iris`` holds for its text: the entries of one build share
    their IRIs, whose comparisons in the sets and dictionaries of its stages are then identities,
    not calls of rdflib's comparison of two objects, which is Python code.

    >>> iris = {}
    >>> a, b = (unpickle_terms(pickle_terms([URIRef("urn:a")]), iris)[0] for _ in range(2))
    >>> a == URIRef("urn:a"), a is b, type(a).__name__
    (True, True, 'URIRef')
    """
    return pickle.loads(data) if iris is None else _TermUnpickler(data, iris).load()


def pickle_terms(obj) -> bytes:
    """``obj`` pickled, with each IRI and literal as what it is made of: unpickled, an IRI is not
    checked again nor a literal's value parsed again, as rdflib's own pickling does (half the time
    of loading the claims of 500 articles). What it is made of is what rdflib made of it, in this
    version of rdflib, which the cache's keys hold (:data:`cache.LIBRARIES`).

    >>> terms = [URIRef("urn:a"), Literal("04", datatype=XSD.integer), Literal("x", lang="en"), BNode("b")]
    >>> again = pickle.loads(pickle_terms(terms))
    >>> again == terms, [type(t).__name__ for t in again], again[1].value, again[2].language
    (True, ['URIRef', 'Literal', 'Literal', 'BNode'], 4, 'en')
    """
    out = io.BytesIO()
    _TermPickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return out.getvalue()


class WrittenOnce(Store):
    """An rdflib store for a graph that is written, then read: the build's graphs of each source,
    of what each entails, of labels. Its triples are kept once each in the order they came (about
    100 bytes a triple, where rdflib's Memory store keeps three nested indexes and the contexts
    of each triple, ten times that), and an index by subject, predicate or object is made by the
    first lookup that needs it, and dropped when a triple is added or removed.

    >>> g = Graph(store=WrittenOnce())
    >>> g += [(URIRef("urn:a"), RDF.type, URIRef("urn:C")), (URIRef("urn:b"), RDF.type, URIRef("urn:C")),
    ...       (URIRef("urn:a"), RDFS.label, Literal("a")), (URIRef("urn:a"), RDF.type, URIRef("urn:C"))]
    >>> len(g), sorted(g.subjects(RDF.type, URIRef("urn:C"))), g.value(URIRef("urn:a"), RDFS.label)
    (3, [rdflib.term.URIRef('urn:a'), rdflib.term.URIRef('urn:b')], rdflib.term.Literal('a'))
    >>> (URIRef("urn:b"), None, None) in g, (None, RDFS.label, Literal("b")) in g
    (True, False)
    >>> g.remove((URIRef("urn:a"), None, None)); list(g)  # doctest: +ELLIPSIS
    <Graph ...>
    [(rdflib.term.URIRef('urn:b'), rdflib.term.URIRef('http://www.w3.org/1999/02/22-rdf-syntax-ns#type'), rdflib.term.URIRef('urn:C'))]
    """

    def __init__(self, configuration=None, identifier=None):
        super().__init__(configuration, identifier)
        self._triples: dict[tuple, None] = {}
        self._indexes: dict[int, dict] = {}  # position (0, 1, 2) -> term -> triples with it there
        self._namespaces: dict[str, URIRef] = {}

    def add(self, triple, context, quoted=False) -> None:
        if triple not in self._triples:
            self._triples[triple] = None
            if self._indexes:
                self._indexes = {}

    def addN(self, quads) -> None:  # noqa: N802 (rdflib's name)
        for s, p, o, _ in quads:
            self.add((s, p, o), None)

    def extend(self, triples) -> None:
        """Add ``triples`` (of rdflib terms, as a parser or a graph gives them) in one step, without
        the checks and the quads of ``Graph.add`` and ``Graph.__iadd__``: the build's way of
        filling the graph of each source.

        >>> g = Graph(store=WrittenOnce())
        >>> g.store.extend([(URIRef("urn:a"), RDF.type, URIRef("urn:C"))] * 2); len(g)
        1
        """
        self._triples.update(dict.fromkeys(triples))
        self._indexes = {}

    def with_predicates(self, predicates: set) -> list[tuple]:
        """The triples whose predicate is one of ``predicates``, in one pass and no index.

        >>> g = Graph(store=WrittenOnce())
        >>> g.store.extend([(URIRef("urn:a"), RDF.type, URIRef("urn:C")), (URIRef("urn:a"), RDFS.label, Literal("a"))])
        >>> g.store.with_predicates({RDFS.label})
        [(rdflib.term.URIRef('urn:a'), rdflib.term.URIRef('http://www.w3.org/2000/01/rdf-schema#label'), rdflib.term.Literal('a'))]
        """
        return [triple for triple in self._triples if triple[1] in predicates]

    def remove(self, triple_pattern, context=None) -> None:
        for triple in [triple for triple, _ in self.triples(triple_pattern)]:
            del self._triples[triple]
        self._indexes = {}

    @property
    def indexed(self) -> tuple[int, ...]:
        """The positions (0 subject, 1 predicate, 2 object) by which the graph holds an index now."""
        return tuple(sorted(self._indexes))

    def drop_indexes(self) -> None:
        """Let go of the indexes the lookups made (made again by the next lookup that needs one):
        a build's graphs are looked up until it writes them, and writing needs none.

        >>> g = Graph(store=WrittenOnce())
        >>> g.store.extend([(URIRef("urn:a"), RDF.type, URIRef("urn:C"))])
        >>> _ = list(g.subjects(RDF.type)); g.store.indexed
        (1,)
        >>> g.store.drop_indexes(); g.store.indexed, len(g)
        ((), 1)
        """
        self._indexes = {}

    def _index(self, position: int) -> dict:
        index = self._indexes.get(position)
        if index is None:
            index = {}
            for triple in self._triples:
                index.setdefault(triple[position], []).append(triple)
            self._indexes[position] = index
        return index

    def triples(self, triple_pattern, context=None):
        s, p, o = triple_pattern
        if s is not None:
            if p is not None and o is not None:
                if (s, p, o) in self._triples:
                    yield (s, p, o), ()
                return
            candidates = self._index(0).get(s, ())
            if p is not None:
                candidates = [triple for triple in candidates if triple[1] == p]
            elif o is not None:
                candidates = [triple for triple in candidates if triple[2] == o]
        elif o is not None:  # by object rather than predicate: the fewer
            candidates = self._index(2).get(o, ())
            if p is not None:
                candidates = [triple for triple in candidates if triple[1] == p]
        elif p is not None:
            candidates = self._index(1).get(p, ())
        else:
            candidates = self._triples
        for triple in candidates:
            yield triple, ()

    def __len__(self, context=None) -> int:
        return len(self._triples)

    def __iter__(self):
        """The triples in the order they came, without rdflib's generators around each (a third
        of the time of a pass over a graph made of a source's claims)."""
        return iter(self._triples)

    def contexts(self, triple=None):
        return iter(())

    def bind(self, prefix: str, namespace: URIRef, override: bool = True) -> None:
        if override or prefix not in self._namespaces:
            self._namespaces = {k: v for k, v in self._namespaces.items() if v != namespace}
            self._namespaces[prefix] = namespace

    def namespace(self, prefix: str):
        return self._namespaces.get(prefix)

    def prefix(self, namespace):
        return next((k for k, v in self._namespaces.items() if v == namespace), None)

    def namespaces(self):
        return iter(list(self._namespaces.items()))


class Terms(dict):
    """rdflib terms as pyoxigraph writes them in N-Triples and N-Quads, each term converted once (a
    build writes a million quads of a few hundred thousand distinct terms).

    >>> terms = Terms()
    >>> terms[Literal('say "yes"', lang="EN")], terms[URIRef("urn:a")]
    ('"say \\\\"yes\\\\""@en', '<urn:a>')
    """

    def __init__(self):
        super().__init__()
        self.iris: dict[str, URIRef] = {}  # the one IRI of each text among what the build unpickles

    def __missing__(self, term) -> str:
        text = self[term] = str(to_oxigraph(term))
        return text

    def triples(self, graph) -> list[str]:
        """The triples of ``graph`` (an rdflib graph, or any iterable of triples) as ``S P O`` text,
        made each time, from a graph's own triples (:func:`triples_of`). The text of a graph is not
        kept: a build reads each graph in several stages, and the text of every graph of 500
        articles, kept from the validate stage to the dump, was 163 MB; made again, it costs the
        seconds of a few passes.

        >>> terms, g = Terms(), Graph()
        >>> g.add((URIRef("urn:a"), RDF.type, URIRef("urn:C")))  # doctest: +ELLIPSIS
        <Graph ...>
        >>> terms.triples(g), terms.triples(g) is terms.triples(g)
        (['<urn:a> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <urn:C>'], False)
        """
        triples = triples_of(graph) if isinstance(graph, Graph) else graph
        return [f"{self[s]} {self[p]} {self[o]}" for s, p, o in triples]


def nquads_lines(graphs: dict[URIRef, Graph], terms: Terms | None = None) -> list[bytes]:
    """Every quad of every graph as an N-Quads line in UTF-8 (without its newline), in no order:
    the lines pyoxigraph's N-Quads serializer writes. Bytes, not text: the bytes of UTF-8 sort as
    the code points they encode (so the lines sort as their text would), and the dump joined from
    them is no text of two or four bytes a character (as a text holding one character outside
    Latin-1 is).

    >>> g = Graph()
    >>> g.add((URIRef("urn:a"), URIRef("urn:p"), Literal("two\\nlines")))  # doctest: +ELLIPSIS
    <Graph ...>
    >>> print(nquads_lines({URIRef("urn:g"): g})[0].decode())
    <urn:a> <urn:p> "two\\nlines" <urn:g> .
    """
    return [line.encode("utf-8") for line in _quad_lines(graphs, Terms() if terms is None else terms)]


def _quad_lines(graphs: dict[URIRef, Graph], terms: Terms):
    """The N-Quads lines of every graph as text, one graph after another, made as they are read."""
    for name, graph in graphs.items():
        tail = f" {terms[name]} ."
        yield from (triple + tail for triple in terms.triples(graph))


class GraphLines(Mapping):
    """The N-Quads lines (without their newlines) of each graph of ``graphs`` that has any, by graph
    IRI in order, each graph's sorted and once each: the lines of a dump of the graphs by graph
    (:func:`sorted_nquads`). A graph's are made when asked for, and not kept: what reads them one
    graph after another (the downloads) holds one graph's lines at a time, not the whole dump's.

    >>> g = Graph(); _ = g.add((URIRef("urn:b"), RDFS.label, Literal("b"))); _ = g.add((URIRef("urn:a"), RDFS.label, Literal("a")))
    >>> lines = GraphLines({URIRef("urn:g2"): g, URIRef("urn:g1"): g, URIRef("urn:g0"): Graph()})
    >>> list(lines), lines["urn:g1"][0].decode()
    (['urn:g1', 'urn:g2'], '<urn:a> <http://www.w3.org/2000/01/rdf-schema#label> "a" <urn:g1> .')
    """

    def __init__(self, graphs: dict[URIRef, Graph], terms: Terms | None = None):
        self._graphs = {str(name): (name, graph) for name, graph in sorted(graphs.items(), key=lambda kv: str(kv[0]))
                        if len(graph)}
        self._terms = Terms() if terms is None else terms

    def __getitem__(self, name: str) -> list[bytes]:
        graph_name, graph = self._graphs[name]
        return sorted(set(nquads_lines({graph_name: graph}, self._terms)))

    def __iter__(self):
        return iter(self._graphs)

    def __len__(self) -> int:
        return len(self._graphs)


def ntriples(triples, terms: Terms | None = None) -> str:
    """``triples`` as N-Triples, sorted: the same graph gives the same text.

    >>> print(ntriples([(URIRef("urn:b"), RDF.type, URIRef("urn:C")), (URIRef("urn:a"), RDFS.label, Literal("a"))]), end="")
    <urn:a> <http://www.w3.org/2000/01/rdf-schema#label> "a" .
    <urn:b> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <urn:C> .
    """
    terms = Terms() if terms is None else terms
    return "".join(sorted(triple + " .\n" for triple in terms.triples(triples)))


def sorted_nquads(graphs: dict[URIRef, Graph], terms: Terms | None = None) -> bytes:
    """Every quad of every graph as N-Quads, one per line, sorted, once each (two rdflib terms can
    be one RDF term: a plain literal and an ``xsd:string`` one): the same input gives the same bytes."""
    out = io.BytesIO()
    write_sorted_lines(nquads_lines(graphs, terms), out)
    return out.getvalue()


#: The lines :func:`write_nquads` sorts in memory at a time: more are sorted in runs of as many,
#: each written to a file of its own, and the runs merged.
SORT_RUN = 500_000


def write_nquads(graphs: dict[URIRef, Graph], path: Path, terms: Terms | None = None) -> None:
    """Write the bytes of :func:`sorted_nquads` to the file ``path``, holding at most
    :data:`SORT_RUN` lines at a time: up to that many, sorted in memory (:func:`write_sorted_lines`);
    more, sorted in runs written beside ``path`` (``NAME.run-N``, removed after), which are then
    merged (at 5,000 articles, the dump's lines in one list and the dump made from them took
    the build from 5.0 GiB to 7.0 GiB)."""
    terms = Terms() if terms is None else terms
    lines: list[bytes] = []
    runs: list[Path] = []

    def spill() -> None:  # the lines so far, sorted, as a run of their own
        runs.append(path.with_name(f"{path.name}.run-{len(runs)}"))
        with open(runs[-1], "wb") as out:
            write_sorted_lines(lines, out)

    try:
        for line in _quad_lines(graphs, terms):
            lines.append(line.encode("utf-8"))
            if len(lines) == SORT_RUN:
                spill()
        if not runs:
            with open(path, "wb") as out:
                write_sorted_lines(lines, out)
            return
        if lines:
            spill()
        with contextlib.ExitStack() as files, open(path, "wb") as out:
            # Each run's lines without their newline, as the lines were sorted.
            readers = [(line[:-1] for line in files.enter_context(open(run, "rb"))) for run in runs]
            _write_distinct(heapq.merge(*readers), out)
    finally:
        for run in runs:
            run.unlink(missing_ok=True)


def write_sorted_lines(lines: list[bytes], out) -> None:
    """Write ``lines`` (without their newlines) to the binary file ``out``, sorted, once each, one a
    line (an empty text: a newline), emptying ``lines`` as they are written: the lines are not held
    beside the text they make (at 5,000 articles, millions of lines), which a
    build reads back once they are let go.

    >>> out, lines = io.BytesIO(), [b"<urn:b>", b"<urn:a>", b"<urn:b>"]
    >>> write_sorted_lines(lines, out); out.getvalue(), lines
    (b'<urn:a>\\n<urn:b>\\n', [])
    """
    lines.sort(reverse=True)  # taken from the end, a part at a time: in ascending order

    def taken():
        while lines:
            part = lines[-LOAD_CHUNK:]
            del lines[-LOAD_CHUNK:]
            yield from reversed(part)

    _write_distinct(taken(), out)


def _spans_ending(dump: bytes, tail: bytes):
    """The (start, end) of each line of ``dump`` that ends with ``tail``, in order (``end``: past
    the line, before its newline). A tail holds no newline, and a line's newline ends the needle,
    so a match is always a line's end."""
    needle = tail + b"\n"
    found = dump.find(needle)
    while found != -1:
        end = found + len(tail)
        yield dump.rfind(b"\n", 0, found) + 1, end
        found = dump.find(needle, end + 1)


def _insertion_point(dump: bytes, line: bytes) -> int:
    """The offset of the first line of the sorted ``dump`` that comes after ``line`` (its length if
    none does): a binary search over the offsets, each taken back to the start of its line."""
    low, high = 0, len(dump)  # line starts: the lines before low come before line, from high on after
    while low < high:
        start = dump.rfind(b"\n", 0, (low + high) // 2) + 1  # low is a line start: start >= low
        end = dump.find(b"\n", start)
        if dump[start:end] < line:
            low = end + 1
        else:
            high = start
    return low


#: Past one line added for this many bytes of the dump, :func:`replace_lines` merges the dump's
#: lines with them in one pass instead of searching for the place of each (a search took 14 µs in
#: the dump of 100x, 210 MB: a pass over its 1.1 million lines, about 2 s, costs 140,000 searches).
BYTES_PER_SEARCH = 2000


def replace_lines(dump: bytes, tails: list[bytes], lines: list[bytes], out) -> tuple[list[bytes], list[bytes]]:
    """Write to the binary file ``out`` the sorted dump ``dump`` (distinct lines, each with its
    newline; a newline alone if it has none) with its lines that end with one of ``tails``
    replaced by ``lines`` (distinct, each ending with one of them): the text
    :func:`write_sorted_lines` would write of the other lines and ``lines``, without splitting the
    dump into lines. Only the lines that differ are looked at: those removed, cut out, and those
    added, each put where it sorts. Return the lines removed and the lines added, each sorted.

    >>> out = io.BytesIO()
    >>> replace_lines(b"<a> <g> .\\n<b> <h> .\\n<c> <g> .\\n", [b" <g> ."], [b"<c> <g> .", b"<d> <g> ."], out)
    ([b'<a> <g> .'], [b'<d> <g> .'])
    >>> out.getvalue()
    b'<b> <h> .\\n<c> <g> .\\n<d> <g> .\\n'
    """
    if dump == b"\n":
        dump = b""  # the dump of no line
    old = {dump[start:end]: start for tail in tails for start, end in _spans_ending(dump, tail)}
    new = set(lines)
    removed = sorted(line for line in old if line not in new)
    added = sorted(line for line in new if line not in old)
    if len(added) * BYTES_PER_SEARCH > len(dump):
        cut = set(removed)
        kept = [line for line in dump.split(b"\n") if line and line not in cut]
        kept += added
        write_sorted_lines(kept, out)
        return removed, added
    # At one offset a line added goes before a line cut: the one sorts before the other.
    events = sorted([(_insertion_point(dump, line), 0, line) for line in added]
                    + [(old[line], 1, line) for line in removed])
    position, written = 0, False
    for offset, cut, line in events:
        if offset > position:
            out.write(dump[position:offset])
            written = True
        if cut:
            position = offset + len(line) + 1
        else:
            out.write(line + b"\n")
            position, written = offset, True
    if position < len(dump):
        out.write(dump[position:])
        written = True
    if not written:
        out.write(b"\n")
    return removed, added


class LinesOf(Sequence):
    """The lines of a sorted dump that end with ``tail``, found when first asked for (a rebuild
    hands the lines of every graph to the downloads, which read them only for the graphs whose
    download they cannot take from the last build)."""

    def __init__(self, dump: bytes, tail: bytes):
        self._dump, self._tail, self._lines = dump, tail, None

    def _found(self) -> list[bytes]:
        if self._lines is None:
            self._lines = [self._dump[start:end] for start, end in _spans_ending(self._dump, self._tail)]
            self._dump = None
        return self._lines

    def __getitem__(self, index):
        return self._found()[index]

    def __len__(self) -> int:
        return len(self._found())


def _write_distinct(ordered, out) -> None:
    """Write the lines (without their newlines) of ``ordered`` (sorted) to the binary file ``out``,
    once each, one a line, :data:`LOAD_CHUNK` lines at a time; a newline alone if there are none."""
    part, last, written = [], None, False
    for line in ordered:
        if line == last:
            continue
        part.append(line)
        last = line
        if len(part) == LOAD_CHUNK:
            part.append(b"")  # the newline of the part's last line
            out.write(b"\n".join(part))
            part, written = [], True
    if part:
        part.append(b"")
        out.write(b"\n".join(part))
    elif not written:
        out.write(b"\n")  # no line: a newline alone


#: The lines :func:`load_lines` hands pyoxigraph at a time.
LOAD_CHUNK = 100_000


def load_lines(store: ox.Store, lines, format: ox.RdfFormat = ox.RdfFormat.N_QUADS) -> None:
    """Add N-Quads (or N-Triples) ``lines``, without their newlines, to ``store``: in bulk, but for
    the lines with a blank node, which keep its label (a bulk load gives blank nodes new ones, and
    the stores of the checks and the reasoner meet the graphs' blank nodes by theirs).

    >>> store = ox.Store()
    >>> load_lines(store, ["<urn:a> <urn:p> _:b1 .", "<urn:a> <urn:p> <urn:c> ."], ox.RdfFormat.N_TRIPLES)
    >>> sorted(str(quad.object) for quad in store)
    ['<urn:c>', '_:b1']
    """
    plain, blank = [], []
    for line in lines:
        if "_:" in line:
            blank.append(line)
            continue
        plain.append(line)
        if len(plain) == LOAD_CHUNK:  # in chunks: the text of a million lines at once is the stage's peak
            store.bulk_load(("\n".join(plain) + "\n").encode("utf-8"), format=format)
            plain.clear()
    if plain:
        store.bulk_load(("\n".join(plain) + "\n").encode("utf-8"), format=format)
    if blank:
        store.extend(ox.parse("".join(line + "\n" for line in blank).encode("utf-8"), format=format))


#: The bytes of N-Quads text :func:`bulk_load_text` hands pyoxigraph at a time (about
#: :data:`LOAD_CHUNK` lines of a dump).
LOAD_CHUNK_BYTES = 20_000_000


def text_parts(path: Path, size: int | None = None):
    """The bytes of the file ``path`` a part at a time, each of about ``size`` bytes (default
    :data:`LOAD_CHUNK_BYTES`) and running to the end of a line: a text of lines read without the
    whole of it in memory.

    >>> import tempfile; path = Path(tempfile.mkdtemp()) / "lines"; _ = path.write_bytes(b"ab\\ncd\\nef\\n")
    >>> list(text_parts(path, 3)), list(text_parts(path))
    ([b'ab\\n', b'cd\\n', b'ef\\n'], [b'ab\\ncd\\nef\\n'])
    """
    size = LOAD_CHUNK_BYTES if size is None else size
    with open(path, "rb") as text:
        rest = b""
        while True:
            read = text.read(size)
            if not read:
                break
            end = read.rfind(b"\n")
            if end < 0:
                rest += read
                continue
            yield rest + read[:end + 1]
            rest = read[end + 1:]
        if rest:
            yield rest


def bulk_load_text(store: ox.Store, text: bytes, format: ox.RdfFormat = ox.RdfFormat.N_QUADS) -> None:
    """Bulk-load N-Quads (or N-Triples) ``text`` into ``store`` a part at a time, each part running
    to the end of the line that reaches :data:`LOAD_CHUNK_BYTES`: a bulk load holds about four
    times the text it is given (a dump of 200 MB loaded whole took 920 MB more; split into lines
    loaded 100,000 at a time, 400 MB more, the lines included). Blank nodes get new labels either way.

    >>> store = ox.Store()
    >>> bulk_load_text(store, b"<urn:a> <urn:p> <urn:b> .\\n<urn:a> <urn:p> <urn:c> <urn:g> .\\n")
    >>> len(store)
    2
    """
    start = 0
    while start < len(text):
        end = text.find(b"\n", min(start + LOAD_CHUNK_BYTES, len(text)) - 1)
        end = len(text) if end < 0 else end + 1
        store.bulk_load(text[start:end], format=format)
        start = end


def new_store(directory: Path | None = None) -> ox.Store:
    """An empty store: in memory, or on disk in ``directory`` (emptied of what an earlier store left
    there, and made). Whoever made it removes the directory once the store is let go: an open
    store writes its files again once they are removed.

    >>> import tempfile
    >>> directory = Path(tempfile.mkdtemp()) / "scratch"
    >>> (directory / "left").mkdir(parents=True)
    >>> store = new_store(directory); len(store), (directory / "left").exists(), len(new_store())
    (0, False, 0)
    >>> del store; shutil.rmtree(directory)
    """
    if directory is None:
        return ox.Store()
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    return ox.Store(str(directory))


def dataset_store(graphs: dict[URIRef, Graph], terms: Terms | None = None, store: ox.Store | None = None) -> ox.Store:
    """A store of ``graphs`` with the merged default graph, as a build writes it (bulk-loaded from
    N-Quads: each triple goes into its graph and, once, into the default graph): in memory, or
    ``store`` (empty) filled."""
    terms = Terms() if terms is None else terms
    # Each triple of a named graph once: the queries of pyoxigraph's in-memory store slow down where
    # a quad was loaded several times, though it holds it once (a dangling-reference query at 100x:
    # 0.5 s with the merged triples loaded once, 3.6 s with each loaded once per graph holding it).
    # The set holds the graphs' own triples, not their text (which the terms do not keep: the set
    # would hold the text of every triple at once), and the lines are made as they are loaded:
    # neither every line nor every merged line is held at once.
    merged: set[tuple] = set()
    for graph in graphs.values():
        merged.update(triples_of(graph))
    store = ox.Store() if store is None else store
    load_lines(store, _quad_lines(graphs, terms))
    load_lines(store, (f"{terms[s]} {terms[p]} {terms[o]} ." for s, p, o in merged))
    return store
