"""Builders for discovery tests: notebooks like the course's, and the packs' wants."""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from grader.formats import Wanted

TASK_FILES = ("0-l2_reg_cost.py", "1-l2_reg_gradient_descent.py", "2-l2_reg_cost.py")
MODULE_PACK = Wanted(files=TASK_FILES, names=(), definitions_only=False)
GRADED = ("compute_cost_with_regularization", "backward_propagation_with_regularization")
NOTEBOOK_PACK = Wanted(files=(), names=GRADED, definitions_only=True)

IMPORTS = """import numpy as np
import matplotlib.pyplot as plt
from reg_utils import sigmoid, relu, compute_cost
%matplotlib inline
plt.rcParams['figure.figsize'] = (7.0, 4.0)"""

COST = """# GRADED FUNCTION: compute_cost_with_regularization

def compute_cost_with_regularization(A3, Y, parameters, lambd):
    \"\"\"Cost with L2 regularization.\"\"\"
    m = Y.shape[1]
    W1 = parameters["W1"]
    W2 = parameters["W2"]
    W3 = parameters["W3"]
    cross_entropy_cost = compute_cost(A3, Y)

    ### START CODE HERE ### (approx. 1 line)
    {body}
    ### END CODE HERE ###

    cost = cross_entropy_cost + L2_regularization_cost
    return cost"""

COST_DONE = ("L2_regularization_cost = lambd / (2 * m) * (np.sum(np.square(W1)) "
             "+ np.sum(np.square(W2)) + np.sum(np.square(W3)))")

BACKWARD = """# GRADED FUNCTION: backward_propagation_with_regularization

def backward_propagation_with_regularization(X, Y, cache, lambd):
    m = X.shape[1]
    (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3) = cache
    dZ3 = A3 - Y
    ### START CODE HERE ### (approx. 1 line)
    {body}
    ### END CODE HERE ###
    return dW3"""

BACKWARD_DONE = "dW3 = 1. / m * np.dot(dZ3, A2.T) + lambd / m * W3"


def course_cells(done: bool) -> list[str]:
    """Code cells of a course notebook: the untouched template, or a student's work."""
    return [
        IMPORTS,
        "train_X, train_Y, test_X, test_Y = load_2D_dataset()",
        COST.format(body=COST_DONE if done else "L2_regularization_cost = None"),
        "A3, Y_assess, parameters = compute_cost_with_regularization_test_case()\n"
        "print(\"cost = \" + str(compute_cost_with_regularization(A3, Y_assess, parameters, 0.1)))",
        BACKWARD.format(body=BACKWARD_DONE if done else "dW3 = None"),
    ]


def notebook_text(cells: list[str], markdown_first: bool = True, outputs: bytes = b"") -> str:
    """A v4 notebook: a markdown cell first (so code cell indexes start at 1), then `cells`."""
    nb = new_notebook()
    if markdown_first:
        nb.cells.append(new_markdown_cell("# Regularization"))
    for index, source in enumerate(cells):
        cell = new_code_cell(source)
        if outputs and index == 1:  # a plot under the data-loading cell
            cell.outputs = [new_output("display_data",
                                       data={"image/png": outputs.decode("ascii")})]
        nb.cells.append(cell)
    return nbformat.writes(nb)


def write_notebook(path: Path, cells: list[str], **options) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(notebook_text(cells, **options), encoding="utf-8")
    return path


def v3_notebook_text(cells: list[str]) -> str:
    """An nbformat v3 notebook as raw JSON (worksheets, `input` lines)."""
    return json.dumps({
        "metadata": {"name": "old"},
        "nbformat": 3,
        "nbformat_minor": 0,
        "worksheets": [{
            "cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# Old"]}] + [
                {"cell_type": "code", "collapsed": False, "input": source.splitlines(True),
                 "language": "python", "metadata": {}, "outputs": [], "prompt_number": i}
                for i, source in enumerate(cells, start=1)],
            "metadata": {}}],
    }, indent=1)
