"""The dnn-regularization pack (assignments/dnn-regularization/) through the real pipeline.

Every fixture notebook (fixtures/dnn-regularization/, made by make_fixtures.py) gets
the verdicts its expectations.toml entry states, on the warm engine, and a few on
the fresh engine; the reference solution earns full marks on several seeds; the
course's test cases (written as the course printed them) are the seeded draws and
reproduce the published outputs; hostile code in a non-graded cell never runs, and
in a graded function is contained; a class of notebooks grades with `grade batch`.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO
from grader.pipeline import Options, grade
from grader.sandbox.layers import describe
from pack_harness import (check_expectations, check_fixtures_are_made, fresh_engine,
                          grade_reference, load_module, warm_engine_fixture)

PACK = "dnn-regularization"
FIXTURES = REPO / "fixtures" / PACK
SOLUTION = REPO / "solutions" / PACK / "solution.py"
SUPPORT = REPO / "assignments" / PACK / "support"
EXPECTATIONS = tomllib.loads((FIXTURES / "expectations.toml").read_text())
FRESH_SUBSET = ["mistakes_backward_new_mask"]
GRADE = Path(sys.executable).parent / "grade"
PUBLISHED = {
    "cost": 1.78648594516,
    "dW1": [[-0.25604646, 0.12298827, -0.28297129], [-0.17706303, 0.34536094, -0.4410571]],
    "dW2": [[0.79276486, 0.85133918], [-0.0957219, -0.01720463], [-0.13100772, -0.03750433]],
    "dW3": [[-1.77691347, -0.11832879, -0.09397446]],
    "A3": [[0.36974721, 0.00305176, 0.04565099, 0.49683389, 0.36974721]],
    "dA1": [[0.36544439, 0., -0.00188233, 0., -0.17408748],
            [0.65515713, 0., -0.00337459, 0., -0.]],
    "dA2": [[0.58180856, 0., -0.00299679, 0., -0.27715731],
            [0., 0.53159854, -0., 0.53159854, -0.34089673], [0., 0., -0.00292733, 0., -0.]],
}


MAKE = load_module("dnn_regularization_fixtures", FIXTURES / "make_fixtures.py")
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
    assert report.max_score == 4
    assert {r.runtime for r in report.tasks} == {"numpy-course"}


def test_the_course_test_cases_reproduce_the_published_outputs(monkeypatch):
    """The caches of support/testCases.py are the examples' seeded forward passes as NumPy
    prints them (8 decimals), and on them the reference gives every published output to
    its last printed digit: the "official example" checks compare with those."""
    reg_utils = load_module("reg_utils", SUPPORT / "reg_utils.py")
    monkeypatch.setitem(sys.modules, "reg_utils", reg_utils)
    solution = load_module("dnn_regularization_solution", SOLUTION)
    cases = load_module("dnn_regularization_test_cases", SUPPORT / "testCases.py")
    printed = {"rtol": 0, "atol": 1e-8}

    A3, Y, parameters = cases.compute_cost_with_regularization_test_case()
    assert solution.compute_cost_with_regularization(A3, Y, parameters, 0.1) == pytest.approx(
        PUBLISHED["cost"], abs=5e-12)

    X, Y, cache = cases.backward_propagation_with_regularization_test_case()
    _, seeded = reg_utils.forward_propagation(
        X, cases.forward_propagation_with_dropout_test_case()[1])  # the same seeded draws
    assert all(np.array_equal(np.round(a, 8), b) for a, b in zip(seeded, cache))
    grads = solution.backward_propagation_with_regularization(X, Y, cache, 0.7)
    for key in ("dW1", "dW2", "dW3"):
        assert np.allclose(grads[key], PUBLISHED[key], **printed), key

    X, parameters = cases.forward_propagation_with_dropout_test_case()
    A3, _ = solution.forward_propagation_with_dropout(X, parameters, 0.7)
    assert np.allclose(A3, PUBLISHED["A3"], **printed)

    X, Y, cache = cases.backward_propagation_with_dropout_test_case()
    _, seeded = solution.forward_propagation_with_dropout(X, parameters, 0.5)
    assert all(np.array_equal(np.round(a, 8) if a.dtype != bool else a, b)
               for a, b in zip(seeded, cache))
    gradients = solution.backward_propagation_with_dropout(X, Y, cache, 0.8)
    for key in ("dA1", "dA2"):
        assert np.allclose(gradients[key], PUBLISHED[key], **printed), key


def test_the_course_public_tests_pass_on_right_code_and_fail_on_wrong(monkeypatch, capsys):
    """support/public_tests.py, as the 2021 notebook calls it in non-graded cells."""
    monkeypatch.setitem(sys.modules, "reg_utils",
                        load_module("reg_utils", SUPPORT / "reg_utils.py"))
    monkeypatch.setitem(sys.modules, "testCases",
                        load_module("testCases", SUPPORT / "testCases.py"))
    solution = load_module("dnn_regularization_solution", SOLUTION)
    tests = load_module("dnn_regularization_public_tests", SUPPORT / "public_tests.py")
    for name in ("compute_cost_with_regularization", "backward_propagation_with_regularization",
                 "forward_propagation_with_dropout", "backward_propagation_with_dropout"):
        getattr(tests, f"{name}_test")(getattr(solution, name))
    assert capsys.readouterr().out.count("All tests passed.") == 4
    with pytest.raises(AssertionError, match="Wrong values for cost"):
        tests.compute_cost_with_regularization_test(
            lambda A3, Y, parameters, lambd: solution.compute_cost_with_regularization(
                A3, Y, parameters, 2 * lambd))


def test_the_stand_in_dataset_has_the_course_shapes(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    reg_utils = load_module("reg_utils_dataset", SUPPORT / "reg_utils.py")
    train_X, train_Y, test_X, test_Y = reg_utils.load_2D_dataset()
    assert (train_X.shape, train_Y.shape, test_X.shape, test_Y.shape) == (
        (2, 211), (1, 211), (2, 200), (1, 200))
    assert set(np.unique(train_Y)) == set(np.unique(test_Y)) == {0, 1}
    assert np.array_equal(reg_utils.load_2D_dataset()[0], train_X)


def test_hostile_top_level_code_never_runs(engine):
    """With every sandbox layer off, a cell that writes files, shells out, trains for 10^9
    iterations and calls os._exit still does nothing: static grading does not run it."""
    markers = [Path(MAKE.MARKER_FILE + suffix) for suffix in ("", "-system")]
    for marker in markers:
        marker.unlink(missing_ok=True)
    path = FIXTURES / EXPECTATIONS["awkward_hostile_top_level"]["path"]
    report = grade(str(path), Options(assignment=PACK, seed=3, sandbox="off"), engine=engine)
    assert all(r.correct for r in report.tasks)
    assert [m for m in markers if m.exists()] == []


def test_hostile_graded_function_is_contained(engine):
    """compute_cost_with_regularization runs (it is graded) but cannot list or read the
    reference solutions whose answer it would return."""
    if "landlock-fs" not in describe("auto")["active"]:
        pytest.skip("Landlock is not available on this machine")
    check_expectations(PACK, FIXTURES, EXPECTATIONS, "awkward_hostile_in_function", engine)
    # the attack is real: with the sandbox off, the same function returns the reference's answer
    path = FIXTURES / EXPECTATIONS["awkward_hostile_in_function"]["path"]
    report = grade(str(path), Options(assignment=PACK, seed=1234, sandbox="off",
                                      tasks=("compute_cost_with_regularization",)),
                   engine=engine)
    assert report.tasks[0].correct


@pytest.mark.slow
def test_a_class_of_notebooks_grades_with_grade_batch(tmp_path):
    """Each student a folder holding a notebook (one with the template beside it): scores as
    graded one by one; a notebook that is not JSON is listed as ungradable, with why."""
    students = {"ada": "correct/2021-vectorized/Regularization.ipynb",
                "bob": "mistakes/cost-lambd-over-m/Regularization.ipynb",
                "cyd": "awkward/template-and-v2a",
                "dan": "awkward/invalid-json/Regularization.ipynb"}
    for student, fixture in students.items():
        source = FIXTURES / fixture
        if source.is_dir():
            shutil.copytree(source, tmp_path / "class" / student)
        else:
            (tmp_path / "class" / student).mkdir(parents=True)
            shutil.copy(source, tmp_path / "class" / student / source.name)
    run = subprocess.run([str(GRADE), "batch", str(tmp_path / "class"), "--assignment", PACK,
                          "--out", str(tmp_path / "out"), "--seed", "5", "-j", "2"],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["scores"] == {"ada": 4.0, "bob": 3.0, "cyd": 4.0}
    assert "invalid JSON" in summary["ungradable"]["dan"]
    assert not summary["grader_failures"]
    for student in students:
        report = json.loads((tmp_path / "out" / f"{student}.json").read_text())
        assert report["assignment"] == PACK and report["seed"] == 5
