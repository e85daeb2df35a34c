"""Students of the classroom pack (tests/packs/classroom) for the export tests.

Each student is a folder with `double.py` and `mean.py`, written from one of
the bodies below: correct ones, classic mistakes the pack names, an endless
loop (a timeout), and a style problem (a requirement check, not correctness).
"""
from __future__ import annotations

import os
from pathlib import Path

TESTS = Path(__file__).resolve().parent
PACKS = TESTS / "packs"
SOLUTIONS = TESTS / "solutions" / "classroom"
PACK = "classroom"

DOUBLE = {
    "correct": "return np.multiply(x, 2)",
    "plus_one": "return np.multiply(x, 2) + 1",
    "square": "return np.square(x)",
}
MEAN = {
    "correct": "return np.mean(a)",
    "sum": "return np.sum(a)",
    "sample": "return np.sum(a) / (a.size - 1)",
    "loops": "while True:\n        pass",
}


def module(name: str, body: str, docstring: bool = True) -> str:
    doc = f'    """{name}."""\n' if docstring else ""
    return (f'#!/usr/bin/env python3\n"""A student\'s {name}."""\nimport numpy as np\n\n\n'
            f"def {name}({'x' if name == 'double' else 'a'}):\n{doc}    {body}\n")


def student(folder: Path, double: str = "correct", mean: str = "correct",
            docstrings: bool = True) -> Path:
    """A student's submission folder with the given bodies (keys of DOUBLE and MEAN)."""
    folder.mkdir(parents=True, exist_ok=True)
    for file, name, body in (("double.py", "double", DOUBLE[double]),
                             ("mean.py", "mean_of", MEAN[mean])):
        path = folder / file
        path.write_text(module(name, body, docstrings))
        os.chmod(path, 0o755)
    return folder
