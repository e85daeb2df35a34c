"""The student child: lock down, load the student's file, call it on each case.

Runs in a freshly forked, single-threaded process whose fd 1/2 are capped
pipes and whose `RESULT_FD` is the only way back. What it sends is raw output
(see grader/wire.py), one frame per event, so that a crash mid-way still leaves
the earlier cases' results. It never learns an expected value.
"""
from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
import traceback
from types import ModuleType
from typing import Any, NoReturn

from grader import wire
from grader.models import Limits
from grader.sandbox.layers import SandboxFailure, lock_down

RESULT_FD = 3


def run_child(job: dict[str, Any], probes: ModuleType | None) -> NoReturn:
    """Entry point after fork; never returns. `probes` is None in the fresh engine."""
    try:
        _run(job, probes)
    except BaseException:  # noqa: B036 - a broken harness must still exit quietly
        pass
    os._exit(0)


def _run(job: dict[str, Any], probes: ModuleType | None) -> None:
    scratch = job["scratch"]
    os.chdir(scratch)
    os.environ.clear()
    os.environ.update(job["env"])
    probes_source = None if probes else _read(job["probes_path"])
    try:
        status = lock_down(job["sandbox_mode"], Limits(**job["limits"]), scratch)
    except (SandboxFailure, OSError) as exc:
        _send({"event": "sandbox-failure", "message": str(exc)})
        return
    _send({"event": "sandbox", **status})
    sys.dont_write_bytecode = True
    if probes is None:
        with _stderr_silenced():  # TensorFlow's import-time logs are not the student's output
            probes = import_probes(job["probes_path"], probes_source, job["needs_tensorflow"])
    probe = probes.PROBES[job["task_id"]]
    function = _load_student_function(job)
    if function is None:
        return
    sys.path.append(os.path.dirname(job["student_file"]))
    for index, case in enumerate(job["cases"]):
        _send({"event": "start", "index": index})
        try:
            outputs = probe(function, case["inputs"])
            frame = wire.encode({"event": "case", "index": index, "outputs": outputs})
        except BaseException as exc:  # noqa: B036 - SystemExit from student code is a result
            frame = wire.encode({"event": "case", "index": index,
                                 "error": describe_exception(exc, job)})
        wire.write_all(RESULT_FD, frame)
    _send({"event": "done"})


def import_probes(path: str, source: str | None, needs_tensorflow: bool) -> ModuleType:
    """Import numpy (and TensorFlow) and then the pack's probe module.

    Warm workers call this once before forking; fresh children call it after
    lock-down with the source read beforehand, so the pack folder never needs
    to be readable by a sandboxed process.
    """
    import numpy  # noqa: F401 - imported before any student file can shadow it
    if needs_tensorflow:
        import tensorflow.compat.v1 as tf
        tf.disable_eager_execution()
        tf.logging.set_verbosity(tf.logging.ERROR)
    module = ModuleType("grader_probes")
    module.__file__ = path
    exec(compile(source if source is not None else _read(path), path, "exec"),
         module.__dict__)
    return module


@contextlib.contextmanager
def _stderr_silenced():
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _load_student_function(job: dict[str, Any]):
    """The student's function, or None after reporting why it cannot be had."""
    path, name = job["student_file"], job["function"]
    module_name = os.path.basename(path)[:-3]
    try:
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    except BaseException as exc:  # noqa: B036 - anything at import fails this task only
        _send({"event": "load-error", "error": describe_exception(exc, job)})
        return None
    function = getattr(module, name, None)
    if not callable(function):
        found = sorted(n for n, v in vars(module).items()
                       if callable(v) and not n.startswith("_") and getattr(
                           v, "__module__", None) == module_name)
        _send({"event": "load-error", "error": {
            "type": "MissingFunction",
            "message": f"no function named {name}() in the file"
                       + (f" (found: {', '.join(found)})" if found else ""),
            "where": ""}})
        return None
    return function


def describe_exception(exc: BaseException, job: dict[str, Any]) -> dict[str, str]:
    """Type, message and the student-file line where it happened (plain strings)."""
    try:
        message = str(exc)[:2000]
    except BaseException:  # noqa: B036 - a hostile __str__
        message = "(message unavailable)"
    where = ""
    if isinstance(exc, SyntaxError) and exc.lineno:
        where = f"line {exc.lineno}"
    else:
        for frame in traceback.extract_tb(exc.__traceback__):
            if frame.filename == job["student_file"]:
                where = f"line {frame.lineno}: {(frame.line or '').strip()[:200]}"
    return {"type": type(exc).__name__[:100], "message": message, "where": where}


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _send(message: dict[str, Any]) -> None:
    wire.write_all(RESULT_FD, wire.encode(message))
