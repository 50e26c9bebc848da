"""The format parameters of a query request (``format=``, ``output=``, ``results=``), read as the
plain functions of ``astana_kg.http.negotiation`` read them, over a table of what clients send."""

from __future__ import annotations

import pytest

from astana_kg.http import negotiation
from astana_kg.http.errors import HttpError

# (query string parameters, Accept, media type for SELECT/ASK, media type for CONSTRUCT/DESCRIBE);
# None: refused with 406 for that kind.
TABLE = [
    ({"format": ["xml"], "output": ["xml"], "results": ["xml"]}, "application/rdf+xml",
     "application/sparql-results+xml", "application/rdf+xml"),
    ({"format": ["json"]}, "*/*", "application/sparql-results+json", "application/ld+json"),
    ({"output": ["json"]}, None, "application/sparql-results+json", "application/ld+json"),
    ({"results": ["xml"]}, None, "application/sparql-results+xml", "application/rdf+xml"),
    ({"output": ["csv"]}, None, "text/csv; charset=utf-8", None),
    ({"format": ["tsv", "text/tab-separated-values"]}, None, "text/tab-separated-values; charset=utf-8", None),
    ({"format": ["n3"], "output": ["n3"]}, "text/n3", None, "text/turtle"),
    ({"format": ["turtle"]}, None, None, "text/turtle"),
    ({"format": ["json-ld", "application/ld+json,application/x-json+ld"]}, None, None, "application/ld+json"),
    ({"format": ["rdf+xml", "application/rdf+xml"]}, None, None, "application/rdf+xml"),
    ({"format": ["json-ld", ""], "output": ["json-ld", ""]}, "*/*", None, "application/ld+json"),
    ({"format": ["application/sparql-results+json"]}, None, "application/sparql-results+json", None),
    ({"format": ["text/n3"]}, None, None, "text/turtle"),
    ({"format": ["nq"]}, "text/turtle", None, "application/n-quads"),
    ({"format": [""], "output": [""]}, "text/csv", "text/csv; charset=utf-8", None),  # empty: Accept decides
    ({}, "application/rdf+xml", None, "application/rdf+xml"),
]


@pytest.mark.parametrize("params, accept, solutions, graph", TABLE)
def test_format_parameters_name_a_format_for_each_result_kind(params, accept, solutions, graph):
    names = negotiation.format_parameters(params)
    for kind, expected in (("solutions", solutions), ("graph", graph)):
        if expected is None:
            with pytest.raises(HttpError) as refused:
                negotiation.choose(kind, accept, names)
            assert refused.value.status == 406
        else:
            assert negotiation.choose(kind, accept, names).media_type == expected


def test_a_format_of_the_other_kind_is_refused_naming_it_and_the_query_forms():
    with pytest.raises(HttpError) as refused:
        negotiation.choose("graph", None, ["csv"])
    assert refused.value.status == 406
    assert refused.value.detail.startswith("the format 'csv' is a SPARQL results format, and a CONSTRUCT or DESCRIBE")
    assert "text/turtle" in refused.value.problem()["supported"]


@pytest.mark.parametrize("kind", ["solutions", "graph"])
def test_an_unknown_format_is_a_400_listing_the_names(kind):
    with pytest.raises(HttpError) as refused:
        negotiation.choose(kind, None, negotiation.format_parameters({"output": ["yaml"]}))
    assert refused.value.status == 400
    assert "unknown format 'yaml'" in refused.value.detail and "turtle" in refused.value.detail


@pytest.mark.parametrize("kind", ["solutions", "graph"])
def test_format_parameters_that_name_different_formats_are_a_400(kind):
    with pytest.raises(HttpError) as refused:
        negotiation.choose(kind, None, negotiation.format_parameters({"format": ["json"], "output": ["xml"]}))
    assert refused.value.status == 400
    assert refused.value.detail == "the format parameters name different formats: json, xml"


@pytest.fixture(scope="module")
def client(built):
    from astana_kg.http import create_app

    return create_app({"BUILD_DIR": str(built.out), "QUERY_WORKERS": 1}).test_client()


@pytest.mark.parametrize("path, query_string", [
    ("/fragments", "format="),
    ("/sparql", "query=CONSTRUCT+WHERE+%7B+%3Fs+a+%3Ft+%7D+LIMIT+1&format=&output="),
])
def test_an_empty_format_parameter_leaves_the_choice_to_the_accept_header(client, path, query_string):
    response = client.get(f"{path}?{query_string}", headers={"Accept": "application/n-triples"})
    assert response.status_code == 200, response.data[:300]
    assert response.headers["Content-Type"].startswith("application/n-triples")
