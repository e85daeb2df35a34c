"""Executed mode (`grade --execute`): the chosen notebook runs top to bottom in the
sandbox, and what happened becomes checks.

The run itself is grader/sandbox/kernel.py (a sandboxed Jupyter kernel on the
`ipc` transport); this module prepares its scratch folder (the notebook and
the pack's support files side by side), reads back the plain frames it
sent, and decides, in the parent, what they mean:

- "runs top to bottom" (kind requirement) fails naming each failing cell: its
  position (counted from 1, every cell counted, as grader/formats counts), the
  first line of its source and the error's last line;
- each output the pack publishes (`[[execute.published]]` in pack.toml) is
  compared with the numbers the cell printed: an informational check, kind
  requirement with weight 0, which changes no score and neither `correct`
  nor `style_ok` (see grader/models.py).

Both checks are added to every task (published ones to the task they name):
the notebook is one for all of them. The graded functions themselves are
graded statically, as without `--execute`; executed mode never decides a
correctness check, since the kernel, running the student's code, controls
what it reports about its own cells.
"""
from __future__ import annotations

import dataclasses
import math
import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader import wire
from grader.engine import child_env
from grader.errors import GraderError
from grader.formats import Snapshot, Submission
from grader.formats.notebook import NotANotebook, code_cells
from grader.formats.snapshot import Unusable, limit_for
from grader.models import REQUIREMENT, CheckResult, Limits, TaskResult
from grader.wire import Summary

RUNS = "runs top to bottom"
GRACE_SECONDS = 15.0
MAX_LISTED = 8  # failing cells named in one message
UNIX_PATH_MAX = 107  # a socket's path: sun_path holds 108 bytes with the final NUL
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?!\w)")


@dataclass(frozen=True)
class Published:
    """An output the course publishes for a cell (pack.toml `[[execute.published]]`).

    `cell_marker`: text found in the cell's source (compared without spaces);
    the first code cell holding it is the one. `expected`: the published
    output; its numbers, in order, must appear in a row among the numbers the
    cell printed, each within `atol + rtol * |expected|`. `task`: the task
    whose report shows the check."""

    task: str
    cell_marker: str
    expected: str
    rtol: float = 1e-5
    atol: float = 1e-8


@dataclass(frozen=True)
class ExecuteSettings:
    """pack.toml `[execute]`: the per-cell timeout, the bound on the whole run, and
    the published outputs."""

    cell_seconds: int = 120
    total_seconds: int = 900
    published: tuple[Published, ...] = ()


def settings_from(data: Any, task_ids: set[str], where: str) -> ExecuteSettings:
    """Validate a pack's `[execute]` table (unknown keys are errors)."""
    where = f"{where}: [execute]"
    if not isinstance(data, dict) or set(data) - {"cell_seconds", "total_seconds", "published"}:
        raise GraderError(f"{where} takes cell_seconds, total_seconds and published")
    try:
        return _settings(data, task_ids, where)
    except (TypeError, ValueError, AttributeError) as exc:
        raise GraderError(f"{where}: {exc}") from None


def _settings(data: dict, task_ids: set[str], where: str) -> ExecuteSettings:
    published = []
    for item in data.get("published", []):
        if not isinstance(item, dict) or not {"task", "cell_marker", "expected"} <= set(item) \
                or set(item) - {"task", "cell_marker", "expected", "rtol", "atol"}:
            raise GraderError(f"{where}: each published output takes task, cell_marker, "
                              f"expected (and rtol, atol)")
        if item["task"] not in task_ids or not _numbers(str(item["expected"])):
            raise GraderError(f"{where}: published output {item['cell_marker']!r} names an "
                              f"unknown task or expects no number")
        published.append(Published(task=str(item["task"]), cell_marker=str(item["cell_marker"]),
                                   expected=str(item["expected"]),
                                   rtol=float(item.get("rtol", 1e-5)),
                                   atol=float(item.get("atol", 1e-8))))
    settings = ExecuteSettings(cell_seconds=int(data.get("cell_seconds", 120)),
                               total_seconds=int(data.get("total_seconds", 900)),
                               published=tuple(published))
    if not 1 <= settings.cell_seconds <= settings.total_seconds:
        raise GraderError(f"{where}: 1 <= cell_seconds <= total_seconds")
    return settings


def require_notebook(submission: Submission) -> None:
    """`--execute` runs notebooks only: say so before grading anything else (a submission
    that cannot be read at all is graded as usual: every task fails with the reason)."""
    if not submission.broken and "notebook" not in submission.format:
        raise GraderError(f"--execute applies to notebooks only; {submission.path} was read "
                          f"as a {submission.format} submission")


# ------------------------------------------------------------------ running
@dataclass
class NotebookRun:
    """What came back from one execution, decoded and bounded."""

    cells: dict[int, dict[str, str]] = dataclasses.field(default_factory=dict)
    sources: dict[int, str] = dataclasses.field(default_factory=dict)  # code cells, parent-read
    last_started: int | None = None
    ending: str = ""  # done | stuck | kernel-died | killed (by the supervisor) | "": cut
    detail: str = ""  # why the supervisor killed the host, if it did
    sandbox: list[str] = dataclasses.field(default_factory=list)
    seconds: float = 0.0
    timed_out: bool = False  # the whole run went over total_seconds
    grader_fault: str | None = None  # the sandbox or the host failed: not the student's doing


def run_notebook(pack, snapshot: Snapshot, submission: Submission, sandbox_mode: str,
                 run_root: str) -> NotebookRun | None:
    """Execute the submission's notebook in the sandbox; None when there is none to run
    (a broken submission: static grading already failed every task with the reason)."""
    from grader.sandbox import kernel  # here: grading without --execute never imports Jupyter
    found = _notebook(snapshot, submission)
    if found is None:
        return None
    name, data = found
    settings = pack.execute
    scratch = os.path.join(run_root, "execute")
    work, home = os.path.join(scratch, "work"), os.path.join(scratch, "home")
    if len(kernel.socket_prefix(scratch)) + 3 > UNIX_PATH_MAX:
        raise GraderError(f"the scratch folder's path is too long for the kernel's sockets: "
                          f"{scratch} (use --scratch with a shorter one)")
    startup = os.path.join(home, ".ipython", "profile_default", "startup")
    for folder in (scratch, os.path.join(scratch, "ipc"), os.path.join(home, "tmp"), startup):
        os.makedirs(folder, mode=0o700)
    # IPython would copy its README there with shutil.copy, whose chmod seccomp denies
    open(os.path.join(startup, "README"), "wb").close()
    if pack.support:
        shutil.copytree(pack.support, work)
    else:
        os.makedirs(work, mode=0o700)
    notebook = os.path.join(work, os.path.basename(name))
    with open(notebook, "wb") as handle:
        handle.write(data)
    run = NotebookRun(sources=dict(code_cells(data.decode("utf-8"))))
    limits = Limits(wall_seconds=float(settings.total_seconds),
                    cpu_seconds=settings.total_seconds)
    env = _environment(pack, home)
    execution = kernel.Execution(notebook=notebook, scratch=scratch, sandbox_mode=sandbox_mode,
                                 limits=dataclasses.asdict(limits), env=env,
                                 cell_seconds=settings.cell_seconds)
    _collect(run, _supervise(execution, settings.total_seconds + GRACE_SECONDS))
    return run


def _notebook(snapshot: Snapshot, submission: Submission) -> tuple[str, bytes] | None:
    """The name and bytes of the notebook static grading chose (read from memory again)."""
    if submission.broken or submission.module is None:
        return None
    stem = submission.module.name[:-len(".py")]
    for name in snapshot.entries:
        folder, _, base = name.rpartition("/")
        if folder == submission.location and base.lower() == f"{stem.lower()}.ipynb":
            try:
                data = snapshot.read(name, limit_for(name))
                code_cells(data.decode("utf-8"))
            except (Unusable, NotANotebook, UnicodeDecodeError):
                return None
            return name, data
    return None


def _environment(pack, home: str) -> dict[str, str]:
    """The kernel's environment: that of the pack's runtimes, Jupyter's and IPython's
    folders in the scratch home, and a plotting backend that needs no display."""
    env: dict[str, str] = {}
    for runtime in pack.declared_runtimes:
        env.update(child_env(runtime, home))
    env.update(MPLBACKEND="Agg", IPYTHONDIR=os.path.join(home, ".ipython"),
               JUPYTER_CONFIG_DIR=os.path.join(home, ".jupyter"),
               JUPYTER_DATA_DIR=os.path.join(home, ".local", "share", "jupyter"),
               JUPYTER_RUNTIME_DIR=os.path.join(home, "runtime"), JUPYTER_PLATFORM_DIRS="1")
    return env


def _supervise(execution, timeout: float) -> Summary:
    """Start the kernel's supervisor (a fresh interpreter: forking this threaded process
    is not safe) and return its summary."""
    command = [sys.executable, "-I", "-m", "grader.sandbox.kernel"]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, env=execution.env,
                               cwd=execution.scratch, start_new_session=True)
    try:
        stdout, _ = process.communicate(wire.encode(execution.to_message()), timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except OSError:
            pass
        process.wait()
        return Summary(grader_fault="the notebook's supervisor did not answer in time")
    try:
        frames, _ = wire.decode_frames(stdout)
    except wire.WireError as exc:
        return Summary(grader_fault=f"the notebook's supervisor sent a malformed summary ({exc})")
    return Summary.from_message(frames[0] if frames else None)


def _collect(run: NotebookRun, summary: Summary) -> None:
    """Fill `run` from the host's frames, checking every value's type."""
    if summary.grader_fault:
        run.grader_fault = summary.grader_fault
        return
    run.seconds, run.timed_out = summary.seconds, summary.timed_out
    result = summary.result
    if not isinstance(result, np.ndarray) or result.dtype != np.uint8:
        run.grader_fault = "the notebook's supervisor sent no result stream"
        return
    try:
        frames, _ = wire.decode_frames(result.tobytes())
    except wire.WireError as exc:
        run.grader_fault = f"the kernel's host sent malformed results ({exc})"
        return
    for frame in frames:
        event, index = frame.get("event"), frame.get("index")
        if event == "sandbox":
            run.sandbox = [str(a) for a in frame.get("applied", [])][:20]
        elif event in ("sandbox-failure", "host-error", "kernel-failed"):
            run.grader_fault = f"{event}: {str(frame.get('message', ''))[:500]}"
        elif event == "start" and type(index) is int:
            run.last_started = index
        elif event == "cell" and type(index) is int and index in run.sources:
            run.cells[index] = {key: str(frame.get(key, ""))[:4000]
                                for key in ("status", "error", "message", "printed")}
        elif event in ("done", "stuck", "kernel-died"):
            run.ending = event
            if event == "stuck" and type(index) is int:
                run.last_started = index
    if summary.killed_for:
        run.ending, run.detail = "killed", summary.killed_for
    last_words = summary.stderr.strip().splitlines()[-1:]
    if run.grader_fault and last_words:  # e.g. the kernel's own traceback
        run.grader_fault += f"; it last wrote: {last_words[0][:200]}"


# ------------------------------------------------------------------ judging
def with_checks(results: tuple[TaskResult, ...], run: NotebookRun | None,
                settings: ExecuteSettings) -> tuple[TaskResult, ...]:
    """Every task's result with "runs top to bottom" and its published outputs added."""
    if run is None:
        return results
    runs = _runs_check(run)
    updated = []
    for result in results:
        extra = [runs] + [_published_check(run, item) for item in settings.published
                          if item.task == result.task.id]
        updated.append(dataclasses.replace(result, checks=result.checks + tuple(extra)))
    return tuple(updated)


def _first_line(source: str) -> str:
    line = next((text.strip() for text in source.splitlines() if text.strip()), "")
    return line if len(line) <= 80 else line[:77] + "..."


def _runs_check(run: NotebookRun) -> CheckResult:
    """Passed when every code cell ran without an error; else what went wrong, cell by cell
    (up to the first cell that did not finish: nothing after it ran)."""
    if run.grader_fault:
        return CheckResult(RUNS, REQUIREMENT, False,
                           f"grader error: the notebook could not be executed "
                           f"({run.grader_fault}); this is not a verdict on your code: "
                           f"ask for a regrade")
    code = [index for index, source in sorted(run.sources.items()) if source.strip()]
    problems = []
    for position, index in enumerate(code):  # the kernel skips empty cells
        source, cell = run.sources[index], run.cells.get(index)
        where = f"cell {index} (`{_first_line(source)}`)"
        if cell is None:
            later = "; the cells after it did not run" if position + 1 < len(code) else ""
            problems.append(f"{where}: {_not_finished(run, index)}{later}")
            break
        if cell["status"] == "timeout":
            problems.append(f"{where}: timed out: {cell['message']} and was interrupted "
                            f"(an infinite loop or a very long computation?)")
        elif cell["status"] != "ok":
            hint = (" (shell commands and `%%` cell magics cannot run in the grader)"
                    if _shell_line(source) else "")
            problems.append(f"{where}: {cell['error']}: {cell['message']}{hint}")
    if not problems:
        return CheckResult(RUNS, REQUIREMENT, True)
    shown = "; ".join(problems[:MAX_LISTED])
    more = f"; and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
    return CheckResult(RUNS, REQUIREMENT, False,
                       f"{len(problems)} cell{'s' if len(problems) > 1 else ''} failed when the "
                       f"notebook ran top to bottom: {shown}{more}")


def _not_finished(run: NotebookRun, index: int) -> str:
    """Why a code cell has no result: the run stopped while it ran, or before it."""
    if run.ending == "stuck":
        return (f"not run: cell {run.last_started} was interrupted at its timeout and the "
                f"kernel did not stop it")
    if index != run.last_started:
        return "not run (the execution had stopped before it)"
    if run.timed_out:
        return "still running when the notebook's total time limit was reached"
    if run.ending == "kernel-died":
        return "the kernel died while running it (os._exit, a crash, or the memory limit?)"
    if run.ending == "killed":
        return f"the kernel was killed while running it: {run.detail}"
    return "the execution stopped while it ran"


def _shell_line(source: str) -> bool:
    return any(line.lstrip().startswith(("!", "%%")) for line in source.splitlines())


def _published_check(run: NotebookRun, item: Published) -> CheckResult:
    """Informational: does the cell holding `cell_marker` print the published numbers?"""
    name = f"published output (informational): {_first_line(item.cell_marker)}"
    marker = "".join(item.cell_marker.split())
    index = next((i for i, source in sorted(run.sources.items())
                  if marker in "".join(source.split())), None)
    expected = _numbers(item.expected)
    if index is None:
        return _informational(name, False, f"no cell contains `{item.cell_marker}`")
    cell = run.cells.get(index)
    if cell is None or cell["status"] != "ok":
        return _informational(name, False, f"cell {index} did not run to its end")
    printed = _numbers(cell["printed"])
    found = any(all(abs(got - want) <= item.atol + item.rtol * abs(want)
                    for got, want in zip(printed[start:], expected))
                for start in range(len(printed) - len(expected) + 1))
    shown = " ".join(f"{n:g}" for n in printed[:12]) or "no number"
    return _informational(name, found, f"cell {index} printed {shown}; the course publishes "
                                       f"{item.expected.strip()}")


def _informational(name: str, passed: bool, message: str) -> CheckResult:
    return CheckResult(name, REQUIREMENT, passed, "" if passed else
                       f"{message} (informational: does not change the score)", weight=0.0)


def _numbers(text: str) -> list[float]:
    numbers = []
    for match in _NUMBER.finditer(text[:20000]):
        value = float(match.group(0))
        if math.isfinite(value):
            numbers.append(value)
    return numbers


def execution_note(run: NotebookRun) -> str:
    """One line for the report: that the notebook ran, how long, under which layers."""
    layers = ", ".join(run.sandbox) or "none"
    return (f"executed the notebook top to bottom in {run.seconds:.1f} s "
            f"(kernel's host sandbox: {layers}; see the README on executed mode)")
