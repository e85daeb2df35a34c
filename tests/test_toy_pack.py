"""The toy pack (tests/packs/toy/) proves each capability a pack can use, through the
real pipeline: a notebook submission loaded as definitions only, a class found by its
behaviour, a course helper module imported at the top of the student's code, a
runtime the pack declares, a judge that raises (a grader error), all-or-nothing
scoring, and a pack that is validated when it is loaded."""
from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import types
import zipfile
from pathlib import Path

import pytest

from conftest import REPO
from grader.engine import RawRun
from grader.errors import GraderError
from grader.formats import tree_digest
from grader.packs import load_pack
from grader.models import Case
from grader.pipeline import Options, grade
from grader.verdict import Planned, task_result

PACKS = REPO / "tests" / "packs"
NOTEBOOK = REPO / "fixtures" / "toy" / "student.ipynb"
SUPPORT = PACKS / "toy" / "support" / "toyhelpers.py"
GRADE = Path(sys.executable).parent / "grade"
OPTIONS = Options(assignment="toy", seed=5, packs=(str(PACKS),))

MODULE = '''"""The same code as the notebook, as one module with a training loop at its top."""
import numpy as np
from toyhelpers import SCALE


def double(x):
    return 2 * x


class Tally_Counter:
    def __init__(self):
        self.items = []

    def add(self, n):
        self.items.append(n)

    def total(self):
        return sum(self.items)


def scaled(x):
    return x * SCALE


for epoch in range(10 ** 12):
    pass
'''


def outcomes(report) -> dict[str, str]:
    return {r.task.id: r.outcome for r in report.tasks}


def graded_module(folder: Path, module: str, task: str):
    """The result of `task` when `module` is handed in as folder/work.py."""
    (folder / "work.py").write_text(module)
    return next(r for r in grade(str(folder / "work.py"), OPTIONS).tasks if r.task.id == task)


def test_a_notebook_grades_with_every_capability():
    before = tree_digest(NOTEBOOK.parent)
    report = grade(str(NOTEBOOK), OPTIONS)
    assert tree_digest(NOTEBOOK.parent) == before
    assert outcomes(report) == {"double": "passed", "counter": "passed", "scaled": "passed",
                                "judge_raises": "grader-error"}
    results = {r.task.id: r for r in report.tasks}
    # the class was found by what it does: its name (Accumulator) is in no alias table
    assert results["counter"].roles == {"counter": {"name": "Accumulator", "why": "by behaviour"}}
    # the pack's own runtime ran the task (its variable set, its module preloaded: judged)
    assert results["scaled"].runtime == "toyrt" and results["double"].runtime == "numpy"
    # an import the grading environment lacks is skipped with a note naming the cell
    assert any("cell 2, line 4" in note and "cv2_not_installed_here" in note
               for note in results["double"].notes)
    assert report.source["format"] == "notebook"
    assert "training loops" in " ".join(report.source["notes"])
    assert results["double"].source == "student.py (cell 3)"


def test_a_judge_that_raises_is_a_grader_error_that_scores_nothing():
    result = next(r for r in grade(str(NOTEBOOK), OPTIONS).tasks if r.task.id == "judge_raises")
    assert result.outcome == "grader-error" and result.score == 0
    failure = result.first_failure
    assert "grader error" in failure.message and "broken on purpose" in failure.message
    assert "not a verdict on your code" in failure.message


def test_scoring_mode_comes_from_the_pack_and_is_explained():
    report = grade(str(NOTEBOOK), OPTIONS)
    counter = next(r for r in report.tasks if r.task.id == "counter")
    assert counter.score == 2 and counter.task.scoring.mode == "all-or-nothing"
    assert "all-or-nothing" in counter.score_explanation
    assert report.score == 4 and report.max_score == 5


def test_a_module_in_a_zip_grades_like_the_notebook_and_roles_are_found_by_name(tmp_path):
    archive = tmp_path / "hand-in.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("my-work/toy_solution.py", MODULE)
    report = grade(str(archive), OPTIONS)
    assert outcomes(report) == {"double": "passed", "counter": "passed", "scaled": "passed",
                                "judge_raises": "grader-error"}
    counter = next(r for r in report.tasks if r.task.id == "counter")
    assert counter.roles["counter"]["name"] == "Tally_Counter"
    assert counter.roles["counter"]["why"].startswith("by name")


def test_a_role_nobody_plays_fails_with_the_classes_found(tmp_path):
    module = tmp_path / "work.py"
    module.write_text("def double(x):\n    return x + x\n\n\nclass Adder:\n"
                      "    def add(self, n):\n        pass\n\n\n"
                      "def scaled(x):\n    return 3 * x\n")
    report = grade(str(module), OPTIONS)
    counter = next(r for r in report.tasks if r.task.id == "counter")
    assert counter.outcome == "error" and not counter.correct
    message = counter.first_failure.message
    assert "no class in the file plays the role 'counter'" in message
    assert "Adder" in message and "Tally_Counter" in message
    assert outcomes(report)["double"] == "passed"


def test_support_files_are_importable_and_never_writable(tmp_path):
    before = SUPPORT.read_bytes()
    module = tmp_path / "work.py"
    module.write_text(
        "import toyhelpers\n\n\ndef double(x):\n"
        "    try:\n        with open(toyhelpers.__file__, 'a') as f:\n"
        "            f.write('SCALE = 0\\n')\n    except OSError:\n        return 2 * x\n"
        "    return -1\n")
    report = grade(str(module), Options(assignment="toy", seed=5, packs=(str(PACKS),),
                                        tasks=("double",)))
    assert outcomes(report) == {"double": "passed"}
    assert SUPPORT.read_bytes() == before


def test_a_reference_imports_the_support_modules_by_name(tmp_path, monkeypatch):
    """support/NAME.py is loaded once under a private name; while the reference loads,
    `from toyhelpers import ...` gives the pack's copy, and sys.modules keeps what it had
    under that name; no bytecode is written in the pack or the solutions."""
    shutil.copytree(PACKS / "toy", tmp_path / "packs" / "helpertoy")
    solution = tmp_path / "solutions" / "helpertoy" / "solution.py"
    solution.parent.mkdir(parents=True)
    solution.write_text("from toyhelpers import SCALE\n\n\ndef scaled(x):\n"
                        "    return x * SCALE\n")
    unrelated = types.ModuleType("toyhelpers")  # someone else's module of that name
    monkeypatch.setitem(sys.modules, "toyhelpers", unrelated)
    pack = load_pack("helpertoy", (str(tmp_path / "packs"),))
    helpers = pack.support_module("toyhelpers")
    assert helpers.SCALE == 3 and helpers.__name__ != "toyhelpers"
    assert pack.support_module("toyhelpers") is helpers
    assert pack.reference("solution.py", "scaled")(2) == 6
    assert sys.modules["toyhelpers"] is unrelated
    assert not list(tmp_path.rglob("__pycache__"))
    with pytest.raises(GraderError, match="no support/missing.py"):
        pack.support_module("missing")


@pytest.mark.parametrize("change, fragment", [
    (lambda root: _rewrite(root / "probes.py", '"counter": counter, ', ""), "no probe for tasks"),
    (lambda root: _rewrite(root / "probes.py", 'FINDERS = {"counts": counts}', "FINDERS = {}"),
     "FINDERS lacks"),
    (lambda root: _rewrite(root / "pack.toml", 'runtime = "toyrt"', 'runtime = "cuda"'),
     "unknown runtime 'cuda'"),
    (lambda root: _rewrite(root / "pack.toml", 'mode = "all-or-nothing"', 'mode = "curved"'),
     "[scoring]"),
    (lambda root: _rewrite(root / "pack.toml", 'requirements = "notebook"',
                           'requirements = "latex"'), "unknown requirement set 'latex'"),
    (lambda root: _rewrite(root / "checks.py", '"counter": TaskChecks(counter_cases, '
                           'judge_counter),', ""), "must cover exactly the tasks"),
    (lambda root: _rewrite(root / "checks.py", "from grader.authoring",
                           "import no_such_module\nfrom grader.authoring"),
     "checks cannot be loaded"),
    (lambda root: _rewrite(root / "pack.toml", 'title = "Toy', 'colour = "red"\ntitle = "Toy'),
     "unknown keys ['colour']"),
])
def test_a_broken_pack_is_refused_when_loaded(tmp_path, change, fragment):
    packs = tmp_path / "packs"
    shutil.copytree(PACKS / "toy", packs / "brokentoy")
    change(packs / "brokentoy")
    with pytest.raises(GraderError) as error:
        load_pack("brokentoy", (str(packs),))
    assert fragment in str(error.value)


def _rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_packs_are_found_through_the_environment_and_the_option(tmp_path):
    out = tmp_path / "report.json"
    env_run = subprocess.run([str(GRADE), str(NOTEBOOK), "--assignment", "toy", "--seed", "5",
                              "--json", str(out), "--quiet"], capture_output=True, text=True,
                             timeout=300, env={"PATH": "/usr/bin:/bin",
                                               "GRADER_PACKS": str(PACKS)})
    assert env_run.returncode == 1, env_run.stderr  # judge_raises is a failure
    assert json.loads(out.read_text())["score"] == 4
    unknown = subprocess.run([str(GRADE), str(NOTEBOOK), "--assignment", "toy"],
                             capture_output=True, text=True, timeout=300)
    assert unknown.returncode == 2 and "unknown assignment 'toy'" in unknown.stderr
    missing = subprocess.run([str(GRADE), str(NOTEBOOK), "--packs", str(tmp_path / "nope")],
                             capture_output=True, text=True, timeout=300)
    assert missing.returncode == 2 and "packs folder not found" in missing.stderr


def test_a_batch_counts_a_judge_that_raises_as_a_grader_failure(tmp_path):
    for student in ("ann", "ben"):
        (tmp_path / "class" / student).mkdir(parents=True)
        shutil.copy(NOTEBOOK, tmp_path / "class" / student / "work.ipynb")
    run = subprocess.run([str(GRADE), "batch", str(tmp_path / "class"), "--assignment", "toy",
                          "--packs", str(PACKS), "--out", str(tmp_path / "out")],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 1, run.stderr  # the grader failed on some submission
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    failure = "grader error in task(s) judge_raises"
    assert summary["grader_failures"] == {"ann": failure, "ben": failure}
    assert summary["scores"] == {"ann": 4.0, "ben": 4.0}


def test_a_function_reading_a_variable_only_unrun_code_sets_is_told_why(tmp_path):
    """`factor` is set by a statement the grader does not run (it calls a function): the
    NameError says where it is set and what to do; `rng`, a NumPy generator built at the
    top, is kept, so a function that uses it runs."""
    module = MODULE.replace("def double(x):\n    return 2 * x",
                            "rng = np.random.default_rng(7)\nfactor = int(input())\n\n\n"
                            "def double(x):\n    return factor * x\n\n\n"
                            "def scaled(x):\n    return x * SCALE + 0 * rng.random()")
    module = module.replace("def scaled(x):\n    return x * SCALE\n", "")
    (tmp_path / "work.py").write_text(module)
    results = {r.task.id: r for r in grade(str(tmp_path / "work.py"), OPTIONS).tasks}
    assert results["scaled"].outcome == "passed"
    assert results["double"].outcome == "failed"
    message = results["double"].first_failure.message
    assert "name 'factor' is not defined" in message
    line = module.splitlines().index("factor = int(input())") + 1
    assert f"`factor` is set at line {line} by code the grader does not run" in message
    assert "as a parameter" in message


def test_an_object_in_another_file_than_the_one_graded_is_said_so(tmp_path):
    """One module or notebook is graded: a class handed in beside it, in its own file, is
    missing, and the message says which other files were handed in and what to do."""
    functions, counter = MODULE.split("class Tally_Counter:")
    (tmp_path / "work.py").write_text(functions)
    (tmp_path / "counter.py").write_text("class Tally_Counter:" + counter.split("\n\n\ndef")[0])
    report = grade(str(tmp_path), OPTIONS)
    results = {r.task.id: r for r in report.tasks}
    assert results["double"].outcome == "passed"
    assert results["counter"].outcome == "error"
    message = results["counter"].first_failure.message
    assert "counter.py was handed in too: put all of the graded code in one file" in message


@pytest.mark.parametrize("body, outcome, first_line", [
    ('x + "2"', "failed", 'Classic mistake: the factor is the string "2", not the number 2.'),
    ("x / 0", "grader-error", None),  # the pack's explanation raises: the pack's fault
    ("x.nope", "failed", None),  # an error the pack does not explain: the raised message only
])
def test_a_pack_explains_the_classic_mistake_behind_an_error(tmp_path, body, outcome,
                                                              first_line):
    result = graded_module(tmp_path, MODULE.replace("return 2 * x", f"return {body}"), "double")
    assert result.outcome == outcome
    message = result.first_failure.message
    if outcome == "grader-error":
        assert "broken on purpose" in message and "not a verdict on your code" in message
    elif first_line:
        assert message.split("\n")[0] == first_line
        assert "double() raised TypeError" in message.split("\n")[1]
    else:
        assert message.startswith("double() raised AttributeError")


@pytest.mark.parametrize("ending, calls", [("return 2 * x", 5),  # one call per number
                                           ("raise ValueError('boom')", 1)])  # the first
def test_what_the_students_code_printed_is_in_the_report(tmp_path, ending, calls):
    """print() goes to a pipe (block-buffered): the child flushes it before it exits,
    whether the function returned or raised."""
    body = f"print('double of', x, end='!')\n    {ending}"
    result = graded_module(tmp_path, MODULE.replace("return 2 * x", body), "double")
    assert result.output.count("double of") == calls and result.output.endswith("!")


def test_the_templates_stub_is_said_to_be_one(tmp_path):
    """`raise NotImplementedError` has no message of its own: the report gives one."""
    result = graded_module(tmp_path, MODULE.replace("return 2 * x", "raise NotImplementedError"),
                           "double")
    assert result.outcome == "failed"
    assert result.first_failure.message.endswith(
        "raised NotImplementedError at line 7: raise NotImplementedError: this is still the "
        "template's stub: write the function's body")


def test_a_loop_meets_one_outcome_and_one_message_whichever_limit_fires_first():
    """The wall clock or the kernel's CPU limit (SIGXCPU): which comes first depends on
    the machine's load, so both must read the same (a batch regraded elsewhere, on a
    Ray node, gives the same report)."""
    task = next(t for t in load_pack("toy", (str(PACKS),)).tasks if t.id == "double")
    plan = Planned(task=task, judge=None, cases=(Case("five integers", {}),),
                   requirements=[], source="work.py")
    wall = task_result(plan, RawRun(timed_out=True, seconds=20.4, last_started=0))
    cpu = task_result(plan, RawRun(signal=signal.SIGXCPU, seconds=9.7, last_started=0))
    assert wall.outcome == cpu.outcome == "timeout"
    assert [c.message for c in wall.checks] == [c.message for c in cpu.checks]
    assert wall.checks[0].message.startswith("timed out on this case")
