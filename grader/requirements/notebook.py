"""Notebook requirements: each graded name is defined, with a body, in its marked cell.

Judged on the definitions discovery found (grader.formats), never by running
the notebook. The file-module requirements (shebang, executable bit,
pycodestyle) do not apply to notebooks.
"""
from __future__ import annotations

from grader.formats.model import Submission
from grader.models import REQUIREMENT, CheckResult, Task


def check(task: Task, submission: Submission) -> list[CheckResult]:
    """For each graded name: "graded function present" and "graded-cell marker present".

    The check names stay the same for classes (stable names for reports); the
    messages say "class". A task with several names gets one pair per name,
    each check name ending in ": NAME" so that names stay distinct. A name that
    is not defined gets only the first check: its marker cannot be judged. A
    broken submission gets no check: the pipeline fails every task with the
    reason.
    """
    if submission.broken:
        return []
    where = "notebook" if "notebook" in submission.format else "submission"
    results = []
    for name in task.names:
        suffix = f": {name}" if len(task.names) > 1 else ""
        definition = submission.definitions.get(name)
        noun = "class" if task.kind == "class" or (
            definition is not None and definition.kind == "class") else "function"
        if definition is None:
            results.append(_result(f"graded function present{suffix}", False,
                                   f"no {noun} named {name} is defined in the {where}"))
            continue
        results.append(_result(
            f"graded function present{suffix}", not definition.placeholder,
            f"{name} still holds the course's placeholder code (`None`); write its body"))
        # The marker is the course's literal text, for classes too.
        results.append(_result(
            f"graded-cell marker present{suffix}", definition.marker,
            f"{name} was found, but not in a cell marked `# GRADED FUNCTION: {name}`; the "
            "course's grader looks for that marker: keep it as the cell's first line"))
    return results


def _result(name: str, passed: bool, message: str) -> CheckResult:
    return CheckResult(name=name, kind=REQUIREMENT, passed=passed,
                       message="" if passed else message)
