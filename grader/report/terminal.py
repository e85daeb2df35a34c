"""The compact terminal table: task, points, status, first failing check (never cut).

Every text from a submission (messages, file names, notes, role names) is printed as
plain text through `views.terminal_text`: never read as rich markup, and no escape
sequence of a student's reaches the instructor's terminal."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader.models import Report
from grader.report.public import Paths, public_source
from grader.report.views import terminal_text

STATUS_STYLE = {"passed": "green", "failed": "red", "error": "red", "timeout": "red",
                "missing": "yellow", "grader-error": "magenta"}


def render(report: Report, console: Console) -> None:
    paths = Paths(report.submission)
    table = Table(title=_plain(f"{report.title or report.assignment}: {report.submission}"),
                  title_justify="left", expand=False)
    table.add_column("task", overflow="fold")
    table.add_column("points", justify="right", no_wrap=True)
    table.add_column("status")
    table.add_column("style")
    table.add_column("first failing check", overflow="fold", ratio=1)
    for result in report.tasks:
        first = result.first_failure
        detail = Text()
        if first is not None:
            detail.append(terminal_text(first.name), style="bold")
            if first.message:
                detail.append(": " + terminal_text(paths(first.message)))
        table.add_row(_plain(f"{result.task.id} {result.source or result.task.file}"),
                      f"{result.score:g}/{result.task.points:g}",
                      Text(result.outcome, style=STATUS_STYLE.get(result.outcome, "")),
                      Text("ok", style="green") if result.style_ok else Text("no", style="red"),
                      detail)
    console.print(table)
    _print_source(report, paths, console)
    console.print(score_line(report), highlight=False)
    sandbox = report.sandbox
    line = f"sandbox {sandbox['mode']}: {', '.join(sandbox['active'])}"
    if sandbox.get("missing"):
        line += f"; NOT active: {', '.join(sandbox['missing'])}"
    console.print(line, highlight=False)


def score_line(report: Report) -> str:
    """The one line `--quiet` still prints: the score, and how to reproduce it."""
    return (f"score {report.score:g}/{report.max_score:g}   seed {report.seed}   "
            f"engine {report.engine}   {report.seconds:.1f} s   grader {report.grader_version}")


def _print_source(report: Report, paths: Paths, console: Console) -> None:
    """What was graded and what was handed in but not used: never silently dropped."""
    source = public_source(report.source, paths)
    if not source:
        return
    where = f" in {source['location']}/" if source.get("location") else ""
    used = source.get("files") or ([source["module"]] if source.get("module") else [])
    console.print(_plain(f"graded {source['format']}{where}"
                         + (f": {', '.join(used)}" if used else "")))
    if source.get("broken"):
        console.print(_plain(f"could not be read: {source['broken']}", "red"))
    for note in source.get("notes", []):
        console.print(_plain(f"  {note}"))
    for item in source.get("skipped", []):
        console.print(_plain(f"  not used: {item['name']}: {item['reason']}", "yellow"))
    for result in report.tasks:
        for role, filled in result.roles.items():
            console.print(_plain(f"  task {result.task.id}: {role} is {filled['name']} "
                                 f"({filled['why']})"))


def _plain(text: str, style: str = "") -> Text:
    """`text` printed as written (`views.terminal_text`), never as markup."""
    return Text(terminal_text(text), style=style)
