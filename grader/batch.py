"""`grade batch`: every immediate subfolder of a folder is one student's submission.

Reports go to OUT/<student>.json and OUT/<student>.html, plus OUT/summary.json.
A submission whose two reports are newer than every file in it is skipped
(unless --force), so an interrupted batch resumes where it stopped. A broken or
hostile submission only fails its own report; a failure of the grader itself is
counted and shown, never hidden.

Every submission of a batch is graded on the same cases: one seed (--seed, else
the seed of the earlier summary.json in OUT, else a random one), written to
summary.json. That is fair, reproducible, and lets the grader generate the inputs
and the reference answers once per batch instead of once per student.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.progress import TimeRemainingColumn
from rich.table import Table

from grader.engine import make_engine
from grader.errors import GraderError
from grader.output import write_text
from grader.packs import load_pack
from grader.pipeline import Options, grade
from grader.report import html, json_report

EXIT_OK, EXIT_GRADER_FAILURES = 0, 1
# Tasks of one submission graded at once: while one task's child runs, the other's
# outputs are judged, so -j submissions keep -j cores busy.
TASKS_AT_ONCE = 2


def run_batch(args: argparse.Namespace, options: Options) -> int:
    """Grade every submission under args.submissions; 1 if the grader failed on any."""
    if not args.assignment:
        raise GraderError("grade batch needs --assignment")
    root = Path(args.submissions)
    if not root.is_dir():
        raise GraderError(f"submissions folder not found: {root}")
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GraderError(f"cannot create {out}: {exc.strerror}") from None
    pack = load_pack(args.assignment, options.packs)
    students = sorted(p.name for p in root.iterdir()
                      if p.is_dir() and not p.is_symlink() and not p.name.startswith("."))
    options = replace(options, seed=_batch_seed(options.seed, out))
    previous = {} if args.force else {s: _previous(root / s, out, s) for s in students}
    todo = [s for s in students if previous.get(s) is None]
    results: dict[str, dict | str] = {s: p for s, p in previous.items() if p is not None}
    console = Console(stderr=True)
    if todo:
        _grade_all(root, out, todo, pack, options, results, console)
    summary = _summary(pack, options.seed, students, todo, results, out)
    write_text(str(out / "summary.json"), json.dumps(summary, indent=2) + "\n")
    _print_summary(console, summary)
    return EXIT_GRADER_FAILURES if summary["grader_failures"] else EXIT_OK


def _grade_all(root: Path, out: Path, todo: list[str], pack, options: Options,
               results: dict, console: Console) -> None:
    """Grade `todo` with one shared engine, several submissions at once, with a progress bar."""
    engine = make_engine(options.engine, str(pack.probes_path), pack.declared_runtimes)
    per_submission = replace(options, jobs=TASKS_AT_ONCE)
    try:
        with _progress(console) as progress, ThreadPoolExecutor(options.jobs) as pool:
            bar = progress.add_task("grading", total=len(todo))
            futures = {pool.submit(_grade_one, root / s, out, s, per_submission, engine): s
                       for s in todo}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                progress.advance(bar)
    finally:
        engine.close()


def _batch_seed(requested: int | None, out: Path) -> int:
    """--seed, else the seed an earlier run wrote to OUT/summary.json, else a new one."""
    if requested is not None:
        return requested
    try:
        seed = json.loads((out / "summary.json").read_text())["seed"]
        if type(seed) is int and 0 <= seed < 2 ** 63:
            return seed
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return secrets.randbelow(2 ** 31)


def _progress(console: Console) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
                    console=console, transient=False)


def _previous(submission: Path, out: Path, student: str) -> dict | None:
    """The summary line of an up-to-date earlier report, or None if it must be graded.

    Up to date: both reports exist and are newer than every entry of the submission.
    """
    reports = [out / f"{student}.json", out / f"{student}.html"]
    if not all(r.is_file() for r in reports):
        return None
    newest = submission.lstat().st_mtime
    for dirpath, dirnames, filenames in os.walk(submission):
        for name in dirnames + filenames:
            newest = max(newest, os.lstat(os.path.join(dirpath, name)).st_mtime)
    if min(r.stat().st_mtime for r in reports) <= newest:
        return None
    try:
        report = json.loads(reports[0].read_text())
        return {"score": report["score"], "max_score": report["max_score"],
                "seed": report["seed"], "skipped": True,
                "correct": {t["id"]: t["correct"] for t in report["tasks"]},
                "grader_errors": [t["id"] for t in report["tasks"]
                                  if t.get("outcome") == "grader-error"]}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _grade_one(submission: Path, out: Path, student: str, options, engine) -> dict | str:
    """The student's summary line, or a string saying why the grader failed."""
    try:
        report = grade(str(submission), options, engine=engine)
        write_text(str(out / f"{student}.json"), json_report.render(report))
        write_text(str(out / f"{student}.html"), html.render(report))
    except GraderError as exc:
        return f"could not grade: {exc}"
    except Exception as exc:  # a grader bug must not stop the batch; it is reported
        return f"grader failure: {exc.__class__.__name__}: {exc}"
    return {"score": report.score, "max_score": report.max_score, "seed": report.seed,
            "correct": {t.task.id: t.correct for t in report.tasks},
            "grader_errors": [t.task.id for t in report.tasks if t.outcome == "grader-error"]}


def _summary(pack, seed: int, students, todo, results, out: Path) -> dict:
    """Class-wide figures over every submission with a report (this run's or an earlier one)."""
    reported = {s: r for s, r in results.items() if isinstance(r, dict)}
    failures = {s: r for s, r in results.items() if isinstance(r, str)}
    failures.update({s: f"grader error in task(s) {', '.join(r['grader_errors'])}"
                     for s, r in reported.items() if r["grader_errors"]})
    pass_rate = {t.id: (sum(bool(r["correct"].get(t.id)) for r in reported.values())
                        / len(reported) if reported else None) for t in pack.tasks}
    scores = [r["score"] for r in reported.values()]
    return {
        "assignment": pack.name,
        "seed": seed,
        "submissions": len(students),
        "graded_now": len([s for s in todo if isinstance(results.get(s), dict)]),
        "skipped_up_to_date": len(students) - len(todo),
        "mean_score": round(sum(scores) / len(scores), 3) if scores else None,
        "max_score": sum(t.points for t in pack.tasks),
        "task_pass_rate": pass_rate,
        "grader_failures": failures,
        "scores": {s: r["score"] for s, r in sorted(reported.items())},
        "reports": str(out),
    }


def _print_summary(console: Console, summary: dict) -> None:
    console.print(f"{summary['submissions']} submissions: {summary['graded_now']} graded now, "
                  f"{summary['skipped_up_to_date']} up to date (skipped); mean score "
                  f"{summary['mean_score']} / {summary['max_score']:g}")
    table = Table(title="pass rate per task", title_justify="left")
    table.add_column("task")
    table.add_column("passed", justify="right")
    for task_id, rate in summary["task_pass_rate"].items():
        table.add_row(task_id, "-" if rate is None else f"{rate:.0%}")
    console.print(table)
    if summary["grader_failures"]:
        console.print(f"[red]{len(summary['grader_failures'])} grader failures:[/red]")
        for student, reason in sorted(summary["grader_failures"].items()):
            console.print(f"  {student}: {reason}", highlight=False)
    console.print(f"reports in {summary['reports']}", highlight=False)
