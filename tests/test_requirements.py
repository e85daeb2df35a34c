"""Each requirement check fails on the problem it names, and passes clean files."""
from __future__ import annotations

from pathlib import Path

import pytest

from grader.errors import GraderError
from grader.formats.model import Definition, Submission, SubmittedFile
from grader.models import REQUIREMENT, Limits, Task
from grader.requirements import REQUIREMENT_SETS, check_requirements

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions" / "regularization"
NAME = "0-l2_reg_cost.py"
TASK = Task(id="0", title="t", points=1.0, kind="function", names=("l2_reg_cost",),
            file=NAME, runtime="numpy", allowed_imports=("import numpy as np",),
            limits=Limits())
CLEAN = '''#!/usr/bin/env python3
"""Module docstring."""
import numpy as np


def l2_reg_cost(x):
    """Function docstring."""
    return np.sum(x)
'''


def folder(text: str, executable: bool = True, name: str = NAME) -> Submission:
    return Submission(path="x", format="folder",
                      files={name: SubmittedFile(name, text.encode(), executable)})


def checks(text: str, executable: bool = True) -> dict[str, str]:
    """Check name -> message of every requirement check of TASK on a one-file folder."""
    results = check_requirements("python-module", TASK, folder(text, executable))
    assert all(c.kind == REQUIREMENT for c in results)
    return {c.name: c.message for c in results}


def failing(text: str, executable: bool = True) -> set[str]:
    results = check_requirements("python-module", TASK, folder(text, executable))
    return {c.name for c in results if not c.passed}


def test_clean_file_passes_every_check():
    assert set(checks(CLEAN)) == {"shebang line", "executable bit", "ends with a newline",
                                  "module docstring", "function docstrings",
                                  "allowed imports", "pycodestyle"}
    assert failing(CLEAN) == set()


@pytest.mark.parametrize("text, executable, expected", [
    (CLEAN.replace("#!/usr/bin/env python3", "#!/usr/bin/python3"), True, {"shebang line"}),
    (CLEAN, False, {"executable bit"}),
    (CLEAN.rstrip("\n"), True, {"ends with a newline", "pycodestyle"}),
    (CLEAN.replace('"""Module docstring."""\n', ""), True, {"module docstring"}),
    (CLEAN.replace('    """Function docstring."""\n', ""), True, {"function docstrings"}),
    (CLEAN.replace("import numpy as np", "import numpy"), True, {"allowed imports"}),
    (CLEAN.replace("import numpy as np", "import numpy as np\nimport os"), True,
     {"allowed imports"}),
    (CLEAN.replace("return np.sum(x)", "return x"), True, {"allowed imports"}),
    (CLEAN.replace("def l2_reg_cost(x):", "def l2_reg_cost(x) :"), True, {"pycodestyle"}),
    (CLEAN + "\ndef (:\n", True, {"module docstring", "function docstrings", "allowed imports",
                                  "pycodestyle"}),
])
def test_each_requirement_catches_its_problem(text, executable, expected):
    assert failing(text, executable) == expected


def test_messages_teach():
    assert checks(CLEAN, executable=False)["executable bit"] == \
        f"{NAME} must be executable (chmod +x {NAME})"
    message = checks(CLEAN.replace("return np.sum(x)", "return x"))["allowed imports"]
    assert "`import numpy as np` is never used (line 3)" in message
    assert message.endswith("Allowed: `import numpy as np`")


def test_crlf_line_endings_fail_the_shebang_with_a_message_that_teaches():
    crlf = CLEAN.replace("\n", "\r\n")
    assert failing(crlf) == {"shebang line"}  # Python and pycodestyle read CRLF fine
    assert checks(crlf)["shebang line"] == (
        "the file has Windows (CRLF) line endings: `/usr/bin/env` looks for `python3\\r` "
        f"and the script cannot run; save it with Unix (LF) line endings "
        f"(e.g. `dos2unix {NAME}`)")


def test_only_the_first_line_end_matters_to_the_shebang():
    first, rest = CLEAN.split("\n", 1)
    assert failing(first + "\n" + rest.replace("\n", "\r\n")) == set()
    assert failing(first + "\r\n" + rest) == {"shebang line"}


def test_crlf_with_a_wrong_shebang_says_both():
    message = checks(CLEAN.replace("/usr/bin/env python3", "/usr/bin/python3")
                     .replace("\n", "\r\n"))["shebang line"]
    assert message.startswith("the first line must be exactly `#!/usr/bin/env python3`")
    assert "Windows (CRLF)" in message and f"dos2unix {NAME}" in message


def test_cr_only_line_endings_are_named_and_pycodestyle_reads_them_as_its_command_does():
    cr_only = CLEAN.replace("\n", "\r")
    results = {c.name: c for c in check_requirements("python-module", TASK, folder(cr_only))}
    assert not results["shebang line"].passed
    assert "carriage-return (CR) line endings" in results["shebang line"].message
    assert f"mac2unix {NAME}" in results["shebang line"].message
    assert results["pycodestyle"].passed  # the command reads CR as a line end


def test_the_module_is_read_when_the_task_names_no_file():
    task = Task(id="l2_reg_cost", title="t", points=1.0, kind="function",
                names=("l2_reg_cost",), file=None, runtime="numpy",
                allowed_imports=("import numpy as np",), limits=Limits())
    module = Submission(path="x.py", format="module",
                        module=SubmittedFile("x.py", CLEAN.encode(), False))
    failed = {c.name for c in check_requirements("python-module", task, module) if not c.passed}
    assert failed == {"executable bit"}


def test_a_missing_file_has_no_requirement_checks():
    assert check_requirements("python-module", TASK, folder(CLEAN, name="other.py")) == []
    assert check_requirements("python-module", TASK,
                              Submission(path="x", format="folder")) == []


def test_reference_solutions_meet_every_requirement():
    numpy, tf = ("import numpy as np",), ("import tensorflow.compat.v1 as tf",)
    allowed = {"0": numpy, "1": numpy, "2": tf, "3": tf, "4": numpy, "5": numpy, "6": tf,
               "7": ()}  # as assignments/regularization/pack.toml allows them
    paths = sorted(SOLUTIONS.glob("*.py"))
    assert [p.name[0] for p in paths] == list(allowed)
    submission = Submission(path=str(SOLUTIONS), format="folder", files={
        p.name: SubmittedFile(p.name, p.read_bytes(), bool(p.stat().st_mode & 0o100))
        for p in paths})
    for path in paths:
        task = Task(id=path.name[0], title="t", points=1.0, kind="function",
                    names=(path.stem.split("-", 1)[1],), file=path.name, runtime="numpy",
                    allowed_imports=allowed[path.name[0]], limits=Limits())
        results = check_requirements("python-module", task, submission)
        assert len(results) == 7
        assert [c.message for c in results if not c.passed] == [], path.name


# --- the notebook set ---------------------------------------------------------------

def notebook(*definitions: Definition) -> Submission:
    return Submission(path="n.ipynb", format="notebook",
                      definitions={d.name: d for d in definitions})


def defined(name: str, *, kind: str = "function", marker: bool = True,
            placeholder: bool = False) -> Definition:
    return Definition(name=name, kind=kind, cell=3, line=1, marker=marker,
                      placeholder=placeholder)


def notebook_checks(submission: Submission, task: Task = TASK) -> dict[str, tuple[bool, str]]:
    results = check_requirements("notebook", task, submission)
    assert all(c.kind == REQUIREMENT for c in results)
    return {c.name: (c.passed, c.message) for c in results}


def test_notebook_with_the_marked_function_passes():
    assert notebook_checks(notebook(defined("l2_reg_cost"))) == {
        "graded function present": (True, ""), "graded-cell marker present": (True, "")}


def test_notebook_missing_function():
    assert notebook_checks(notebook(defined("other"))) == {
        "graded function present":
            (False, "no function named l2_reg_cost is defined in the notebook")}


def test_notebook_placeholder_function():
    assert notebook_checks(notebook(defined("l2_reg_cost", placeholder=True))) == {
        "graded function present":
            (False, "l2_reg_cost still holds the course's placeholder code (`None`); "
                    "write its body"),
        "graded-cell marker present": (True, "")}


def test_notebook_function_without_its_marker():
    assert notebook_checks(notebook(defined("l2_reg_cost", marker=False))) == {
        "graded function present": (True, ""),
        "graded-cell marker present":
            (False, "l2_reg_cost was found, but not in a cell marked "
                    "`# GRADED FUNCTION: l2_reg_cost`; the course's grader looks for that "
                    "marker: keep it as the cell's first line")}


def test_notebook_class_task_says_class():
    task = Task(id="dense", title="t", points=1.0, kind="class", names=("Dense",), file=None,
                runtime="numpy", allowed_imports=(), limits=Limits())
    assert notebook_checks(notebook(), task)["graded function present"] == (
        False, "no class named Dense is defined in the notebook")
    # an objects task whose name is a class
    task = Task(id="t", title="t", points=1.0, kind="objects", names=("Dense", "relu"),
                file=None, runtime="numpy", allowed_imports=(), limits=Limits())
    result = notebook_checks(notebook(defined("Dense", kind="class", placeholder=True)), task)
    assert result["graded function present: Dense"][0] is False
    assert result["graded-cell marker present: Dense"] == (True, "")
    assert result["graded function present: relu"] == (
        False, "no function named relu is defined in the notebook")


def test_notebook_set_ignores_files_and_broken_notebooks():
    broken = Submission(path="n.ipynb", format="notebook", broken="not a notebook")
    assert check_requirements("notebook", TASK, broken) == []
    # a module pack's file requirements are not asked of a notebook
    assert "shebang line" not in notebook_checks(notebook(defined("l2_reg_cost")))


# --- the registry -------------------------------------------------------------------

def test_registry_lists_the_sets():
    assert set(REQUIREMENT_SETS) == {"python-module", "notebook", "none"}
    for name, requirement_set in REQUIREMENT_SETS.items():
        assert requirement_set.name == name and requirement_set.description


def test_unknown_set_is_a_grader_error():
    with pytest.raises(GraderError, match="unknown requirement set 'pep8'.*python-module"):
        check_requirements("pep8", TASK, folder(CLEAN))


def test_none_set_has_no_checks():
    broken = CLEAN.replace("#!/usr/bin/env python3", "#!/bin/sh").replace("\n", "\r\n")
    assert check_requirements("none", TASK, folder(broken, executable=False)) == []
    assert check_requirements("none", TASK, notebook()) == []
