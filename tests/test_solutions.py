"""The reference solutions earn full marks on many seeds: no check fails a correct
answer by bad luck or by a too-tight tolerance."""
from __future__ import annotations

import pytest

from conftest import SOLUTIONS
from grader.pipeline import Options, grade
from grader.formats import tree_digest


@pytest.mark.parametrize("seed", [0, 1, 2, 2 ** 31 - 1, 123456789])
def test_reference_gets_full_marks(seed, warm_engine):
    before = tree_digest(SOLUTIONS)
    report = grade(str(SOLUTIONS), Options(assignment="regularization", seed=seed),
                   engine=warm_engine)
    failures = [(r.task.id, c.name, c.message) for r in report.tasks for c in r.checks
                if not c.passed]
    assert failures == []
    assert report.score == report.max_score
    assert tree_digest(SOLUTIONS) == before
    assert not list(SOLUTIONS.rglob("__pycache__"))
