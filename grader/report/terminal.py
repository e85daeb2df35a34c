"""The compact terminal table: task, points, status, first failing check (never cut)."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader.models import Report
from grader.report.public import Paths, public_source

STATUS_STYLE = {"passed": "green", "failed": "red", "error": "red", "timeout": "red",
                "missing": "yellow", "grader-error": "magenta"}


def render(report: Report, console: Console) -> None:
    paths = Paths(report.submission)
    table = Table(title=f"{report.title or report.assignment}: {report.submission}",
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
            detail.append(first.name, style="bold")
            if first.message:
                detail.append(": " + paths(first.message))
        table.add_row(f"{result.task.id} {result.source or result.task.file}",
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
    console.print(f"graded {source['format']}{where}" + (f": {', '.join(used)}" if used else ""),
                  highlight=False)
    if source.get("broken"):
        console.print(Text(f"could not be read: {source['broken']}", style="red"))
    for note in source.get("notes", []):
        console.print(f"  {note}", highlight=False)
    for item in source.get("skipped", []):
        console.print(Text(f"  not used: {item['name']}: {item['reason']}", style="yellow"))
    for result in report.tasks:
        for role, filled in result.roles.items():
            console.print(f"  task {result.task.id}: {role} is {filled['name']} "
                          f"({filled['why']})", highlight=False)
