"""No requirement checks: for packs that judge only correctness."""
from __future__ import annotations

from grader.formats.model import Submission
from grader.models import CheckResult, Task


def check(task: Task, submission: Submission) -> list[CheckResult]:
    """Nothing to check."""
    return []
