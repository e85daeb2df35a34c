"""Assignment packs: a folder of data (pack.toml) plus small check functions.

A pack holds:
- `pack.toml`   the task list (file, function, points, allowed imports, limits);
- `checks.py`   trusted, parent-side: makes inputs, judges raw outputs
                (`TASKS = {task_id: TaskChecks(...)}`);
- `probes.py`   child-side: calls the student's function on the inputs and
                returns raw outputs (`PROBES = {task_id: probe}`). It runs next
                to student code, so it must hold no expected value;
- `statement.md` what students are asked.
The engine knows nothing about any one pack.
"""
from __future__ import annotations

import functools
import importlib.util
import os
import sys
import threading
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

from grader.errors import GraderError
from grader.models import Case, CheckResult, Limits, Task

REPO_ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS_DIR = Path(os.environ.get("GRADER_ASSIGNMENTS", REPO_ROOT / "assignments"))


@dataclass(frozen=True)
class TaskChecks:
    """The parent-side half of a task: inputs to try and how to judge outputs."""

    cases: Callable[[Any], list[Case]]  # rng -> cases
    judge: Callable[[Case, dict], list[CheckResult]]  # case, raw outputs -> checks


@dataclass(frozen=True)
class Pack:
    """A loaded, validated assignment pack."""

    name: str
    title: str
    root: Path
    tasks: tuple[Task, ...]
    checks: dict[str, TaskChecks]

    @property
    def probes_path(self) -> Path:
        return self.root / "probes.py"


def available_packs() -> list[str]:
    if not ASSIGNMENTS_DIR.is_dir():
        return []
    return sorted(p.name for p in ASSIGNMENTS_DIR.iterdir() if (p / "pack.toml").is_file())


@functools.cache
def load_pack(name: str) -> Pack:
    """Load and validate the pack called `name`; unknown keys are errors.

    Loaded once per process: a batch grades hundreds of submissions with it."""
    if name not in available_packs():
        known = ", ".join(available_packs()) or "none"
        raise GraderError(f"unknown assignment {name!r} (known: {known})")
    root = ASSIGNMENTS_DIR / name
    try:
        data = tomllib.loads((root / "pack.toml").read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise GraderError(f"assignment {name!r}: pack.toml is unreadable: {exc}") from None
    _only_keys(data, {"title", "limits", "tensorflow_limits", "tasks"}, "pack.toml")
    base_limits = _limits(data.get("limits", {}), Limits())
    tf_limits = _limits(data.get("tensorflow_limits", {}), base_limits)
    tasks = tuple(_task(t, base_limits, tf_limits) for t in data.get("tasks", []))
    if not tasks or len({t.id for t in tasks}) != len(tasks):
        raise GraderError(f"assignment {name!r}: tasks missing or ids repeated")
    checks_module = _import_file(f"grader_pack_{name}_checks", root / "checks.py")
    checks = getattr(checks_module, "TASKS", None)
    if not isinstance(checks, dict) or set(checks) != {t.id for t in tasks}:
        raise GraderError(f"assignment {name!r}: checks.py TASKS must cover every task")
    return Pack(name=name, title=data.get("title", name), root=root, tasks=tasks, checks=checks)


def detect_pack(file_names: set[str]) -> str:
    """The pack whose task files best match the submission's file names."""
    best, best_hits = None, 0
    for name in available_packs():
        data = tomllib.loads((ASSIGNMENTS_DIR / name / "pack.toml").read_text())
        hits = len(file_names & {t.get("file") for t in data.get("tasks", [])})
        if hits > best_hits:
            best, best_hits = name, hits
    if best is None:
        raise GraderError("cannot recognise the assignment from the file names; pass --assignment")
    return best


def _only_keys(data: dict, allowed: set[str], where: str) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise GraderError(f"{where}: unknown keys {sorted(unknown)}")


def _limits(data: dict, defaults: Limits) -> Limits:
    names = {f.name for f in fields(Limits)}
    _only_keys(data, names, "limits")
    values = {n: type(getattr(defaults, n))(data.get(n, getattr(defaults, n))) for n in names}
    return Limits(**values)


def _task(data: dict, base: Limits, tf_limits: Limits) -> Task:
    _only_keys(data, {"id", "file", "function", "title", "points", "imports", "tensorflow",
                      "limits"}, "task")
    try:
        tensorflow = bool(data.get("tensorflow", False))
        limits = _limits(data.get("limits", {}), tf_limits if tensorflow else base)
        return Task(id=str(data["id"]), file=data["file"], function=data["function"],
                    title=data.get("title", data["function"]), points=float(data["points"]),
                    allowed_imports=tuple(data.get("imports", ())),
                    needs_tensorflow=tensorflow, limits=limits)
    except KeyError as exc:
        raise GraderError(f"task is missing {exc}") from None


def _import_file(module_name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise GraderError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


SOLUTIONS_DIR = REPO_ROOT / "solutions"
_IMPORT_LOCK = threading.Lock()  # a module is in sys.modules before it has finished loading


def reference_function(pack_name: str, file: str, function: str) -> Callable:
    """A reference solution's function, for the trusted parent only (never a child)."""
    module_name = f"grader_reference_{pack_name}_{file[:-3].replace('-', '_')}"
    with _IMPORT_LOCK:
        module = sys.modules.get(module_name) or _import_file(
            module_name, SOLUTIONS_DIR / pack_name / file)
    return getattr(module, function)
