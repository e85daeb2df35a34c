"""What a pack's trusted `checks` import: one stable surface for pack authors.

    from grader.authoring import Case, PackContext, TaskChecks, verdict, compare_arrays

A pack's `checks` (a module or a package) defines `TASKS = {task_id: TaskChecks(...)}`.
`cases(ctx)` makes the inputs of one task for one seed, with whatever the judge
needs (reference answers) in each case's parent-only `context`; `judge(case,
outputs)` turns the raw outputs a probe sent back into named checks. Both run
only in the trusted parent. A judge that raises is a grader error, never a
student's failure.

`ctx.reference(name)` is an object of the reference solution and
`ctx.support(name)` the pack's support/NAME.py (the course's test cases and
helpers), both loaded in this process only; the reference may import the
support modules by their plain names (see `PackContext`).

Judging helpers, re-exported here so that packs import nothing else:
- comparisons (`grader.judging.compare`): `verdict`, `compare_arrays`, `close`,
  `describe_value`, `to_array`, `name_mistake`;
- named mistakes (`grader.judging.mistakes`): `MistakeTable`;
- statistics (`grader.judging.stats`): `binomial_interval`, `dkw_bound`,
  `ks_distance`, `normal_cdf`, `truncated_normal_cdf`, `uniform_cdf`,
  `FALSE_FAIL_RATE`.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable

import numpy as np

from grader.judging.compare import (close, compare_arrays, describe_value, name_mistake,
                                    to_array, verdict)
from grader.judging.messages import in_student_terms
from grader.judging.mistakes import MistakeTable
from grader.judging.stats import (FALSE_FAIL_RATE, binomial_interval, dkw_bound, ks_distance,
                                  normal_cdf, truncated_normal_cdf, uniform_cdf)
from grader.models import CORRECTNESS, REQUIREMENT, Case, CheckResult, Task


@dataclass(frozen=True)
class PackContext:
    """What a case generator is given: the pack, the task, the seed's generator, references.

    `reference(name, file)` returns an object of the pack's reference solution,
    loaded in this trusted process only (never in a child, never shipped):
    `name` defaults to the task's first graded object, `file` to the task's file
    (or, for packs without task files, the pack's `reference` module). While the
    reference loads, the pack's `support/` modules are importable by their plain
    names, so a reference may do `from gc_utils import sigmoid` as the notebook does.

    `support(name)` returns the pack's support/NAME.py as a module of this process
    (the course's test cases, its helper functions), loaded once under a private
    name: another pack's `testCases` is another module.
    """

    pack: str
    task: Task
    rng: np.random.Generator
    _reference: Callable[[str, str], Any]
    _default_file: str
    _support: Callable[[str], ModuleType]

    def reference(self, name: str | None = None, file: str | None = None) -> Any:
        return self._reference(file or self.task.file or self._default_file,
                               name or self.task.function)

    def support(self, name: str) -> ModuleType:
        return self._support(name)


@dataclass(frozen=True)
class TaskChecks:
    """The parent-side half of a task: inputs to try and how to judge outputs.

    `explain(case, kind, message)`, optional: when the student's code raised an
    exception of type `kind` on `case`, the classic mistake that raises it (a first
    line for the student, "Classic mistake: ..."), or None. Like a judge, it runs in
    the trusted parent, and one that raises is a grader error."""

    cases: Callable[[PackContext], list[Case]]
    judge: Callable[[Case, dict], list[CheckResult]]
    explain: Callable[[Case, str, str], str | None] | None = None


__all__ = [
    "CORRECTNESS", "REQUIREMENT", "Case", "CheckResult", "PackContext", "TaskChecks",
    # comparisons
    "close", "compare_arrays", "describe_value", "name_mistake", "to_array", "verdict",
    "in_student_terms",
    # named mistakes
    "MistakeTable",
    # statistics
    "FALSE_FAIL_RATE", "binomial_interval", "dkw_bound", "ks_distance", "normal_cdf",
    "truncated_normal_cdf", "uniform_cdf",
]
