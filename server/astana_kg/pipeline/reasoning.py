"""OWL 2 RL reasoning, source by source, keeping only what is new and worth keeping.

The ontology is closed once, with owlrl (it is small): the closed subclass and subproperty
hierarchies, domains and ranges, inverses, symmetric and transitive properties, property chains,
the anonymous classes of its restrictions, its functional properties and disjoint classes. These
axioms are compiled into SPARQL UPDATE rules (:func:`compile_rules`), one per OWL 2 RL rule,
the schema's terms given in ``VALUES``; pyoxigraph runs them over a data graph until nothing new
follows (:func:`saturate`). A run costs in proportion to the data it is given, and each source is
given alone, so reasoning grows linearly with the number of sources (owlrl over the union of
every graph grows faster).

:func:`infer_by_source` gives each source graph ``graph/source/NNN`` an inferred graph
``graph/inferred/NNN``: what follows from that source with the ontology and the curation
triples about the source's nodes (:func:`fed_to`), and does not already follow from the
curation graphs alone. What follows from the curation graphs alone, or only from several
graphs together (a last run over the union of everything finds it), is in
``graph/inferred/shared``. Inconsistencies are looked for in that last run, over the union.

Each inferred graph leaves out what its inputs assert and the trivial triples:

- triples about the built-in vocabularies (RDF, RDFS, OWL, XSD) and their axioms;
- reflexive ``owl:sameAs``, ``owl:equivalentClass``, ``rdfs:subClassOf`` and ``rdfs:subPropertyOf``;
- ``rdf:type owl:Thing`` and ``rdf:type rdfs:Resource``, ``rdfs:subClassOf owl:Thing``,
  ``rdfs:domain owl:Thing`` and ``rdfs:range owl:Thing``;
- triples with a blank node (memberships of the ontology's anonymous restriction classes) or a
  literal subject;
- triples about a class or a property (a super-class reached through another): they restate the
  ontology's axioms, which the ontology graph holds.

>>> from rdflib import Graph
>>> ontology = Graph().parse(data='''
... @prefix akg: <https://w3id.org/astana-kg/ontology#> .
... @prefix owl: <http://www.w3.org/2002/07/owl#> .
... akg:roleOf owl:inverseOf akg:hasRole .
... ''', format="turtle")
>>> data = Graph().parse(data="<urn:role> <https://w3id.org/astana-kg/ontology#roleOf> <urn:russia> .", format="turtle")
>>> sorted(infer(ontology, data).triples((None, AKG.hasRole, None)))
[(rdflib.term.URIRef('urn:russia'), rdflib.term.URIRef('https://w3id.org/astana-kg/ontology#hasRole'), rdflib.term.URIRef('urn:role'))]
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import owlrl
import pyoxigraph as ox
from owlrl.Namespaces import ERRNS
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from ..namespaces import AKG, DATA, INFERRED_GRAPHS, SHARED_INFERRED_GRAPH
from .cache import cached
from .rdftext import Terms, WrittenOnce, interned_iri, load_lines, ntriples, pickle_terms, unpickle_terms
from .union import BLANK, ENTAILED, run_to_fixpoint, saturated_union

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
    if str.startswith(s, BUILT_IN):  # an IRI is a string (rdflib's own startswith takes no tuple)
        return True
    if p in REFLEXIVE_TRIVIAL and s == o:
        return True
    if p in (RDF.type, RDFS.subClassOf, RDFS.domain, RDFS.range) and o in TRIVIAL_CLASSES:
        return True
    if p == RDFS.subClassOf and s == OWL.Nothing:
        return True
    return False


def _owlrl_closure(asserted: Graph) -> Graph:
    closure = Graph()
    closure += asserted
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(closure)
    return closure


def owlrl_inferred(asserted: Graph) -> Graph:
    """The non-trivial triples owlrl entails from ``asserted`` (ontology and data together) and
    not in it: the reference the compiled rules are tested against, and the build's reasoning
    before them (its cost grows faster than the data)."""
    closure = _owlrl_closure(asserted)
    errors = sorted(str(o) for s in closure.subjects(RDF.type, ERRNS.ErrorMessage) for o in closure.objects(s, ERRNS.error))
    findings = [(error, tuple(URIRef(iri) for iri in _IRI.findall(error))) for error in errors]
    findings += distinct_entities_made_same(closure, asserted)
    if findings:
        raise InconsistentData(findings)
    terms = schema_terms(closure)
    return _kept(closure - asserted, terms)


def _kept(triples, terms) -> Graph:
    kept = Graph(store=WrittenOnce())
    kept += _kept_triples(triples, terms)
    return kept


def _kept_triples(triples, terms) -> list:
    """Of ``triples``, those an inferred graph keeps: not trivial, not about the schema's ``terms``,
    not about the stand-ins of anonymous classes."""
    return [triple for triple in triples
            if not is_trivial(triple) and triple[0] not in terms and not _anonymous(triple)]


# ---------------------------------------------------------------------------------------------
# The ontology compiled into rules
# ---------------------------------------------------------------------------------------------

#: The stand-in IRIs of the ontology's anonymous classes while rules run (SPARQL names no blank node).
ANONYMOUS = "urn:x-astana-kg:anonymous-class:"

#: OWL 2 RL constructs the compiled rules do not implement: an ontology using one is refused.
UNSUPPORTED = (OWL.hasValue, OWL.allValuesFrom, OWL.intersectionOf, OWL.unionOf, OWL.oneOf, OWL.complementOf,
               OWL.maxCardinality, OWL.maxQualifiedCardinality, OWL.cardinality, OWL.qualifiedCardinality,
               OWL.hasKey, OWL.propertyDisjointWith, OWL.sourceIndividual, OWL.differentFrom,
               OWL.distinctMembers, OWL.hasSelf, OWL.IrreflexiveProperty, OWL.AsymmetricProperty,
               OWL.AllDisjointProperties, OWL.AllDifferent, OWL.NegativePropertyAssertion)


class UnsupportedSchema(Exception):
    """The ontology uses an OWL 2 RL construct that :func:`compile_rules` does not compile."""


def _anonymous(triple) -> bool:
    return any(isinstance(t, URIRef) and str(t).startswith(ANONYMOUS) for t in triple)


def _sparql(node) -> str:
    """A schema node in SPARQL: an IRI, or the stand-in IRI of an anonymous class."""
    if isinstance(node, BNode):
        return f"<{ANONYMOUS}{node}>"
    return f"<{node}>"


def _collection(graph: Graph, head) -> list:
    items = []
    while head is not None and head != RDF.nil:
        items.append(graph.value(head, RDF.first))
        head = graph.value(head, RDF.rest)
    return items


@dataclass
class Rules:
    """The ontology compiled: SPARQL UPDATE rules by OWL 2 RL name, the pairs of disjoint classes,
    the ontology's own (closed) assertions about its individuals, its terms, its closure."""

    updates: dict[str, str]
    disjoint: list[tuple]
    facts: Graph
    terms: set
    entailed: Graph  # what the ontology alone entails, kept (its individuals' classes)
    schema: Graph
    rules: dict[str, Rule]  # the updates, as rules


@dataclass(frozen=True)
class Rule:
    """One OWL 2 RL rule for the schema's terms: the triple pattern it adds (``head``), the triple
    patterns it matches (``atoms``) and a ``condition`` on them, the schema's terms given as the
    ``rows`` of the ``variables`` (none: the rule holds for any term).

    >>> rule = Rule("?x ?p ?z .", ("?x ?p ?y .", "?y ?p ?z ."), "", "?p", [(URIRef("urn:in"),)])
    >>> print(rule.update())  # doctest: +NORMALIZE_WHITESPACE
    INSERT { ?x ?p ?z . GRAPH <urn:x-astana-kg:entailed> { ?x ?p ?z . } }
    WHERE { VALUES (?p) { (<urn:in>) } ?x ?p ?y . ?y ?p ?z . FILTER NOT EXISTS { ?x ?p ?z . } }
    >>> print(rule.update(matched=(1, "urn:delta"), also_into="urn:next"))  # doctest: +NORMALIZE_WHITESPACE
    INSERT { ?x ?p ?z . GRAPH <urn:x-astana-kg:entailed> { ?x ?p ?z . } GRAPH <urn:next> { ?x ?p ?z . } }
    WHERE { GRAPH <urn:delta> { ?y ?p ?z . } VALUES (?p) { (<urn:in>) } ?x ?p ?y . FILTER NOT EXISTS { ?x ?p ?z . } }
    """

    head: str
    atoms: tuple[str, ...]
    condition: str = ""
    variables: str = ""
    rows: tuple | list = ()

    def update(self, matched: tuple[int, str] | None = None, heads_in: str | None = None,
               also_into: str | None = None) -> str:
        """The rule as a SPARQL update that adds to the default graph (and to ``ENTAILED``) what
        follows from it and is not there yet. ``matched``: ``(i, graph)``, the rule's ``i``-th
        atom is matched in that graph only (the others in the default graph); ``heads_in``: only
        what that graph holds is added; ``also_into``: a graph what is added also goes into."""
        values = ""
        if self.variables:
            values = (f"VALUES ({self.variables}) {{ "
                      + " ".join("(" + " ".join(map(_sparql, row)) + ")" for row in self.rows) + " } ")
        atoms = list(self.atoms)
        first = ""
        if matched is not None:
            first = f"GRAPH <{matched[1]}> {{ {atoms.pop(matched[0])} }} "
        if heads_in is not None:
            first += f"GRAPH <{heads_in}> {{ {self.head} }} "
        body = " ".join(atoms) + (f" {self.condition}" if self.condition else "")
        into = f" GRAPH <{also_into}> {{ {self.head} }}" if also_into else ""
        return (f"INSERT {{ {self.head} GRAPH <{ENTAILED.value}> {{ {self.head} }}{into} }} "
                f"WHERE {{ {first}{values}{body} FILTER NOT EXISTS {{ {self.head} }} }}")


def compile_rules(ontology: Graph, cache=None) -> Rules:
    """Close ``ontology`` with owlrl and compile it into rules (see the module's description);
    from ``cache`` (a :class:`astana_kg.pipeline.cache.Cache`) when it holds the rules of the same
    ontology.

    >>> ontology = Graph().parse(data='''
    ... @prefix owl: <http://www.w3.org/2002/07/owl#> .
    ... <urn:locatedIn> a owl:TransitiveProperty .
    ... ''', format="turtle")
    >>> print(compile_rules(ontology).updates["prp-trp"])  # doctest: +NORMALIZE_WHITESPACE
    INSERT { ?x ?p ?z . GRAPH <urn:x-astana-kg:entailed> { ?x ?p ?z . } }
    WHERE { VALUES (?p) { (<urn:locatedIn>) } ?x ?p ?y . ?y ?p ?z . FILTER NOT EXISTS { ?x ?p ?z . } }
    """
    text = _ntriples(ontology, None)
    key = hashlib.sha256(text).digest()
    if key not in _COMPILED:
        _COMPILED.clear()  # one ontology at a time: a process builds one project
        _COMPILED[key] = cached(cache, "schema", (b"rules", text), lambda: _compile_rules(ontology))
    elif cache is not None:  # the entry is this build's too (a build keeps the entries it used)
        cached(cache, "schema", (b"rules", text), lambda: _COMPILED[key])
    return _COMPILED[key]


#: The rules compiled from the ontology a process last compiled, under the digest of its triples (the
#: build's ontology has canonical blank node labels, so the same files give the same digest).
#: Rules are read, never changed.
_COMPILED: dict[bytes, Rules] = {}


def _compile_rules(ontology: Graph) -> Rules:
    schema = _owlrl_closure(ontology)
    used = [term for term in UNSUPPORTED if (None, term, None) in schema or (None, RDF.type, term) in schema]
    if used:
        raise UnsupportedSchema("the ontology uses OWL constructs the reasoner does not implement: "
                                + ", ".join(sorted(str(t) for t in used)))
    terms = schema_terms(schema)

    def pairs(predicate, *, symmetric=False):
        found = {(a, b) for a, b in schema.subject_objects(predicate) if a != b and b not in TRIVIAL_CLASSES
                 and a != OWL.Nothing and not str(a).startswith(BUILT_IN)}
        if symmetric:
            found |= {(b, a) for a, b in found}
        return sorted(found)

    def typed(kind):
        return sorted((p,) for p in schema.subjects(RDF.type, kind))

    rules: dict[str, Rule] = {
        "cax-sco": Rule("?x a ?d .", ("?x a ?c .",), "", "?c ?d", pairs(RDFS.subClassOf)),
        "prp-dom": Rule("?x a ?c .", ("?x ?p ?y .",), "", "?p ?c", pairs(RDFS.domain)),
        "prp-rng": Rule("?y a ?c .", ("?x ?p ?y .",), "FILTER(!isLiteral(?y))", "?p ?c", pairs(RDFS.range)),
        "prp-spo1": Rule("?x ?q ?y .", ("?x ?p ?y .",), "", "?p ?q", pairs(RDFS.subPropertyOf)),
        "prp-inv": Rule("?y ?q ?x .", ("?x ?p ?y .",), "FILTER(!isLiteral(?y))", "?p ?q",
                        pairs(OWL.inverseOf, symmetric=True)),
        "prp-symp": Rule("?y ?p ?x .", ("?x ?p ?y .",), "FILTER(!isLiteral(?y))", "?p", typed(OWL.SymmetricProperty)),
        "prp-trp": Rule("?x ?p ?z .", ("?x ?p ?y .", "?y ?p ?z ."), "", "?p", typed(OWL.TransitiveProperty)),
        "prp-fp": Rule("?y1 <http://www.w3.org/2002/07/owl#sameAs> ?y2 .", ("?x ?p ?y1 .", "?x ?p ?y2 ."),
                       "FILTER(?y1 != ?y2 && !isLiteral(?y1))", "?p", typed(OWL.FunctionalProperty)),
        "prp-ifp": Rule("?x1 <http://www.w3.org/2002/07/owl#sameAs> ?x2 .", ("?x1 ?p ?y .", "?x2 ?p ?y ."),
                        "FILTER(?x1 != ?x2)", "?p", typed(OWL.InverseFunctionalProperty)),
    }
    restrictions = [(schema.value(r, OWL.onProperty), schema.value(r, OWL.someValuesFrom), r)
                    for r in schema.subjects(OWL.someValuesFrom, None)]
    rules["cls-svf1"] = Rule("?x a ?r .", ("?x ?p ?y .", "?y a ?c ."), "", "?p ?c ?r",
                             sorted(row for row in restrictions if row[1] != OWL.Thing))
    rules["cls-svf2"] = Rule("?x a ?r .", ("?x ?p ?y .",), "", "?p ?r",
                             sorted((p, r) for p, c, r in restrictions if c == OWL.Thing))
    rules = {name: rule for name, rule in rules.items() if rule.rows}
    for prop, head in sorted(schema.subject_objects(OWL.propertyChainAxiom)):
        chain = _collection(schema, head)
        steps = tuple(f"?y{i} {_sparql(p)} ?y{i + 1} ." for i, p in enumerate(chain))
        rules[f"prp-spo2 {prop} {len(rules)}"] = Rule(f"?y0 {_sparql(prop)} ?y{len(chain)} .", steps)
    same = "<http://www.w3.org/2002/07/owl#sameAs>"
    rules.update({
        "eq-sym": Rule(f"?y {same} ?x .", (f"?x {same} ?y .",)),
        "eq-trans": Rule(f"?x {same} ?z .", (f"?x {same} ?y .", f"?y {same} ?z ."), "FILTER(?x != ?z)"),
        "eq-rep-s": Rule("?t ?p ?o .", (f"?s {same} ?t .", "?s ?p ?o ."), "FILTER(!isLiteral(?t))"),
        # (a blank node of the kept union is an IRI there, and no property)
        "eq-rep-p": Rule("?s ?q ?o .", (f"?p {same} ?q .", "?s ?p ?o ."),
                         f'FILTER(isIRI(?q) && !STRSTARTS(STR(?q), "{BLANK}"))'),
        "eq-rep-o": Rule("?s ?p ?u .", (f"?o {same} ?u .", "?s ?p ?o .")),
    })
    disjoint = set(pairs(OWL.disjointWith))
    for group in schema.subjects(RDF.type, OWL.AllDisjointClasses):
        members = _collection(schema, schema.value(group, OWL.members))
        disjoint |= {(a, b) for i, a in enumerate(members) for b in members[i + 1:]}
    facts = Graph()
    for triple in schema:
        if isinstance(triple[0], URIRef) and triple[0] not in terms and not str(triple[0]).startswith(BUILT_IN):
            facts.add(triple)
    return Rules({name: rule.update() for name, rule in rules.items()}, sorted(disjoint), facts, terms,
                 _kept(facts - ontology, terms), schema, rules)


# ---------------------------------------------------------------------------------------------
# Running the rules
# ---------------------------------------------------------------------------------------------

def _to_rdflib(term, iris: dict[str, URIRef] | None = None):
    """``term`` as an rdflib term; with ``iris`` (:attr:`astana_kg.pipeline.rdftext.Terms.iris`),
    an IRI is the one object ``iris`` holds for its text."""
    if isinstance(term, ox.NamedNode):
        if term.value.startswith(BLANK):  # a blank node of the kept union (see astana_kg.pipeline.union)
            return BNode(term.value[len(BLANK):])
        return URIRef(term.value) if iris is None else interned_iri(iris, term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == str(XSD.string):
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(term.datatype.value) if iris is None
                   else interned_iri(iris, term.datatype.value))


def _triple(quad, iris: dict[str, URIRef] | None = None) -> tuple:
    return (_to_rdflib(quad.subject, iris), _to_rdflib(quad.predicate, iris), _to_rdflib(quad.object, iris))


def saturate(rules: Rules, *graphs, terms=None) -> ox.Store:
    """A store whose default graph holds ``graphs`` and everything the rules add to them, until
    nothing new follows; what was added is also in the graph ``ENTAILED``. ``terms``: a
    :class:`astana_kg.pipeline.rdftext.Terms` that has written some of their terms already."""
    terms = Terms() if terms is None else terms
    store = ox.Store()
    load_lines(store, (triple + " ." for graph in graphs for triple in terms.triples(graph)), ox.RdfFormat.N_TRIPLES)
    run_to_fixpoint(store, rules)
    return store


def entailed(store: ox.Store, iris: dict[str, URIRef] | None = None) -> set:
    """The triples the rules added to ``store``; with ``iris``, made of the IRIs it holds (see
    :func:`_to_rdflib`): a build holds what each source entails until it ends, and a few IRIs
    (the classes, the properties, the entities of the sources) are most of its terms."""
    return {_triple(q, iris) for q in store.quads_for_pattern(None, None, None, ENTAILED)}


def contradictions(rules: Rules, store: ox.Store, asserted: list[Graph],
                   joined: str | None = None) -> list[tuple[str, tuple[URIRef, ...]]]:
    """The findings of an inconsistent saturated ``store``: an individual of two disjoint classes
    or of owl:Nothing, two distinct entities made the same (``asserted``: the input graphs, in
    which the causes are looked for). ``joined``: a graph of the store holding every triple of the
    closure that a closure without contradictions did not hold (see
    :mod:`astana_kg.pipeline.union`): only the contradictions involving one of them are looked for,
    which are all there are."""
    findings, common = [], []
    if rules.disjoint and joined is None:
        rows = " ".join(f"({_sparql(a)} {_sparql(b)})" for a, b in rules.disjoint)
        query = f"SELECT DISTINCT ?c ?d ?x WHERE {{ VALUES (?c ?d) {{ {rows} }} ?x a ?c . ?x a ?d . }}"
        common = [tuple(row[n] for n in ("c", "d", "x")) for row in store.query(query)]
    elif rules.disjoint:
        # Only an individual given a class by a triple that joined can be new in two disjoint
        # classes: its classes are looked up one by one (a query joining the pairs with the
        # classes' members reads every member of them, a second at 500 articles).
        pairs = {(ox.NamedNode(_sparql(a)[1:-1]), ox.NamedNode(_sparql(b)[1:-1])) for a, b in rules.disjoint}
        rdf_type = ox.NamedNode(str(RDF.type))
        for x in {quad.subject for quad in store.quads_for_pattern(None, rdf_type, None, ox.NamedNode(joined))}:
            classes = {quad.object for quad in store.quads_for_pattern(x, rdf_type, None, ox.DefaultGraph())}
            common += [(c, d, x) for c, d in pairs if c in classes and d in classes]
    for row in common:
        c, d, x = (_to_rdflib(term) for term in row)
        findings.append((f"Disjoint classes {c} and {d} have a common individual {x}",
                         tuple(n for n in (c, d, x) if isinstance(n, URIRef))))
    graph = ox.NamedNode(joined) if joined is not None else ox.DefaultGraph()
    for quad in store.quads_for_pattern(None, ox.NamedNode(str(RDF.type)), ox.NamedNode(str(OWL.Nothing)), graph):
        findings.append((f"{quad.subject.value} is an owl:Nothing, which has no members",
                         (_to_rdflib(quad.subject),)))
    same = f"?a <{OWL.sameAs}> ?b FILTER(?a != ?b)"
    if store.query(f"ASK {{ GRAPH <{joined}> {{ {same} }} }}" if joined is not None else f"ASK {{ {same} }}"):
        closure = Graph()
        for quad in store.quads_for_pattern(None, None, None, ox.DefaultGraph()):
            closure.add(_triple(quad))
        closure += rules.schema
        said = Graph()
        for graph in asserted:
            said += graph
        findings += distinct_entities_made_same(closure, said)
    return sorted(set(findings))
# ---------------------------------------------------------------------------------------------
# Source by source
# ---------------------------------------------------------------------------------------------



def inferred_graph_name(source_graph) -> URIRef:
    """``graph/source/NNN`` -> ``graph/inferred/NNN``.

    >>> str(inferred_graph_name(URIRef("https://w3id.org/astana-kg/graph/source/003")))
    'https://w3id.org/astana-kg/graph/inferred/003'
    """
    return URIRef(INFERRED_GRAPHS + str(source_graph).rsplit("/", 1)[-1])


def fed_to(source: Graph, shared: Graph, terms) -> Graph:
    """The triples of the curation graph ``shared`` a source is reasoned with: those about a node
    of the source (as subject, or as object of anything but ``rdf:type``), and every triple of a
    record that points at one (an alignment, an identifier). The ontology's own terms (``terms``)
    are nobody's node here: through them every record would be fed to every source, and the
    cost of a source would grow with the number of sources.

    >>> source = Graph().parse(data="<urn:russia> a <urn:State> .", format="turtle")
    >>> shared = Graph().parse(data='''
    ... <urn:russia> <urn:code> "RU" . <urn:iran> <urn:code> "IR" .
    ... <urn:record> <urn:aligned> <urn:russia> ; <urn:basis> <urn:file> .
    ... <urn:other> <urn:aligned> <urn:iran> ; <urn:basis> <urn:file> .
    ... ''', format="turtle")
    >>> sorted(str(s)[4:] + " " + str(p)[4:] for s, p, o in fed_to(source, shared, set()))
    ['record aligned', 'record basis', 'russia code']
    """
    return fed_from(source, CurationIndex(shared), terms)


class CurationIndex:
    """The curation graph's triples by subject, and its subjects by the nodes they point at: what
    :func:`fed_to` looks up for each node of each source, indexed once."""

    def __init__(self, shared: Graph):
        self.about: dict = {}
        self.pointing: dict = {}
        for triple in shared:
            self.about.setdefault(triple[0], []).append(triple)
            self.pointing.setdefault(triple[2], set()).add(triple[0])


def fed_from(source: Graph, index: CurationIndex, terms) -> Graph:
    """:func:`fed_to`, with the curation graph indexed."""
    nodes = {s for s, _, _ in source} | {o for _, p, o in source if p != RDF.type}
    nodes = {n for n in nodes if not isinstance(n, Literal) and n not in terms}
    fed = Graph(store=WrittenOnce())
    records = set()
    for node in nodes:
        for triple in index.about.get(node, ()):
            fed.add(triple)
        records.update(index.pointing.get(node, ()))
    for record in records - nodes:
        for triple in index.about.get(record, ()):
            fed.add(triple)
    return fed


@dataclass
class Inferred:
    """The inferred graphs by name, how many triples of the shared one follow only from several
    graphs together, and with a cache the key of the entry each source's inferred graph was
    read from or written to (the same key, the same graph)."""

    graphs: dict[URIRef, Graph]
    together: int
    keys: dict[URIRef, str] = field(default_factory=dict)


def _ntriples(triples, terms) -> bytes:
    """Triples as sorted N-Triples: the same graph gives the same bytes."""
    return ntriples(triples, terms).encode()


def _rules_text(rules: Rules, terms) -> tuple[bytes, bytes]:
    """The rules and the ontology's facts as the keys of the cache's entries read them."""
    return "\n".join(rules.updates.values()).encode(), _ntriples(rules.facts, terms)


def _entailed_by_source(rules: Rules, graph: Graph, fed: Graph, known: set, terms=None) -> tuple[set, list]:
    """What the rules add to one source graph and the curation triples it is fed, and of that what
    an inferred graph keeps (not ``known``, not trivial)."""
    new = entailed(saturate(rules, rules.facts, graph, fed, terms=terms), None if terms is None else terms.iris)
    return new, _kept_triples(new - known, rules.terms)


def _entailed_kept(rules: Rules, graph: Graph, feed: Callable[[], Graph], known: set, cache, terms,
                   shared_key: bytes, graph_key: str | None = None,
                   feeding_key: bytes = b"") -> tuple[list, Callable[[], list[str]], str]:
    """:func:`_entailed_by_source` through ``cache``: what an inferred graph keeps of what the rules
    add to ``graph`` and to the curation triples ``feed()`` gives it, what the rules add as ``S P O``
    text (made when called), and the key of the cache's entry.

    The key is made of ``shared_key`` (a digest of the rules, the ontology's facts and ``known``),
    the graph and the triples it is fed. ``graph_key`` (:func:`astana_kg.pipeline.build.graph_keys`)
    stands for the graph's text, and then a ``keys`` entry under it and ``feeding_key`` (a digest of
    the curation graph and the ontology's terms, from which the fed triples are picked) holds the
    digest of the fed triples: a rebuild looks at neither the graph's triples nor the fed ones."""
    fed = None
    if graph_key is None:
        fed = feed()
        key = cache.key(shared_key, _ntriples(graph, terms), _ntriples(fed, terms))
    else:
        feeding = cache.key(b"fed", shared_key, graph_key.encode(), feeding_key)
        digest = cache.get("keys", feeding)
        if digest is None:
            fed = feed()
            digest = hashlib.sha256(_ntriples(fed, terms)).hexdigest().encode()
            cache.put("keys", feeding, digest)
        key = cache.key(shared_key, graph_key.encode(), digest)
    entry = cache.get("reason", key)
    if entry is None:
        new, kept = _entailed_by_source(rules, graph, feed() if fed is None else fed, known, terms)
        text = "\n".join(terms.triples(new)).encode()
        cache.put("reason", key, pickle_terms((kept, text)))
    else:
        kept, text = unpickle_terms(entry, terms.iris)
    # What the rules add is read again only where the union is loaded anew.
    return kept, lambda: text.decode().split("\n") if text else [], key


def infer_by_source(ontology: Graph, sources: dict, shared: dict, cache=None, terms=None,
                    keys: dict | None = None, scratch: Path | None = None) -> Inferred:
    """The inferred graph of each source graph in ``sources`` (``graph/inferred/NNN``), and
    ``graph/inferred/shared`` if anything follows from the ``shared`` curation graphs alone or
    only from several graphs together; raise :class:`InconsistentData` if the union of
    everything is inconsistent. ``cache`` (a :class:`astana_kg.pipeline.cache.Cache`) keeps what each
    source entails; ``terms`` (a :class:`astana_kg.pipeline.rdftext.Terms`), the build's terms as N-Triples writes them;
    ``keys``: a key of the content of some of the source graphs, by name (:attr:`astana_kg.pipeline.build.Inputs.keys`).
    ``scratch``: a directory for the union's store where it is made afresh (see
    :func:`astana_kg.pipeline.union.saturated_union`), removed before this returns."""
    terms = Terms() if terms is None else terms
    rules = compile_rules(ontology, cache)
    curation = Graph()
    for graph in shared.values():
        curation += graph
    store = saturate(rules, rules.facts, curation, terms=terms)
    shared_entailed = entailed(store, terms.iris)
    known = {_triple(q, terms.iris) for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())}
    known |= set(ontology)
    inferred = {}
    index = CurationIndex(curation)
    # What every source's entry depends on, hashed once: the rules, the ontology's facts, ``known``;
    # and what the curation triples fed to a source are picked from: the curation, the terms.
    if cache is not None:
        shared_key = cache.key(*_rules_text(rules, terms), _ntriples(known, terms)).encode()
        feeding_key = cache.key(_ntriples(curation, terms), "\n".join(sorted(map(str, rules.terms))).encode()).encode()
    keys = keys or {}
    # The union's parts: the curation's closure, and each source with what it entails.
    closure = [*terms.triples(rules.facts), *terms.triples(curation), *terms.triples(shared_entailed)]
    parts = {"shared": (cache.key(b"shared", "\n".join(sorted(closure)).encode()) if cache is not None else "",
                        lambda: closure)}
    # Without a cache, nothing is kept: the union is one part, and what several sources entail
    # goes into it once (a third of the lines at 500 articles).
    everything = set() if cache is None else None
    keys_of_inferred = {}
    for name, graph in sources.items():
        if cache is None:
            new, kept = _entailed_by_source(rules, graph, fed_from(graph, index, rules.terms), known, terms)
            everything |= new
        else:
            kept, lines, key = _entailed_kept(rules, graph, lambda graph=graph: fed_from(graph, index, rules.terms),
                                              known, cache, terms, shared_key, keys.get(name), feeding_key)
            parts[str(name)] = (key, lambda graph=graph, lines=lines: [*terms.triples(graph), *lines()])
            keys_of_inferred[inferred_graph_name(name)] = key
        if kept:
            inferred[inferred_graph_name(name)] = entails = Graph(store=WrittenOnce())
            entails.store.extend(kept)  # rdflib's terms, made by the rules' reading: not checked again
    if everything is not None:
        parts["sources"] = ("", lambda: (triple for graph in (*sources.values(), everything)
                                         for triple in terms.triples(graph)))
    asserted = [curation, *sources.values()]
    union = None
    try:
        union, findings = saturated_union(rules, parts, cache.directory / "union" if cache is not None else None,
                                          cache.key(*_rules_text(rules, terms)) if cache is not None else "",
                                          cache.counts["union"] if cache is not None else None,
                                          lambda store, joined: contradictions(rules, store, asserted, joined),
                                          scratch)
        if findings:
            raise InconsistentData(findings)
        together = _kept(entailed(union, terms.iris), rules.terms)
    finally:
        union = None  # let go (and so closed) before its directory goes
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    kept = _kept(shared_entailed, rules.terms) + rules.entailed + together
    if len(kept):
        inferred[SHARED_INFERRED_GRAPH] = kept
    return Inferred(inferred, len(together), {name: key for name, key in keys_of_inferred.items() if name in inferred})


def infer(ontology: Graph, data: Graph) -> Graph:
    """The non-trivial triples entailed by ``data`` under the OWL 2 RL rules of ``ontology``, not
    in either (one graph of data, reasoned with as a source)."""
    inferred = infer_by_source(ontology, {URIRef(INFERRED_GRAPHS + "data"): data}, {})
    union = Graph()
    for graph in inferred.graphs.values():
        union += graph
    return union


SCHEMA_TYPES = (OWL.Class, RDFS.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property)


def schema_terms(graph: Graph) -> set:
    """The classes and properties ``graph`` declares (by any of their types).

    >>> g = Graph().parse(data="<urn:A> a <http://www.w3.org/2002/07/owl#Class> . <urn:x> a <urn:A> .", format="turtle")
    >>> sorted(str(t) for t in schema_terms(g))
    ['urn:A']
    """
    return {term for kind in SCHEMA_TYPES for term in graph.subjects(RDF.type, kind)}
