"""The machine-readable report (schema in ../shared/contract/grade-cli.md)."""
from __future__ import annotations

import json
from typing import Any

from grader.models import Report

SCHEMA_VERSION = 1


def to_dict(report: Report) -> dict[str, Any]:
    """Schema v1: the contract's fields, plus additions that never change them
    (`source`: what was graded and what was skipped; per task `source`, `runtime`,
    `roles`, `notes`, `score_explanation`)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "assignment": report.assignment,
        "submission": report.submission,
        "seed": report.seed,
        "score": report.score,
        "max_score": report.max_score,
        "grader_version": report.grader_version,
        "engine": report.engine,
        "sandbox": report.sandbox,
        "seconds": report.seconds,
        "started_at": report.started_at,
        "source": report.source,
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
                "notes": list(result.notes),
                "seconds": result.seconds,
                "output": result.output,
                "checks": [
                    {"name": c.name, "kind": c.kind, "passed": c.passed,
                     "message": c.message, "hidden": c.hidden}
                    for c in result.checks
                ],
            }
            for result in report.tasks
        ],
    }


def render(report: Report) -> str:
    return json.dumps(to_dict(report), indent=2, allow_nan=False) + "\n"
