"""Single modules, notebooks, and choosing the student's notebook among several."""
from __future__ import annotations

import json

from formats_support import (GRADED, MODULE_PACK, NOTEBOOK_PACK, TASK_FILES, course_cells,
                             v3_notebook_text, write_notebook)
from grader.formats import Wanted, read_submission


def test_a_single_module_for_a_module_pack(tmp_path):
    path = tmp_path / TASK_FILES[0]
    path.write_bytes(b"\xef\xbb\xbf#!/usr/bin/env python3\r\nx = 1\r\n")  # BOM and CRLF kept
    submission = read_submission(str(path), MODULE_PACK)
    assert submission.format == "module"
    assert submission.broken is None
    assert list(submission.files) == [TASK_FILES[0]]
    assert submission.get(TASK_FILES[0]).data == b"\xef\xbb\xbf#!/usr/bin/env python3\r\nx = 1\r\n"


def test_a_single_module_for_a_notebook_pack_is_definitions_only(tmp_path):
    path = tmp_path / "reg.py"
    path.write_bytes(("\ufeffimport numpy as np\r\n"
                      "def compute_cost_with_regularization(A3, Y, parameters, lambd):\r\n"
                      "    return 1.0\r\n"
                      "print(compute_cost_with_regularization(1, 2, 3, 4))\r\n").encode())
    submission = read_submission(str(path), NOTEBOOK_PACK)
    assert submission.format == "module"
    assert submission.module.name == "reg.py"
    assert "print(" not in submission.module.text
    definition = submission.definitions["compute_cost_with_regularization"]
    assert (definition.kind, definition.cell, definition.line) == ("function", None, 2)
    assert definition.placeholder is False


def test_a_module_that_is_not_utf8(tmp_path):
    path = tmp_path / TASK_FILES[0]
    path.write_bytes("s = 'caf\xe9'\n".encode("latin-1"))
    reason = read_submission(str(path), MODULE_PACK).skip_reason(TASK_FILES[0])
    assert reason.startswith("not UTF-8 text (line 1: byte 0xE9")
    broken = read_submission(str(path), NOTEBOOK_PACK).broken
    assert broken == f"{TASK_FILES[0]} cannot be used: {reason}"


def test_a_notebook_given_as_the_path(tmp_path):
    path = write_notebook(tmp_path / "Regularization_v2a.ipynb", course_cells(done=True))
    submission = read_submission(str(path), NOTEBOOK_PACK)
    assert submission.broken is None
    assert submission.format == "notebook"
    assert submission.module.name == "Regularization_v2a.py"
    assert set(GRADED) <= set(submission.definitions)
    cost = submission.definitions["compute_cost_with_regularization"]
    assert (cost.cell, cost.line, cost.marker, cost.placeholder) == (4, 3, True, False)
    source = submission.module.text
    assert "load_2D_dataset()" not in source and "print(" not in source
    assert "%matplotlib" not in source and "rcParams" not in source
    assert "from reg_utils import sigmoid, relu, compute_cost" in source
    compile(source, "Regularization_v2a.py", "exec")


def test_a_v3_notebook_is_upgraded(tmp_path):
    path = tmp_path / "old.ipynb"
    path.write_text(v3_notebook_text(course_cells(done=True)))
    submission = read_submission(str(path), NOTEBOOK_PACK)
    assert submission.broken is None
    assert submission.definitions["backward_propagation_with_regularization"].cell == 6
    assert "dW3 = 1. / m * np.dot(dZ3, A2.T)" in submission.module.text


def test_invalid_json_and_json_that_is_not_a_notebook(tmp_path):
    path = tmp_path / "broken.ipynb"
    path.write_text('{\n "cells": [\n  {"cell_type": "code",, }\n ]\n}\n')
    submission = read_submission(str(path), NOTEBOOK_PACK)
    assert submission.broken == "not a notebook: invalid JSON (line 3)"
    assert submission.module is None
    path.write_text(json.dumps({"name": "package.json"}))
    assert read_submission(str(path), NOTEBOOK_PACK).broken.startswith("not a notebook: ")
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "cells": "nope"}))
    assert read_submission(str(path), NOTEBOOK_PACK).broken.startswith("not a notebook: ")


def test_in_a_folder_a_broken_notebook_is_skipped_and_another_graded(tmp_path):
    (tmp_path / "a.ipynb").write_text('{\n "cells": [\n  oops\n ]\n}\n')
    write_notebook(tmp_path / "b.ipynb", course_cells(done=True))
    submission = read_submission(str(tmp_path), NOTEBOOK_PACK)
    assert submission.broken is None
    assert submission.module.name == "b.py"
    assert submission.skip_reason("a.ipynb") == "not a notebook (invalid JSON at line 3)"


def test_the_template_and_the_students_copy_content_wins(tmp_path):
    write_notebook(tmp_path / "Regularization.ipynb", course_cells(done=False))
    write_notebook(tmp_path / "Regularization_v2a.ipynb", course_cells(done=True))
    (tmp_path / "reg_utils.py").write_text("def compute_cost(a3, Y):\n    return 0.5\n")
    write_notebook(tmp_path / ".ipynb_checkpoints" / "Regularization_v2a-checkpoint.ipynb",
                   course_cells(done=True))
    submission = read_submission(str(tmp_path), NOTEBOOK_PACK)
    assert submission.broken is None
    assert submission.format == "folder (notebook inside)"
    assert submission.module.name == "Regularization_v2a.py"
    assert not submission.definitions["compute_cost_with_regularization"].placeholder
    assert submission.notes[0] == (
        "graded Regularization_v2a.ipynb (defines 2 of the 2 graded names beyond the course's "
        "placeholders); also seen: Regularization.ipynb (0 of 2), reg_utils.py (0 of 2)")
    assert submission.files == {}  # a notebook's folder is not copied: only its definitions


def test_the_template_alone_is_graded_and_is_a_placeholder(tmp_path):
    write_notebook(tmp_path / "Regularization.ipynb", course_cells(done=False))
    (tmp_path / "testCases.py").write_text("def compute_cost_with_regularization_test_case():"
                                           "\n    return 1, 2, 3\n")
    submission = read_submission(str(tmp_path), NOTEBOOK_PACK)
    assert submission.module.name == "Regularization.py"
    assert all(submission.definitions[name].placeholder for name in GRADED)


def test_two_equal_copies_are_an_error_naming_both(tmp_path):
    write_notebook(tmp_path / "Regularization - v2.ipynb", course_cells(done=True))
    write_notebook(tmp_path / "Regularization(1).ipynb", course_cells(done=True))
    write_notebook(tmp_path / "Regularization.ipynb", course_cells(done=False))
    submission = read_submission(str(tmp_path), NOTEBOOK_PACK)
    assert submission.broken == ("several notebooks define the graded functions equally "
                                 "(Regularization - v2.ipynb, Regularization(1).ipynb): "
                                 "hand in one")
    assert submission.module is None


def test_a_notebook_wins_a_tie_with_its_python_export(tmp_path):
    write_notebook(tmp_path / "work" / "Regularization.ipynb", course_cells(done=True))
    export = "\n\n".join(c for c in course_cells(done=True) if "%" not in c)
    (tmp_path / "work" / "Regularization.py").write_text(export)
    submission = read_submission(str(tmp_path), NOTEBOOK_PACK)
    assert submission.broken is None
    assert submission.location == "work"
    assert submission.definitions["compute_cost_with_regularization"].cell == 4
    assert submission.notes[0].startswith("graded work/Regularization.ipynb")


def test_a_folder_with_nothing_to_grade(tmp_path):
    (tmp_path / "notes.md").write_text("nothing here")
    (tmp_path / "big.ipynb").write_bytes(b" " * (11 * 1024 * 1024))
    submission = read_submission(str(tmp_path), NOTEBOOK_PACK)
    assert submission.broken == ("nothing to grade: big.ipynb was skipped "
                                 "(larger than 10 MB (11.0 MB))")
    (tmp_path / "big.ipynb").unlink()
    submission = read_submission(str(tmp_path), NOTEBOOK_PACK)
    assert submission.broken == ("nothing to grade: no notebook (.ipynb) or Python module (.py) "
                                 "was found")


def test_a_notebook_with_megabytes_of_outputs_is_read_and_outputs_never_copied(tmp_path):
    picture = b"iVBORw0KGgo" + b"A" * (3 * 1024 * 1024)
    path = write_notebook(tmp_path / "Regularization.ipynb", course_cells(done=True),
                          outputs=picture)
    assert path.stat().st_size > 3 * 1024 * 1024
    submission = read_submission(str(tmp_path), NOTEBOOK_PACK)
    assert submission.broken is None
    assert len(submission.module.data) < 10_000
    assert b"AAAAAAAA" not in submission.module.data


def test_a_class_pack_without_names_takes_the_file_with_the_real_code(tmp_path):
    (tmp_path / "template.py").write_text("class Layer_Dense:\n    def forward(self, x):\n"
                                          "        pass\n")
    (tmp_path / "nn.py").write_text(
        "import numpy as np\nimport nnfs\nnnfs.init()\n"
        "class Layer_Dense:\n    def forward(self, x):\n        self.output = x\n"
        "class Activation_ReLU:\n    def forward(self, x):\n"
        "        self.output = np.maximum(0, x)\n"
        "dense = Layer_Dense()\nfor epoch in range(10001):\n    dense.forward(epoch)\n")
    submission = read_submission(str(tmp_path), Wanted(files=(), names=(), definitions_only=True))
    assert submission.module.name == "nn.py"
    assert set(submission.definitions) == {"Layer_Dense", "Activation_ReLU"}
    assert "nnfs.init()" not in submission.module.text
    assert "for epoch" not in submission.module.text
    assert submission.notes[0] == ("graded nn.py (2 functions or classes with code beyond "
                                   "placeholders); also seen: template.py (0 with code)")
    assert "3 top-level statements that do work were not run (training loops, prints, plots)" \
        in submission.notes
