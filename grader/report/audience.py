"""A JSON report (the source of truth) as one audience may read it.

The JSON report holds everything, for the instructor. Renderers that students
read (Gradescope, JUnit, Markdown, annotations) start from `for_audience(data,
"student")`: a failed hidden check keeps its pass/fail and its name but not the
message that may show the case's inputs and expected values (the rule of
`public.shown_message`), and the submission is named without the grading
machine's folders. The report's texts already went through `public.Paths`.
"""
from __future__ import annotations

import copy
from typing import Any

from grader.models import CheckResult
from grader.report.public import AUDIENCES, shown_message, shown_submission


def for_audience(data: dict[str, Any], audience: str) -> dict[str, Any]:
    """A copy of the report dict `data` that `audience` may read."""
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r} (known: {', '.join(AUDIENCES)})")
    shown = copy.deepcopy(data)
    if audience == "instructor":
        return shown
    shown["submission"] = shown_submission(shown.get("submission", ""))
    for task in shown["tasks"]:
        for check in task["checks"]:
            result = CheckResult(check["name"], check["kind"], check["passed"],
                                 check["message"], check["hidden"])
            check["message"] = shown_message(result, audience, _unchanged)
    return shown


def _unchanged(text: str) -> str:
    """The paths rewriter for texts that already went through `public.Paths`."""
    return text
