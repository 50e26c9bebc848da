"""OWL 2 RL reasoning with owlrl, keeping only what is new and worth keeping.

The closure is computed over the ontology and every asserted graph together; the inferred graph
holds only triples that no input asserts, minus the trivial ones:

- triples about the built-in vocabularies (RDF, RDFS, OWL, XSD) and their axioms;
- reflexive ``owl:sameAs``, ``owl:equivalentClass``, ``rdfs:subClassOf`` and ``rdfs:subPropertyOf``;
- ``rdf:type owl:Thing`` and ``rdf:type rdfs:Resource``, ``rdfs:subClassOf owl:Thing``;
- triples with a blank node (memberships of the ontology's anonymous restriction classes) or a
  literal subject;
- triples about a class or a property (``rdfs:domain owl:Thing``, a super-class reached through
  another): they restate the ontology's axioms, which the ontology graph holds.

>>> from rdflib import Graph
>>> g = Graph().parse(data='''
... @prefix akg: <https://w3id.org/astana-kg/ontology#> .
... @prefix owl: <http://www.w3.org/2002/07/owl#> .
... akg:roleOf owl:inverseOf akg:hasRole .
... <urn:role> akg:roleOf <urn:russia> .
... ''', format="turtle")
>>> sorted(infer(g).triples((None, AKG.hasRole, None)))
[(rdflib.term.URIRef('urn:russia'), rdflib.term.URIRef('https://w3id.org/astana-kg/ontology#hasRole'), rdflib.term.URIRef('urn:role'))]
"""

from __future__ import annotations

import re

import owlrl
from owlrl.Namespaces import ERRNS
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from .namespaces import AKG, DATA

BUILT_IN = tuple(str(ns) for ns in (RDF, RDFS, OWL, XSD))
REFLEXIVE_TRIVIAL = {OWL.sameAs, OWL.equivalentClass, OWL.equivalentProperty, RDFS.subClassOf, RDFS.subPropertyOf}
TRIVIAL_CLASSES = {OWL.Thing, RDFS.Resource}


class InconsistentData(Exception):
    """The data contradicts the ontology under OWL 2 RL; ``findings`` pairs each of owlrl's
    findings (and each inferred identity of two distinct entities) with the nodes it is about."""

    def __init__(self, findings: list[tuple[str, tuple[URIRef, ...]]]):
        self.findings = findings
        super().__init__("the data is inconsistent under OWL 2 RL:\n  " + "\n  ".join(m for m, _ in findings))


_IRI = re.compile(r"https?://[^\s<>\"]+")


def _values(graph: Graph, closure: Graph, node, prop) -> set:
    """The values of ``prop`` on ``node`` that ``graph`` asserts, directly or by an inverse."""
    values = set(graph.objects(node, prop))
    for inverse in set(closure.objects(prop, OWL.inverseOf)) | set(closure.subjects(OWL.inverseOf, prop)):
        values |= set(graph.subjects(inverse, node))
    return values


def distinct_entities_made_same(closure: Graph, asserted: Graph | None = None) -> list[tuple[str, tuple[URIRef, ...]]]:
    """Each ``owl:sameAs`` the closure holds between two different entities of the graph (``id/``
    IRIs name distinct things), with the functional or inverse-functional property that entails it:
    found in ``asserted`` (with inverses) where it can be, since once two entities are the same every
    value of one is a value of the other in the closure.

    >>> g = Graph().parse(data='''
    ... @prefix owl: <http://www.w3.org/2002/07/owl#> .
    ... @prefix id: <https://w3id.org/astana-kg/id/> .
    ... <urn:roleOf> a owl:FunctionalProperty .
    ... id:role <urn:roleOf> id:iran, id:russia . id:iran owl:sameAs id:russia .
    ... ''', format="turtle")
    >>> [message for message, _ in distinct_entities_made_same(g)]  # doctest: +NORMALIZE_WHITESPACE
    ['https://w3id.org/astana-kg/id/iran and https://w3id.org/astana-kg/id/russia are distinct entities,
      but OWL 2 RL makes them the same individual (owl:sameAs): https://w3id.org/astana-kg/id/role has
      both as its urn:roleOf, a functional property']
    """
    findings = []
    functional = set(closure.subjects(RDF.type, OWL.FunctionalProperty))
    inverse_functional = set(closure.subjects(RDF.type, OWL.InverseFunctionalProperty))
    for a, b in sorted(set(closure.subject_objects(OWL.sameAs))):
        if not (isinstance(a, URIRef) and isinstance(b, URIRef) and a < b
                and str(a).startswith(str(DATA)) and str(b).startswith(str(DATA))):
            continue
        causes, nodes = [], [a, b]
        for graph in ((asserted, closure) if asserted is not None else (closure,)):
            for prop in sorted(functional):
                for holder in sorted(set(graph.subjects(None, a)) | set(graph.subjects(None, b))
                                     | set(closure.subjects(prop, a))):
                    if {a, b} <= _values(graph, closure, holder, prop):
                        causes.append(f"{holder} has both as its {prop}, a functional property")
                        nodes.append(holder)
            for prop in sorted(inverse_functional):
                for value in sorted(set(closure.objects(a, prop)) | set(closure.objects(b, prop))):
                    if {a, b} <= {s for s in closure.subjects(prop, value)
                                  if value in _values(graph, closure, s, prop)}:
                        causes.append(f"both have {value} as their {prop}, an inverse-functional property")
                        nodes.append(value)
            if causes:
                break
        findings.append((f"{a} and {b} are distinct entities, but OWL 2 RL makes them the same individual "
                         f"(owl:sameAs): " + ("; ".join(causes) or "asserted or entailed by owl:sameAs"),
                         tuple(n for n in nodes if isinstance(n, URIRef))))
    return findings


def is_trivial(triple) -> bool:
    s, p, o = triple
    if isinstance(s, (BNode, Literal)) or isinstance(o, BNode) or isinstance(p, BNode):
        return True
    if str(s).startswith(BUILT_IN):
        return True
    if p in REFLEXIVE_TRIVIAL and s == o:
        return True
    if p == RDF.type and o in TRIVIAL_CLASSES:
        return True
    if p == RDFS.subClassOf and o in TRIVIAL_CLASSES:
        return True
    if p == RDFS.subClassOf and s == OWL.Nothing:
        return True
    return False


def infer(asserted: Graph) -> Graph:
    """The non-trivial triples entailed by ``asserted`` under OWL 2 RL and not in it."""
    closure = Graph()
    closure += asserted
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(closure)
    errors = sorted(str(o) for s in closure.subjects(RDF.type, ERRNS.ErrorMessage) for o in closure.objects(s, ERRNS.error))
    findings = [(error, tuple(URIRef(iri) for iri in _IRI.findall(error))) for error in errors]
    findings += distinct_entities_made_same(closure, asserted)
    if findings:
        raise InconsistentData(findings)
    terms = schema_terms(closure)
    inferred = Graph()
    for triple in closure:
        if triple not in asserted and not is_trivial(triple) and triple[0] not in terms:
            inferred.add(triple)
    return inferred


SCHEMA_TYPES = (OWL.Class, RDFS.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property)


def schema_terms(graph: Graph) -> set:
    """The classes and properties ``graph`` declares (by any of their types).

    >>> g = Graph().parse(data="<urn:A> a <http://www.w3.org/2002/07/owl#Class> . <urn:x> a <urn:A> .", format="turtle")
    >>> sorted(str(t) for t in schema_terms(g))
    ['urn:A']
    """
    return {term for kind in SCHEMA_TYPES for term in graph.subjects(RDF.type, kind)}
