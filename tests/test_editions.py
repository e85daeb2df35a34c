"""Editions: code written for TensorFlow 1.x is judged for what it computes.

`import tensorflow as tf` was the graph API in TensorFlow 1.x: in the student's
code it means `tensorflow.compat.v1` (the imports requirement still fails), and
`tf.contrib.layers` gives back the calls these courses used, with TF 1.x's own
semantics (grader/runtimes/tf1_runtime.py)."""
from __future__ import annotations

import shutil

import pytest

from conftest import SOLUTIONS
from grader.pipeline import Options, grade

TF_TASKS = ("2", "3", "6")


def _submission(tmp_path, replace: dict[str, tuple[str, str]]):
    folder = tmp_path / "submission"
    shutil.copytree(SOLUTIONS, folder)
    for name, (old, new) in replace.items():
        text = (folder / name).read_text()
        assert old in text, (name, old)
        (folder / name).write_text(text.replace(old, new))
    return folder


def _results(folder, engine, tasks):
    report = grade(str(folder), Options(assignment="regularization", seed=8, tasks=tasks),
                   engine=engine)
    return {r.task.id: r for r in report.tasks}


def test_tf1_style_imports_pass_correctness_and_fail_the_imports_requirement(
        tmp_path, warm_engine):
    old = ("import tensorflow.compat.v1 as tf", "import tensorflow as tf")
    folder = _submission(tmp_path, {f: old for f in ("2-l2_reg_cost.py",
                                                     "3-l2_reg_create_layer.py",
                                                     "6-dropout_create_layer.py")})
    for task_id, result in _results(folder, warm_engine, TF_TASKS).items():
        assert result.correct, (task_id, result.first_failure)
        imports = next(c for c in result.checks if c.name == "allowed imports")
        assert not imports.passed and "`import tensorflow as tf` is not allowed" in imports.message


def test_contrib_l2_regularizer_keeps_tf1_semantics_and_is_named(tmp_path, warm_engine):
    folder = _submission(tmp_path, {"3-l2_reg_create_layer.py": (
        "tf.keras.regularizers.L2(lambtha)", "tf.contrib.layers.l2_regularizer(lambtha)")})
    result = _results(folder, warm_engine, ("3",))["3"]
    assert not result.correct
    messages = " ".join(c.message for c in result.checks if not c.passed)
    assert "half the L2 loss" in messages  # TF 1.x's l2_regularizer is lambtha * sum(w**2) / 2
    assert "tf_keras" not in messages


@pytest.mark.parametrize("initializer", [
    'tf.contrib.layers.variance_scaling_initializer(factor=2.0, mode="FAN_AVG")',
])
def test_contrib_initializers_exist_with_tf1_meaning(tmp_path, warm_engine, initializer):
    folder = _submission(tmp_path, {"3-l2_reg_create_layer.py": (
        'tf.keras.initializers.VarianceScaling(scale=2.0,\n'
        '                                                        mode="fan_avg")', initializer)})
    result = _results(folder, warm_engine, ("3",))["3"]
    assert result.correct, result.first_failure
