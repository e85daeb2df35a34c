"""The student's report: one self-contained HTML page (jinja2, inline CSS, no JavaScript).

It leads with what to fix first (the first failing check of each failing task,
correctness before requirements, each linked to its task), folds what passed,
says how every task's points were counted, and shows neither the grading
machine's paths nor, for students, what hidden checks were run on
(grader/report/public.py).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, select_autoescape

from grader.models import CORRECTNESS, CheckResult, Report, TaskResult
from grader.report.public import Paths, public_source, shown_message, shown_submission
from grader.report.views import valid_unicode


def page_environment() -> Environment:
    """The jinja environment of every HTML page (this report, the class dashboard): every
    text is escaped (autoescape) and valid Unicode, a link to a file is `file_href`."""
    environment = Environment(loader=PackageLoader("grader.report", "templates"),
                              autoescape=select_autoescape(["html", "j2"]),
                              trim_blocks=True, lstrip_blocks=True, finalize=_valid_text)
    environment.filters["file_href"] = file_href
    return environment


def file_href(file_name: str) -> str:
    """A relative link to the file `file_name` in the page's folder: every byte of the name
    percent-encoded but letters, digits and `_.-~` (so no `javascript:`, `?` or `#`), the
    bytes of a name that is not UTF-8 included."""
    return quote(os.fsencode(file_name), safe="")


def _valid_text(value):
    """What a `{{ ... }}` shows: strings (markup of ours included) as valid Unicode."""
    return value.__class__(valid_unicode(value)) if isinstance(value, str) else value


_ENV = page_environment()


@dataclass(frozen=True)
class CheckView:
    name: str
    kind: str
    passed: bool
    hidden: bool
    message: str


@dataclass(frozen=True)
class TaskView:
    """One task as the page shows it: failures first, what passed folded."""

    anchor: str
    result: TaskResult
    label: str  # where its code came from
    failed: tuple[CheckView, ...]
    passed: tuple[CheckView, ...]
    first: CheckView | None  # what to fix first in this task
    output: str
    notes: tuple[str, ...]

    @property
    def needs_work(self) -> bool:
        return bool(self.failed)


def render(report: Report, audience: str = "student") -> str:
    paths = Paths(report.submission)
    tasks = [_task_view(result, paths, audience) for result in report.tasks]
    fix_first = [] if report.source.get("broken") else sorted(  # then that is the one fix
        (t for t in tasks if t.first is not None), key=lambda t: t.first.kind != CORRECTNESS)
    return _ENV.get_template("report.html.j2").render(
        report=report, title=report.title or report.assignment,
        submission=shown_submission(report.submission), tasks=tasks, fix_first=fix_first,
        source=public_source(report.source, paths), audience=audience,
        hidden_checks=any(c.hidden for t in report.tasks for c in t.checks))


def _task_view(result: TaskResult, paths: Paths, audience: str) -> TaskView:
    def view(check: CheckResult) -> CheckView:
        return CheckView(check.name, check.kind, check.passed, check.hidden,
                         shown_message(check, audience, paths))
    first = result.first_failure
    return TaskView(anchor=_anchor(result.task.id), result=result,
                    label=result.source or result.task.file or "",
                    failed=tuple(view(c) for c in result.checks if not c.passed),
                    passed=tuple(view(c) for c in result.checks if c.passed),
                    first=view(first) if first is not None else None,
                    output=paths(result.output),
                    notes=tuple(paths(note) for note in result.notes))


def _anchor(task_id: str) -> str:
    return "task-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", task_id).strip("-") or "x")
