"""Definitions-only source: what is kept, what is dropped, cells, markers, placeholders."""
from __future__ import annotations

import ast
import sys
import types

from formats_support import NOTEBOOK_PACK, course_cells, notebook_text, write_notebook
from grader.formats import analyse_file, read_submission, source_origin
from grader.formats.notebook import code_cells, python_source
from grader.formats.source import analyse_module, analyse_notebook

MODULE = '''"""A student's nnfs file."""
from __future__ import annotations
import numpy as np
import nnfs
from nnfs.datasets import spiral_data
try:
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
try:
    import cv2
    HAVE_CV2 = True
except ImportError:
    HAVE_CV2 = False
nnfs.init()
np.random.seed(1)
LEARNING_RATE = 0.05
SIZES: tuple = (2, 64, 3)
START = np.zeros((1, 3)); print(START); DECAY = 1e-3
X, y = spiral_data(samples=100, classes=3)
N = X.shape[0]
relu = lambda z: np.maximum(0, z)
COUNT = 0
COUNT += 1
np.set_printoptions(precision=3)
plt.rcParams["figure.figsize"] = (7.0, 4.0)

def lr_at(step, lr=LEARNING_RATE):
    return lr / (1 + DECAY * step)

@dataclass_like
class Layer_Dense:
    def __init__(self, n_inputs, n_neurons):
        self.weights = 0.01 * np.random.randn(n_inputs, n_neurons)

for epoch in range(10001):
    print(epoch)
while False:
    pass
with open("log.txt", "w") as log:
    log.write("x")
if __name__ == "__main__":
    raise SystemExit("the training loop ran")
'''


def test_definitions_only_keeps_definitions_and_drops_work():
    analysis = analyse_file(MODULE, "nn.py")
    source, notes = analysis.source, analysis.notes
    kept = ast.parse(source)
    top = [type(node).__name__ for node in kept.body]
    assert top == ["Expr", "ImportFrom", "Import", "Import", "ImportFrom", "Try", "Try",
                   "Assign", "AnnAssign", "Assign", "Assign", "Assign", "Assign",
                   "FunctionDef", "ClassDef"]
    for gone in ("nnfs.init()", "np.random.seed", "print(", "spiral_data(samples", "N = X",
                 "COUNT += 1", "set_printoptions", "rcParams", "for epoch", "while False",
                 "open(", "__main__"):
        assert gone not in source, gone
    for kept_text in ("HAVE_CV2 = False", "START = np.zeros((1, 3)); DECAY = 1e-3",
                      "relu = lambda z", "@dataclass_like", "def lr_at(step, lr=LEARNING_RATE)"):
        assert kept_text in source, kept_text
    assert notes == ["12 top-level statements that do work were not run "
                     "(training loops, prints, plots)"]


def test_a_modules_lines_keep_their_numbers_and_nothing_runs(monkeypatch):
    nnfs, datasets = types.ModuleType("nnfs"), types.ModuleType("nnfs.datasets")
    nnfs.init = datasets.spiral_data = None  # a call to either would fail
    monkeypatch.setitem(sys.modules, "nnfs", nnfs)
    monkeypatch.setitem(sys.modules, "nnfs.datasets", datasets)
    analysis = analyse_file(MODULE, "nn.py")
    source, _ = analysis.source, analysis.notes
    original, reduced = MODULE.split("\n"), source.split("\n")
    assert len(reduced) == len(original)
    for number, line in enumerate(reduced):
        if number == 18:  # `START = ...; print(START); DECAY = ...`: the print is gone
            assert line == "START = np.zeros((1, 3)); DECAY = 1e-3"
        else:
            assert line in ("", original[number]), (number, line)
    assert reduced[MODULE.split("\n").index("def lr_at(step, lr=LEARNING_RATE):")].startswith(
        "def lr_at")
    namespace = {"dataclass_like": lambda cls: cls}
    exec(compile(source, "nn.py", "exec"), namespace)  # no training, no file, no SystemExit
    assert namespace["lr_at"](0) == 0.05
    assert namespace["DECAY"] == 1e-3 and namespace["HAVE_CV2"] in (True, False)
    assert "N" not in namespace  # set from X, which only a dropped statement sets


def test_module_definitions_and_placeholders():
    analysis = analyse_module(MODULE + "\ndef todo(x):\n    '''Doc.'''\n    y = None\n"
                              "    return y\nclass Later:\n    def f(self):\n"
                              "        raise NotImplementedError\n", "nn.py")
    definitions = analysis.definitions
    assert definitions["lr_at"].line == 28
    assert definitions["Layer_Dense"].line == 32  # the class line, after its decorator
    assert definitions["relu"].kind == "function"
    assert definitions["LEARNING_RATE"].kind == "constant"
    assert "N" not in definitions and "epoch" not in definitions
    assert definitions["todo"].placeholder and definitions["Later"].placeholder
    assert not definitions["lr_at"].placeholder and not definitions["Layer_Dense"].placeholder


def test_a_module_that_does_not_compile_is_returned_as_it_is():
    text = "def f(:\n    pass\n"
    analysis = analyse_file(text, "bad.py")
    source, notes = analysis.source, analysis.notes
    assert source == text
    assert notes == ["bad.py could not be parsed (SyntaxError: invalid syntax, line 1): "
                     "it defines nothing"]


def test_ipython_syntax_is_dropped_and_lines_stay_true():
    cell = ("%matplotlib inline\n!pip install x\nnp.dot?\n?np.dot\nfiles = !ls\n"
            "t = %timeit f()\nimport numpy as np\n"
            "def f(x):\n    %time y = x\n    return x\n")
    text = python_source(cell)
    assert text.split("\n")[:7] == ["", "", "", "", "", "", "import numpy as np"]
    assert text.split("\n")[7] == "def f(x):"
    assert python_source("%%time\nimport os\n").split("\n") == ["", "import os", ""]
    assert python_source("%%bash\necho hi\n") is None
    assert python_source("%%writefile x.py\nimport os\n") is None
    assert python_source("%%capture\n!pip install x\n") is None
    continued = "y = (1\n% 2)\n"  # valid Python: a continuation line starting with %
    assert python_source(continued) == continued
    analysis = analyse_notebook([(1, cell)], "n.ipynb")
    assert analysis.definitions["f"].line == 8


def test_a_broken_cell_defines_nothing_and_the_others_go_on():
    cells = [(1, "def f():\n    return 'first'\n"),
             (2, "def g():\n    return 'g'\n"),
             (3, "x = 1\n\ndef f():\n    return 'broken'\n  oops\n"),
             (4, "print 'python 2'\n"),
             (5, "def h():\n    return 'h'\n")]
    analysis = analyse_notebook(cells, "n.ipynb")
    assert analysis.notes[:2] == [
        "cell 3 could not be parsed (IndentationError: unindent does not match any outer "
        "indentation level, line 5): it defines nothing",
        "cell 4 could not be parsed (SyntaxError: Missing parentheses in call to 'print'. "
        "Did you mean print(...)?, line 1): it defines nothing"]
    assert analysis.definitions["f"].cell == 1  # the earlier definition stays in effect
    assert set(analysis.definitions) == {"f", "g", "h"}
    namespace: dict = {}
    exec(analysis.source, namespace)
    assert namespace["f"]() == "first"
    assert "x" not in namespace


def test_the_last_definition_wins():
    cells = [(1, "# GRADED FUNCTION: f\ndef f():\n    return 1\n"),
             (2, "def f():\n    return 2\n"),
             (4, "f = 3\nf = 4\n"),
             (6, "def f():\n    return 5\n")]
    analysis = analyse_notebook(cells, "n.ipynb")
    definition = analysis.definitions["f"]
    assert (definition.cell, definition.line, definition.marker) == (6, 1, False)
    assert [d.cell for d in analysis.all_definitions["f"]] == [1, 2, 4, 4, 6]
    namespace: dict = {}
    exec(analysis.source, namespace)
    assert namespace["f"]() == 5


def test_marker_spelling_variants_are_found(tmp_path):
    cells = course_cells(done=True)
    cells[2] = cells[2].replace("# GRADED FUNCTION: compute_cost_with_regularization",
                                "#GRADED FUNCTION:compute_cost_with_regularization")
    cells[4] = cells[4].replace("# GRADED FUNCTION: backward_propagation_with_regularization",
                                "  # graded function : backward_propagation_with_regularization")
    analysis = analyse_notebook(code_cells(notebook_text(cells)), "n.ipynb")
    assert analysis.definitions["compute_cost_with_regularization"].marker
    assert analysis.definitions["backward_propagation_with_regularization"].marker


def test_missing_and_misplaced_markers_are_noted(tmp_path):
    cells = course_cells(done=True)
    cells[2] = cells[2].replace("# GRADED FUNCTION: compute_cost_with_regularization",
                                "# GRADED FUNCTON: compute_cost_with_regularization")
    cells.append("def backward_propagation_with_regularization(X, Y, cache, lambd):\n"
                 "    return {}\n")
    path = write_notebook(tmp_path / "n.ipynb", cells)
    submission = read_submission(str(path), NOTEBOOK_PACK)
    cost = submission.definitions["compute_cost_with_regularization"]
    backward = submission.definitions["backward_propagation_with_regularization"]
    assert (cost.marker, backward.marker, backward.cell) == (False, False, 7)
    assert ("compute_cost_with_regularization: no '# GRADED FUNCTION' marker found; "
            "graded the last definition, cell 4") in submission.notes
    assert ("backward_propagation_with_regularization: graded the last definition (cell 7), "
            "not the one marked '# GRADED FUNCTION: backward_propagation_with_regularization' "
            "(cell 6)") in submission.notes


def test_placeholders_of_both_course_editions():
    template = analyse_notebook(code_cells(notebook_text(course_cells(done=False))), "t.ipynb")
    done = analyse_notebook(code_cells(notebook_text(course_cells(done=True))), "d.ipynb")
    assert template.definitions["compute_cost_with_regularization"].placeholder
    assert template.definitions["backward_propagation_with_regularization"].placeholder
    assert not done.definitions["compute_cost_with_regularization"].placeholder
    edition_2021 = ("def f(X):\n    m = X.shape[1]\n    #(≈ 1 lines of code)\n"
                    "    # cost = \n    # YOUR CODE STARTS HERE\n    \n    \n"
                    "    # YOUR CODE ENDS HERE\n    return cost\n")
    assert analyse_notebook([(1, edition_2021)], "n.ipynb").definitions["f"].placeholder
    filled = edition_2021.replace("    \n    \n", "    cost = m * 2\n")
    assert not analyse_notebook([(1, filled)], "n.ipynb").definitions["f"].placeholder


def test_notebook_source_says_where_each_statement_comes_from():
    cells = [(1, "from __future__ import annotations\nimport numpy as np\n"),
             (3, "run()\n\n\ndef f(x):\n    y = x\n    return 1 / 0\n"),
             (5, "from __future__ import division\nK = 2\n")]
    analysis = analyse_file(notebook_text(["x"]), "x.ipynb")  # the .ipynb form
    source, notes = analysis.source, analysis.notes
    assert notes == ["1 top-level statement that does work was not run "
                     "(training loops, prints, plots)"]
    analysis = analyse_notebook(cells, "n.ipynb")
    source = analysis.source
    assert "from __future__ import annotations, division" in source
    lines = source.split("\n")
    error_line = lines.index("    return 1 / 0") + 1
    assert source_origin(source, error_line) == (3, 6)
    assert source_origin(source, lines.index("K = 2") + 1) == (5, 2)
    namespace: dict = {}
    exec(compile(source, "n.py", "exec", dont_inherit=True), namespace)
    assert namespace["K"] == 2
    try:
        namespace["f"](1)
    except ZeroDivisionError as exc:
        line = exc.__traceback__.tb_next.tb_lineno
        assert source_origin(source, line) == (3, 6)


def test_the_analysis_of_text_that_is_not_a_notebook():
    analysis = analyse_file("{oops", "n.ipynb")
    assert (analysis.source, analysis.notes) == (
        "", ["n.ipynb is not a notebook (invalid JSON at line 1)"])


def test_a_definition_using_a_name_that_is_not_set_is_noted():
    analysis = analyse_module("X = load()\nclass Net(X):\n    pass\ndef f(a=X):\n    return a\n",
                              "m.py")
    assert set(analysis.definitions) == {"Net", "f"}  # kept: they are what is graded
    assert analysis.notes[:2] == [
        "Net (line 2): its definition uses X, set only by statements that are not run",
        "f (line 4): its definition uses X, set only by statements that are not run"]


def test_hostile_cells_never_raise():
    cells = [(0, "x = 1\x00"), (1, "x = " + "1+" * 200_000 + "1"), (2, "y = " + "(" * 500),
             (3, "return 5"), (4, "def ok():\n    return 'ok'\n")]
    analysis = analyse_notebook(cells, "n.ipynb")
    assert set(analysis.definitions) == {"ok"}
    assert [note.split(" could not")[0] for note in analysis.notes] == [
        "cell 0", "cell 1", "cell 2", "cell 3"]  # cell 3: a kernel refuses `return` there too


def test_a_namedtuple_is_a_definition():
    """`Entry = namedtuple(...)` defines a class (a history's entries), as `class` does."""
    module = ("from collections import namedtuple\n"
              "Entry = namedtuple('Entry', ['step', 'loss', 'val_accuracy'])\n"
              "LOG = namedtuple('Log', 'step ' + str(print('run')))\n")
    analysis = analyse_file(module, "log.py")
    source, notes = analysis.source, analysis.notes
    assert "Entry = namedtuple" in source and "LOG" not in source
    assert notes == ["1 top-level statement that does work was not run "
                     "(training loops, prints, plots)"]


def test_a_numpy_generator_is_kept_and_names_only_unrun_code_sets_say_where():
    analysis = analyse_module("import numpy as np\nrng = np.random.default_rng(0)\n"
                              "legacy = np.random.RandomState(1)\nnp.random.seed(2)\n"
                              "X, Y = load()\nX = np.zeros(3)\nnoise = np.random.rand(3)\n",
                              "m.py")
    assert "rng = np.random.default_rng(0)" in analysis.source
    assert "legacy = np.random.RandomState(1)" in analysis.source
    assert "np.random.seed" not in analysis.source and "np.random.rand(" not in analysis.source
    # X is set again by a kept statement: only Y and noise are left unset
    assert analysis.not_run == {"Y": "line 5", "noise": "line 7"}
    cells = analyse_notebook([(1, "import numpy as np"), (3, "params = init()\nkp = 0.8")],
                             "n.ipynb")
    assert cells.not_run == {"params": "cell 3, line 1"}
