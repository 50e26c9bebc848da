import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from astana_kg import cli
from astana_kg.pipeline.build import DUMP_NAME, INFO_NAME, InvalidInput, build

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from helpers_project import append_claim, build_report  # noqa: E402


def test_a_build_writes_the_store_the_sorted_dump_and_its_identity(built):
    dump = (built.out / DUMP_NAME).read_bytes()
    lines = dump.decode("utf-8").splitlines()
    assert lines == sorted(lines) and len(lines) > 1000
    assert (built.out / "store").is_dir()
    info = json.loads((built.out / INFO_NAME).read_text())
    assert info["dump_sha256"] == hashlib.sha256(dump).hexdigest()
    assert info["quads"] == len(lines)


def test_the_dump_holds_the_lines_pyoxigraphs_serializer_writes_even_for_a_literal_with_a_line_separator(built):
    # The build writes each term once as text; the dump must be what pyoxigraph's N-Quads
    # serializer makes of the same graphs, including literals with quotes, newlines and languages.
    import pyoxigraph as ox
    from rdflib import Literal, URIRef

    from astana_kg.pipeline.rdftext import sorted_nquads, to_oxigraph

    graphs = dict(built.graphs)
    tricky = graphs[URIRef("urn:x-test:tricky")] = type(next(iter(graphs.values())))()
    for number, text in enumerate(['say "yes"', "two\nlines\r", "tab\tand \\ and \x01", "é ‘quoted’ \u2028"]):
        tricky.add((URIRef(f"urn:x-test:{number}"), URIRef("urn:x-test:p"), Literal(text, lang="EN-gb")))
        tricky.add((URIRef(f"urn:x-test:{number}"), URIRef("urn:x-test:q"), Literal(text)))
    expected = set()
    for name, graph in graphs.items():
        quads = [ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), ox.NamedNode(str(name))) for s, p, o in graph]
        expected.update(ox.serialize(quads, format=ox.RdfFormat.N_QUADS).decode("utf-8").split("\n")[:-1])
    dump = sorted_nquads(graphs)
    assert dump == ("\n".join(sorted(expected)) + "\n").encode("utf-8")
    # A line separator that N-Quads does not escape (U+2028) stays inside its line.
    assert '<urn:x-test:3> <urn:x-test:q> "é ‘quoted’ \u2028" <urn:x-test:tricky> .\n'.encode("utf-8") in dump


def test_two_builds_of_the_same_input_are_byte_identical(built, root, tmp_path):
    again = build(tmp_path / "again", root)
    assert (again.out / DUMP_NAME).read_bytes() == (built.out / DUMP_NAME).read_bytes()


def test_the_summary_gives_triples_per_graph_entities_per_class_and_time_per_stage(built):
    summary = built.summary()
    assert "https://w3id.org/astana-kg/graph/source/001" in summary
    assert "akg:Person" in summary and "akg:GuarantorRole" in summary
    for stage in ("load", "validate", "reason", "write"):
        assert f"s  {stage}" in summary


def test_the_build_command_leaves_at_once_with_its_whole_summary_written_to_a_pipe(project_copy):
    # The command line ends the process without freeing the build's objects: what it printed into
    # a pipe (buffered, not line by line) must still be all there, and the build in place.
    server = Path(cli.__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(server), os.environ.get("PYTHONPATH")])))
    env.pop("FORCE_COLOR", None)
    done = subprocess.run([sys.executable, "-m", "astana_kg.cli", "build", "--root", str(project_copy),
                           "--out", str(project_copy / "build")], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("built ") and lines[-1].endswith("s  write")
    assert "astana-kg build: write" in done.stderr
    assert (project_copy / "build" / DUMP_NAME).is_file()


def test_a_quote_missing_from_its_source_stops_the_build_naming_file_and_claim(project_copy, capsys):
    append_claim(project_copy, "002", '  - quote: "Lavrov resigned in protest"\n'
                                      '    facts: |\n      id:lavrov-resignation a akg:Event ; rdfs:label "resignation"@en .\n')
    status, err = build_report(project_copy, capsys)
    assert status == 1
    assert "002.yaml:" in err and "'Lavrov resigned in protest'" in err and "not found verbatim" in err
    assert not (project_copy / "build").exists()


def test_a_role_without_a_holder_stops_the_build_naming_the_node_and_the_shape(project_copy):
    append_claim(project_copy, "002", '  - quote: "FAIRBANKS /United States/"\n'
                                      '    facts: |\n      id:role-orphan a akg:GuarantorRole ; akg:roleIn id:memorandum .\n')
    with pytest.raises(InvalidInput) as caught:
        build(project_copy / "build", project_copy)
    report = caught.value.report
    assert "https://w3id.org/astana-kg/id/role-orphan" in report
    assert "Every role has exactly one holder" in report
    assert "002.yaml:" in report


def test_an_unknown_wikidata_identifier_stops_the_build(project_copy, capsys):
    links = project_copy / "data" / "curation" / "wikidata-links.tsv"
    links.write_text(links.read_text() + "sergey-lavrov\tQ1234567\n")
    status, err = build_report(project_copy, capsys)
    assert status == 1
    assert "wikidata-links.tsv:" in err and "Q1234567" in err and "not in data/wikidata/verified-qids.tsv" in err


def test_an_unknown_ontology_term_is_reported_at_the_line_of_the_claim_file_that_writes_it(project_copy, capsys):
    claims, lines = append_claim(project_copy, "002", '  - quote: "FAIRBANKS /United States/"\n'       # line lines + 1
                                                     '    facts: |\n'                                 # lines + 2
                                                     '      id:sergey-lavrov a akg:Person ;\n'        # lines + 3
                                                     '        rdfs:label "Sergey Lavrov"@en ;\n'      # lines + 4
                                                     '        a akg:Diplomat .\n')                   # lines + 5
    status, err = build_report(project_copy, capsys)
    assert status == 1
    assert f"{claims}:{lines + 5}: akg:Diplomat is not a term of the ontology" in err
    assert f"{claims}:{lines + 1}:" not in err


def test_part_of_between_two_events_stops_the_build_at_the_line_that_writes_it(project_copy, capsys):
    """akg:partOf is for parties; a meeting is akg:subEventOf its round."""
    claims, lines = append_claim(project_copy, "002", '  - quote: "FAIRBANKS /United States/"\n'             # line lines + 1
                                                     '    facts: |\n'                                       # lines + 2
                                                     '      id:astana-round-4-plenary-meeting a akg:Meeting ;\n'  # lines + 3
                                                     '        rdfs:label "plenary meeting"@en ;\n'          # lines + 4
                                                     '        akg:partOf id:astana-round-4 .\n')            # lines + 5
    status, err = build_report(project_copy, capsys)
    assert status == 1
    assert "akg:partOf links a party to a party" in err
    assert "only an akg:Party is akg:partOf something" in err and "akg:partOf points to an akg:Party" in err
    assert f"(written at {claims}:{lines + 5})" in err
    assert not (project_copy / "build").exists()


def test_sub_event_of_from_a_party_stops_the_build_at_the_line_that_writes_it(project_copy):
    claims, lines = append_claim(project_copy, "002", '  - quote: "FAIRBANKS /United States/"\n'
                                                     '    facts: |\n'
                                                     '      id:kremlin a akg:GovernmentBody ; rdfs:label "Kremlin"@en ;\n'
                                                     '        akg:subEventOf id:astana-process .\n')
    with pytest.raises(InvalidInput) as caught:
        build(project_copy / "build", project_copy)
    assert "only an akg:Event is akg:subEventOf something" in caught.value.report
    assert f"(written at {claims}:{lines + 4})" in caught.value.report


MISSPELT_REFERENCE = "id:role-x a akg:SignatoryRole ; akg:roleOf id:sergey-lavrov ; akg:roleIn id:memorandun ."


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")  # a result let go on another thread
def test_what_the_violation_queries_find_is_reported_before_what_the_reasoner_finds(project_copy):
    # They run beside the reasoning; their report comes first, as when they ran before it.
    append_claim(project_copy, "002", '  - quote: "FAIRBANKS /United States/"\n'
                                      f'    facts: |\n      {MISSPELT_REFERENCE}\n      id:astana a akg:Agreement .\n')
    with pytest.raises(InvalidInput) as caught:
        build(project_copy / "build", project_copy)
    assert "dangling-reference-violation:" in caught.value.report and "memorandun" in caught.value.report
    assert "inconsistent under OWL 2 RL" not in caught.value.report
    (project_copy / "data/claims/002.yaml").write_text(
        (project_copy / "data/claims/002.yaml").read_text().replace(MISSPELT_REFERENCE, ""))
    with pytest.raises(InvalidInput, match="inconsistent under OWL 2 RL"):  # the contradiction alone
        build(project_copy / "build", project_copy)


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")  # a result let go on another thread
def test_what_the_shapes_find_is_reported_before_what_the_violation_queries_find(project_copy):
    append_claim(project_copy, "002", '  - quote: "FAIRBANKS /United States/"\n'
                                      f'    facts: |\n      {MISSPELT_REFERENCE}\n'
                                      '      id:kremlin a akg:GovernmentBody ; rdfs:label "Kremlin"@en ;\n'
                                      '        akg:subEventOf id:astana-process .\n')
    with pytest.raises(InvalidInput) as caught:
        build(project_copy / "build", project_copy)
    assert "only an akg:Event is akg:subEventOf something" in caught.value.report
    assert "dangling-reference-violation:" not in caught.value.report


def test_a_misspelt_reference_is_reported_by_the_violation_queries(project_copy):
    append_claim(project_copy, "002", '  - quote: "FAIRBANKS /United States/"\n'
                                      '    facts: |\n      id:role-x a akg:SignatoryRole ; akg:roleOf id:sergey-lavrov ; akg:roleIn id:memorandun .\n')
    with pytest.raises(InvalidInput) as caught:
        build(project_copy / "build", project_copy)
    assert "dangling-reference-violation:" in caught.value.report
    assert "memorandun" in caught.value.report


def test_a_build_the_violation_queries_fail_once_it_is_written_is_not_put_in_place(project_copy, monkeypatch):
    """The queries may answer while the build is written: the build waits for them before it puts
    itself in place. Here they answer only once writing has begun."""
    import threading

    from astana_kg.pipeline import build as build_module
    from astana_kg.pipeline import checks

    out = project_copy / "build"
    first = build(out, project_copy)
    before = (out / DUMP_NAME).read_bytes()
    recorded = (project_copy / ".build.cache" / build_module.DUMP_KEYS).read_bytes()
    writing = threading.Event()
    write_build, run_violation_queries = build_module.write_build, checks.run_violation_queries

    def started_writing(*args, **kwargs):
        writing.set()
        return write_build(*args, **kwargs)

    def after_writing_began(*args, **kwargs):
        assert writing.wait(timeout=120), "the build did not begin writing"
        return run_violation_queries(*args, **kwargs)

    monkeypatch.setattr(build_module, "write_build", started_writing)
    monkeypatch.setattr(checks, "run_violation_queries", after_writing_began)
    append_claim(project_copy, "002", '  - quote: "FAIRBANKS /United States/"\n'
                                      f'    facts: |\n      {MISSPELT_REFERENCE}\n')
    with pytest.raises(InvalidInput) as caught:
        build(out, project_copy)
    assert "dangling-reference-violation:" in caught.value.report and "memorandun" in caught.value.report
    assert writing.is_set()
    assert (out / DUMP_NAME).read_bytes() == before and out.resolve() == first.out
    assert not [p for p in project_copy.iterdir() if ".tmp-" in p.name or ".link-" in p.name]
    assert (project_copy / ".build.cache" / build_module.DUMP_KEYS).read_bytes() == recorded  # still the link's


def test_without_the_cache_the_violation_queries_have_answered_before_the_build_is_written(project_copy, monkeypatch):
    """Without the cache the build waits for them, and for their thread to end, before writing, not
    to hold what their thread held beside what writing holds (their store was in memory then, and
    at 1,000x its GBs went back only once the thread ended). The queries here answer once the
    labels are made, and once the build waits for a result or begins writing: whichever comes first."""
    import concurrent.futures
    import threading

    from astana_kg.pipeline import build as build_module
    from astana_kg.pipeline import checks

    labelled, proceed, answered = threading.Event(), threading.Event(), threading.Event()
    label_graphs, run_violation_queries = build_module.labels.label_graphs, checks.run_violation_queries
    write_build, result = build_module.write_build, concurrent.futures.Future.result
    written_after_answers = []

    def labels_made(*args, **kwargs):
        made = label_graphs(*args, **kwargs)
        labelled.set()
        return made

    def awaited(self, *args, **kwargs):
        if labelled.is_set():
            proceed.set()
        return result(self, *args, **kwargs)

    def started_writing(*args, **kwargs):
        # Their thread has ended too: the memory of their store went back only then, at 1,000x.
        alive = [t for t in threading.enumerate() if t.name.startswith("violation-queries")]
        written_after_answers.append((answered.is_set(), alive))
        proceed.set()
        return write_build(*args, **kwargs)

    def after_labels(*args, **kwargs):
        assert labelled.wait(timeout=120) and proceed.wait(timeout=120)
        try:
            return run_violation_queries(*args, **kwargs)
        finally:
            answered.set()

    monkeypatch.setattr(build_module.labels, "label_graphs", labels_made)
    monkeypatch.setattr(concurrent.futures.Future, "result", awaited)
    monkeypatch.setattr(build_module, "write_build", started_writing)
    monkeypatch.setattr(checks, "run_violation_queries", after_labels)
    build(project_copy / "build", project_copy, cache=False)
    assert written_after_answers == [(True, [])]


def test_without_the_cache_the_checks_and_the_union_are_stores_on_disk_and_the_dump_is_read_in_parts(project_copy,
                                                                                                    monkeypatch):
    """The violation queries' store holds every input graph and their merge, the union the
    reasoner saturates every source and what it entails: in memory, GBs at 5,000 articles. Each
    is made beside the build's link, where a later build removes it if this one dies."""
    from astana_kg.pipeline import checks, union

    answers, fixpoint, seen = checks._answers, union.run_to_fixpoint, {"checks": [], "union": []}

    def on_disk(kind):
        return {p.name: sorted(os.listdir(p)) for p in project_copy.iterdir() if f".{kind}-" in p.name}

    def answering(store, files):
        seen["checks"].append(on_disk("checks"))
        return answers(store, files)

    def saturating(store, rules):
        seen["union"].append(on_disk("union"))
        return fixpoint(store, rules)

    read_bytes, read_whole = Path.read_bytes, []

    def reading(path):
        read_whole.append(path.name)
        return read_bytes(path)

    monkeypatch.setattr(checks, "_answers", answering)
    monkeypatch.setattr(union, "run_to_fixpoint", saturating)
    monkeypatch.setattr(Path, "read_bytes", reading)
    build(project_copy / "build", project_copy, cache=False)
    assert DUMP_NAME not in read_whole  # nor the dump: read from its file a part at a time
    [queried] = seen["checks"]
    assert list(queried) == [f".build.checks-{os.getpid()}"] and "CURRENT" in queried[f".build.checks-{os.getpid()}"]
    [saturated] = [found for found in seen["union"] if found]  # the union's; each source's is small, in memory
    assert list(saturated) == [f".build.union-{os.getpid()}"] and "CURRENT" in saturated[f".build.union-{os.getpid()}"]
    assert not [p for p in project_copy.iterdir() if ".checks-" in p.name or ".union-" in p.name]


def test_a_build_gives_back_what_a_stage_let_go_and_keeps_no_index_of_the_graphs(project_copy, monkeypatch):
    """Freed memory goes back to the system between stages (:mod:`astana_kg.pipeline.memory`), in
    the violation queries' thread once their store is let go, and twice while writing: after the
    dump is made, after the store and the downloads. The graphs' indexes are let go before writing."""
    import threading

    from astana_kg.pipeline import build as build_module
    from astana_kg.pipeline import memory
    from astana_kg.pipeline.rdftext import WrittenOnce

    events = []

    class Heard:
        def started(self, name):
            events.append(name)

        def finished(self, name, seconds):
            pass

    release = memory.release

    def released():
        events.append("release" if threading.current_thread() is threading.main_thread() else "release in thread")
        return release()

    monkeypatch.setattr(memory, "release", released)
    result = build_module.build(project_copy / "build", project_copy, report=Heard(), cache=False)
    assert [e for e in events if e != "release in thread"] == [
        "load", "release", "validate", "release", "reason", "release", "document", "write", "release", "release"]
    assert events.count("release in thread") == 1
    stores = [graph.store for graph in result.graphs.values() if isinstance(graph.store, WrittenOnce)]
    assert len(stores) > 10 and not [store for store in stores if store.indexed]


def test_a_failed_build_keeps_the_previous_build(project_copy):
    out = project_copy / "build"
    first = build(out, project_copy)
    before = (out / DUMP_NAME).read_bytes()
    append_claim(project_copy, "002", '  - quote: "no such words anywhere"\n    facts: |\n      id:x a akg:Event .\n')
    with pytest.raises(InvalidInput):
        build(out, project_copy)
    assert (out / DUMP_NAME).read_bytes() == before
    assert first.out == out.resolve()
    assert not [p for p in project_copy.iterdir() if ".tmp-" in p.name or ".link-" in p.name]


def test_missing_input_files_are_invalid_input_each_named(project_copy, capsys):
    qids = project_copy / "data" / "wikidata" / "verified-qids.tsv"
    identifiers = project_copy / "data" / "curation" / "identifiers.tsv"
    qids.unlink()
    identifiers.unlink()
    status, err = build_report(project_copy, capsys)
    assert status == 1
    assert err.startswith("astana-kg build: invalid input, nothing was written\nmissing input files:\n")
    assert f"  {qids}: no such file\n" in err and f"  {identifiers}: no such file\n" in err
    assert "FileNotFoundError" not in err
    assert not (project_copy / "build").exists()


def test_a_deleted_claim_file_is_named_and_not_the_files_that_refer_to_its_entities(project_copy, capsys):
    claims = project_copy / "data" / "claims" / "003.yaml"
    claims.unlink()
    status, err = build_report(project_copy, capsys)
    assert status == 1
    assert f"  {claims}: no such file; it holds the claims of 003_6a7ef684703209c4.txt" in err
    assert "wikidata-links.tsv" not in err


def test_the_query_command_prints_a_table_and_standard_result_formats(built, capsys):
    query = "SELECT ?label WHERE { <https://w3id.org/astana-kg/id/russia> <http://www.w3.org/2000/01/rdf-schema#label> ?label }"
    assert cli.main(["query", query, "--store", str(built.out)]) == 0
    assert '"Russia"@en' in capsys.readouterr().out
    assert cli.main(["query", query, "--store", str(built.out), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["results"]["bindings"][0]["label"]["value"] == "Russia"
    assert cli.main(["query", query, "--store", str(built.out), "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["label", "Russia"]


def test_the_query_command_reports_a_syntax_error_with_its_position(built, capsys):
    assert cli.main(["query", "SELECT ?x WHERE { ?x ?y }", "--store", str(built.out)]) == 1
    assert "not valid SPARQL: error at 1:" in capsys.readouterr().err
