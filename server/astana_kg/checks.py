"""Validation of the build's input: closed vocabulary, SHACL shapes, and violation queries.

Every failure raises :class:`astana_kg.build.InvalidInput` with a report a person can act on:
which node, which rule, why, and the claim (file and line) the node comes from.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pyshacl
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS, SH

from .namespaces import AKG


def _invalid(report: str):
    from .build import InvalidInput  # the build owns the exit-status mapping

    return InvalidInput(report)


def claim_locations(inputs) -> dict[URIRef, list[str]]:
    """For each node, the ``file:line`` of every claim whose facts mention it."""
    where: dict[URIRef, list[str]] = defaultdict(list)
    for claim in inputs.claims:
        nodes = set()
        for s, p, o in claim.facts:
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
        for triple in claim.facts:
            for term in triple:
                if isinstance(term, URIRef) and str(term).startswith(namespace) and term not in defined:
                    problems.add((str(claim.path), claim.line_of(term), str(term)[len(namespace):]))
    if problems:
        raise _invalid("unknown ontology terms:\n  " + "\n  ".join(
            f"{path}:{line}: akg:{name} is not a term of the ontology" for path, line, name in sorted(problems)))


def _written_at(results: Graph, focus, path, value, claims) -> list[str]:
    """The ``file:line`` of each claim that writes the triple a result of path ``path`` (a property
    or its inverse) between ``focus`` and ``value`` is about."""
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
            for claim in claims if (subject, predicate, value_) in claim.facts]


def _format_results(results: Graph, shapes: Graph, locations, claims=()) -> list[str]:
    lines = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        focus = results.value(result, SH.focusNode)
        shape = results.value(result, SH.sourceShape)
        label = shapes.value(shape, RDFS.label) if shape is not None else None
        while label is None and shape is not None:
            # A property shape: report the node shape that holds it.
            parent = shapes.value(None, SH.property, shape)
            if parent is None:
                break
            shape, label = parent, shapes.value(parent, RDFS.label)
        path = results.value(result, SH.resultPath)
        message = results.value(result, SH.resultMessage)
        value = results.value(result, SH.value)
        line = f"{focus}: {label or shape}"
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


def validate_shapes(inputs, shapes_dir: Path) -> None:
    """Validate the ontology against its shapes and the data against the data shapes."""
    failures = []
    for shapes_file, data in (
        (shapes_dir / "ontology-shapes.ttl", inputs.ontology),
        (shapes_dir / "data-shapes.ttl", inputs.union()),
    ):
        shapes = Graph().parse(shapes_file, format="turtle")
        conforms, results, _ = pyshacl.validate(
            data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True,
        )
        if not conforms:
            failures.append(f"{shapes_file.name}:")
            failures.extend("  " + line for line in _format_results(results, shapes, claim_locations(inputs), inputs.claims))
    if failures:
        raise _invalid("SHACL validation failed:\n" + "\n".join(failures))


def run_violation_queries(inputs, checks_dir: Path) -> None:
    """Run every ``*-violation.rq``: each must return no rows; the rows it returns are the report."""
    files = sorted(checks_dir.glob("*-violation.rq"))
    if not files:
        raise _invalid(f"{checks_dir}: no *-violation.rq checks found")
    from .build import dataset_store

    store = dataset_store(inputs.graphs)
    locations = None  # where each node comes from: worked out only if a check reports something
    failures = []
    for path in files:
        solutions = store.query(path.read_text(encoding="utf-8"))
        variables = [v.value for v in solutions.variables]
        for solution in solutions:
            cells = {name: solution[name] for name in variables}
            focus = cells.get("this")
            row = ", ".join(f"{k}={v.value if v is not None else ''}" for k, v in cells.items())
            if focus is not None and locations is None:
                locations = claim_locations(inputs)
            failures.append(f"{path.name}: {row}" + (_where(URIRef(focus.value), locations) if focus is not None else ""))
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
                      if any(s == node and p == RDF.type for s, p, o in claim.facts)
                      or (any(node in (s, o) for s, p, o in claim.facts)
                          and any(t in named - {node} for s, p, o in claim.facts for t in (s, p, o)))]
            if places:
                lines.append(f"    {node} (claims at {', '.join(dict.fromkeys(places))})")
    return "the data is inconsistent under OWL 2 RL:\n  " + "\n  ".join(lines)
