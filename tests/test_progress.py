"""What `astana-kg build` says while it runs: a progress bar per stage on a terminal, one line per
stage otherwise, and the time of every stage again in the final summary."""

from __future__ import annotations

import io
import re

from rich.console import Console

from astana_kg import cli
from astana_kg.pipeline.progress import LineReport, Stages, TerminalReport, report_for

STAGES = ["load", "validate", "reason", "document", "write"]


def test_a_build_without_a_terminal_prints_one_line_per_stage_with_its_time_and_the_summary_keeps_them(tmp_path, capsys):
    assert cli.main(["build", "--out", str(tmp_path / "build")]) == 0
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    matches = [re.fullmatch(r"astana-kg build: (\w+) (\d+\.\d\d) s", line) for line in lines]
    assert all(matches), lines
    assert [m[1] for m in matches] == STAGES
    summary = captured.out.split("time per stage:\n", 1)[1].splitlines()
    assert [line.split()[-1] for line in summary] == STAGES
    assert [line.split()[0] for line in summary] == [m[2] for m in matches]
    assert "\x1b" not in captured.err and "\r" not in captured.err  # no terminal control in a log


def test_an_invalid_input_reports_the_stages_that_finished_and_no_line_for_the_one_that_failed(project_copy, capsys):
    claims = project_copy / "data/claims/002.yaml"
    claims.write_text(claims.read_text().replace("akg:Statement", "akg:Statment", 1))
    assert cli.main(["build", "--root", str(project_copy), "--out", str(project_copy / "build")]) == 1
    err = capsys.readouterr().err
    assert re.match(r"astana-kg build: load \d+\.\d\d s\nastana-kg build: invalid input", err), err
    assert "validate" not in err.split("invalid input", 1)[0]


def test_on_a_terminal_every_stage_gets_a_bar_that_ends_complete():
    screen = io.StringIO()
    report = TerminalReport(Console(file=screen, force_terminal=True, width=80, color_system=None))
    with report:
        stages = Stages(report)
        for name in STAGES:
            stages.begin(name)
        stages.end()
    assert all(name in screen.getvalue() for name in STAGES) and "\x1b[" in screen.getvalue()  # drawn live
    last = Console(file=io.StringIO(), width=80, color_system=None)  # the last frame, drawn again
    last.print(report.progress.make_tasks_table(report.progress.tasks))
    rows = last.file.getvalue().splitlines()
    assert [row.split()[1] for row in rows] == STAGES
    assert all(row.split()[0] == "✓" and "━" in row and row.endswith(" s") for row in rows)
    assert list(stages.timings) == STAGES


def test_a_terminal_gets_bars_and_anything_else_lines():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    assert isinstance(report_for(Terminal()), TerminalReport)
    assert isinstance(report_for(io.StringIO()), LineReport)


def test_a_stage_begun_twice_adds_up_and_reports_each_part():
    stream = io.StringIO()
    stages = Stages(LineReport(stream))
    stages.begin("write")
    stages.begin("document")
    stages.begin("write")
    stages.end()
    stages.end()  # nothing is running: nothing more is reported
    assert list(stages.timings) == ["write", "document"]
    assert [line.split()[2] for line in stream.getvalue().splitlines()] == ["write", "document", "write"]
