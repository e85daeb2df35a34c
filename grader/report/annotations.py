"""GitHub Actions workflow commands that annotate the files of failing tasks.

Printed in a job's log, `::error file=F,line=N,title=T::message` puts the
message on file F in the pull request and on the job page: an error for a task
whose correctness checks failed, a warning for one whose requirement checks
(style) failed. The file is the task's source as the report names it (the path
inside the graded folder: the repository when `grade .` runs at its root).
"""
from __future__ import annotations

import re
from typing import Any

from grader.report.views import first_failure, terminal_text

FORMAT_VERSION = 1
DESCRIPTION = 'GitHub Actions annotations of the failing files'
_LINE = re.compile(r"\bline (\d+)\b")
_CELL = re.compile(r" \(cell [^)]*\)$")


def render(report: dict[str, Any]) -> str:
    lines = []
    for task in report["tasks"]:
        first = first_failure(task)
        if first is None:
            continue
        level = "error" if first["kind"] == "correctness" else "warning"
        properties = {"file": _CELL.sub("", task.get("source") or task.get("file") or "")}
        found = _LINE.search(first["message"])
        if found and properties["file"].endswith(".py") and not _CELL.search(
                task.get("source") or ""):
            properties["line"] = found.group(1)
        properties["title"] = f"task {task['id']}: {first['name']}"
        shown = ",".join(f"{key}={_property(value)}" for key, value in properties.items()
                         if value)
        lines.append(f"::{level} {shown}::{_data(first['message'] or first['name'])}")
    return "".join(line + "\n" for line in lines)


def _data(text: str) -> str:
    """A workflow command's message: %, CR and LF escaped (GitHub's rules), and no
    escape sequence for the job's log, which shows the line (`views.terminal_text`)."""
    return terminal_text(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    """A workflow command's property value: also : and , escaped."""
    return _data(text).replace(":", "%3A").replace(",", "%2C")
