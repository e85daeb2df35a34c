"""A short Markdown summary for a CI job page (`$GITHUB_STEP_SUMMARY`), under 64 KB.

The score, one row per task, then the first failing check of each failing task
with its message. Every text from a run is escaped (`views.markdown_text`):
a student's exception message is shown, never rendered as markup.
"""
from __future__ import annotations

from typing import Any

from grader.report.views import first_failure, first_line, markdown_cell, markdown_text

FORMAT_VERSION = 1
DESCRIPTION = 'a Markdown summary for a CI job page ($GITHUB_STEP_SUMMARY)'
LIMIT_BYTES = 64 * 1024  # GitHub's limit for one step's summary is 1 MiB; we stay far below
MESSAGE_CHARS = 2000
STATUS = {"passed": "\u2705 passed", "failed": "\u274c failed", "error": "\u274c error",
          "timeout": "\u23f1\ufe0f timeout", "missing": "\u2754 missing",
          "grader-error": "\u26a0\ufe0f grader error"}


def render(report: dict[str, Any]) -> str:
    head = _head(report)
    details = [_details(task) for task in report["tasks"] if first_failure(task)]
    foot = [f"<sub>seed {report['seed']} \u00b7 grader {report.get('grader_version', '?')} "
            f"\u00b7 summary format {FORMAT_VERSION}</sub>", ""]
    text = "\n".join(head + details + foot)
    if len(text.encode()) <= LIMIT_BYTES:
        return text
    cut = ["", "_The messages are too long for this page: the full report is in the "
               "JSON and HTML reports._", ""]
    return "\n".join(head + cut + foot)


def _head(report: dict[str, Any]) -> list[str]:
    title = report.get("title") or report["assignment"]
    lines = [f"## {markdown_text(title)}: {report['score']:g} / {report['max_score']:g}", "",
             "| task | points | status | first failing check |", "|---|---:|---|---|"]
    for task in report["tasks"]:
        first = first_failure(task)
        where = task.get("source") or task.get("file") or ""
        label = f"{task['id']} {task['title']}" + (f" ({where})" if where else "")
        failing = markdown_cell(first_line(first["name"], 120)) if first else ""
        lines.append(f"| {markdown_cell(label)} | {task['score']:g} / {task['max_score']:g} | "
                     f"{STATUS.get(task['outcome'], task['outcome'])} | {failing} |")
    return lines + [""]


def _details(task: dict[str, Any]) -> str:
    first = first_failure(task)
    message = first["message"] or "(no message)"
    if len(message) > MESSAGE_CHARS:
        message = message[:MESSAGE_CHARS] + "\u2026"
    return (f"### Task {markdown_text(task['id'])}: {markdown_text(first['name'])}\n\n"
            f"{markdown_text(message)}\n")
