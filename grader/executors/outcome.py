"""One student's grade, whichever executor made it: plain data, then OUT/<student>.*.

`graded()` grades one submission into plain data (the JSON report as a dict and
the HTML page as text, or why there is none); it runs wherever the engine is (the
batch's own process, or a Ray node). `record()` writes that data to OUT and turns
it into the student's line of the class summary (`Result`); only the batch's
own process calls it, so a report is written once, by one process.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.errors import GraderError
from grader.formats import Submission
from grader.output import write_text
from grader.pipeline import Options, grade
from grader.report import html, json_report


@dataclass(frozen=True)
class Result:
    """One student's line in the class summary, read from their JSON report."""

    score: float | None = None
    correct: dict[str, bool] = field(default_factory=dict)
    grader_errors: tuple[str, ...] = ()
    ungradable: str | None = None  # why nothing could be graded: no score, never a silent 0
    failure: str | None = None  # the grader itself failed on this submission
    graded_now: bool = False
    source: dict[str, Any] = field(default_factory=dict)
    input_digest: str | None = None

    @classmethod
    def of_report(cls, report: dict[str, Any], graded_now: bool) -> Result:
        tasks = report["tasks"]
        return cls(score=report["score"], correct={t["id"]: t["correct"] for t in tasks},
                   grader_errors=tuple(t["id"] for t in tasks if t["outcome"] == "grader-error"),
                   ungradable=nothing_to_grade(report), graded_now=graded_now,
                   source=report["source"], input_digest=report.get("input_digest"))

    def outcome(self, max_score: float) -> str:
        """A few words for the progress log."""
        if self.failure:
            return f"grader failure: {self.failure}"
        if self.ungradable:
            return f"ungradable: {self.ungradable}"
        return f"{self.score:g}/{max_score:g}"


def nothing_to_grade(report: dict[str, Any]) -> str | None:
    """Why a report graded nothing at all (it is then no score, never a silent 0), or None."""
    source = report.get("source") or {}
    if source.get("broken"):
        return f"could not be read: {source['broken']}"
    tasks = report["tasks"]
    if not tasks or any(t["outcome"] != "missing" for t in tasks):
        return None
    handed_in = list(source.get("files", [])) + [s["name"] for s in source.get("skipped", [])]
    shown = ", ".join(handed_in[:5]) + (", ..." if len(handed_in) > 5 else "")
    first = next((c["message"] for c in tasks[0]["checks"] if not c["passed"]), "")
    return (f"nothing to grade: every task is missing ({first}); "
            f"handed in: {shown or 'nothing'}")


def graded(path: str, options: Options, engine, digest: str | None, audience: str,
           submission: Submission | None = None) -> dict[str, Any]:
    """Grade one submission into plain data, one of:
    {"report": the JSON report as a dict, "html": the student's page},
    {"ungradable": why} (nothing of it can be read: the student's problem),
    {"failure": why} (a grader bug, reported, never stopping the batch),
    {"no_report": why} (graded, but its reports could not be made)."""
    try:
        report = grade(path, options, engine=engine, submission=submission)
    except GraderError as exc:
        return {"ungradable": str(exc)}
    except Exception as exc:
        return {"failure": f"{exc.__class__.__name__}: {exc}"}
    try:
        return {"report": json_report.to_dict(report, {"input_digest": digest}),
                "html": html.render(report, audience)}
    except Exception as exc:
        return {"no_report": str(exc)}


def record(out: Path, student: str, data: dict[str, Any]) -> Result:
    """Write what `graded()` gave to OUT/<student>.json and .html; the student's Result."""
    if "ungradable" in data:
        remove_reports(out, student)  # no earlier grade may stand for it
        return Result(ungradable=data["ungradable"])
    if "failure" in data:
        return Result(failure=data["failure"])
    try:
        if "no_report" in data:
            raise ValueError(data["no_report"])
        write_text(str(out / f"{student}.json"),
                   json.dumps(data["report"], indent=2, allow_nan=False) + "\n")
        write_text(str(out / f"{student}.html"), data["html"])
        return Result.of_report(data["report"], graded_now=True)
    except Exception as exc:  # the report could not be written: the grader failed
        remove_reports(out, student)
        return Result(failure=f"no report: {exc}")


def remove_reports(out: Path, student: str) -> None:
    for suffix in (".json", ".html"):
        (out / f"{student}{suffix}").unlink(missing_ok=True)
