"""Requirement checks, in named sets: each pack says which set judges its tasks.

A requirement check is judged on what was handed in, never by running it; it
is reported with kind "requirement" and never changes a correctness verdict.
Each set is one module with one function `check(task, submission)`. The pack
loader validates a pack's set name against `REQUIREMENT_SETS`; the pipeline
calls `check_requirements(set_name, task, submission)` once per task.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from grader.errors import GraderError
from grader.formats.model import Submission
from grader.models import CheckResult, Task
from grader.requirements import none, notebook, python_module


@dataclass(frozen=True)
class RequirementSet:
    """One selectable set of requirement checks."""

    name: str
    check: Callable[[Task, Submission], list[CheckResult]]
    description: str  # the first line of the set module's docstring


def _set(name: str, module) -> RequirementSet:
    return RequirementSet(name, module.check, module.__doc__.strip().splitlines()[0])


REQUIREMENT_SETS: dict[str, RequirementSet] = {
    "python-module": _set("python-module", python_module),
    "notebook": _set("notebook", notebook),
    "none": _set("none", none),
}


def check_requirements(set_name: str, task: Task, submission: Submission) -> list[CheckResult]:
    """The requirement checks of one task, by the named set."""
    try:
        requirement_set = REQUIREMENT_SETS[set_name]
    except (KeyError, TypeError):
        known = ", ".join(sorted(REQUIREMENT_SETS))
        raise GraderError(f"unknown requirement set {set_name!r} (known: {known})") from None
    return requirement_set.check(task, submission)
