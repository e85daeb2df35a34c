"""Each requirement check fails on the problem it names, and passes clean files."""
from __future__ import annotations

from pathlib import Path

import pytest

from grader.models import Limits, Task
from grader.style import check_style
from grader.submission import SubmittedFile

TASK = Task(id="0", file="0-x.py", function="f", title="t", points=1,
            allowed_imports=("import numpy as np",), needs_tensorflow=False, limits=Limits())
CLEAN = '''#!/usr/bin/env python3
"""Module docstring."""
import numpy as np


def f(x):
    """Function docstring."""
    return np.sum(x)
'''


def failing(text: str, executable: bool = True) -> set[str]:
    item = SubmittedFile("0-x.py", text.encode(), executable)
    return {c.name for c in check_style(TASK, item) if not c.passed}


def test_clean_file_passes_everything():
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
    (CLEAN.replace("def f(x):", "def f(x) :"), True, {"pycodestyle"}),
    (CLEAN + "\ndef (:\n", True, {"module docstring", "function docstrings", "allowed imports",
                                  "pycodestyle"}),
])
def test_each_requirement_catches_its_problem(text, executable, expected):
    assert failing(text, executable) == expected


def test_unused_import_message_names_the_line():
    item = SubmittedFile("0-x.py", CLEAN.replace("return np.sum(x)", "return x").encode(), True)
    message = next(c.message for c in check_style(TASK, item) if c.name == "allowed imports")
    assert "never used (line 3)" in message


def test_reference_solutions_are_style_clean(pack):
    folder = Path(__file__).resolve().parent.parent / "solutions" / "regularization"
    for task in pack.tasks:
        path = folder / task.file
        item = SubmittedFile(task.file, path.read_bytes(), bool(path.stat().st_mode & 0o100))
        assert [c.message for c in check_style(task, item) if not c.passed] == [], task.file
