"""OWL 2 RL reasoning with owlrl, keeping only what is new and worth keeping.

The closure is computed over the ontology and every asserted graph together; the inferred graph
holds only triples that no input asserts, minus the trivial ones:

- triples about the built-in vocabularies (RDF, RDFS, OWL, XSD) and their axioms;
- reflexive ``owl:sameAs``, ``owl:equivalentClass``, ``rdfs:subClassOf`` and ``rdfs:subPropertyOf``;
- ``rdf:type owl:Thing`` and ``rdf:type rdfs:Resource``, ``rdfs:subClassOf owl:Thing``;
- triples with a blank node (memberships of the ontology's anonymous restriction classes) or a
  literal subject.

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

import owlrl
from owlrl.Namespaces import ERRNS
from rdflib import BNode, Graph, Literal
from rdflib.namespace import OWL, RDF, RDFS, XSD

from .namespaces import AKG

BUILT_IN = tuple(str(ns) for ns in (RDF, RDFS, OWL, XSD))
REFLEXIVE_TRIVIAL = {OWL.sameAs, OWL.equivalentClass, OWL.equivalentProperty, RDFS.subClassOf, RDFS.subPropertyOf}
TRIVIAL_CLASSES = {OWL.Thing, RDFS.Resource}


class InconsistentData(Exception):
    """The data contradicts the ontology under OWL 2 RL; the message lists owlrl's findings."""


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
    if errors:
        raise InconsistentData("the data is inconsistent under OWL 2 RL:\n  " + "\n  ".join(errors))
    inferred = Graph()
    for triple in closure:
        if triple not in asserted and not is_trivial(triple):
            inferred.add(triple)
    return inferred
