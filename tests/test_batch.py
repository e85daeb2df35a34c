"""`grade batch`: one report per student, resume and skip, broken and hostile
submissions contained, a class summary."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import assemble, load_expectations

GRADE = Path(sys.executable).parent / "grade"
EXPECTATIONS = load_expectations()
STUDENTS = {  # student folder -> fixture
    "alice": "correct_0_linalg_norm",
    "bob": "buggy_0_bias_regularized",
    "carol": "broken_0_syntax_error",
    "dave": "sample",
}


def batch(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(GRADE), "batch", *args], capture_output=True, text=True,
                          timeout=900)


@pytest.fixture(scope="module")
def classroom(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    submissions = root / "submissions"
    for student, fixture in STUDENTS.items():
        assemble(EXPECTATIONS[fixture], submissions / student)
    hostile = [name for name in EXPECTATIONS if name.startswith("hostile")]
    if hostile:  # the sandbox issue's fixtures, when present: one of them joins the class
        assemble(EXPECTATIONS[sorted(hostile)[0]], submissions / "mallory")
    (submissions / "empty").mkdir()
    out = root / "out"
    first = batch(str(submissions), "--assignment", "regularization", "--out", str(out))
    return submissions, out, first


def expected_correct(fixture: str) -> dict[str, bool]:
    fails = set(EXPECTATIONS[fixture]["fails"])
    return {str(i): str(i) not in fails for i in range(8)}


@pytest.mark.slow
def test_every_student_gets_both_reports_with_true_verdicts(classroom):
    submissions, out, first = classroom
    assert first.returncode == 0, first.stderr
    students = sorted(p.name for p in submissions.iterdir())
    for student in students:
        assert (out / f"{student}.html").stat().st_size > 0
        report = json.loads((out / f"{student}.json").read_text())
        assert report["schema_version"] == 1
        if student in STUDENTS:
            verdicts = {t["id"]: t["correct"] for t in report["tasks"]}
            assert verdicts == expected_correct(STUDENTS[student]), student
    empty = json.loads((out / "empty.json").read_text())
    assert empty["score"] == 0 and not any(t["correct"] for t in empty["tasks"])


@pytest.mark.slow
def test_summary_counts_and_pass_rates(classroom):
    submissions, out, _ = classroom
    summary = json.loads((out / "summary.json").read_text())
    count = len(list(submissions.iterdir()))
    assert summary["submissions"] == count and summary["graded_now"] == count
    assert summary["grader_failures"] == {}
    scores = {s: json.loads((out / f"{s}.json").read_text())["score"] for s in summary["scores"]}
    assert summary["scores"] == scores
    assert summary["mean_score"] == pytest.approx(sum(scores.values()) / count, abs=1e-3)
    reports = {s: json.loads((out / f"{s}.json").read_text()) for s in summary["scores"]}
    for task_id, rate in summary["task_pass_rate"].items():
        passed = [next(t["correct"] for t in r["tasks"] if t["id"] == task_id)
                  for r in reports.values()]
        assert rate == pytest.approx(sum(passed) / len(passed)), task_id
    assert 0 < summary["task_pass_rate"]["0"] < 1  # alice passes task 0, bob does not


@pytest.mark.slow
def test_one_seed_for_the_whole_class_and_kept_across_runs(classroom):
    submissions, out, _ = classroom
    summary = json.loads((out / "summary.json").read_text())
    seeds = {json.loads((out / f"{s}.json").read_text())["seed"] for s in summary["scores"]}
    assert seeds == {summary["seed"]}
    again = batch(str(submissions), "--assignment", "regularization", "--out", str(out),
                  "--force", "-j", "1")
    assert again.returncode == 0
    assert json.loads((out / "summary.json").read_text())["seed"] == summary["seed"]
    assert json.loads((out / "alice.json").read_text())["seed"] == summary["seed"]


@pytest.mark.slow
def test_second_run_skips_then_a_changed_submission_is_regraded(classroom):
    submissions, out, _ = classroom
    mtimes = {p.name: p.stat().st_mtime_ns for p in out.glob("*.json") if p.stem != "summary"}
    again = batch(str(submissions), "--assignment", "regularization", "--out", str(out))
    assert again.returncode == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["graded_now"] == 0 and summary["skipped_up_to_date"] == len(mtimes)
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.json")
            if p.stem != "summary"} == mtimes
    time.sleep(0.05)
    changed = submissions / "bob" / "0-l2_reg_cost.py"
    os.utime(changed)
    third = batch(str(submissions), "--assignment", "regularization", "--out", str(out))
    assert third.returncode == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["graded_now"] == 1
    assert (out / "bob.json").stat().st_mtime_ns > mtimes["bob.json"]
    assert summary["mean_score"] is not None and len(summary["scores"]) == len(mtimes)


@pytest.mark.slow
def test_force_regrades_everything(classroom):
    submissions, out, _ = classroom
    forced = batch(str(submissions), "--assignment", "regularization", "--out", str(out),
                   "--force", "-j", "1")
    assert forced.returncode == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["graded_now"] == summary["submissions"]


@pytest.mark.parametrize("args, fragment", [
    (["/no/such/dir", "--assignment", "regularization", "--out", "/tmp/x"], "not found"),
    ([".", "--out", "/tmp/x"], "--assignment"),
    ([".", "--assignment", "regularization"], "--out"),
    ([".", "--assignment", "regularization", "--out", "/tmp/x", "-j", "0"], "-j"),
    ([".", "--assignment", "regularization", "--out", "/tmp/x", "--scratch", "/no/such"],
     "scratch folder not found"),
])
def test_bad_batch_arguments_exit_2_with_one_line(args, fragment):
    result = batch(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0]
