"""What a report may show: no path of the grading machine, no hidden case's values.

Every renderer passes messages, notes and printed output through `Paths`: the
scratch copy a task ran in becomes the student's own file names, installed
libraries become module paths (`numpy/core/...`), and any other absolute path
keeps only its last component. The HTML report, read by students, also passes
hidden checks through `shown_message`.
"""
from __future__ import annotations

import os
import re
import sysconfig
from pathlib import Path
from typing import Any

import grader
from grader.models import CheckResult

AUDIENCES = ("student", "instructor")
HIDDEN = "This check runs on hidden inputs: its inputs and expected values are not shown."

_PART = r"[^\s'\"/:,;()\[\]{}<>]+"
# A task's scratch folder (grader/sandbox/scratch.py): <base>/grade-XXXX/task-ID/...
_SCRATCH = re.compile(rf"(?:/{_PART})*/grade-{_PART}/task-{_PART}"
                      rf"(?:(?P<file>/submission/(?={_PART}))|(?P<home>/home)|/submission)?")
_WORKER_HOME = re.compile(rf"(?:/{_PART})*/grader-worker-{_PART}")
_ABSOLUTE = re.compile(rf"(?<![\w.:/~-])/(?:{_PART}/)+(?:{_PART})?")


def _library_roots() -> list[str]:
    """Folders whose files are named relative to them (longest first)."""
    paths = sysconfig.get_paths()
    roots = {paths[key] for key in ("purelib", "platlib", "stdlib", "platstdlib") if key in paths}
    roots.add(str(Path(grader.__file__).resolve().parent.parent))
    return sorted((root.rstrip("/") + "/" for root in roots), key=len, reverse=True)


_ROOTS = _library_roots()


class Paths:
    """Rewrites the grading machine's absolute paths in a text (see the module docstring).

    `submission` is the path the submission was given as: when absolute, it is
    shown by its last component.
    """

    def __init__(self, submission: str = ""):
        self.submission = os.path.abspath(submission).rstrip("/") if submission else ""
        self.submission_name = shown_submission(submission)

    def __call__(self, text: str) -> str:
        if not text or "/" not in text:
            return text
        text = _SCRATCH.sub(_scratch_replacement, text)
        text = _WORKER_HOME.sub("~", text)
        return _ABSOLUTE.sub(self._absolute, text)

    def _absolute(self, match: re.Match) -> str:
        path = match.group(0)
        if self.submission and (path == self.submission
                                or path.startswith(self.submission + "/")):
            return self.submission_name + path[len(self.submission):]
        for root in _ROOTS:
            if path.startswith(root):
                return path[len(root):]
        return "\u2026/" + (path.rstrip("/").rsplit("/", 1)[-1])


def _scratch_replacement(match: re.Match) -> str:
    """A file of the scratch copy is the student's own file; home is ~; the rest is ."""
    if match.group("file"):
        return ""
    return "~" if match.group("home") else "."


def shown_submission(path: str) -> str:
    """The submission as a report shows it: as given when relative, else its last component."""
    if not os.path.isabs(path):
        return path
    return os.path.basename(path.rstrip("/")) or path


def public_source(source: dict[str, Any], paths: Paths) -> dict[str, Any]:
    """A report's `source` (what was graded) with its free texts passed through `paths`."""
    if not source:
        return {}
    return {**source, "notes": [paths(note) for note in source.get("notes", [])],
            "broken": paths(source["broken"]) if source.get("broken") else source.get("broken"),
            "skipped": [{**item, "reason": paths(item["reason"])}
                        for item in source.get("skipped", [])]}


def shown_message(check: CheckResult, audience: str, paths: Paths) -> str:
    """The check's message for `audience`.

    Students do not see a failed hidden check's message, which may hold the
    case's inputs and expected values: only a generic sentence, after the
    message's first line when the message has more (by the authoring
    convention, the first line says what is wrong in the student's terms and
    the values follow).
    """
    message = paths(check.message)
    if audience == "instructor" or not check.hidden or check.passed or not message:
        return message
    first, _, rest = message.partition("\n")
    return f"{first}\n{HIDDEN}" if rest.strip() else HIDDEN
