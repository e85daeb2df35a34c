"""Small readings of a JSON report dict that several renderers share.

Renderers never recompute a score: they read the task's `score` and
`max_score`, and at most present them check by check (`check_points`).
"""
from __future__ import annotations

import re
from typing import Any

CORRECTNESS = "correctness"
_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]<>|~&])")  # markup anywhere in a line
_MARKDOWN_LEADING = re.compile(r"^(\s*\d*)([#+\-=.)])")  # a heading or list item at line start


def first_failure(task: dict[str, Any]) -> dict[str, Any] | None:
    """The check to fix first in a task: its first failed correctness check, else its
    first failed requirement check (the order of `TaskResult.first_failure`)."""
    failed = [c for c in task["checks"] if not c["passed"]]
    failed.sort(key=lambda c: c["kind"] != CORRECTNESS)
    return failed[0] if failed else None


def check_points(task: dict[str, Any]) -> list[tuple[float, float]]:
    """(points, most points) per check of a task, adding up to the task's own `score` and
    `max_score`: the most points are split evenly over its correctness checks (over every
    check when it has none), the points earned evenly over those that passed. A task that
    earned points with none of them passed (its requirement checks give a share) shows its
    points on every check instead."""
    checks = task["checks"]
    scored = [c["kind"] == CORRECTNESS for c in checks]
    if not any(scored) or (task["score"] and not any(
            s and c["passed"] for s, c in zip(scored, checks))):
        scored = [True] * len(checks)
    earning = [s and c["passed"] for s, c in zip(scored, checks)]
    most = task["max_score"] / max(1, sum(scored))
    earned = task["score"] / sum(earning) if any(earning) else 0.0
    return [(earned if e else 0.0, most if s else 0.0) for s, e in zip(scored, earning)]


def markdown_text(text: str) -> str:
    """`text` shown as written in Markdown: every character Markdown could read as markup
    is escaped, and each line break is kept."""
    lines = [_MARKDOWN_LEADING.sub(r"\1\\\2", _MARKDOWN_INLINE.sub(r"\\\1", line))
             for line in text.strip().splitlines()]
    return "  \n".join(lines)


def first_line(text: str, limit: int = 300) -> str:
    line = text.strip().split("\n", 1)[0]
    return line if len(line) <= limit else line[:limit - 1] + "\u2026"
