"""The compact terminal table: task, points, status, first failing requirement."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader.models import Report

STATUS_STYLE = {"passed": "green", "failed": "red", "error": "red", "timeout": "red",
                "missing": "yellow", "grader-error": "magenta"}


def render(report: Report, console: Console) -> None:
    table = Table(title=f"{report.assignment}: {report.submission}", title_justify="left",
                  expand=False)
    table.add_column("task")
    table.add_column("points", justify="right")
    table.add_column("status")
    table.add_column("style")
    table.add_column("first failing check", overflow="fold")
    for result in report.tasks:
        first = result.first_failure
        detail = Text()
        if first is not None:
            detail.append(first.name, style="bold")
            if first.message:
                detail.append(": " + _shorten(first.message, 220))
        table.add_row(f"{result.task.id} {result.source or result.task.file}",
                      f"{result.score:g}/{result.task.points:g}",
                      Text(result.outcome, style=STATUS_STYLE.get(result.outcome, "")),
                      Text("ok", style="green") if result.style_ok else Text("no", style="red"),
                      detail)
    console.print(table)
    _print_source(report, console)
    sandbox = report.sandbox
    console.print(
        f"score {report.score:g}/{report.max_score:g}   seed {report.seed}   "
        f"engine {report.engine}   {report.seconds:.1f} s   grader {report.grader_version}")
    line = f"sandbox {sandbox['mode']}: {', '.join(sandbox['active'])}"
    if sandbox.get("missing"):
        line += f"; NOT active: {', '.join(sandbox['missing'])}"
    console.print(line, highlight=False)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def _print_source(report: Report, console: Console) -> None:
    """What was graded and what was handed in but not used: never silently dropped."""
    source = report.source
    if not source:
        return
    where = f" in {source['location']}/" if source.get("location") else ""
    console.print(f"graded {source['format']}{where}", highlight=False)
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
