"""The machine-readable report (schema in ../shared/contract/grade-cli.md)."""
from __future__ import annotations

import json
from typing import Any

from grader.models import Report
from grader.report.public import Paths, public_source
from grader.report.views import valid_unicode_tree

SCHEMA_VERSION = 1


def to_dict(report: Report, additions: dict[str, Any] | None = None) -> dict[str, Any]:
    """Schema v1: the contract's fields, plus additions that never change them
    (`title`; `source`: what was graded and what was skipped; per task `source`,
    `runtime`, `roles`, `notes`, `score_explanation`; a caller's `additions`, such
    as the batch's `input_digest`). Messages are complete (hidden checks included:
    this report is the instructor's), without the grading machine's paths. Every text is
    valid Unicode (`views.valid_unicode`), whatever a student's code raised or printed."""
    paths = Paths(report.submission)
    data = {
        "schema_version": SCHEMA_VERSION,
        "assignment": report.assignment,
        "title": report.title,
        "submission": report.submission,
        "seed": report.seed,
        "score": report.score,
        "max_score": report.max_score,
        "grader_version": report.grader_version,
        "engine": report.engine,
        "sandbox": report.sandbox,
        "seconds": report.seconds,
        "started_at": report.started_at,
        "source": public_source(report.source, paths),
        "tasks": [
            {
                "id": result.task.id,
                "file": result.task.file,
                "title": result.task.title,
                "correct": result.correct,
                "style_ok": result.style_ok,
                "score": result.score,
                "max_score": result.task.points,
                "outcome": result.outcome,
                "score_explanation": result.score_explanation,
                "source": result.source,
                "runtime": result.runtime,
                "roles": result.roles,
                "notes": [paths(note) for note in result.notes],
                "seconds": result.seconds,
                "output": paths(result.output),
                "checks": [
                    {"name": c.name, "kind": c.kind, "passed": c.passed,
                     "message": paths(c.message), "hidden": c.hidden}
                    for c in result.checks
                ],
            }
            for result in report.tasks
        ],
    }
    for key, value in (additions or {}).items():
        if key in data:
            raise ValueError(f"a report addition may not replace {key!r}")
        data[key] = value
    return valid_unicode_tree(data)


def render(report: Report, additions: dict[str, Any] | None = None) -> str:
    return json.dumps(to_dict(report, additions), indent=2, allow_nan=False) + "\n"
