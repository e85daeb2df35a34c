"""No renderer shows a path of the grading machine: the scratch copy a task ran in,
the grader's worker home, installed libraries, the submission's absolute location."""
from __future__ import annotations

import io
import json
import shutil
import sysconfig

import pytest
from rich.console import Console

from conftest import SOLUTIONS
from grader.pipeline import Options, grade
from grader.report import html, json_report, terminal
from grader.report.public import Paths

PRINTS_WHERE_IT_RUNS = '''#!/usr/bin/env python3
"""Prints where it runs, then fails with a path."""
import os
print("file", __file__, "in", os.getcwd(), "home", os.environ["HOME"], flush=True)


def l2_reg_cost(cost, lambtha, weights, L, m):
    """Fails."""
    raise ValueError("cannot open " + os.path.abspath(__file__))
'''


@pytest.mark.parametrize("text, shown", [
    ("/dev/shm/grade-ab12/task-0/submission/0-l2_reg_cost.py", "0-l2_reg_cost.py"),
    ("cwd /tmp/grade-x_y/task-gradient_check_n", "cwd ."),
    ("HOME=/dev/shm/grade-ab12/task-3/home/tmp", "HOME=~/tmp"),
    ("/tmp/grader-worker-k2/x.npy", "~/x.npy"),
    ("/home/ta/class/alice/3-dropout.py: line 2", "alice/3-dropout.py: line 2"),
    ("open('/etc/secret/key.pem')", "open('\u2026/key.pem')"),
    (f"{sysconfig.get_paths()['purelib']}/numpy/linalg/linalg.py", "numpy/linalg/linalg.py"),
    ("W4/b4, lambtha/(2m), 1/keep_prob, https://example.org/a/b", None),  # not paths
])
def test_paths_are_rewritten_and_nothing_else(text, shown):
    assert Paths("/home/ta/class/alice")(text) == (text if shown is None else shown)


def test_a_relative_submission_is_shown_as_given():
    assert Paths("class/alice")("class/alice/0-l2_reg_cost.py") == "class/alice/0-l2_reg_cost.py"


def test_scratch_paths_never_reach_a_report(tmp_path, warm_engine):
    submission = tmp_path / "alice"
    shutil.copytree(SOLUTIONS, submission)
    (submission / "0-l2_reg_cost.py").write_text(PRINTS_WHERE_IT_RUNS)
    report = grade(str(submission), Options(assignment="regularization", seed=3, tasks=("0",)),
                   engine=warm_engine)
    raw = report.tasks[0].output + "".join(c.message for c in report.tasks[0].checks)
    assert "/task-0/submission/0-l2_reg_cost.py" in raw  # the child saw its scratch copy
    console = Console(file=io.StringIO(), width=200)
    terminal.render(report, console)
    data = json_report.to_dict(report)
    assert data.pop("submission") == str(submission)  # the contract's field stays as given
    page = html.render(report)
    for name, text in {"json": json.dumps(data), "html": page,
                       "terminal": console.file.getvalue()}.items():
        assert "/task-0" not in text and "/dev/shm" not in text and "grade-" not in text, name
    assert str(tmp_path) not in page and str(tmp_path) not in json.dumps(data)
    assert "file 0-l2_reg_cost.py in . home ~" in data["tasks"][0]["output"]
