"""submission -> discovery -> sandboxed run -> comparison -> verdict -> report.

`grade()` is the whole flow for one submission; each step lives in one place:
discovery in submission.py, the run in engine.py + sandbox/, comparison in the
pack's checks.py (with compare.py), requirement checks in style.py, and the
verdict assembly below. Expected values are computed here, in the parent,
which never runs student code.
"""
from __future__ import annotations

import dataclasses
import functools
import os
import secrets
import shutil
import signal
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from grader import __version__
from grader.engine import RawRun, child_env, make_engine
from grader.models import CORRECTNESS, REQUIREMENT, Case, CheckResult, Report, Task, TaskResult
from grader.packs import Pack, detect_pack, load_pack
from grader.sandbox.layers import describe
from grader.sandbox.scratch import base_folder as scratch_base_folder, empty_folder
from grader.style import check_style
from grader.submission import Submission, read_submission, write_scratch_copy


@dataclasses.dataclass(frozen=True)
class Options:
    """How to grade: every field has the CLI's default."""

    assignment: str | None = None
    seed: int | None = None
    engine: str = "warm"
    sandbox: str = "auto"
    jobs: int = os.cpu_count() or 1
    scratch: str | None = None  # where run folders go; None: see scratch.base_folder()


def grade(path: str, options: Options = Options(), engine=None) -> Report:
    """Grade the submission folder at `path`. An `engine` may be shared across calls."""
    started = time.monotonic()
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    submission = read_submission(path)
    pack = load_pack(options.assignment or detect_pack(set(submission.files)))
    sandbox = describe(options.sandbox)
    seed = options.seed if options.seed is not None else secrets.randbelow(2 ** 31)
    own_engine = engine is None
    if own_engine:
        engine = make_engine(options.engine, str(pack.probes_path),
                             any(t.needs_tensorflow for t in pack.tasks))
    try:
        run_root = tempfile.mkdtemp(prefix="grade-", dir=options.scratch or scratch_base_folder())
        try:
            planned = [_plan(pack, task, position, submission, seed, options, Path(run_root))
                       for position, task in enumerate(pack.tasks)]
            with ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
                results = tuple(pool.map(lambda plan: _verdict(plan, _run(engine, plan)),
                                         planned))
        finally:
            _remove_tree(run_root)
    finally:
        if own_engine:
            engine.close()
    return Report(assignment=pack.name, submission=path, seed=seed, tasks=results,
                  sandbox=sandbox, engine=engine.name, grader_version=__version__,
                  seconds=round(time.monotonic() - started, 3), started_at=started_at)


def _remove_tree(path: str) -> None:
    """Remove a run's scratch folders, whatever a student left in them (deep trees,
    folders without permissions): emptied without recursion, then removed."""
    try:
        empty_folder(path)
    except OSError:
        pass
    shutil.rmtree(path, ignore_errors=True)


@dataclasses.dataclass
class _Plan:
    """One task, ready to run: its file's requirement checks, its cases and its job."""

    task: Task
    pack: Pack
    present: bool
    style: list[CheckResult]
    cases: tuple[Case, ...]
    job: dict[str, Any] | None


def _plan(pack: Pack, task: Task, position: int, submission: Submission, seed: int,
          options: Options, run_root: Path) -> _Plan:
    item = submission.get(task.file)
    if item is None:
        return _Plan(task, pack, False, [], (), None)
    cases = cases_for(pack.name, task.id, seed, position)
    scratch = run_root / f"task-{task.id}"
    home = scratch / "home"
    scratch.mkdir(mode=0o700)
    (home / "tmp").mkdir(parents=True, mode=0o700)
    write_scratch_copy(submission, scratch / "submission")
    job = {
        "task_id": task.id,
        "function": task.function,
        "student_file": str(scratch / "submission" / task.file),
        "scratch": str(scratch),
        "probes_path": str(pack.probes_path),
        "needs_tensorflow": task.needs_tensorflow,
        "sandbox_mode": options.sandbox,
        "limits": dataclasses.asdict(task.limits),
        "env": child_env(str(home)),
        "cases": [{"name": case.name, "inputs": case.inputs} for case in cases],
        "cases_key": f"{pack.name}/{task.id}/{seed}",
    }
    return _Plan(task, pack, True, check_style(task, item), cases, job)


_GENERATING = threading.Lock()


def cases_for(pack_name: str, task_id: str, seed: int, position: int) -> tuple[Case, ...]:
    """A task's cases (and whatever the generator computed for the judge) for one seed.

    Generated once per process and seed: a batch grades every submission with one
    seed, so inputs and reference answers are computed once, not once per student
    (the lock keeps the first submissions of a batch from generating them twice).
    Arrays are made read-only, so that no judge can change what the next one sees.
    """
    with _GENERATING:
        return _generate_cases(pack_name, task_id, seed, position)


@functools.lru_cache(maxsize=256)
def _generate_cases(pack_name: str, task_id: str, seed: int, position: int) -> tuple[Case, ...]:
    rng = np.random.default_rng([seed, position])
    cases = tuple(load_pack(pack_name).checks[task_id].cases(rng))
    for case in cases:
        _make_read_only(case.inputs)
        _make_read_only(case.context)
    return cases


def _make_read_only(value: Any) -> None:
    if isinstance(value, np.ndarray):
        value.setflags(write=False)
    elif isinstance(value, dict):
        for item in value.values():
            _make_read_only(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _make_read_only(item)


def _run(engine, plan: _Plan) -> RawRun | None:
    return engine.run(plan.job) if plan.job else None


def _verdict(plan: _Plan, run: RawRun | None) -> TaskResult:
    """Every check of one task, from the raw run and the pack's judge."""
    task = plan.task
    if not plan.present:
        missing = f"{task.file} was not found in the submission"
        return TaskResult(task=task, present=False, outcome="missing", checks=(
            CheckResult("file present", CORRECTNESS, False, missing),
            CheckResult("file present", REQUIREMENT, False, missing)))
    checks = list(_run_failures(task, run))
    if not checks:
        for index, case in enumerate(plan.cases):
            checks += _case_checks(plan, run, index, case)
    correctness = [c for c in checks if c.kind == CORRECTNESS]
    outcome = _outcome(run, correctness)
    output = (run.stdout + ("\n" if run.stdout and run.stderr else "") + run.stderr).strip()
    return TaskResult(task=task, present=True, outcome=outcome,
                      checks=tuple(checks + plan.style), output=output[:4000],
                      seconds=round(run.seconds, 3))


def _outcome(run: RawRun, correctness: list[CheckResult]) -> str:
    if run.sandbox_failure or run.grader_fault:
        return "grader-error"
    if run.protocol_error and not run.cases and not run.load_error:
        return "error"
    if run.timed_out:
        return "timeout"
    if run.load_error or run.signal:
        return "error"
    return "passed" if correctness and all(c.passed for c in correctness) else "failed"


def _run_failures(task: Task, run: RawRun) -> list[CheckResult]:
    """Failures that stop the whole task before any case: sandbox, import, missing function."""
    if run.sandbox_failure:
        return [CheckResult("sandbox", CORRECTNESS, False,
                            f"grader error: the sandbox could not be set up "
                            f"({run.sandbox_failure}); nothing of yours was run")]
    if run.grader_fault:
        return [CheckResult("sandbox run", CORRECTNESS, False,
                            f"grader error: {run.grader_fault}; this is not a verdict on your "
                            f"code: ask for a regrade")]
    if run.load_error:
        return [CheckResult("file loads", CORRECTNESS, False, _load_message(task, run.load_error))]
    if not run.cases and run.last_started is None:
        return [CheckResult("file loads", CORRECTNESS, False,
                            f"{task.file}: {_death(run, 'while being loaded')}")]
    return []


def _load_message(task: Task, error: dict[str, str]) -> str:
    kind, message, where = error["type"], error["message"], error["where"]
    at = f" ({where})" if where else ""
    if kind == "SyntaxError" or kind == "IndentationError" or kind == "TabError":
        return f"{task.file} has a {kind}{at}: {message}"
    if kind == "SystemExit":
        return (f"{task.file} exits while being imported{at}: code at module level calls "
                f"exit()/sys.exit(); put example code under `if __name__ == '__main__':`")
    if kind == "MissingFunction":
        return f"{task.file}: {message}; the task asks for `def {task.function}(...)`"
    return f"{task.file} raised {kind} while being imported{at}: {message}"


def _death(run: RawRun, when: str) -> str:
    """Why the process stopped, in words a student can act on."""
    if run.killed_for:
        return f"the process was killed {when}: {run.killed_for}"
    if run.timed_out:
        return (f"timed out {when} (wall-clock limit {run.seconds:.0f} s): "
                f"an infinite loop or a very slow computation?")
    if run.signal:
        name = signal.Signals(run.signal).name if run.signal in signal.valid_signals() else ""
        reason = {"SIGXCPU": "it used up its CPU time limit",
                  "SIGKILL": "it was killed (memory or CPU limit)",
                  "SIGSEGV": "it crashed (segmentation fault)"}.get(name, "")
        return f"the process died of signal {run.signal} {name} {when}" + (
            f": {reason}" if reason else "")
    if run.protocol_error:
        return f"{run.protocol_error} ({when})"
    return (f"the process exited {when} without reporting (exit code {run.exit_code}): "
            f"os._exit(), closed file descriptors or a broken interpreter?")


def _case_checks(plan: _Plan, run: RawRun, index: int, case: Case) -> list[CheckResult]:
    label = f"[{case.name}]"
    hidden = not case.public
    result = run.cases.get(index)
    if result is None:
        when = "on this case" if run.last_started == index else "before this case ran"
        return [CheckResult(f"runs {label}", CORRECTNESS, False, _death(run, when), hidden)]
    if "error" in result:
        error = result["error"]
        at = f" at {error['where']}" if error["where"] else ""
        return [CheckResult(f"runs {label}", CORRECTNESS, False,
                            f"{plan.task.function}() raised {error['type']}{at}: "
                            f"{error['message']}", hidden)]
    try:
        judged = plan.pack.checks[plan.task.id].judge(case, result["outputs"])
    except Exception as exc:  # a judge must never crash a report; say whose fault it is
        return [CheckResult(f"judged {label}", CORRECTNESS, False,
                            f"grader error while judging this case: {exc!r}", hidden)]
    return [dataclasses.replace(c, name=f"{c.name} {label}", hidden=hidden) for c in judged]
