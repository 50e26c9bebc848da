"""The prefix table written in Turtle and TriG: plain strings, so that query processes load no rdflib.

>>> TURTLE_PREFIXES["id"] == BASE + "id/"
True
"""

from __future__ import annotations

from .paths import BASE

#: Prefixes written in Turtle and TriG answers (the project's own and the common vocabularies).
TURTLE_PREFIXES = {
    "akg": BASE + "ontology#", "id": BASE + "id/",
    "graph": BASE + "graph/", "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#", "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#", "skos": "http://www.w3.org/2004/02/skos/core#",
    "schema": "https://schema.org/", "prov": "http://www.w3.org/ns/prov#", "oa": "http://www.w3.org/ns/oa#",
    "time": "http://www.w3.org/2006/time#", "dcterms": "http://purl.org/dc/terms/",
    "sd": "http://www.w3.org/ns/sparql-service-description#", "void": "http://rdfs.org/ns/void#",
    "wd": "http://www.wikidata.org/entity/",
}
