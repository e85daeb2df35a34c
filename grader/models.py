"""Plain data passed between the stages of the pipeline."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CORRECTNESS = "correctness"
REQUIREMENT = "requirement"
SCORING_MODES = ("proportional", "all-or-nothing")


@dataclass(frozen=True)
class Limits:
    """Bounds on one sandboxed child (see grader/sandbox/limits.py)."""

    wall_seconds: float = 30.0
    cpu_seconds: int = 30
    memory_mb: int = 1536
    file_mb: int = 16
    open_files: int = 256
    output_kb: int = 8
    result_mb: int = 64  # the raw outputs one task may send back


@dataclass(frozen=True)
class Scoring:
    """How a task's checks become points (pack.toml `[scoring]`).

    `mode`: proportional (points in proportion to the weight of passed
    correctness checks) or all-or-nothing (full points only when every
    correctness check passed). `requirement_weight`: the share of the points
    given by requirement checks (0: requirements never change a score).
    """

    mode: str = "proportional"
    requirement_weight: float = 0.0


@dataclass(frozen=True)
class Role:
    """A part of the student's code a task needs, found by name or by behaviour.

    `aliases` are compared case- and underscore-insensitively with the names
    the student's module defines; `behaviour` names a finder in the pack's
    probes (`FINDERS[behaviour](module) -> name or None`) tried when no alias
    matches.
    """

    name: str
    kind: str  # function | class
    aliases: tuple[str, ...]
    behaviour: str | None = None


@dataclass(frozen=True)
class Task:
    """One task of an assignment: what it grades, where, and in which runtime.

    `names` are the objects it grades (one function, one class, or several
    objects); `roles`, when given, find those objects by alias or behaviour
    instead. `file` is the module the task reads; None for packs whose
    submission is one module or notebook.
    """

    id: str
    title: str
    points: float
    kind: str
    names: tuple[str, ...]
    file: str | None
    runtime: str
    allowed_imports: tuple[str, ...]
    limits: Limits
    roles: tuple[Role, ...] = ()
    scoring: Scoring = Scoring()

    @property
    def function(self) -> str:
        """The first graded object's name (the function of a one-function task)."""
        return self.names[0] if self.names else (self.roles[0].name if self.roles else self.id)

    @property
    def noun(self) -> str:
        """What students are told the task grades: "function", "class" or "object"."""
        return {"function": "function", "class": "class"}.get(self.kind, "object")


@dataclass(frozen=True)
class Case:
    """One set of inputs a task's probe is called with.

    `inputs` is plain data (numbers, strings, arrays, lists, dicts) that may be
    shown to student code; `context` stays in the trusted parent (generation
    details and reference answers the judge needs but the child must not see).
    """

    name: str
    inputs: dict[str, Any]
    context: dict[str, Any] = field(default_factory=dict)
    public: bool = False


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one named check, with a message that teaches."""

    name: str
    kind: str
    passed: bool
    message: str = ""
    hidden: bool = False
    weight: float = 1.0


@dataclass(frozen=True)
class TaskResult:
    """Everything the grader decided about one task."""

    task: Task
    present: bool
    outcome: str  # passed | failed | error | timeout | missing | grader-error
    checks: tuple[CheckResult, ...]
    output: str = ""
    seconds: float = 0.0
    source: str = ""  # which file (and cell) the graded code came from
    roles: dict[str, dict[str, str]] = field(default_factory=dict)  # role -> name, why
    notes: tuple[str, ...] = ()  # what loading the student's code skipped or noticed
    runtime: str = ""  # the runtime the task ran in

    @property
    def correctness_checks(self) -> list[CheckResult]:
        return [c for c in self.checks if c.kind == CORRECTNESS]

    @property
    def requirement_checks(self) -> list[CheckResult]:
        return [c for c in self.checks if c.kind == REQUIREMENT]

    @property
    def correct(self) -> bool:
        checks = self.correctness_checks
        return bool(checks) and all(c.passed for c in checks)

    @property
    def style_ok(self) -> bool:
        """Every requirement check passed, but informational ones (weight 0)."""
        return all(c.passed for c in self.requirement_checks if c.weight)

    @property
    def score(self) -> float:
        return score_of(self)[0]

    @property
    def score_explanation(self) -> str:
        return score_of(self)[1]

    @property
    def first_failure(self) -> CheckResult | None:
        failures = [c for c in self.checks if not c.passed]
        failures.sort(key=lambda c: c.kind != CORRECTNESS)
        return failures[0] if failures else None


def _share(checks: list[CheckResult]) -> tuple[float, float]:
    total = sum(c.weight for c in checks)
    return sum(c.weight for c in checks if c.passed), total


def score_of(result: TaskResult) -> tuple[float, str]:
    """The task's points and one sentence saying how they were computed."""
    task, scoring = result.task, result.task.scoring
    passed, total = _share(result.correctness_checks)
    if scoring.mode == "all-or-nothing":
        correctness = 1.0 if total and passed == total else 0.0
        how = ("all-or-nothing: every correctness check passed" if correctness else
               f"all-or-nothing: {_count(result.correctness_checks)} correctness checks "
               f"passed, and the task needs all of them")
    else:
        correctness = passed / total if total else 0.0
        how = f"proportional: {_count(result.correctness_checks)} correctness checks passed"
        if any(c.weight != 1.0 for c in result.correctness_checks):
            how += f" (weighted {passed:g} of {total:g})"
    weight = scoring.requirement_weight
    if weight:
        req_passed, req_total = _share(result.requirement_checks)
        requirements = req_passed / req_total if req_total else 1.0
        share = (1 - weight) * correctness + weight * requirements
        how += (f"; requirements give {weight:.0%} of the points "
                f"({_count(result.requirement_checks)} passed)")
    else:
        share = correctness
        how += "; requirement checks do not change the score"
    points = round(task.points * share, 2)
    return points, f"{points:g} / {task.points:g}: {how}"


def _count(checks: list[CheckResult]) -> str:
    return f"{sum(c.passed for c in checks)} of {len(checks)}"


@dataclass(frozen=True)
class Report:
    """The result of grading one submission; renderers only read it."""

    assignment: str
    submission: str
    seed: int
    tasks: tuple[TaskResult, ...]
    sandbox: dict[str, Any]
    engine: str
    grader_version: str
    seconds: float
    started_at: str
    source: dict[str, Any] = field(default_factory=dict)  # format, location, files, skipped
    title: str = ""  # the assignment's title, from its pack

    @property
    def score(self) -> float:
        return round(sum(t.score for t in self.tasks), 2)

    @property
    def max_score(self) -> float:
        return sum(t.task.points for t in self.tasks)

    @property
    def full_marks(self) -> bool:
        return all(t.correct for t in self.tasks)
