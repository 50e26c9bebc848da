"""How well `astana-kg draft` drafts the five seed articles, leave-one-out: each seed is drafted
against the claims of the other four (its own left out), and its draft is compared with its
curated claims. Since 000 and 004 share most of their text, they are also drafted with both left out.

    .venv/bin/python benchmarks/draft_quality.py [--json]

Measures (targets in brackets):
- entities: the entity mentions (agents and places) a draft introduces, against those the curated
  file introduces; a drafted entity is right when it has the curated IRI or, proposed as new,
  carries one of the curated entity's names. F1 [>= 0.9]
- statements: a drafted statement is right when its speaker is right and the span of its quotation
  or paraphrase overlaps one of the curated statement's. precision, recall [>= 0.8 each]
- statement dates: of the curated statements matched, those whose draft has the same akg:statedOn
  (or, like the curated one, none) [>= 0.9]
- publication date and publisher: the draft's akg:publishedOn and akg:publisher equal the curated ones
- event dates: the days (akg:startDate, akg:endDate, akg:signedOn, akg:inForceFrom) drafted for
  rounds and agreements, against the curated ones: a drafted day is right when the curated file
  gives the node that property with that day; recall is over the curated days of rounds and
  agreements (the events the drafts date). precision, recall (no target: measured)
- roles: curated roles (class, holder, context; positions: class and holder) that the draft has. recall [>= 0.7]
- quotes: drafted claims whose quote the build finds as the claim says [100 %]
- seconds: drafting one article (linking tables loaded once per leave-one-out run) [< 2 s]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from astana_kg.pipeline.build import project_root
from astana_kg.pipeline.claims import find_quote, load_claim_file, load_sources
from astana_kg.draft.linking import ENTITY_CLASSES, load_gazetteer
from astana_kg.draft.text import fold
from astana_kg.draft.writer import draft_article, render
from astana_kg.namespaces import AKG, DATA

SEEDS = ("000", "001", "002", "003", "004")
TARGETS = {"entities_f1": 0.9, "statements_precision": 0.8, "statements_recall": 0.8, "statement_dates": 0.9,
           "roles_recall": 0.7, "quotes_accepted": 1.0}
SECONDS_TARGET = 2.0


def _facts(claims) -> Graph:
    graph = Graph()
    for claim in claims:
        graph += claim.facts
    return graph


def _names(graph: Graph, node) -> set[str]:
    return {fold(str(n)) for p in (RDFS.label, SKOS.altLabel) for n in graph.objects(node, p)}


def entities(graph: Graph) -> set[URIRef]:
    """The agents and places a claim file introduces (a class and a label)."""
    return {s for s, o in graph.subject_objects(RDF.type) if o in ENTITY_CLASSES and (s, RDFS.label, None) in graph
            and str(s).startswith(str(DATA))}


def statements(claims) -> dict[URIRef, dict]:
    """Each statement node: its speaker, the spans of its quoted or paraphrased words, its akg:statedOn."""
    found: dict[URIRef, dict] = {}
    for claim in claims:
        for node in set(claim.facts.subjects(AKG.reportedIn, None)):
            entry = found.setdefault(node, {"speaker": None, "spans": [], "date": None})
            entry["speaker"] = claim.facts.value(node, AKG.speaker) or entry["speaker"]
            entry["date"] = claim.facts.value(node, AKG.statedOn) or entry["date"]
            for prop in (AKG.quotation, AKG.paraphrase):
                for words in claim.facts.objects(node, prop):
                    quoted = claim.source.text[claim.start:claim.end]  # the source's characters (no-break spaces)
                    hits = find_quote(quoted, str(words).replace("\u00a0", " "))
                    if hits:
                        entry["spans"].append((claim.start + hits[0][0], claim.start + hits[0][1]))
    return {node: entry for node, entry in found.items() if entry["speaker"] is not None}


EVENT_DATES = (AKG.startDate, AKG.endDate, AKG.signedOn, AKG.inForceFrom)
DATED_EVENTS = (AKG.NegotiationRound, AKG.Agreement, AKG.Memorandum, AKG.Ceasefire)


def event_dates(graph: Graph, types: Graph) -> set[tuple]:
    """(node, property, day) of the days a graph gives rounds and agreements (typed in ``types``)."""
    return {(s, p, str(o)) for p in EVENT_DATES for s, o in graph.subject_objects(p)
            if any((s, RDF.type, cls) in types for cls in DATED_EVENTS)}


def roles(graph: Graph) -> set[tuple]:
    found = set()
    for role, holder in graph.subject_objects(AKG.roleOf):
        for cls in graph.objects(role, RDF.type):
            if cls == AKG.Position:
                found.add((cls, holder, None))
            elif str(cls).endswith("Role"):
                for context in graph.objects(role, AKG.roleIn):
                    found.add((cls, holder, context))
    return found


class Same:
    """Whether a drafted node is a curated one: the same IRI, or a new node named by its names."""

    def __init__(self, gold: Graph, draft: Graph, known):
        self.gold, self.draft, self.known = gold, draft, known

    def __call__(self, drafted, curated) -> bool:
        if drafted == curated:
            return True
        if drafted in self.known:
            return False
        return bool(_names(self.draft, drafted) & _names(self.gold, curated))


def _f1(p, r):
    return 2 * p * r / (p + r) if p + r else 0.0


def _ratio(a, b):
    return a / b if b else 1.0


def quotes_accepted(text: str, document: str, path: Path, sources_dir: Path) -> tuple[int, int, str]:
    """(accepted, drafted, error): the claims whose quote the build locates, and whether the whole
    file loads (valid Turtle, quotations and phrases inside their quotes)."""
    import yaml

    data = yaml.safe_load(document)
    accepted = 0
    for entry in data["claims"]:
        hits = find_quote(text, entry["quote"])
        occurrence = entry.get("occurrence")
        accepted += (occurrence is None and len(hits) == 1) or (occurrence is not None and 1 <= occurrence <= len(hits))
    error = ""
    path.write_text(document, encoding="utf-8")
    try:
        load_claim_file(path, load_sources(sources_dir))
    except Exception as failure:  # any fault of the file is a fault of the draft
        error = str(failure)
    return accepted, len(data["claims"]), error


def evaluate_seed(root: Path, seed: str, gazetteer, workdir: Path) -> dict:
    sources = load_sources(root / "data/sources")
    source = sources[seed]
    curated = load_claim_file(root / "data/claims" / f"{seed}.yaml", sources)
    started = time.perf_counter()
    draft = draft_article(source.text, seed, f"data/sources/{source.path.name}", gazetteer)
    document = render(draft, source.path.name)
    seconds = time.perf_counter() - started
    (workdir / "sources").mkdir(exist_ok=True)
    target = workdir / "sources" / source.path.name
    if not target.exists():
        target.write_bytes(source.path.read_bytes())
    accepted, drafted_claims, error = quotes_accepted(source.text, document, workdir / f"{seed}.yaml", workdir / "sources")
    drafted = load_claim_file(workdir / f"{seed}.yaml", load_sources(workdir / "sources")) if not error else []
    gold, mine = _facts(curated), _facts(drafted)
    same = Same(gold, mine, set(gazetteer.entities))

    gold_entities, draft_entities = entities(gold), entities(mine)
    matched_draft = {d for d in draft_entities if any(same(d, g) for g in gold_entities)}
    matched_gold = {g for g in gold_entities if any(same(d, g) for d in draft_entities)}
    e_p, e_r = _ratio(len(matched_draft), len(draft_entities)), _ratio(len(matched_gold), len(gold_entities))

    gold_st, draft_st = statements(curated), statements(drafted)

    def overlaps(a, b):
        return any(s1 < e2 and s2 < e1 for s1, e1 in a["spans"] for s2, e2 in b["spans"])

    def match(d, g):
        return same(d["speaker"], g["speaker"]) and overlaps(d, g)

    right = [d for d in draft_st.values() if any(match(d, g) for g in gold_st.values())]
    pairs = [(g, next((d for d in draft_st.values() if match(d, g)), None)) for g in gold_st.values()]
    found = [(g, d) for g, d in pairs if d is not None]
    dates_right = sum(1 for g, d in found if (g["date"] and str(g["date"])) == (d["date"] and str(d["date"])))

    source_iri = DATA[f"source-{seed}"]
    published = (str(gold.value(source_iri, AKG.publishedOn)), str(mine.value(source_iri, AKG.publishedOn)))
    gold_publisher, draft_publisher = gold.value(source_iri, AKG.publisher), mine.value(source_iri, AKG.publisher)
    publisher_right = (gold_publisher is None and draft_publisher is None) or (
        gold_publisher is not None and draft_publisher is not None and same(draft_publisher, gold_publisher))

    gold_roles, draft_roles = roles(gold), roles(mine)

    def role_match(d, g):
        return d[0] == g[0] and same(d[1], g[1]) and (g[2] is None or d[2] is not None and same(d[2], g[2]))

    types = gold + mine + gazetteer.graph
    gold_days, draft_days = event_dates(gold, types), event_dates(mine, types)

    def day_match(d, g):
        return d[1:] == g[1:] and same(d[0], g[0])

    days_right = [d for d in draft_days if any(day_match(d, g) for g in gold_days)]
    days_found = [g for g in gold_days if any(day_match(d, g) for d in draft_days)]

    roles_found = [g for g in gold_roles if any(role_match(d, g) for d in draft_roles)]
    roles_right = [d for d in draft_roles if any(role_match(d, g) for g in gold_roles)]
    return {
        "seed": seed, "seconds": round(seconds, 3),
        "entities_precision": e_p, "entities_recall": e_r, "entities_f1": _f1(e_p, e_r),
        "entities": f"{len(matched_gold)}/{len(gold_entities)} curated, {len(matched_draft)}/{len(draft_entities)} drafted",
        "statements_precision": _ratio(len(right), len(draft_st)), "statements_recall": _ratio(len(found), len(gold_st)),
        "statements": f"{len(found)}/{len(gold_st)} curated, {len(right)}/{len(draft_st)} drafted",
        "statement_dates": _ratio(dates_right, len(found)), "dates": f"{dates_right}/{len(found)}",
        "publication_date_right": published[0] == published[1], "publication_date": f"{published[1]} (curated {published[0]})",
        "publisher_right": publisher_right,
        "event_dates_precision": _ratio(len(days_right), len(draft_days)),
        "event_dates_recall": _ratio(len(days_found), len(gold_days)),
        "event_dates": f"{len(days_found)}/{len(gold_days)} curated, {len(days_right)}/{len(draft_days)} drafted",
        "roles_recall": _ratio(len(roles_found), len(gold_roles)), "roles_precision": _ratio(len(roles_right), len(draft_roles)),
        "roles": f"{len(roles_found)}/{len(gold_roles)} curated, {len(roles_right)}/{len(draft_roles)} drafted",
        "quotes_accepted": _ratio(accepted, drafted_claims) if not error else 0.0, "quotes": f"{accepted}/{drafted_claims}",
        "load_error": error,
    }


def run(root: Path | None = None) -> dict:
    """Leave-one-out over the seeds, then 000 and 004 with both left out."""
    root = root or project_root()
    results = {"leave_one_out": [], "leave_000_004_out": []}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in SEEDS:
            gazetteer = load_gazetteer(root, exclude={seed})
            results["leave_one_out"].append(evaluate_seed(root, seed, gazetteer, Path(tmp)))
        gazetteer = load_gazetteer(root, exclude={"000", "004"})
        for seed in ("000", "004"):
            results["leave_000_004_out"].append(evaluate_seed(root, seed, gazetteer, Path(tmp)))
    numeric = [k for k, v in results["leave_one_out"][0].items() if isinstance(v, (int, float)) and k != "seed"]
    results["mean"] = {k: statistics.mean(float(r[k]) for r in results["leave_one_out"]) for k in numeric}
    return results


COLUMNS = [("entities_f1", "ent F1"), ("statements_precision", "st P"), ("statements_recall", "st R"),
           ("statement_dates", "dates"), ("publication_date_right", "pub date"), ("publisher_right", "publisher"),
           ("roles_recall", "roles R"), ("event_dates_precision", "ev P"), ("event_dates_recall", "ev R"), ("quotes_accepted", "quotes"), ("seconds", "s")]


def table(results: dict) -> str:
    lines = ["run            seed  " + " ".join(f"{label:>9s}" for _, label in COLUMNS)]
    for name in ("leave_one_out", "leave_000_004_out"):
        for row in results[name]:
            cells = " ".join(f"{float(row[k]):9.2f}" for k, _ in COLUMNS)
            lines.append(f"{name:14s} {row['seed']:>4s}  {cells}")
            lines.append(f"{'':20s}entities {row['entities']}; statements {row['statements']}; dates {row['dates']}; "
                         f"roles {row['roles']}; event dates {row['event_dates']}; quotes {row['quotes']}; published {row['publication_date']}"
                         + (f"; LOAD ERROR {row['load_error']}" if row["load_error"] else ""))
    mean = results["mean"]
    lines.append(f"{'mean (l-o-o)':14s} {'':>4s}  " + " ".join(f"{mean[k]:9.2f}" for k, _ in COLUMNS))
    lines.append("targets: " + ", ".join(f"{k} >= {v}" for k, v in TARGETS.items()) + f", seconds < {SECONDS_TARGET}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    results = run()
    print(json.dumps(results, indent=2) if args.json else table(results))
    mean = results["mean"]
    met = all(mean[k] >= v for k, v in TARGETS.items()) and all(
        r["seconds"] < SECONDS_TARGET for r in results["leave_one_out"])
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
