"""The gradient-checking pack (assignments/gradient-checking/) through the real pipeline.

Every fixture notebook (fixtures/gradient-checking/, made by make_fixtures.py) gets
the verdicts its expectations.toml entry states, on the warm engine, and a few on
the fresh engine; the reference solution earns full marks on several seeds; the
course's test case reproduces the published outputs exactly; hostile code in a
non-graded cell never runs, and in a graded function is contained by the sandbox;
a notebook with a 20 MB image output and one that is not JSON fail in one line.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from conftest import REPO
from grader.pipeline import Options, grade
from grader.sandbox.layers import describe
from pack_harness import (check_expectations, check_fixtures_are_made, fresh_engine,
                          grade_reference, load_module, warm_engine_fixture)

PACK = "gradient-checking"
FIXTURES = REPO / "fixtures" / PACK
SOLUTION = REPO / "solutions" / PACK / "solution.py"
SUPPORT = REPO / "assignments" / PACK / "support"
EXPECTATIONS = tomllib.loads((FIXTURES / "expectations.toml").read_text())
FRESH_SUBSET = ["correct_2021_print_msg", "mistakes_one_sided", "awkward_hostile_in_function"]
GRADE = Path(sys.executable).parent / "grade"


MAKE = load_module("gradient_checking_fixtures", FIXTURES / "make_fixtures.py")
engine = warm_engine_fixture(PACK)


@pytest.mark.parametrize("name", sorted(EXPECTATIONS))
def test_fixture_verdicts(name, engine):
    check_expectations(PACK, FIXTURES, EXPECTATIONS, name, engine)


@pytest.mark.slow
@pytest.mark.parametrize("name", FRESH_SUBSET)
def test_fixture_verdicts_under_the_fresh_engine(name):
    check_expectations(PACK, FIXTURES, EXPECTATIONS, name, fresh_engine(PACK))


def test_every_fixture_has_expectations_and_is_what_make_fixtures_makes():
    check_fixtures_are_made(MAKE, FIXTURES, EXPECTATIONS)


@pytest.mark.parametrize("seed", [0, 1, 2 ** 31 - 1, 123456789])
def test_reference_gets_full_marks(seed, engine):
    report = grade_reference(SOLUTION, PACK, seed, engine)
    assert report.max_score == 5


def test_the_course_test_case_reproduces_the_published_outputs(monkeypatch):
    """The reference's gradient check on support/testCases.py's inputs gives the course's
    numbers to their last digit: the reproduction is exact, so the "official example"
    checks compare with the published values."""
    monkeypatch.setitem(sys.modules, "gc_utils",
                        load_module("gc_utils", SUPPORT / "gc_utils.py"))
    solution = load_module("gradient_checking_solution", SOLUTION)
    test_cases = load_module("gradient_checking_test_cases", SUPPORT / "testCases.py")
    X, Y, parameters = test_cases.gradient_check_n_test_case()
    _, cache = solution.forward_propagation_n(X, Y, parameters)
    right = solution.backward_propagation_n(X, Y, cache)
    planted = {**right, "dW2": right["dW2"] * 2, "db1": right["db1"] * 4}  # as the notebook gives
    assert solution.gradient_check_n(parameters, planted, X, Y) == pytest.approx(
        0.2850931567761623, rel=1e-12, abs=0)
    assert solution.gradient_check_n(parameters, right, X, Y) == pytest.approx(
        1.1890913024229996e-07, rel=1e-6, abs=0)
    # the published 2.9193358103083e-10 for x = 2, theta = 4 is floating-point noise
    assert solution.gradient_check(2, 4) < 1e-9


def test_the_course_public_tests_pass_on_right_code_and_fail_on_wrong(monkeypatch, capsys):
    """support/public_tests.py, as the 2021 notebook calls it in non-graded cells."""
    monkeypatch.setitem(sys.modules, "gc_utils",
                        load_module("gc_utils", SUPPORT / "gc_utils.py"))
    solution = load_module("gradient_checking_solution", SOLUTION)
    tests = load_module("gradient_checking_public_tests", SUPPORT / "public_tests.py")
    tests.forward_propagation_test(solution.forward_propagation)
    tests.backward_propagation_test(solution.backward_propagation)
    tests.gradient_check_test(solution.gradient_check)
    assert capsys.readouterr().out.count("All tests passed.") == 3
    with pytest.raises(AssertionError, match="expected 8"):
        tests.forward_propagation_test(lambda x, theta: theta + x)


@pytest.mark.parametrize("body, fragment", [
    ("return 1e-8", "the notebook's planted mistakes are detected"),
    ("return np.zeros((47, 1))", "must be one number"),
])
def test_a_gradient_check_is_judged_by_the_gradients_it_is_given(tmp_path, engine, body,
                                                                 fragment):
    """A fixed small number passes no threshold test here: with wrong gradients the
    reference's difference is expected."""
    module = tmp_path / "work.py"
    module.write_text(SOLUTION.read_text() + "\n\n# GRADED FUNCTION: gradient_check_n\n"
                      "def gradient_check_n(parameters, gradients, X, Y, epsilon=1e-7):\n"
                      f"    {body}\n")
    report = grade(str(module), Options(assignment=PACK, seed=5, tasks=("gradient_check_n",)),
                   engine=engine)
    failed = [c for c in report.tasks[0].checks if not c.passed]
    assert failed and all(c.kind == "correctness" for c in failed)
    assert any(fragment in c.name + c.message for c in failed)


def test_hostile_top_level_code_never_runs(engine):
    """With every sandbox layer off, a cell that writes files, shells out, loops forever and
    exits still does nothing: static grading does not run top-level statements."""
    markers = [Path(MAKE.MARKER_FILE + suffix)
               for suffix in ("", "-system", "-subprocess", "-constant")]
    for marker in markers:
        marker.unlink(missing_ok=True)
    path = FIXTURES / EXPECTATIONS["awkward_hostile_top_level"]["path"]
    report = grade(str(path), Options(assignment=PACK, seed=3, sandbox="off"), engine=engine)
    assert all(r.correct for r in report.tasks)
    assert [m for m in markers if m.exists()] == []
    assert report.seconds < 30


def test_hostile_graded_function_is_contained(engine):
    """The function runs (it is graded) but can neither write outside its scratch folder nor
    read the reference solution whose answer it would return."""
    if "landlock-fs" not in describe("auto")["active"]:
        pytest.skip("Landlock is not available on this machine")
    marker = Path(MAKE.FUNCTION_MARKER_FILE)
    marker.unlink(missing_ok=True)
    before = SOLUTION.read_bytes()
    check_expectations(PACK, FIXTURES, EXPECTATIONS, "awkward_hostile_in_function", engine)
    assert not marker.exists()
    assert SOLUTION.read_bytes() == before
    # the attack is real: with the sandbox off, the same function returns the reference's answer
    path = FIXTURES / EXPECTATIONS["awkward_hostile_in_function"]["path"]
    report = grade(str(path), Options(assignment=PACK, seed=1234, sandbox="off",
                                      tasks=("gradient_check_n",)), engine=engine)
    marker.unlink(missing_ok=True)
    assert report.tasks[0].correct


def test_a_notebook_with_a_large_image_output_grades_on_its_code(tmp_path, engine):
    """A 5 MB plot is never read into the child; the notebook imports matplotlib, so it runs
    in the pack's runtime that preloads it."""
    path = tmp_path / "Gradient_Checking.ipynb"
    path.write_text(MAKE.image_notebook(5), encoding="utf-8")
    report = grade(str(path), Options(assignment=PACK, seed=3), engine=engine)
    assert all(r.correct for r in report.tasks)
    assert {r.runtime for r in report.tasks} == {"numpy-matplotlib"}


def test_a_notebook_with_a_20_mb_image_output_fails_in_one_line(tmp_path, engine):
    """The notebook is over the formats' 10 MB bound for a notebook: refused unread, with
    the size named, every task failed (not a grader error), and quickly."""
    path = tmp_path / "Gradient_Checking.ipynb"
    path.write_text(MAKE.image_notebook(20), encoding="utf-8")
    assert path.stat().st_size > 20 * 1024 * 1024
    report = grade(str(path), Options(assignment=PACK, seed=3), engine=engine)
    assert {r.outcome for r in report.tasks} == {"error"}
    message = report.tasks[0].first_failure.message
    assert "larger than 10 MB" in message and "\n" not in message
    assert report.seconds < 5


def test_a_notebook_that_is_not_json_fails_every_task_through_the_cli(tmp_path):
    spec = EXPECTATIONS["awkward_invalid_json"]
    out = tmp_path / "report.json"
    run = subprocess.run([str(GRADE), str(FIXTURES / spec["path"]), "--assignment", PACK,
                          "--json", str(out), "--quiet"], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    report = json.loads(out.read_text())
    assert [t["id"] for t in report["tasks"]] == [
        "forward_propagation", "backward_propagation", "gradient_check", "gradient_check_n"]
    assert all(not t["correct"] and "invalid JSON" in t["checks"][0]["message"]
               for t in report["tasks"])
