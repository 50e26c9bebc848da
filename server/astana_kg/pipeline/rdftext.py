"""The ground the build's stages stand on: the error for wrong input, and graphs written as
N-Triples and N-Quads text (each term once) and loaded from it into pyoxigraph stores.

The build, the checks and the reasoner all import it; it imports none of them.
"""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
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


class Terms(dict):
    """rdflib terms as pyoxigraph writes them in N-Triples and N-Quads, each term converted once (a
    build writes a million quads of a few hundred thousand distinct terms).

    >>> terms = Terms()
    >>> terms[Literal('say "yes"', lang="EN")], terms[URIRef("urn:a")]
    ('"say \\\\"yes\\\\""@en', '<urn:a>')
    """

    def __init__(self):
        super().__init__()
        self.written: dict[int, tuple[Graph, list[str]]] = {}

    def __missing__(self, term) -> str:
        text = self[term] = str(to_oxigraph(term))
        return text

    def triples(self, graph) -> list[str]:
        """The triples of ``graph`` as ``S P O`` text: for an rdflib graph, made once and kept (a
        build reads each graph in several stages and changes none once made; iterating an rdflib
        graph costs more than the text), for any other iterable of triples, made each time.

        >>> terms, g = Terms(), Graph()
        >>> g.add((URIRef("urn:a"), RDF.type, URIRef("urn:C")))  # doctest: +ELLIPSIS
        <Graph ...>
        >>> terms.triples(g), terms.triples(g) is terms.triples(g)
        (['<urn:a> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <urn:C>'], True)
        """
        if not isinstance(graph, Graph):
            return [f"{self[s]} {self[p]} {self[o]}" for s, p, o in graph]
        seen = self.written.get(id(graph))
        if seen is not None and seen[0] is graph:
            return seen[1]
        text = [f"{self[s]} {self[p]} {self[o]}" for s, p, o in graph]
        self.written[id(graph)] = (graph, text)
        return text


def nquads_lines(graphs: dict[URIRef, Graph], terms: Terms | None = None) -> list[str]:
    """Every quad of every graph as an N-Quads line (without its newline), in no order: the lines
    pyoxigraph's N-Quads serializer writes.

    >>> g = Graph()
    >>> g.add((URIRef("urn:a"), URIRef("urn:p"), Literal("two\\nlines")))  # doctest: +ELLIPSIS
    <Graph ...>
    >>> print(nquads_lines({URIRef("urn:g"): g})[0])
    <urn:a> <urn:p> "two\\nlines" <urn:g> .
    """
    terms = Terms() if terms is None else terms
    lines: list[str] = []
    for name, graph in graphs.items():
        tail = f" {terms[name]} ."
        lines.extend(triple + tail for triple in terms.triples(graph))
    return lines


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
    lines = sorted(set(nquads_lines(graphs, terms)))
    return ("\n".join(lines) + "\n").encode("utf-8")


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
        (blank if "_:" in line else plain).append(line)
    if plain:
        store.bulk_load("".join(line + "\n" for line in plain).encode("utf-8"), format=format)
    if blank:
        store.extend(ox.parse("".join(line + "\n" for line in blank).encode("utf-8"), format=format))


def dataset_store(graphs: dict[URIRef, Graph], terms: Terms | None = None) -> ox.Store:
    """An in-memory store of ``graphs`` with the merged default graph, as a build writes it
    (bulk-loaded from N-Quads: each triple goes into its graph and, once, into the default graph)."""
    terms = Terms() if terms is None else terms
    lines = nquads_lines(graphs, terms)
    merged = {line[:line.rindex(" <")] + " ." for line in lines}  # each triple of a named graph, once
    store = ox.Store()
    for part in (lines, merged):
        load_lines(store, part)
    return store
