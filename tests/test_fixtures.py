"""Every fixture gets exactly the verdicts its expectations.toml entry states.

Correct variants pass every task; each buggy variant fails its own task and
only that one; broken files fail their task and never stop the others.
"""
from __future__ import annotations

import tomllib

import pytest

from conftest import FIXTURES, assemble, load_expectations
from grader.pipeline import Options, grade
from grader.formats import tree_digest

EXPECTATIONS = load_expectations()
FEEDBACK = tomllib.loads((FIXTURES / "feedback.toml").read_text())


@pytest.mark.parametrize("name", sorted(EXPECTATIONS))
def test_fixture_verdicts(name, tmp_path, warm_engine):
    spec = EXPECTATIONS[name]
    submission = assemble(spec, tmp_path / "submission")
    before = tree_digest(submission)
    report = grade(str(submission), Options(assignment="regularization", seed=1234),
                   engine=warm_engine)
    assert tree_digest(submission) == before, "grading changed the submission folder"
    fails = {r.task.id for r in report.tasks if not r.correct}
    style_fails = {r.task.id for r in report.tasks if not r.style_ok}
    details = {r.task.id: [(c.name, c.message) for c in r.checks if not c.passed][:2]
               for r in report.tasks if r.task.id in fails ^ set(spec["fails"])}
    assert fails == set(spec["fails"]), f"{spec['why']}\n{details}"
    assert style_fails == set(spec["style_fails"]), spec["why"]
    for task_id, fragment in FEEDBACK.get(name, {}).items():
        messages = " ".join(c.message for c in report.tasks[int(task_id)].checks if not c.passed)
        assert fragment in messages, f"task {task_id}: {fragment!r} not in {messages!r}"


def test_feedback_names_only_known_fixtures():
    assert set(FEEDBACK) <= set(EXPECTATIONS)


def test_every_fixture_folder_has_expectations():
    listed = {spec.get("path") for spec in EXPECTATIONS.values()}
    folders = {f"{kind.name}/{item.name}" for kind in FIXTURES.iterdir() if kind.is_dir()
               and kind.name != "sample" for item in kind.iterdir() if item.is_dir()}
    assert folders <= listed, f"fixtures without expectations: {sorted(folders - listed)}"
