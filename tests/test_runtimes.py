"""Runtimes: a task runs in the runtime its file needs, and each runtime owns its
environment. Real students import TensorFlow in NumPy tasks; such a task goes to a
warm TensorFlow worker instead of importing TensorFlow inside its child."""
from __future__ import annotations

import shutil

import pytest

from conftest import SOLUTIONS
from grader import runtimes
from grader.engine import child_env
from grader.errors import GraderError
from grader.pipeline import Options, grade
from grader.runtimes import BUILT_IN, Runtime

NUMPY, TF1 = BUILT_IN["numpy"], BUILT_IN["tf1"]
NNFS = Runtime(name="nnfs", base="numpy", preload=("nnfs",))


@pytest.mark.parametrize("declared, imported, expected", [
    (NUMPY, {"numpy"}, "numpy"),
    (NUMPY, set(), "numpy"),
    (NUMPY, {"numpy", "tensorflow"}, "tf1"),   # the NumPy task that imports TensorFlow
    (NUMPY, {"os", "math", "matplotlib"}, "numpy"),  # no runtime preloads these
    (TF1, {"numpy"}, "tf1"),                   # never routed to a smaller runtime
    (NUMPY, {"nnfs"}, "nnfs"),
    (NNFS, {"tensorflow"}, "nnfs"),            # no runtime has both: the task's own
])
def test_route(declared, imported, expected):
    known = {**BUILT_IN, "nnfs": NNFS}
    assert runtimes.route(declared, imported, known).name == expected


def test_each_runtime_owns_its_environment():
    tf_env, numpy_env = child_env(TF1, "/h"), child_env(NUMPY, "/h")
    assert tf_env["TF_USE_LEGACY_KERAS"] == "1" and "TF_USE_LEGACY_KERAS" not in numpy_env
    assert tf_env["HOME"] == numpy_env["HOME"] == "/h"
    declared = runtimes.declared({"extra": {"base": "numpy", "env": {"A": "1"}}}, "pack")
    assert child_env(declared["extra"])["A"] == "1"


@pytest.mark.parametrize("spec", [{"base": "jax"}, {"base": "numpy", "gpu": True}, "numpy"])
def test_a_bad_runtime_declaration_is_refused(spec):
    with pytest.raises(GraderError):
        runtimes.declared({"bad": spec}, "pack")


def test_a_numpy_task_that_imports_tensorflow_runs_in_the_tensorflow_worker(
        tmp_path, warm_engine):
    submission = tmp_path / "submission"
    shutil.copytree(SOLUTIONS, submission)
    task0 = submission / "0-l2_reg_cost.py"
    lines = task0.read_text().split("\n")
    lines.insert(lines.index("import numpy as np") + 1, "import tensorflow as tf")
    task0.write_text("\n".join(lines))
    report = grade(str(submission), Options(assignment="regularization", seed=3,
                                            tasks=("0", "1")), engine=warm_engine)
    results = {r.task.id: r for r in report.tasks}
    assert results["0"].runtime == "tf1" and results["1"].runtime == "numpy"
    assert results["0"].correct and results["1"].correct
    imports = next(c for c in results["0"].checks if c.name == "allowed imports")
    assert not imports.passed and "import tensorflow as tf" in imports.message
