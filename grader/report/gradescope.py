"""Gradescope's autograder `results.json`, rendered from the JSON report.

One Gradescope test per check: `number` is "task.check", `tags` the task id,
`visibility` "after_published" for checks on hidden inputs (else "visible"),
`status` passed/failed, and `score`/`max_score` the task's points shown on its
checks (`views.check_points`: they add up to the task's score). The top-level
`score` is the report's. Texts are Markdown (`output_format` "md"), escaped.
"""
from __future__ import annotations

import json
from typing import Any

from grader.report.views import check_points, markdown_text

FORMAT_VERSION = 1
DESCRIPTION = "Gradescope's autograder results.json"


def render(report: dict[str, Any]) -> str:
    tests = []
    for task in report["tasks"]:
        for index, (check, (points, most)) in enumerate(
                zip(task["checks"], check_points(task)), start=1):
            tests.append({
                "name": f"{task['id']} {task['title']}: {check['name']}",
                "number": f"{task['id']}.{index}",
                "score": round(points, 6),
                "max_score": round(most, 6),
                "status": "passed" if check["passed"] else "failed",
                "output": markdown_text(check["message"]),
                "output_format": "md",
                "visibility": "after_published" if check["hidden"] else "visible",
                "tags": [task["id"]],
            })
    results = {
        "score": report["score"],
        "execution_time": round(report.get("seconds", 0.0), 3),
        "output": _overview(report),
        "output_format": "md",
        "stdout_visibility": "hidden",
        "extra_data": {"seed": report["seed"], "grader_version": report.get("grader_version"),
                       "assignment": report["assignment"],
                       "schema_version": report.get("schema_version"),
                       "format_version": FORMAT_VERSION},
        "tests": tests,
    }
    return json.dumps(results, indent=2, allow_nan=False) + "\n"


def _overview(report: dict[str, Any]) -> str:
    """What concerns the whole submission: score, what was graded and what was not used."""
    title = report.get("title") or report["assignment"]
    lines = [f"**{markdown_text(title)}**: {report['score']:g} / {report['max_score']:g}"]
    source = report.get("source") or {}
    if source.get("broken"):
        lines.append(f"The submission could not be read: {markdown_text(source['broken'])}")
    if report["tasks"] and all(t["outcome"] == "missing" for t in report["tasks"]):
        handed_in = ", ".join(source.get("files", [])) or "nothing"
        lines.append(f"Nothing could be graded: every task is missing. Handed in: "
                     f"{markdown_text(handed_in)}")
    for item in source.get("skipped", []):
        lines.append(f"Not used: {markdown_text(item['name'])}: {markdown_text(item['reason'])}")
    if any(c["hidden"] for t in report["tasks"] for c in t["checks"]):
        lines.append("Checks on hidden inputs show whether they passed, not their inputs.")
    return "\n\n".join(lines)
