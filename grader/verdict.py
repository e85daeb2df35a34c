"""From a task's raw run to its verdict: the one place that decides an outcome.

Who caused a failure decides its outcome: the student's code (failed, error,
timeout), a missing file or object (missing), or the grader itself (a sandbox
that could not be set up, a worker that failed, a pack without a probe, a judge
that raised): grader-error, counted by `grade batch` and never a student's
failure. Messages name the student's file, line and object, in words a
student can act on.
"""
from __future__ import annotations

import dataclasses
import re
import signal
from dataclasses import dataclass, field
from typing import Callable

from grader.engine import RawRun
from grader.judging.messages import in_student_terms, with_edition_hint
from grader.models import CORRECTNESS, REQUIREMENT, Case, CheckResult, Task, TaskResult


@dataclass(frozen=True)
class Planned:
    """What the verdict needs besides the run: the task, where its code came from, its
    cases, its requirement checks, and why it could not run (if it could not)."""

    task: Task
    judge: object  # (case, outputs) -> list[CheckResult]
    cases: tuple[Case, ...]
    requirements: list[CheckResult]
    source: str  # e.g. "0-l2_reg_cost.py" or "Gradient_Checking_v2a.ipynb (cell 12)"
    explain: object = None  # (case, kind, message) -> the mistake that raises it, or None
    runtime: str = ""
    absent: str | None = None  # why the task's file is not there (missing, skipped, broken)
    broken: bool = False  # handed in, but unreadable (the task's file, or everything)
    # says "line N" of the loaded module as the student knows it ("cell C, line L")
    lines: Callable[[str], str] = str
    folders: tuple[str, ...] = ()  # the task's scratch folders, shown relative in messages
    # names only top-level code the grader does not run sets, and where (Submission.not_run)
    not_run: dict[str, str] = field(default_factory=dict)
    also_seen: tuple[str, ...] = ()  # other code files, not graded (Submission.also_seen)


def task_result(plan: Planned, run: RawRun | None) -> TaskResult:
    """Every check of one task, from the raw run and the pack's judge."""
    task = plan.task
    if plan.absent is not None:
        return TaskResult(task=task, present=False,
                          outcome="error" if plan.broken else "missing", source=plan.source,
                          checks=(CheckResult("file present", CORRECTNESS, False, plan.absent),
                                  CheckResult("file present", REQUIREMENT, False, plan.absent)))
    checks = _run_failures(plan, run)
    judge_failed = False
    if not checks:
        for index, case in enumerate(plan.cases):
            case_checks, failed = _case_checks(plan, run, index, case)
            checks += case_checks
            judge_failed |= failed
    correctness = [c for c in checks if c.kind == CORRECTNESS]
    checks = [dataclasses.replace(c, message=_in_student_terms(plan, c.message)) for c in checks]
    output = (run.stdout + ("\n" if run.stdout and run.stderr else "") + run.stderr).strip()
    return TaskResult(task=task, present=True, outcome=classify(run, correctness, judge_failed),
                      checks=tuple(checks + plan.requirements), output=output[:4000],
                      seconds=round(run.seconds, 3), source=plan.source, roles=run.roles,
                      notes=tuple(_in_student_terms(plan, note) for note in run.notes),
                      runtime=plan.runtime)


def _in_student_terms(plan: Planned, message: str) -> str:
    """No internal module path, machine folder or generated line number in a message."""
    return plan.lines(in_student_terms(message, plan.folders))


def classify(run: RawRun, correctness: list[CheckResult], judge_failed: bool = False) -> str:
    """The outcome of a task that ran: passed | failed | error | timeout | grader-error."""
    if run.sandbox_failure or run.grader_fault or run.pack_error or judge_failed:
        return "grader-error"
    if run.protocol_error and not run.cases and not run.load_error:
        return "error"
    if _out_of_time(run):
        return "timeout"
    if run.load_error or run.signal:
        return "error"
    return "passed" if correctness and all(c.passed for c in correctness) else "failed"


def _out_of_time(run: RawRun) -> bool:
    """Killed at its wall-clock limit, or by the kernel at its CPU limit: one outcome, one
    message, whichever limit a loop meets first (that depends on the machine's load)."""
    return run.timed_out or run.signal == signal.SIGXCPU


def _grader_error(name: str, what: str) -> CheckResult:
    return CheckResult(name, CORRECTNESS, False,
                       f"grader error: {what}; this is not a verdict on your code: ask for "
                       f"a regrade")


def _run_failures(plan: Planned, run: RawRun) -> list[CheckResult]:
    """Failures that stop the whole task before any case: sandbox, pack, import, object."""
    if run.sandbox_failure:
        return [CheckResult("sandbox", CORRECTNESS, False,
                            f"grader error: the sandbox could not be set up "
                            f"({run.sandbox_failure}); nothing of yours was run")]
    if run.grader_fault:
        return [_grader_error("sandbox run", run.grader_fault)]
    if run.pack_error:
        return [_grader_error("assignment pack", run.pack_error)]
    if run.load_error:
        return [CheckResult("file loads", CORRECTNESS, False,
                            _load_message(plan, run.load_error))]
    if not run.cases and run.last_started is None:
        return [CheckResult("file loads", CORRECTNESS, False,
                            f"{plan.source}: {_death(run, 'while being loaded')}")]
    return []


def _load_message(plan: Planned, error: dict[str, str]) -> str:
    task, source = plan.task, plan.source
    kind, message, where = error["type"], error["message"], error["where"]
    at = f" ({where})" if where else ""
    if kind in ("SyntaxError", "IndentationError", "TabError"):
        return f"{source} has a {kind}{at}: {message}"
    if kind == "SystemExit":
        return (f"{source} exits while being imported{at}: code at module level calls "
                f"exit()/sys.exit(); put example code under `if __name__ == '__main__':`")
    if kind == "MissingObject":
        if task.roles:
            named = "; ".join(f"{r.name}: {', '.join(r.aliases[:4])}" for r in task.roles)
            return (f"{source}: {message}; each role is found by name ({named}), "
                    f"else by what the {task.noun} does{_one_file(plan)}")
        asked = ", ".join(f"`class {n}`" if task.kind == "class" else f"`def {n}(...)`"
                          for n in task.names)
        return f"{source}: {message}; the task asks for {asked}{_one_file(plan)}"
    return f"{source} raised {kind} while being imported{at}: {_explained(plan, kind, message)}"


def _one_file(plan: Planned) -> str:
    """For an object not found: that only one file is graded, when others were handed in."""
    if not plan.also_seen:
        return ""
    shown = ", ".join(plan.also_seen[:4]) + (", ..." if len(plan.also_seen) > 4 else "")
    return (f". Only one notebook or module is graded, and it was this one; {shown} "
            f"{'was' if len(plan.also_seen) == 1 else 'were'} handed in too: put all of "
            f"the graded code in one file")


_UNDEFINED = re.compile(r"name '(\w+)' is not defined")


def _explained(plan: Planned, kind: str, message: str) -> str:
    """The message of an exception the student's code raised, with its cause when the
    cause is not their logic: a library's edition, or a name that only code the grader
    does not run sets (a notebook's test cell, a script's demo)."""
    message = with_edition_hint(kind, message)
    if kind == "NotImplementedError":
        return (f"{message}: " if message else "") + "this is still the template's stub: " \
            "write the function's body"
    undefined = _UNDEFINED.search(message) if kind == "NameError" else None
    if undefined and undefined.group(1) in plan.not_run:
        name = undefined.group(1)
        where = plan.not_run[name]
        what = "notebook" if where.startswith("cell") else "file"
        message += (f". `{name}` is set at {where} by code the grader does not "
                    f"run (only imports, functions, classes and constants are taken from "
                    f"your {what}): a function must get `{name}` as a parameter, or make "
                    f"it itself, not read a variable that other code sets")
    return message


def _death(run: RawRun, when: str) -> str:
    """Why the process stopped, in words a student can act on."""
    if run.killed_for:
        return f"the process was killed {when}: {run.killed_for}"
    if _out_of_time(run):
        return (f"timed out {when}: it ran past its time limit (an infinite loop, or a very "
                f"slow computation?)")
    if run.signal:
        name = signal.Signals(run.signal).name if run.signal in signal.valid_signals() else ""
        reason = {"SIGKILL": "it was killed (memory or CPU limit)",
                  "SIGSEGV": "it crashed (segmentation fault)"}.get(name, "")
        return f"the process died of signal {run.signal} {name} {when}" + (
            f": {reason}" if reason else "")
    if run.protocol_error:
        return f"{run.protocol_error} ({when})"
    return (f"the process exited {when} without reporting (exit code {run.exit_code}): "
            f"os._exit(), closed file descriptors or a broken interpreter?")


def _case_checks(plan: Planned, run: RawRun, index: int,
                 case: Case) -> tuple[list[CheckResult], bool]:
    """The checks of one case, and whether the judge itself failed (a grader error)."""
    label = f"[{case.name}]"
    hidden = not case.public
    result = run.cases.get(index)
    if result is None:
        when = "on this case" if run.last_started == index else "before this case ran"
        return [CheckResult(f"runs {label}", CORRECTNESS, False, _death(run, when), hidden)], False
    if "error" in result and result["error"]["type"] == "UnsentResults":
        return [CheckResult(f"runs {label}", CORRECTNESS, False, result["error"]["message"],
                            hidden)], False
    if "error" in result:
        error = result["error"]
        at = f" at {error['where']}" if error["where"] else ""
        called = plan.task.function if plan.task.kind == "function" else "your code"
        called += "()" if plan.task.kind == "function" else ""
        message = (f"{called} raised {error['type']}{at}: "
                   f"{_explained(plan, error['type'], error['message'])}")
        try:
            mistake = plan.explain(case, error["type"], error["message"]) if plan.explain else None
        except Exception as exc:  # like a judge's: the pack's fault, said so
            return [dataclasses.replace(_grader_error(
                f"explained {label}", f"the explanation of this error raised {exc!r}"),
                hidden=hidden)], True
        if mistake:
            message = f"{mistake}\n{message}"
        return [CheckResult(f"runs {label}", CORRECTNESS, False, message, hidden)], False
    try:
        judged = plan.judge(case, result["outputs"])
    except Exception as exc:  # a judge must never crash a report; say whose fault it is
        return [dataclasses.replace(_grader_error(
            f"judged {label}", f"the judge of this case raised {exc!r}"), hidden=hidden)], True
    return [dataclasses.replace(c, name=f"{c.name} {label}", hidden=hidden)
            for c in judged], False
