"""The class dashboard (OUT/index.html): where the class struggles, on one offline page.

Score distribution and pass rate per task (matplotlib SVG, inline), the most
frequent named mistakes per task with the students who made them, timeouts
and grader errors, who has no grade and why, and a student table that sorts
on a click (the page's only JavaScript) and links to every report. One file,
no network: styles, charts and script are inline. Read by instructors, so it
shows every message; it reads the summary and the JSON reports, nothing else.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from statistics import median
from typing import Any

from grader.report import charts
from grader.report.html import page_environment
from grader.report.named_mistakes import named_mistakes
from grader.report.views import first_failure, first_line

TOP_MISTAKES = 8
INCIDENTS = ("timeout", "grader-error")
_ENV = page_environment()


@dataclass(frozen=True)
class Mistake:
    """A named mistake of one task and the students whose code made it."""

    name: str
    students: tuple[str, ...]


@dataclass(frozen=True)
class Incident:
    """A task that timed out or that the grader could not grade, for one student."""

    student: str
    task: str
    outcome: str
    message: str
    report_file: str


def render(summary: dict[str, Any], lines: list) -> str:
    """The page, from the batch's summary and its `class_reports.StudentLine`s."""
    task_ids = list(summary["task_pass_rate"])
    graded = [line for line in lines if line.score is not None]
    scores = [line.score for line in graded]
    no_score = [line for line in lines if line.score is None]
    return _ENV.get_template("dashboard.html.j2").render(
        summary=summary, title=summary.get("title") or summary["assignment"],
        lines=lines, task_ids=task_ids, graded=graded, no_score=no_score,
        mean=sum(scores) / len(scores) if scores else None,
        median=median(scores) if scores else None,
        histogram=charts.score_histogram(scores, summary["max_score"], len(no_score)),
        pass_chart=charts.pass_rates(summary["task_pass_rate"]),
        mistakes=mistakes_per_task(graded, task_ids), incidents=incidents(graded),
        task_cells={line.student: _task_cells(line, task_ids) for line in lines},
        roster=summary.get("roster"))


def mistakes_per_task(lines: list, task_ids: list[str]) -> dict[str, list[Mistake]]:
    """The most frequent named mistakes of each task, each with who made it (a student
    counts once per mistake, however many checks named it)."""
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for line in lines:
        for task in line.report["tasks"]:
            for check in task["checks"]:
                if not check["passed"]:
                    for name in named_mistakes(check["message"]):
                        found[task["id"]][name].add(line.student)
    ranked = {}
    for task_id in task_ids:
        counts = Counter({name: len(who) for name, who in found[task_id].items()})
        ranked[task_id] = [Mistake(name, tuple(sorted(found[task_id][name])))
                           for name, _ in counts.most_common(TOP_MISTAKES)]
    return ranked


def incidents(lines: list) -> list[Incident]:
    """Every task that timed out or hit a grader error, by student."""
    found = []
    for line in lines:
        for task in line.report["tasks"]:
            if task["outcome"] in INCIDENTS:
                first = first_failure(task)
                found.append(Incident(line.student, task["id"], task["outcome"],
                                      first_line(first["message"]) if first else "",
                                      line.report_file))
    return found


def _task_cells(line, task_ids: list[str]) -> list[tuple[str, str]]:
    """(shown points, outcome) per task of one student's row."""
    if line.report is None or line.score is None:
        return [("", "")] * len(task_ids)
    tasks = {t["id"]: t for t in line.report["tasks"]}
    return [(f"{tasks[t]['score']:g}", tasks[t]["outcome"]) if t in tasks else ("", "")
            for t in task_ids]
