"""The JSON API under ``/api``: entity lookup and search, neighbours, expansion, paths and the
typed accessors of :class:`astana_kg.api.graph.KnowledgeGraph`, over the server's own store.

Answers are JSON-LD compatible: each carries an ``@context``, nodes are objects with an ``@id``
(the IRI) and a ``label``; long lists are pages (``limit``/``offset``, with ``next`` and
``previous`` links and the ``total``). Errors are JSON problem details. The routes are described
in ``openapi.json`` beside this module, served at ``/api/openapi.json``; a test checks that the
two list the same routes.

The views parse parameters and call :func:`call`, which turns the graph's errors into HTTP ones.

>>> jsonld({"iri": "https://w3id.org/astana-kg/id/iran", "label": "Iran", "sources": []})
{'@id': 'https://w3id.org/astana-kg/id/iran', 'label': 'Iran', 'sources': []}
>>> parse_int({"limit": "20"}, "limit", 50, 1, 500), parse_int({}, "limit", 50, 1, 500)
(20, 50)
>>> parse_int({"limit": "0"}, "limit", 50, 1, 500)
Traceback (most recent call last):
...
astana_kg.query.problems.Problem: limit='0' must be a whole number from 1 to 500
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, request

from ..api.graph import Ambiguous, KnowledgeGraph, NotFound
from . import origin
from .errors import HttpError, bad_request, method_not_allowed, not_found

blueprint = Blueprint("api", __name__, url_prefix="/api")

OPENAPI_PATH = Path(__file__).with_name("openapi.json")
JSON = "application/json"
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "TRACE", "QUERY", "CONNECT"]  # all but GET/HEAD answer 405
DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET = 50, 500, 1_000_000
DIRECTIONS = ("both", "out", "in")
_QID = re.compile(r"Q[1-9][0-9]{0,11}")

#: The JSON-LD context of every answer: keys with an RDF meaning map to their property; the
#: others are plain JSON that JSON-LD processors leave out.
CONTEXT = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "schema": "https://schema.org/",
    "dcterms": "http://purl.org/dc/terms/",
    "hydra": "http://www.w3.org/ns/hydra/core#",
    "akg": "https://w3id.org/astana-kg/ontology#",
    "label": "rdfs:label",
    "types": {"@id": "rdf:type", "@type": "@id"},
    "wikidata": {"@id": "schema:sameAs", "@type": "@id"},
    "source": {"@id": "dcterms:source", "@type": "@id"},
    "sources": {"@id": "dcterms:source", "@type": "@id"},
    "subject": {"@id": "rdf:subject", "@type": "@id"},
    "predicate": {"@id": "rdf:predicate", "@type": "@id"},
    "object": {"@id": "rdf:object", "@type": "@id"},
    "items": {"@id": "hydra:member", "@container": "@list"},
    "total": "hydra:totalItems",
    "next": {"@id": "hydra:next", "@type": "@id"},
    "previous": {"@id": "hydra:previous", "@type": "@id"},
}


def jsonld(value):
    """A graph answer (``to_dict()`` output) with every ``iri`` key renamed ``@id``."""
    if isinstance(value, dict):
        return {("@id" if key == "iri" else key): jsonld(item) for key, item in value.items()}
    if isinstance(value, list):
        return [jsonld(item) for item in value]
    return value


def _entity(entity) -> dict:
    data = jsonld(entity.to_dict())
    data["wikidata"] = [{"@id": iri} for iri in data["wikidata"]]
    return data


# --- parameters -----------------------------------------------------------------------------------

def required(args, name: str) -> str:
    """A required, non-empty query parameter; 400 if missing."""
    value = args.get(name)
    if value is None or value == "":
        raise bad_request(f"the query parameter {name!r} is required", parameter=name)
    return value


def parse_int(args, name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within [low, high]; 400 otherwise."""
    value = args.get(name)
    if value is None:
        return default
    if not re.fullmatch(r"-?[0-9]{1,12}", value) or not low <= int(value) <= high:
        raise bad_request(f"{name}={value!r} must be a whole number from {low} to {high}", parameter=name)
    return int(value)


def parse_bool(args, name: str) -> bool:
    value = args.get(name)
    if value is None:
        return False
    if value not in ("true", "false"):
        raise bad_request(f"{name}={value!r} must be true or false", parameter=name)
    return value == "true"


def parse_direction(args) -> str:
    value = args.get("direction", "both")
    if value not in DIRECTIONS:
        raise bad_request(f"direction={value!r} must be one of {', '.join(DIRECTIONS)}", parameter="direction")
    return value


def _list(args, name: str) -> list[str] | None:
    values = [v for v in args.getlist(name)]
    return values or None


# --- answers --------------------------------------------------------------------------------------

def call(function, *args, **kwargs):
    """Run a graph method; NotFound answers 404, Ambiguous 409 with the candidates."""
    try:
        return function(*args, **kwargs)
    except Ambiguous as error:
        raise HttpError(409, str(error), reference=str(error.ref),
                        candidates=[{"@id": c.iri, "label": c.label} for c in error.candidates]) from None
    except NotFound as error:
        raise not_found(str(error)) from None


def page(items: list, args, url: str) -> dict:
    """One page of ``items`` (already JSON-LD dictionaries) with its links and the total."""
    limit = parse_int(args, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = parse_int(args, "offset", 0, 0, MAX_OFFSET)
    kept = [(k, v) for k, v in args.items(multi=True) if k not in ("limit", "offset")]

    def link(start: int) -> str:
        return url + "?" + urlencode(kept + [("limit", str(limit)), ("offset", str(start))])

    return {"@id": link(offset), "total": len(items), "limit": limit, "offset": offset,
            "items": items[offset:offset + limit],
            "next": link(offset + limit) if offset + limit < len(items) else None,
            "previous": link(max(0, offset - limit)) if offset > 0 else None}


def respond(data: dict, status: int = 200) -> Response:
    body = {"@context": CONTEXT, **data}
    return Response(json.dumps(body, ensure_ascii=False) + "\n", status, {"Content-Type": JSON})


_lock = threading.Lock()


def graph() -> KnowledgeGraph:
    """The KnowledgeGraph over this app's store (one per app, built on first use)."""
    endpoint = current_app.extensions["astana_kg"]()
    holder = current_app.extensions.setdefault("astana_kg.api", {})
    with _lock:
        kg = holder.get("graph")
        if kg is None or kg.store is not endpoint.store:
            kg = holder["graph"] = KnowledgeGraph.from_store(endpoint.store, "the server's store")
            holder["generation"] = endpoint.generation
        elif holder.get("generation") != endpoint.generation:
            kg.refresh()
            holder["generation"] = endpoint.generation
    return kg


@blueprint.before_request
def only_get():
    """Every API route is read-only: OPTIONS lists GET and HEAD, other methods answer 405."""
    if request.method == "OPTIONS":
        return Response(b"", 204, {"Allow": "GET, HEAD, OPTIONS"})
    if request.method not in ("GET", "HEAD"):
        raise method_not_allowed(request.method, ["GET", "HEAD"])
    return None


# --- routes ---------------------------------------------------------------------------------------

@blueprint.route("/openapi.json", methods=METHODS)
def openapi():
    """The OpenAPI description of these routes."""
    return Response(OPENAPI_PATH.read_bytes(), 200, {"Content-Type": JSON})


@blueprint.route("/entity", methods=METHODS)
def entity():
    """An entity by IRI, slug, label or other name, or Wikidata identifier (``ref``)."""
    ref = required(request.args, "ref")
    return respond(_entity(call(graph().entity, ref)))


@blueprint.route("/wikidata/<qid>", methods=METHODS)
def wikidata(qid: str):
    """The entity matched to a Wikidata item."""
    if not _QID.fullmatch(qid):
        raise bad_request(f"{qid!r} is not a Wikidata item identifier (Q followed by digits)", parameter="qid")
    return respond(_entity(call(graph().entity, qid)))


@blueprint.route("/search", methods=METHODS)
def search():
    """Entities whose names match ``q`` (autocomplete: accent- and case-insensitive)."""
    q = required(request.args, "q")
    if len(q) > 200:
        raise bad_request("q is longer than 200 characters", parameter="q")
    classes = _list(request.args, "class")
    found = graph().search(q, limit=MAX_OFFSET, classes=classes)
    return respond(page([_entity(e) for e in found], request.args, origin.absolute(request.path)))


@blueprint.route("/neighbours", methods=METHODS)
def neighbours():
    """The nodes linked to ``node``."""
    node = required(request.args, "node")
    direction = parse_direction(request.args)
    plumbing = parse_bool(request.args, "plumbing")
    kg = graph()
    found = call(kg.neighbours, node, direction, _list(request.args, "predicate"), _list(request.args, "class"),
                 plumbing)
    return respond(page([jsonld(n.to_dict()) for n in found], request.args, origin.absolute(request.path)))


@blueprint.route("/expand", methods=METHODS)
def expand():
    """The nodes within ``depth`` links of ``node`` and the links between them (breadth first)."""
    node = required(request.args, "node")
    depth = parse_int(request.args, "depth", 1, 1, 4)
    max_nodes = parse_int(request.args, "max_nodes", 200, 1, 2000)
    direction = parse_direction(request.args)
    plumbing = parse_bool(request.args, "plumbing")
    sub = call(graph().expand, node, depth, max_nodes, direction, _list(request.args, "predicate"),
               _list(request.args, "class"), plumbing)
    return respond(jsonld(sub.to_dict()))


@blueprint.route("/path", methods=METHODS)
def path():
    """A shortest chain of links between two entities."""
    start, goal = required(request.args, "from"), required(request.args, "to")
    directed = parse_bool(request.args, "directed")
    plumbing = parse_bool(request.args, "plumbing")
    kg = graph()
    source, target = call(kg.ref, call(kg.iri, start)), call(kg.ref, call(kg.iri, goal))
    edges = call(kg.shortest_path, source.iri, target.iri, _list(request.args, "predicate"), plumbing, directed)
    return respond({"from": jsonld(source.to_dict()), "to": jsonld(target.to_dict()), "length": len(edges),
                    "edges": [jsonld(e.to_dict()) for e in edges]})


def _listed(accessor: str, parameter: str) -> Response:
    """One page of what a KnowledgeGraph accessor lists for the entity the parameter names."""
    found = call(getattr(graph(), accessor), required(request.args, parameter))
    return respond(page([jsonld(item.to_dict()) for item in found], request.args, origin.absolute(request.path)))


@blueprint.route("/roles", methods=METHODS)
def roles():
    """The roles a party holds, with their context, dates and sources."""
    return _listed("roles", "party")


@blueprint.route("/statements", methods=METHODS)
def statements():
    """What a person (or party) said, source by source."""
    return _listed("statements", "speaker")


@blueprint.route("/zone-areas", methods=METHODS)
def zone_areas():
    """The areas a de-escalation zone covers, per source."""
    return _listed("zone_areas", "zone")


@blueprint.route("/agreement", methods=METHODS)
def agreement():
    """An agreement's parties, signatories, dates, term and deadlines."""
    ref = required(request.args, "agreement")
    return respond(jsonld(call(graph().agreement, ref).to_dict()))


@blueprint.route("/events", methods=METHODS)
def events():
    """The dated events in order."""
    return respond(page([jsonld(e.to_dict()) for e in graph().events()], request.args, origin.absolute(request.path)))


@blueprint.route("/evidence", methods=METHODS)
def evidence():
    """The quotes of the sources that attest a node."""
    subject = required(request.args, "subject")
    found = call(graph().evidence, subject)
    return respond(page([jsonld(e.to_dict()) for e in found], request.args, origin.absolute(request.path)))


@blueprint.route("/fact-evidence", methods=METHODS)
def fact_evidence():
    """The sources whose graph asserts one fact (subject, predicate, object), with the quotes of
    each that attest it (those that attest both ends, as :meth:`KnowledgeGraph.evidence` says).

    ``object`` is an entity reference, or a literal written as in the fragments interface
    (``"2017-05-04"^^http://www.w3.org/2001/XMLSchema#date``).
    """
    subject, predicate, obj = (required(request.args, name) for name in ("subject", "predicate", "object"))
    kg = graph()
    term = _literal(obj)
    try:
        found = call(kg.evidence, subject, predicate, term if term is not None else obj)
    except ValueError:  # the predicate is not an IRI: no source asserts such a fact
        raise not_found(f"no source asserts a fact with the predicate {predicate!r}") from None
    return respond(page([jsonld(e.to_dict()) for e in found], request.args, origin.absolute(request.path)))


def _literal(text: str):
    """A literal written ``"text"``, ``"text"@lang`` or ``"text"^^datatype``, else None."""
    import pyoxigraph as ox

    from .fragments import parse_term

    if not text.startswith('"'):
        return None
    try:
        term = parse_term(text, "object")
    except HttpError:
        return None
    return term if isinstance(term, ox.Literal) else None
