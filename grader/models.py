"""Plain data passed between the stages of the pipeline."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CORRECTNESS = "correctness"
REQUIREMENT = "requirement"


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
class Task:
    """One task of an assignment: a file holding one function."""

    id: str
    file: str
    function: str
    title: str
    points: float
    allowed_imports: tuple[str, ...]
    needs_tensorflow: bool
    limits: Limits


@dataclass(frozen=True)
class Case:
    """One set of inputs a task's function is called with.

    `inputs` is plain data (numbers, strings, arrays, lists, dicts) that may be
    shown to student code; `context` stays in the trusted parent (generation
    details the judge needs but the child must not see).
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

    @property
    def correctness_checks(self) -> list[CheckResult]:
        return [c for c in self.checks if c.kind == CORRECTNESS]

    @property
    def correct(self) -> bool:
        checks = self.correctness_checks
        return bool(checks) and all(c.passed for c in checks)

    @property
    def style_ok(self) -> bool:
        return all(c.passed for c in self.checks if c.kind == REQUIREMENT)

    @property
    def score(self) -> float:
        """Points in proportion to the weight of passed correctness checks."""
        checks = self.correctness_checks
        total = sum(c.weight for c in checks)
        if not total:
            return 0.0
        passed = sum(c.weight for c in checks if c.passed)
        return round(self.task.points * passed / total, 2)

    @property
    def first_failure(self) -> CheckResult | None:
        failures = [c for c in self.checks if not c.passed]
        failures.sort(key=lambda c: c.kind != CORRECTNESS)
        return failures[0] if failures else None


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

    @property
    def score(self) -> float:
        return round(sum(t.score for t in self.tasks), 2)

    @property
    def max_score(self) -> float:
        return sum(t.task.points for t in self.tasks)

    @property
    def full_marks(self) -> bool:
        return all(t.correct for t in self.tasks)
