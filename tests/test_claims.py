from pathlib import Path

import pytest

from astana_kg.pipeline.claims import CurationError, find_quote, load_claim_file, load_sources, source_graphs
from astana_kg.namespaces import AKG, DATA, OA


@pytest.fixture(scope="module")
def sources(root):
    return load_sources(root / "data" / "sources")


CURATION = 'created: "2026-11-21T18:01:52Z"\ncurator: "https://w3id.org/astana-kg/"\n'


def write(tmp_path: Path, text: str, curation: str = CURATION) -> Path:
    """A claim file of ``text``, with ``curation`` (its created and curator) after its claims, so
    that the lines of ``text`` keep their numbers."""
    path = tmp_path / "claims.yaml"
    path.write_text(text + curation, encoding="utf-8")
    return path


def test_a_space_in_a_quote_matches_a_no_break_space_of_the_source():
    assert find_quote("on\u00a0the third zone", "on the third") == [(0, 12)]


def test_a_quote_is_located_by_code_point_offsets(sources):
    text = sources["001"].text
    [(start, end)] = find_quote(text, "Staffan de Mistura")
    assert text[start:end] == "Staffan de Mistura"


def test_a_quote_missing_from_its_source_names_the_file_the_line_and_the_quote(tmp_path, sources):
    path = write(tmp_path, 'source: "002"\nclaims:\n  - quote: "Lavrov resigned"\n    facts: |\n      id:x a akg:Event .\n')
    with pytest.raises(CurationError) as caught:
        load_claim_file(path, sources)
    message = str(caught.value)
    assert f"{path}:3" in message
    assert "'Lavrov resigned'" in message and "002_a0f130f92b6e3aec.txt" in message


def test_a_quote_found_twice_must_say_which_occurrence(tmp_path, sources):
    path = write(tmp_path, 'source: "002"\nclaims:\n  - quote: "Lavrov"\n    facts: |\n      id:x a akg:Event .\n')
    with pytest.raises(CurationError, match=r"occurs \d+ times .*occurrence: N"):
        load_claim_file(path, sources)


def test_an_occurrence_picks_the_nth_match(tmp_path, sources):
    path = write(tmp_path, 'source: "002"\nclaims:\n  - quote: "Lavrov"\n    occurrence: 2\n'
                           '    facts: |\n      id:x a akg:Event .\n')
    [claim] = load_claim_file(path, sources)
    first, second = find_quote(sources["002"].text, "Lavrov")[:2]
    assert (claim.start, claim.end) == second


def test_invalid_turtle_is_reported_at_its_line_in_the_claim_file(tmp_path, sources):
    path = write(tmp_path, 'source: "002"\nclaims:\n  - quote: "FAIRBANKS /United States/"\n    facts: |\n'
                           '      id:x a akg:Event .\n      id:x id:y .\n')
    with pytest.raises(CurationError) as caught:
        load_claim_file(path, sources)
    assert caught.value.line == 6
    assert "not valid Turtle" in caught.value.message


def test_a_term_is_found_at_the_line_that_writes_it_whatever_the_style_of_the_facts(tmp_path, sources):
    path = write(tmp_path, 'source: "002"\nclaims:\n'
                           '  - quote: "FAIRBANKS /United States/"\n'                             # 3
                           '    facts: |\n'                                                       # 4
                           '      id:x a akg:Event ;\n'                                           # 5
                           '        akg:about id:x-event .\n'                                     # 6
                           '  - quote: "Lavrov"\n    occurrence: 1\n'                             # 7, 8
                           '    facts: "id:y a akg:Event ;\n'                                     # 9
                           '      <https://w3id.org/astana-kg/ontology#about> id:x ."\n')         # 10
    block, flow = load_claim_file(path, sources)
    assert block.line_of(AKG.Event) == 5 and block.line_of(AKG.about) == 6
    assert block.line_of(DATA.x) == 5 and block.line_of(DATA["x-event"]) == 6
    assert flow.line_of(AKG.Event) == 9 and flow.line_of(AKG.about) == 10
    assert flow.line_of(AKG.Statement) == 7  # a term it does not write: the claim's own line


def test_a_quotation_must_lie_inside_the_claims_quote(tmp_path, sources):
    path = write(tmp_path, 'source: "002"\nclaims:\n  - quote: "FAIRBANKS /United States/"\n    facts: |\n'
                           '      id:s a akg:Statement ; akg:quotation "We will welcome" .\n')
    with pytest.raises(CurationError, match="quotation 'We will welcome' is not inside the claim's quote"):
        load_claim_file(path, sources)


def test_quotations_take_the_exact_characters_of_the_source(tmp_path, sources):
    # 003 writes "on\u00a0the third zone": the curated file may use a plain space.
    path = write(tmp_path, 'source: "003"\nclaims:\n  - quote: "The work is currently underway on the third zone"\n'
                           '    facts: |\n      id:s a akg:Statement ; akg:quotation "underway on the third zone" .\n')
    [claim] = load_claim_file(path, sources)
    quotation = claim.facts.value(DATA.s, AKG.quotation)
    assert str(quotation) == "underway on\u00a0the third zone"


def test_a_statement_must_be_reported_in_the_source_of_its_file(tmp_path, sources):
    path = write(tmp_path, 'source: "002"\nclaims:\n  - quote: "FAIRBANKS /United States/"\n    facts: |\n'
                           '      id:s a akg:Statement ; akg:reportedIn id:source-001 .\n')
    with pytest.raises(CurationError, match="reported in .*source-001.*holds claims of .*source-002"):
        load_claim_file(path, sources)


def test_evidence_has_both_selectors_with_context(tmp_path, sources):
    path = write(tmp_path, 'source: "002"\nclaims:\n  - quote: "Sergey Lavrov"\n'
                           '    occurrence: 1\n    facts: |\n      id:sergey-lavrov a akg:Person .\n')
    [graph] = source_graphs(load_claim_file(path, sources)).values()
    [annotation] = graph.subjects(OA.hasBody, DATA["sergey-lavrov"])
    target = graph.value(annotation, OA.hasTarget)
    selectors = list(graph.objects(target, OA.hasSelector))
    exact = next(graph.value(s, OA.exact) for s in selectors if graph.value(s, OA.exact) is not None)
    start = next(graph.value(s, OA.start) for s in selectors if graph.value(s, OA.start) is not None)
    prefix = next(graph.value(s, OA.prefix) for s in selectors if graph.value(s, OA.prefix) is not None)
    text = sources["002"].text
    assert str(exact) == "Sergey Lavrov"
    assert text[int(start) - len(prefix): int(start)] == str(prefix)
    assert len(prefix) == 32


CLAIM = 'source: "002"\nclaims:\n  - quote: "FAIRBANKS /United States/"\n    facts: |\n      id:x a akg:Event .\n'


def test_a_claim_file_gives_its_evidence_annotations_its_created_time_and_curator(tmp_path, sources):
    from rdflib import URIRef
    from rdflib.namespace import DCTERMS, FOAF, RDF, XSD

    [claim] = load_claim_file(write(tmp_path, CLAIM), sources)
    graph = source_graphs([claim])[claim.source.graph]
    [annotation] = graph.subjects(OA.hasBody, DATA.x)
    created = graph.value(annotation, DCTERMS.created)
    assert (str(created), created.datatype) == ("2026-11-21T18:01:52Z", XSD.dateTime)  # as the file writes it
    assert graph.value(annotation, DCTERMS.creator) == URIRef("https://w3id.org/astana-kg/")
    assert (URIRef("https://w3id.org/astana-kg/"), RDF.type, FOAF.Organization) in graph


@pytest.mark.parametrize("curation, line, words", [
    ('curator: "https://w3id.org/astana-kg/"\n', 1, "'created' is None"),
    ('created: "2026-11-21"\ncurator: "https://w3id.org/astana-kg/"\n', 6, "'created' is '2026-11-21', not a date and time with its time zone"),
    ("created: 2026-11-21T18:01:52\ncurator: https://w3id.org/astana-kg/\n", 6, "not a date and time with its time zone"),
    ('created: "2026-11-21T18:01:52Z"\ncurator: "the curators"\n', 7, "'curator' is 'the curators', not an http(s) IRI"),
    ('created: "2026-11-21T18:01:52Z"\ncurator: "https://w3id.org/astana-kg/"\ncreator: "x"\n', 8, "unknown key(s) ['creator']"),
])
def test_a_claim_file_without_a_valid_created_time_and_curator_is_refused_at_the_line_of_the_key(
        tmp_path, sources, curation, line, words):
    with pytest.raises(CurationError) as caught:
        load_claim_file(write(tmp_path, CLAIM, curation), sources)
    assert caught.value.line == line and words in caught.value.message


def test_a_claim_file_without_claims_needs_no_created_time_or_curator(tmp_path, sources):
    assert load_claim_file(write(tmp_path, 'source: "002"\nclaims: []\n', ""), sources) == []


# -- libyaml and PyYAML's own parser read a claim file alike --------------------------------------

import yaml  # noqa: E402
from hypothesis import example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from astana_kg.pipeline import claims as claims_module  # noqa: E402

_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
_CLAIM = st.fixed_dictionaries({"quote": _TEXT, "facts": _TEXT},
                               optional={"about": st.lists(_TEXT, max_size=2), "occurrence": st.integers(1, 9)})
_FILE = st.fixed_dictionaries({"source": st.sampled_from(["001", 2]), "claims": st.lists(_CLAIM, max_size=3)},
                              optional={"curator": _TEXT, "created": st.dates()})


def _read(load, text: str):
    try:
        return "document", load(text)
    except yaml.YAMLError as error:
        return "error", str(error)


def _with(loader):
    return lambda text: claims_module._load_yaml(text, loader)


@settings(max_examples=300, deadline=None)
@given(_FILE, st.sampled_from([None, '"', "'", "|"]), st.booleans(), st.sampled_from([20, 80]))
@example({"source": "001", "claims": [{"quote": "é😀 \"x\": y", "facts": "id:a a akg:X ;\n  rdfs:label \"Ä😀\" .\n"}]},
         "|", True, 80)
def test_a_claim_file_is_read_alike_by_libyaml_and_pyyamls_own_parser(document, style, unicode, width):
    text = yaml.safe_dump(document, default_style=style, allow_unicode=unicode, width=width, sort_keys=False)
    fast = claims_module._load_yaml(text, claims_module._FastLineLoader)
    assert fast == claims_module._load_yaml(text, claims_module._LineLoader)
    assert claims_module.load_yaml(text) == fast


def _chosen(text: str):
    """What load_yaml should give: libyaml's document where it reads one and nothing sets the text aside."""
    fast = _read(_with(claims_module._FastLineLoader), text)
    if fast[0] == "document" and "!" not in text and "\ufeff" not in text[1:]:
        return fast
    return _read(_with(claims_module._LineLoader), text)


_ANY = st.characters(blacklist_categories=("Cs",))


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(_ANY, max_size=60),
                 st.lists(st.sampled_from(["a", "0", ":", " ", "-", "\n", "\t", "|", "#", '"', "[", "?", "`", "!",
                                           "\ufeff", "\x85", "\u2028", "\r", "é"]), max_size=14).map("".join)))
@example("claims:\n- facts: |\n    a\n\tb\n")
@example("a: \x85b\n")
@example("a: 0\t\n")
@example("\ufeff\ufeff")  # the second mark: PyYAML keeps it, libyaml drops it
@example("!")  # "" to libyaml, None to PyYAML
def test_a_text_both_parsers_read_is_read_alike_where_libyaml_reads_it(text):
    fast = _read(_with(claims_module._FastLineLoader), text)
    own = _read(_with(claims_module._LineLoader), text)
    if fast[0] == own[0] == "document" and "!" not in text and "\ufeff" not in text[1:]:
        assert fast == own
    assert _read(claims_module.load_yaml, text) == _chosen(text)
    if "!" in text or "\ufeff" in text[1:]:
        assert _read(claims_module.load_yaml, text) == own


def test_what_only_libyaml_reads_is_read_as_yaml_means_it():
    # PyYAML's own parser refuses a tab after a value, which YAML allows as white space.
    assert _read(_with(claims_module._LineLoader), "a: 0\t\n")[0] == "error"
    assert claims_module.load_yaml("a: 0\t\n") == {"a": 0, "__line__": 1}
