"""The checks of a public pack (`grade export-public`): stored cases, one generic judge.

A public pack ships to students, so it holds no reference solution and no code
that computes an expected value: only the public cases' inputs and the outputs
the reference solution's probe run gave on them, stored as data in
`public/cases.json` (a tagged tree of plain values) and `public/arrays.npz`
(its arrays, read with `allow_pickle=False`). Its `checks.py` is three lines:
`TASKS = load_tasks(folder)`. The judge compares every output the probe sends
back with the stored one, at the tolerances stored with them, and says where
the first difference is.

Stored trees: None, bool, int, str and finite floats as JSON; everything else
as {"t": ...}: "float" (non-finite), "list", "tuple", "dict", "array" and
"scalar" (a key of arrays.npz), "opaque" (a value known by its type name only).
"""
from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from grader.authoring import (Case, TaskChecks, close, compare_arrays, describe_value, to_array,
                              verdict)
from grader.errors import GraderError
from grader.wire import Opaque

FORMAT_VERSION = 1
CASES_FILE, ARRAYS_FILE = "cases.json", "arrays.npz"


# ------------------------------------------------------------------ storing plain data
class _Writer:
    """Turns plain values into JSON trees, collecting their arrays for arrays.npz."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self._keys: dict[tuple, str] = {}  # an array stored once however often it appears

    def tree(self, value: Any) -> Any:
        if value is None or type(value) in (bool, int, str):
            return value
        if type(value) is float:
            return value if math.isfinite(value) else {"t": "float", "v": repr(value)}
        if isinstance(value, (np.ndarray, np.generic)):
            return self._array(value)
        if type(value) in (list, tuple):
            return {"t": type(value).__name__, "items": [self.tree(v) for v in value]}
        if isinstance(value, dict) and all(type(k) is str for k in value):
            return {"t": "dict", "items": {k: self.tree(v) for k, v in value.items()}}
        if isinstance(value, Opaque):
            return {"t": "opaque", "type": value.type_name}
        raise GraderError(f"cannot store a value of type {type(value).__name__} in a public "
                          f"pack (plain data only: numbers, strings, lists, dicts, arrays)")

    def _array(self, value: np.ndarray | np.generic) -> dict[str, Any]:
        array = np.asarray(value)
        if array.dtype.kind not in "biufU":
            raise GraderError(f"cannot store an array of dtype {array.dtype} in a public pack")
        identity = (array.dtype.str, array.shape, hashlib.sha256(array.tobytes()).digest())
        key = self._keys.setdefault(identity, f"a{len(self._keys)}")
        self.arrays[key] = array
        return {"t": "scalar" if isinstance(value, np.generic) else "array", "key": key}


def save(folder: Path, document: dict[str, Any]) -> None:
    """Write `document` (any plain values) to folder/cases.json and folder/arrays.npz."""
    writer = _Writer()
    tree = writer.tree(document)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / CASES_FILE).write_text(json.dumps(tree, indent=1, allow_nan=False) + "\n")
    with open(folder / ARRAYS_FILE, "wb") as handle:
        np.savez_compressed(handle, **writer.arrays)


def load(folder: Path) -> dict[str, Any]:
    """The document `save` wrote; arrays read without pickle and made read-only."""
    try:
        tree = json.loads((folder / CASES_FILE).read_text())
        with np.load(folder / ARRAYS_FILE, allow_pickle=False) as stored:
            arrays = {key: stored[key] for key in stored.files}
    except (OSError, ValueError) as exc:
        raise GraderError(f"public pack data in {folder} is unreadable: {exc}") from None
    for array in arrays.values():
        array.setflags(write=False)
    return _value(tree, arrays)


def _value(tree: Any, arrays: dict[str, np.ndarray]) -> Any:
    if not isinstance(tree, dict):
        return tree
    kind = tree["t"]
    if kind == "float":
        return float(tree["v"])
    if kind in ("list", "tuple"):
        items = [_value(v, arrays) for v in tree["items"]]
        return items if kind == "list" else tuple(items)
    if kind == "dict":
        return {k: _value(v, arrays) for k, v in tree["items"].items()}
    if kind == "array":
        return arrays[tree["key"]]
    if kind == "scalar":
        return arrays[tree["key"]][()]
    if kind == "opaque":
        return Opaque(tree["type"])
    raise GraderError(f"public pack data: unknown value tag {kind!r}")


# ------------------------------------------------------------------ the checks
def load_tasks(folder: Path) -> dict[str, TaskChecks]:
    """`TASKS` of a public pack: each task's stored cases and the generic judge."""
    document = load(Path(folder))
    if document.get("format_version") != FORMAT_VERSION:
        raise GraderError(f"public pack data in {folder} has format "
                          f"{document.get('format_version')!r}; this grader reads "
                          f"{FORMAT_VERSION}: export the pack again")
    tolerance = document["tolerance"]
    return {task_id: TaskChecks(_stored_cases(cases, tolerance), judge)
            for task_id, cases in document["tasks"].items()}


def _stored_cases(cases: list[dict[str, Any]], tolerance: dict[str, float]):
    stored = [Case(c["name"], c["inputs"], public=True,
                   context={"expected": c["expected"], "tolerance": tolerance})
              for c in cases]

    def cases_of(ctx) -> list[Case]:
        return stored
    return cases_of


def judge(case: Case, outputs: dict[str, Any]) -> list:
    """One check per output of the probe: the student's output equals the stored one."""
    expected, tolerance = case.context["expected"], case.context["tolerance"]
    checks = []
    for key, wanted in expected.items():
        name = f"{key} as expected"
        if key not in outputs:
            checks.append(verdict(name, False, f"the probe sent back no {key!r}"))
            continue
        problem = difference(key, wanted, outputs[key], tolerance)
        checks.append(verdict(name, problem is None, problem or ""))
    return checks


def difference(path: str, expected: Any, got: Any, tolerance: dict[str, float]) -> str | None:
    """Where `got` first differs from `expected` (a sentence naming the place), or None."""
    if isinstance(expected, (list, tuple, dict)):
        if type(got) is not type(expected):
            return (f"{path}: expected a {type(expected).__name__} of {len(expected)} items, "
                    f"got {describe_value(got)}")
        if isinstance(expected, dict):
            if set(got) != set(expected):
                return (f"{path}: expected the keys {sorted(expected)}, got {sorted(got)}")
            pairs = [(f"{path}[{k!r}]", expected[k], got[k]) for k in expected]
        else:
            if len(got) != len(expected):
                return f"{path}: expected {len(expected)} items, got {len(got)}"
            pairs = [(f"{path}[{i}]", e, g) for i, (e, g) in enumerate(zip(expected, got))]
        for where, e, g in pairs:
            found = difference(where, e, g, tolerance)
            if found:
                return found
        return None
    if isinstance(expected, Opaque):
        same = isinstance(got, Opaque) and got.type_name == expected.type_name
        return None if same else (f"{path}: expected an object of type {expected.type_name}, "
                                  f"got {describe_value(got)}")
    if expected is None or isinstance(expected, str):
        return None if got == expected and type(got) is type(expected) else (
            f"{path}: expected {expected!r}, got {describe_value(got)}")
    wanted = to_array(expected)
    if wanted is None:
        return f"{path}: the stored value cannot be compared ({describe_value(expected)})"
    if wanted.ndim == 0:
        return _scalar_difference(path, expected, got, tolerance)
    check = compare_arrays(path, got, wanted, what=path, **tolerance)
    return None if check.passed else check.message


def _scalar_difference(path: str, expected: Any, got: Any,
                       tolerance: dict[str, float]) -> str | None:
    """A number against a number: equal within tolerance (True counts as 1)."""
    value = to_array(got)
    if value is None or value.ndim != 0:
        return f"{path}: expected a number ({_shown(expected)}), got {describe_value(got)}"
    if close(value, to_array(expected), **tolerance):
        return None
    return f"{path}: expected {_shown(expected)}, got {_shown(got)}"


def _shown(value: Any) -> str:
    return repr(value.item() if isinstance(value, (np.ndarray, np.generic)) else value)
