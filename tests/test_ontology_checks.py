"""What the ontology and the shapes refuse: each contradiction or ill-typed value in a broken copy
of the input stops the build (exit status 1), and the report names what and where."""

from astana_kg import cli


def append_claim(project, source_id: str, claim: str) -> None:
    path = project / "data" / "claims" / f"{source_id}.yaml"
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + "\n" + claim, encoding="utf-8")


def build_report(project, capsys) -> tuple[int, str]:
    status = cli.main(["build", "--root", str(project), "--out", str(project / "build")])
    return status, capsys.readouterr().err


def test_an_ill_typed_date_stops_the_build_though_no_range_declares_xsd_date(project_copy, capsys):
    append_claim(project_copy, "002", '  - quote: "FAIRBANKS /United States/"\n'
                                      '    facts: |\n      id:talks-fairbanks a akg:Meeting ; rdfs:label "talks"@en ;\n'
                                      '        akg:startDate "2017-05-10T10:00:00"^^xsd:dateTime .\n')
    status, err = build_report(project_copy, capsys)
    assert status == 1
    assert "talks-fairbanks" in err and "akg:startDate takes an xsd:date" in err and "002.yaml:" in err


def test_a_duration_that_is_not_an_xsd_duration_stops_the_build(project_copy, capsys):
    append_claim(project_copy, "002", '  - quote: "FAIRBANKS /United States/"\n'
                                      '    facts: |\n      id:fairbanks-deal a akg:Agreement ; rdfs:label "deal"@en ;\n'
                                      '        akg:term "six months" .\n')
    status, err = build_report(project_copy, capsys)
    assert status == 1
    assert "fairbanks-deal" in err and "akg:term takes an xsd:duration" in err and "002.yaml:" in err
