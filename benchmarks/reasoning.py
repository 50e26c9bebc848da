"""Time the build's reasoning, old and new, as the data grows: owlrl over the union of every graph
(the old path) and the compiled rules source by source (:func:`astana_kg.pipeline.reasoning.infer_by_source`),
over 1, 2, 4 and 16 copies of the five sources and the curation graph, each copy under fresh IRIs.

    PYTHONPATH=server .venv/bin/python benchmarks/reasoning.py [--copies 1 2 4 16] [--owlrl-up-to 4]

owlrl is only timed up to ``--owlrl-up-to`` copies (it takes minutes beyond). Each copy renames
every ``id/`` IRI (``id/russia`` -> ``id/c2-russia``) and every source graph (``graph/source/c2-003``),
so that no two copies share a node and the work only grows with the data.
"""

from __future__ import annotations

import argparse
import time

from rdflib import Graph, URIRef

from astana_kg.pipeline.build import load_inputs, project_root
from astana_kg.namespaces import DATA, GRAPH, ONTOLOGY_GRAPH, WIKIDATA_GRAPH
from astana_kg.pipeline.reasoning import infer_by_source, owlrl_inferred


def renamed(graph: Graph, copy: int) -> Graph:
    """``graph`` with every ``id/`` IRI of copy ``copy`` made its own (copy 0 is the original)."""
    if copy == 0:
        return graph
    prefix, fresh = str(DATA), f"{DATA}c{copy}-"

    def rename(term):
        return URIRef(fresh + term[len(prefix):]) if isinstance(term, URIRef) and term.startswith(prefix) else term

    out = Graph()
    for triple in graph:
        out.add(tuple(rename(t) for t in triple))
    return out


def copies(inputs, count: int) -> tuple[dict[URIRef, Graph], Graph]:
    """The source graphs and the curation graph of ``count`` copies of the data."""
    sources, curation = {}, Graph()
    for copy in range(count):
        for name, graph in inputs.source_graphs().items():
            number = str(name).rsplit("/", 1)[-1]
            sources[GRAPH[f"source/c{copy}-{number}" if copy else f"source/{number}"]] = renamed(graph, copy)
        curation += renamed(inputs.graphs[WIKIDATA_GRAPH], copy)
    return sources, curation


def timed(function, *args) -> tuple[float, object]:
    started = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - started, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, nargs="+", default=[1, 2, 4, 16])
    parser.add_argument("--owlrl-up-to", type=int, default=4)
    args = parser.parse_args()
    inputs = load_inputs(project_root())
    ontology = inputs.graphs[ONTOLOGY_GRAPH]
    print(f"{'copies':>6s} {'triples':>8s} {'owlrl s':>8s} {'rules s':>8s} {'rules s/copy':>12s} "
          f"{'inferred':>8s} {'shared':>6s} {'together':>8s}")
    for count in args.copies:
        sources, curation = copies(inputs, count)
        triples = len(ontology) + len(curation) + sum(len(g) for g in sources.values())
        old = "-"
        if count <= args.owlrl_up_to:
            union = ontology + curation
            for graph in sources.values():
                union += graph
            seconds, _ = timed(owlrl_inferred, union)
            old = f"{seconds:.1f}"
        seconds, result = timed(infer_by_source, ontology, sources, {WIKIDATA_GRAPH: curation})
        per_source = sum(len(g) for n, g in result.graphs.items() if not str(n).endswith("/shared"))
        shared = sum(len(g) for n, g in result.graphs.items() if str(n).endswith("/shared"))
        print(f"{count:6d} {triples:8d} {old:>8s} {seconds:8.1f} {seconds / count:12.2f} "
              f"{per_source:8d} {shared:6d} {result.together:8d}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
