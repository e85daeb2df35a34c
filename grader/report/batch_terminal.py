"""What `grade batch` prints: who is being graded while it runs, then the class summary.

Students' names are their files' names: printed as plain text (`views.terminal_text`),
never as rich markup nor as escape sequences."""
from __future__ import annotations

import threading

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.progress import TimeRemainingColumn
from rich.table import Table

from grader.report.views import terminal_text


class Board:
    """Who is being graded: a live bar naming them on a terminal; elsewhere (a log, CI),
    one line per finished student. Threads report through `started` and `finished`."""

    def __init__(self, console: Console, total: int):
        self._console = console
        self._total = total
        self._done = 0
        self._grading: list[str] = []
        self._lock = threading.Lock()
        self._progress: Progress | None = None
        self._bar = None

    def __enter__(self) -> Board:
        if self._console.is_terminal:
            self._progress = Progress(
                TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
                console=self._console, transient=False)
            self._progress.__enter__()
            self._bar = self._progress.add_task("starting", total=self._total)
        return self

    def __exit__(self, *exc_info) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc_info)

    def started(self, student: str) -> None:
        with self._lock:
            self._grading.append(terminal_text(student))
            self._show()

    def finished(self, student: str, outcome: str) -> None:
        """`outcome`: a few words on what became of the submission (its score, ...)."""
        with self._lock:
            shown = terminal_text(student)
            if shown in self._grading:
                self._grading.remove(shown)
            self._done += 1
            if self._progress is None:
                self._console.print(terminal_text(f"[{self._done}/{self._total}] {student}: "
                                                  f"{outcome}"),
                                    highlight=False, markup=False)
            else:
                self._progress.advance(self._bar)
                self._show()

    def _show(self) -> None:
        if self._progress is not None:
            names = ", ".join(self._grading)
            self._progress.update(self._bar, description=f"grading {names}" if names else "")


def print_summary(console: Console, summary: dict) -> None:
    """The class summary: counts, mean score, pass rate per task, and every submission
    that could not be graded or made the grader fail, by name."""
    counts = (f"{summary['submissions']} submissions: {summary['graded_now']} graded now, "
              f"{summary['skipped_up_to_date']} up to date (skipped)")
    if summary["ungradable"]:
        counts += f", {len(summary['ungradable'])} ungradable"
    console.print(counts, highlight=False)
    if summary["mean_score"] is None:
        console.print("no submission was graded" if summary["interrupted"] else
                      "no submission could be graded", style="red")
    else:
        console.print(f"mean score {summary['mean_score']:g} / {summary['max_score']:g} "
                      f"over {summary['graded']} graded submissions", highlight=False)
        console.print("pass rate per task:")
        table = Table()
        table.add_column("task")
        table.add_column("passed", justify="right")
        for task_id, rate in summary["task_pass_rate"].items():
            table.add_row(task_id, "-" if rate is None else f"{rate:.0%}")
        console.print(table)
    _print_named(console, summary["ungradable"], "ungradable (no score)", "yellow")
    _print_named(console, summary["grader_failures"], "grader failures", "red")
    if summary["ignored"]:
        console.print(terminal_text("not submissions, ignored: "
                                    + ", ".join(sorted(summary["ignored"]))),
                      highlight=False, markup=False)
    if summary["interrupted"]:
        console.print(f"interrupted: {len(summary['not_graded'])} submissions not graded; "
                      f"run the same command again to grade them", style="red", highlight=False)
    console.print(terminal_text(f"reports in {summary['reports']}"), highlight=False,
                  markup=False)


def _print_named(console: Console, named: dict[str, str], label: str, style: str) -> None:
    if not named:
        return
    console.print(f"{len(named)} {label}:", style=style, highlight=False)
    for student, reason in sorted(named.items()):
        console.print(terminal_text(f"  {student}: {reason}"), highlight=False, markup=False)
