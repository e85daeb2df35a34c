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
_SURROGATE = re.compile("[\ud800-\udfff]")  # no UTF-8 for them: writing one fails
# What a terminal would obey rather than show: C0 and C1 controls but tab and line feed
# (ESC starts colours, OSC 8 links, window titles, screen clears), bidi overrides
# (which reorder what is shown), and lone surrogates.
_TERMINAL_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
                               "\ud800-\udfff]")


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


def markdown_cell(text: str) -> str:
    """`text` shown as written in one cell of a Markdown table: on one line (a line break
    would end the table's row), every character of markup escaped (`markdown_text`)."""
    return markdown_text(" ".join(text.splitlines()))


def first_line(text: str, limit: int = 300) -> str:
    line = text.strip().split("\n", 1)[0]
    return line if len(line) <= limit else line[:limit - 1] + "\u2026"


def valid_unicode(text: str) -> str:
    """`text` with each lone surrogate (from a student's string or a file name that is not
    UTF-8) as U+FFFD, so that it can be written as UTF-8 and read by strict JSON parsers."""
    return _SURROGATE.sub("\ufffd", text)


def valid_unicode_tree(value: Any) -> Any:
    """`value` (a report's plain data) with `valid_unicode` applied to every string in it."""
    if isinstance(value, str):
        return valid_unicode(value)
    if isinstance(value, dict):
        return {valid_unicode_tree(key): valid_unicode_tree(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [valid_unicode_tree(item) for item in value]
    return value


def terminal_text(text: str) -> str:
    """`text` as a terminal shows it without obeying it: every control character a terminal
    would act on written as its Python escape (`\\x1b`), so the student's message is still
    read whole. Print it as plain text (rich `Text`, or `markup=False`): never as markup."""
    return _TERMINAL_CONTROL.sub(_escaped, text.replace("\r\n", "\n"))


def _escaped(match: re.Match) -> str:
    character = match.group(0)
    if _SURROGATE.match(character):
        return "\ufffd"
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
