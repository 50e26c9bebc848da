"""How the build reports its stages: a live progress bar per stage on a terminal, one line per
finished stage otherwise (a log file, a pipe, CI), and the time of each stage for the summary.

The terminal display is rich's: its bars refresh from a thread of their own, so a stage that is one
long call (reasoning) still shows its elapsed time going up, and a stage whose length is unknown
shows a pulsing bar until it ends.

>>> import io
>>> stream = io.StringIO()
>>> stages = Stages(LineReport(stream))
>>> stages.begin("load"); stages.begin("validate"); stages.end()
>>> list(stages.timings)
['load', 'validate']
>>> print(stream.getvalue().replace("0.00", "T"), end="")
astana-kg build: load T s
astana-kg build: validate T s
"""

from __future__ import annotations

import time
from typing import IO, Protocol

from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, SpinnerColumn, Task, TextColumn
from rich.text import Text


class Report(Protocol):
    """What a build says of its stages as they run."""

    def started(self, name: str) -> None: ...

    def finished(self, name: str, seconds: float) -> None: ...


class Stages:
    """The stages of one build, timed in the order they run: ``begin(name)`` ends the running
    stage and starts ``name``; ``end()`` ends the last one. A stage begun twice adds up."""

    def __init__(self, report: Report | None = None):
        self.timings: dict[str, float] = {}
        self.report = report
        self._running: tuple[str, float] | None = None

    def begin(self, name: str) -> None:
        self.end()
        self._running = (name, time.perf_counter())
        if self.report is not None:
            self.report.started(name)

    def end(self) -> None:
        if self._running is None:
            return
        name, started = self._running
        self._running = None
        seconds = time.perf_counter() - started
        self.timings[name] = self.timings.get(name, 0.0) + seconds
        if self.report is not None:
            self.report.finished(name, seconds)


class LineReport:
    """One line per finished stage, with its time (for logs: no control characters)."""

    def __init__(self, stream: IO[str]):
        self.stream = stream

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def started(self, name: str) -> None:
        return None

    def finished(self, name: str, seconds: float) -> None:
        print(f"astana-kg build: {name} {seconds:.2f} s", file=self.stream, flush=True)


class _Seconds(ProgressColumn):
    """The time a stage has taken so far, or took."""

    def render(self, task: Task) -> Text:
        seconds = task.finished_time if task.finished else task.elapsed
        return Text(f"{seconds or 0.0:7.2f} s", style="progress.elapsed")


class TerminalReport:
    """A live progress bar per stage (use it as a context manager around the build)."""

    def __init__(self, console: Console):
        self.progress = Progress(SpinnerColumn(finished_text="[green]✓"), TextColumn("{task.description:10s}"),
                                 BarColumn(), _Seconds(), console=console, transient=False)
        self.tasks: dict[str, int] = {}

    def __enter__(self):
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    def started(self, name: str) -> None:
        self.tasks[name] = self.progress.add_task(name, total=None)  # a pulsing bar: the length is unknown

    def finished(self, name: str, seconds: float) -> None:
        self.progress.update(self.tasks[name], total=1, completed=1)


def report_for(stream: IO[str]) -> LineReport | TerminalReport:
    """Bars when ``stream`` is a terminal, lines otherwise."""
    console = Console(file=stream)
    if console.is_terminal and not console.is_dumb_terminal:
        return TerminalReport(console)
    return LineReport(stream)
