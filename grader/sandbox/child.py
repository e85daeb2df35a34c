"""The student child: lock down, load the student's code, find what the task grades,
call the pack's probe on each case.

Runs in a freshly forked, single-threaded process whose fd 1/2 are capped
pipes and whose `RESULT_FD` is the only way back. What it sends is raw output
(see grader/wire.py), one frame per event, so that a crash mid-way still leaves
the earlier cases' results. It never learns an expected value.
"""
from __future__ import annotations

import ast
import contextlib
import importlib.util
import os
import re
import sys
import traceback
from types import ModuleType
from typing import Any, NoReturn

from grader import runtimes, wire
from grader.models import Limits
from grader.runtimes import Runtime
from grader.sandbox.layers import SandboxFailure, lock_down
from grader.wire import Job

RESULT_FD = 3


class Subject:
    """What a probe is given: the student's loaded module (a namespace) and the objects
    the task grades, by name or by role (`subject["dense"]`, `subject.main`).

    A probe that adapts to the student's API says which methods it used for a role
    (`subject.used("dense", "forward(inputs, training)")`): the report shows them
    next to the class that filled the role."""

    def __init__(self, module: ModuleType, objects: dict[str, Any],
                 roles: dict[str, dict[str, str]] | None = None) -> None:
        self.module = module
        self.objects = objects
        self.roles = roles or {}  # role -> {"name": class, "why": how it was found}
        self.methods: dict[str, list[str]] = {}

    @property
    def main(self) -> Any:
        return next(iter(self.objects.values()))

    def __getitem__(self, name: str) -> Any:
        return self.objects[name]

    def used(self, role: str, method: str) -> None:
        """Record that `method` (a short description) of the role's class was used."""
        known = self.methods.setdefault(role, [])
        if method not in known:
            known.append(method)


def run_child(job: Job, probes: ModuleType | None) -> NoReturn:
    """Entry point after fork; never returns. `probes` is None in the fresh engine."""
    try:
        _run(job, probes)
    except BaseException:  # noqa: B036 - a broken harness must still exit quietly
        pass
    _flush_printed()
    os._exit(0)


def _flush_printed() -> None:
    """What the student printed may still sit in the interpreter's buffers (a pipe is
    block-buffered), which os._exit does not flush: without this, a report lost every
    print() but the stderr ones."""
    for stream in (sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except BaseException:  # noqa: B036 - closed or replaced by the student: nothing to keep
            pass


def _run(job: Job, probes: ModuleType | None) -> None:
    os.chdir(job.scratch)
    os.environ.clear()
    os.environ.update(job.env)
    probes_source = None if probes else _read(job.probes_path)
    try:
        status = lock_down(job.sandbox_mode, Limits(**job.limits), job.scratch, job.readable)
    except (SandboxFailure, OSError) as exc:
        _send({"event": "sandbox-failure", "message": str(exc)})
        return
    _send({"event": "sandbox", **status})
    sys.dont_write_bytecode = True
    if probes is None:
        with _stderr_silenced():  # TensorFlow's import-time logs are not the student's output
            probes = import_probes(job.probes_path, probes_source,
                                   Runtime.from_message(job.runtime))
    probe = getattr(probes, "PROBES", {}).get(job.task_id)
    if not callable(probe):
        _send({"event": "pack-error", "message": f"the pack has no probe for task {job.task_id}"})
        return
    sys.path.extend(job.search_path)  # after site-packages: nothing shadows numpy or TF
    module = _load_student_module(job)
    if module is None:
        return
    subject = _find_subject(job, module, probes)
    if subject is None:
        return
    reported = subject.roles
    for index, case in enumerate(job.cases or []):
        _send({"event": "start", "index": index})
        try:
            message = {"event": "case", "index": index,
                       "outputs": probe(subject, case["inputs"])}
        except BaseException as exc:  # noqa: B036 - SystemExit from student code is a result
            message = {"event": "case", "index": index, "error": describe_exception(exc, job)}
        wire.write_all(RESULT_FD, _encoded_case(message))
        reported = _report_methods(subject, reported)
    _send({"event": "done"})


def _encoded_case(message: dict[str, Any]) -> bytes:
    """The case's frame; if it cannot be encoded (no memory left), a frame that says so
    instead of blaming the student's function for what happened after it returned."""
    try:
        return wire.encode(message)
    except BaseException as exc:  # noqa: B036 - MemoryError, a hostile __len__, ...
        return wire.encode({"event": "case", "index": message["index"], "error": {
            "type": "UnsentResults", "where": "",
            "message": f"the outputs could not be sent back ({type(exc).__name__}): "
                       f"did the code use up the process's memory limit?"}})


def import_probes(path: str, source: str | None, runtime: Runtime) -> ModuleType:
    """Set up the runtime (its imports, its mode) and then import the pack's probes.

    Warm workers call this once before forking; fresh children call it after
    lock-down with the source read beforehand, so the pack folder never needs
    to be readable by a sandboxed process.
    """
    runtimes.prepare(runtime)
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


# ------------------------------------------------------------------ loading
def _load_student_module(job: Job) -> ModuleType | None:
    """The student's module, or None after reporting why it cannot be had."""
    path = job.student_file
    module_name = os.path.basename(path)[:-3]
    edition = runtimes.student_builtins(Runtime.from_message(job.runtime))
    try:
        if job.load == "definitions":
            module, notes = _load_definitions(path, module_name, edition)
            if notes:
                _send({"event": "notes", "notes": notes})
            return module
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        if edition is not None:
            module.__builtins__ = edition
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
        return module
    except BaseException as exc:  # noqa: B036 - anything at import fails this task only
        _send({"event": "load-error", "error": describe_exception(exc, job)})
        return None


def _load_definitions(path: str, module_name: str,
                      edition: dict | None) -> tuple[ModuleType, list[str]]:
    """Run a definitions-only module one top-level statement at a time.

    A statement that fails (an import the grading environment lacks, a class
    whose base is missing) defines nothing and is noted; the others still run,
    so that only a task whose code uses the missing name fails.
    """
    source = _read(path)
    tree = ast.parse(source, path)  # a SyntaxError is the whole file's load error
    module = ModuleType(module_name)
    module.__file__ = path
    if edition is not None:
        module.__builtins__ = edition
    sys.modules[module_name] = module
    notes = []
    for node in tree.body:
        code = compile(ast.Module(body=[node], type_ignores=[]), path, "exec")
        try:
            exec(code, module.__dict__)
        except BaseException as exc:  # noqa: B036 - one statement's failure is noted only
            text = (ast.get_source_segment(source, node) or "").split("\n")[0][:120]
            what = ("skipped" if isinstance(exc, ImportError) else
                    "failed; what it defines is missing")
            notes.append(f"line {node.lineno}: `{text}` {what}: "
                         f"{type(exc).__name__}: {_message(exc)[:300]}")
    return module, notes[:50]


# ------------------------------------------------------------------ finding
def _normalized(name: str) -> str:
    return re.sub(r"[_\s]", "", name).lower()


def _own_objects(module: ModuleType, kind: str) -> list[str]:
    """Names the student's module defines itself, of a kind (class or function)."""
    names = []
    for name, value in vars(module).items():
        if name.startswith("__") or getattr(value, "__module__", None) != module.__name__:
            continue
        if (kind == "class") == isinstance(value, type) and callable(value):
            names.append(name)
    return names


def _fits(value: Any, kind: str) -> bool:
    if kind == "objects":
        return value is not None
    return isinstance(value, type) if kind == "class" else callable(value)


def _find_subject(job: Job, module: ModuleType, probes: ModuleType) -> Subject | None:
    """The objects the task grades, by name or by role; None after reporting what is missing."""
    objects: dict[str, Any] = {}
    for name in job.names:
        value = getattr(module, name, None)
        if not _fits(value, job.kind):
            return _missing(job, module, name, job.kind if job.kind == "class" else "function")
        objects[name] = value
    filled = {}
    for role in job.roles:
        found = _fill_role(role, module, probes)
        if found is None:
            return _missing(job, module, role["name"], role["kind"], role=True)
        name, why = found
        objects[role["name"]] = getattr(module, name)
        filled[role["name"]] = {"name": name, "why": why}
    if filled:
        _send({"event": "roles", "roles": filled})
    return Subject(module, objects, filled)


def _report_methods(subject: Subject,
                    reported: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Send the roles again when the probe has named methods it used since the last time
    (the report then says which class and which methods filled each role)."""
    roles = {role: {"name": filled["name"],
                    "why": _with_methods(filled["why"], subject.methods.get(role, []))}
             for role, filled in subject.roles.items()}
    if roles != reported:
        _send({"event": "roles", "roles": roles})
    return roles


def _with_methods(why: str, methods: list[str]) -> str:
    if not methods:
        return why
    text = f"{why}; used {', '.join(methods)}"
    return text if len(text) <= 200 else text[:197] + "..."


def _fill_role(role: dict[str, Any], module: ModuleType, probes: ModuleType):
    """(name, why) of the student's object that plays `role`, or None."""
    candidates = _own_objects(module, role["kind"])
    by_key = {_normalized(n): n for n in candidates}
    for alias in role["aliases"]:
        if _normalized(alias) in by_key:
            found = by_key[_normalized(alias)]
            return found, "by name" + ("" if found == alias else f" (as {alias})")
    finder = getattr(probes, "FINDERS", {}).get(role.get("behaviour"))
    if callable(finder):
        try:
            found = finder(module, candidates)
        except BaseException:  # noqa: B036 - student code ran in the finder
            found = None
        if isinstance(found, str) and found in candidates:
            return found, "by behaviour"
    return None


def _missing(job: Job, module: ModuleType, name: str, kind: str, role: bool = False) -> None:
    found = _own_objects(module, kind)
    noun = "class" if kind == "class" else "function"
    if role:
        message = f"no {noun} in the file plays the role {name!r}"
    else:
        message = f"no {noun} named {name}{'()' if noun == 'function' else ''} in the file"
    if found:
        message += f" (found: {', '.join(sorted(found)[:12])})"
    _send({"event": "load-error", "error": {"type": "MissingObject", "message": message,
                                            "where": ""}})
    return None


def describe_exception(exc: BaseException, job: Job) -> dict[str, str]:
    """Type, message and the student-file line where it happened (plain strings)."""
    where = ""
    if isinstance(exc, SyntaxError) and exc.lineno:
        where = f"line {exc.lineno}"
    else:
        for frame in traceback.extract_tb(exc.__traceback__):
            if frame.filename == job.student_file:
                where = f"line {frame.lineno}: {(frame.line or '').strip()[:200]}"
    return {"type": type(exc).__name__[:100], "message": _message(exc)[:2000], "where": where}


def _message(exc: BaseException) -> str:
    try:
        return str(exc)
    except BaseException:  # noqa: B036 - a hostile __str__
        return "(message unavailable)"


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _send(message: dict[str, Any]) -> None:
    wire.write_all(RESULT_FD, wire.encode(message))
