"""A batch's class files: OUT/grades.csv (the gradebook) and OUT/index.html (the dashboard).

Both are written after OUT/summary.json, from it and the students' JSON reports
(the source of truth), so they always agree with them. One line per student,
with one of three statuses:
- `graded`: the submission has a score;
- `grader-error`: the grader failed on it (no report, or a task it could not
  grade: the score then counts only what was graded);
- `missing`: nothing to grade (on the roster without a submission, or a
  submission with nothing gradable in it: the dashboard says which).
An interrupted batch writes neither file (and removes earlier ones): a
gradebook must never mix this run's grades with stale ones.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.output import write_text
from grader.report.views import terminal_text
from grader.roster import ClassRoster

GRADEBOOK, DASHBOARD = "grades.csv", "index.html"
STATUSES = ("graded", "grader-error", "missing")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet would run as a formula


@dataclass(frozen=True)
class StudentLine:
    """One student of the class, as the gradebook and the dashboard show them."""

    student: str
    status: str
    report: dict[str, Any] | None = None  # their JSON report, when there is one
    why: str = ""  # why missing, or what failed in the grader
    roster: dict[str, str] = field(default_factory=dict)  # the roster's other columns

    @property
    def score(self) -> float | None:
        return self.report["score"] if self.report is not None and self.status != "missing" \
            else None

    @property
    def report_file(self) -> str:
        return f"{self.student}.html" if self.report is not None else ""


def write_class_reports(out: Path, summary: dict[str, Any],
                        roster: ClassRoster | None = None) -> None:
    """Write OUT/grades.csv and OUT/index.html (see the module docstring)."""
    if summary.get("interrupted"):
        for name in (GRADEBOOK, DASHBOARD):
            (out / name).unlink(missing_ok=True)
        return
    from grader.report import dashboard  # matplotlib loads only when a dashboard is drawn
    lines = student_lines(out, summary, roster)
    task_ids = list(summary["task_pass_rate"])
    write_text(str(out / GRADEBOOK), gradebook_csv(lines, task_ids, summary["max_score"],
                                                   roster))
    write_text(str(out / DASHBOARD), dashboard.render(summary, lines))


def student_lines(out: Path, summary: dict[str, Any],
                  roster: ClassRoster | None) -> list[StudentLine]:
    """Every student: the roster's, in its order, then the others by name."""
    ungradable = summary.get("ungradable", {})
    failures = summary.get("grader_failures", {})
    handed_in = set(summary.get("students", {})) | set(ungradable) | set(failures)
    names = list(roster.students) if roster else []
    names += sorted(handed_in - set(names))
    lines = []
    for student in names:
        columns = roster.students.get(student, {}) if roster else {}
        if student not in handed_in:
            why = roster.reasons.get(student, "no submission") if roster else "no submission"
            lines.append(StudentLine(student, "missing", why=why, roster=columns))
        elif student in ungradable:
            lines.append(StudentLine(student, "missing", _read_report(out / f"{student}.json"),
                                     why=ungradable[student], roster=columns))
        else:
            report = _read_report(out / f"{student}.json")
            status = "grader-error" if student in failures or report is None else "graded"
            lines.append(StudentLine(student, status, report, failures.get(student, ""),
                                     columns))
    return lines


def _read_report(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def gradebook_csv(lines: list[StudentLine], task_ids: list[str], max_score: float,
                  roster: ClassRoster | None) -> str:
    """grades.csv: student, the roster's columns, score, max_score, percent, one
    `task <id>` column per task (its points), status, report."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    roster_columns = list(roster.columns) if roster else []
    writer.writerow(["student", *(_cell(c) for c in roster_columns), "score", "max_score",
                     "percent", *(f"task {t}" for t in task_ids), "status", "report"])
    for line in lines:
        score = line.score
        tasks = {t["id"]: t["score"] for t in line.report["tasks"]} if line.report else {}
        writer.writerow([
            _cell(line.student), *(_cell(line.roster.get(c, "")) for c in roster_columns),
            _number(score), _number(max_score),
            _number(round(100 * score / max_score, 1) if score is not None and max_score
                    else None),
            *(_number(tasks.get(t)) for t in task_ids), line.status, _cell(line.report_file)])
    return buffer.getvalue()


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _cell(text: str) -> str:
    """A text cell (a file name, a roster's cell) that no spreadsheet runs as a formula
    and no terminal obeys (`views.terminal_text`: `cat grades.csv` stays harmless)."""
    text = terminal_text(text)
    return "'" + text if text.startswith(_FORMULA_START) else text


def roster_note(matching: dict[str, Any]) -> str:
    """One line on the roster's matching: who is missing, whose submission is not on it."""
    missing, unmatched = matching["missing"], matching["unmatched"]
    parts = [f"roster {matching['file']}: {len(missing)} missing"
             + (f" ({', '.join(missing[:10])}{', ...' if len(missing) > 10 else ''})"
                if missing else "")]
    if unmatched:
        parts.append(f"{len(unmatched)} submission(s) not on the roster, graded all the same "
                     f"({', '.join(unmatched[:10])}{', ...' if len(unmatched) > 10 else ''})")
    return "; ".join(parts)
