"""submission -> discovery -> sandboxed run -> comparison -> verdict -> report.

`grade()` is the whole flow for one submission; each step lives in one place:
discovery in formats/, the pack in packs.py, the run in engine.py + sandbox/
(in the runtime each task's file needs, runtimes/), comparison in the pack's
checks (with judging/), requirement checks in requirements/, and the verdict
in verdict.py. Expected values are computed here, in the parent, which never
runs student code.
"""
from __future__ import annotations

import ast
import dataclasses
import functools
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from grader import __version__, runtimes
from grader.authoring import PackContext
from grader.engine import RawRun, child_env, make_engine
from grader.errors import GraderError
from grader.execute import (NotebookRun, execution_note, require_notebook, run_notebook,
                            with_checks)
from grader.formats import (Submission, SubmittedFile, analyse_file, locate,
                            open_submission, source_origin)
from grader.models import Case, Report, Task
from grader.packs import Pack, _load, detect_pack, load_pack
from grader.requirements import check_requirements
from grader.sandbox.layers import describe
from grader.sandbox.scratch import base_folder as scratch_base_folder, empty_folder
from grader.sandbox.scratch import write_submission_copy
from grader.verdict import Planned, task_result
from grader.wire import Job


@dataclasses.dataclass(frozen=True)
class Options:
    """How to grade: every field has the CLI's default."""

    assignment: str | None = None
    seed: int | None = None
    engine: str = "warm"
    sandbox: str = "auto"
    jobs: int = os.cpu_count() or 1
    scratch: str | None = None  # where run folders go; None: see scratch.base_folder()
    packs: tuple[str, ...] = ()  # extra folders of packs (--packs)
    tasks: tuple[str, ...] = ()  # task ids to grade (--task); empty: every task
    execute: bool = False  # also run the whole notebook in the sandbox (grader/execute.py)


def grade(path: str, options: Options = Options(), engine=None,
          submission: Submission | None = None) -> Report:
    """Grade the submission at `path`. An `engine` may be shared across calls. A `submission`
    already read from `path` (a batch's grading node receives it as data, grader/executors/)
    is graded as it is: `path` is then only its name (needs options.assignment; not with
    options.execute, which reads the notebook itself)."""
    started = time.monotonic()
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    snapshot = open_submission(path) if submission is None else None
    pack = load_pack(options.assignment or detect_pack(snapshot.names(), options.packs),
                     options.packs)
    submission = submission or locate(snapshot, pack.wanted)
    if options.execute:
        require_notebook(submission)
    tasks = selected_tasks(pack, options.tasks)
    sandbox = describe(options.sandbox)
    seed = options.seed if options.seed is not None else secrets.randbelow(2 ** 31)
    own_engine = engine is None
    if own_engine:
        engine = make_engine(options.engine, str(pack.probes_path), pack.declared_runtimes)
    try:
        run_root = tempfile.mkdtemp(prefix="grade-", dir=options.scratch or scratch_base_folder())
        try:
            planned = [_plan(pack, task, submission, seed, options, Path(run_root))
                       for task in tasks]
            with ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
                results = tuple(pool.map(lambda p: task_result(p[0], _run(engine, p[1])),
                                         planned))
            executed = run_notebook(pack, snapshot, submission, options.sandbox, run_root) \
                if options.execute else None
            results = with_checks(results, executed, pack.execute)
        finally:
            _remove_tree(run_root)
    finally:
        if own_engine:
            engine.close()
    return Report(assignment=pack.name, submission=path, seed=seed, tasks=results,
                  sandbox=sandbox, engine=engine.name, grader_version=__version__,
                  seconds=round(time.monotonic() - started, 3), started_at=started_at,
                  source=describe_source(submission, executed), title=pack.title)


def selected_tasks(pack: Pack, wanted: tuple[str, ...]) -> list[Task]:
    """The pack's tasks, or those `--task` names (unknown ids are an error)."""
    if not wanted:
        return list(pack.tasks)
    known = {t.id for t in pack.tasks}
    unknown = [t for t in wanted if t not in known]
    if unknown:
        raise GraderError(f"unknown task {', '.join(unknown)} for {pack.name} "
                          f"(tasks: {', '.join(t.id for t in pack.tasks)})")
    return [t for t in pack.tasks if t.id in wanted]


def describe_source(submission: Submission, executed: NotebookRun | None = None
                    ) -> dict[str, Any]:
    """What was graded, from which files, and what was not used and why (for every report),
    and how the notebook ran (with --execute)."""
    return {
        "format": submission.format,
        "location": submission.location,
        "files": sorted(submission.files),
        "module": submission.module.name if submission.module else None,
        "skipped": [{"name": s.name, "reason": s.reason} for s in submission.skipped],
        "notes": list(submission.notes) + ([execution_note(executed)] if executed else []),
        "broken": submission.broken,
    }


def _remove_tree(path: str) -> None:
    """Remove a run's scratch folders, whatever a student left in them (deep trees,
    folders without permissions): emptied without recursion, then removed."""
    try:
        empty_folder(path)
    except OSError:
        pass
    shutil.rmtree(path, ignore_errors=True)


def _plan(pack: Pack, task: Task, submission: Submission, seed: int, options: Options,
          run_root: Path) -> tuple[Planned, Job | None]:
    """The task's verdict inputs and, when its code is there, the job that runs it."""
    position = pack.tasks.index(task)
    item = submission.get(task.file) if task.file else submission.module
    source = _source_label(task, submission, item)
    checks = pack.checks[task.id]
    plan = Planned(task=task, judge=checks.judge, explain=checks.explain, cases=(),
                   requirements=[], source=source)
    if submission.broken:
        return dataclasses.replace(plan, absent=f"{submission.path}: {submission.broken}",
                                   broken=True), None
    if item is None:  # handed in but unusable (not UTF-8, a folder): an error, not missing
        unusable = task.file is not None and submission.skip_reason(task.file) is not None
        return dataclasses.replace(plan, absent=_absence(task, submission),
                                   broken=unusable), None
    runtime = runtimes.route(pack.runtimes[task.runtime], imported_modules(item),
                             pack.runtimes)
    cases = cases_for(pack, task.id, seed, position)
    scratch = run_root / f"task-{task.id}"
    home = scratch / "home"
    scratch.mkdir(mode=0o700)
    (home / "tmp").mkdir(parents=True, mode=0o700)
    files = list(submission.files.values()) + ([submission.module] if submission.module else [])
    not_run = submission.not_run
    if task.file and pack.load == "definitions":  # a script-like task file: its definitions
        analysis = analyse_file(item.text, item.name)
        item, not_run = dataclasses.replace(item, data=analysis.source.encode()), analysis.not_run
        files = [item if f.name == item.name else f for f in files]
    write_submission_copy(files, str(scratch / "submission"))
    support = [str(pack.support)] if pack.support else []
    job = Job(
        task_id=task.id, kind=task.kind, names=list(task.names),
        roles=[dataclasses.asdict(role) for role in task.roles],
        student_file=str(scratch / "submission" / os.path.basename(item.name)),
        load="definitions" if pack.load == "definitions" or not task.file else "module",
        search_path=support + [str(scratch / "submission")], readable=support,
        scratch=str(scratch), probes_path=str(pack.probes_path),
        runtime=runtime.to_message(), sandbox_mode=options.sandbox,
        limits=dataclasses.asdict(pack.limits_for(task, runtime.name)),
        env=child_env(runtime, str(home)),
        cases=[{"name": case.name, "inputs": case.inputs} for case in cases],
        cases_key=f"{pack.name}/{task.id}/{seed}")
    return dataclasses.replace(plan, cases=cases, runtime=runtime.name,
                               lines=_line_names(item) if not task.file else str,
                               folders=(str(scratch / "submission"), str(scratch)),
                               not_run=not_run, also_seen=submission.also_seen,
                               requirements=check_requirements(pack.requirements, task,
                                                               submission)), job


def _line_names(module: SubmittedFile):
    """A function that rewrites "line N" of a definitions-only module as the student knows
    it: "cell C, line L" of their notebook (unchanged for a plain module)."""
    text = module.text

    def rename(message: str) -> str:
        def swap(match: re.Match) -> str:
            origin = source_origin(text, int(match.group(1)))
            return f"cell {origin[0]}, line {origin[1]}" if origin else match.group(0)
        return re.sub(r"(?<!\d, )\bline (\d+)", swap, message)  # not "cell 4, line 2"
    return rename


def _source_label(task: Task, submission: Submission, item: SubmittedFile | None) -> str:
    """Where the task's code comes from, as a student would name it."""
    if task.file:
        return f"{submission.location}/{task.file}" if submission.location else task.file
    if item is None:
        return "the submission"
    cells = [submission.definitions[n].cell for n in task.names if n in submission.definitions]
    where = f" (cell {cells[0]})" if len(cells) == 1 and cells[0] is not None else ""
    return f"{item.name}{where}"


def _absence(task: Task, submission: Submission) -> str:
    """Why the task's file is not there: never "not found" for a file that was handed in."""
    if task.file is None:
        return "no notebook or Python module with the graded code was found in the submission"
    reason = submission.skip_reason(task.file)
    if reason:
        return f"{task.file} was handed in but could not be used: {reason}"
    return f"{task.file} was not found in the submission"


def imported_modules(item: SubmittedFile) -> set[str]:
    """Top-level names of the modules a file imports (read, never run)."""
    try:
        tree = ast.parse(item.data)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


_GENERATING = threading.Lock()


def cases_for(pack: Pack, task_id: str, seed: int, position: int) -> tuple[Case, ...]:
    """A task's cases (and whatever the generator computed for the judge) for one seed.

    Generated once per process and seed: a batch grades every submission with one
    seed, so inputs and reference answers are computed once, not once per student
    (the lock keeps the first submissions of a batch from generating them twice).
    Arrays are made read-only, so that no judge can change what the next one sees.
    """
    with _GENERATING:
        return _generate_cases(pack.name, pack.root, task_id, seed, position)


@functools.lru_cache(maxsize=256)
def _generate_cases(pack_name: str, root: Path, task_id: str, seed: int,
                    position: int) -> tuple[Case, ...]:
    pack = _load(pack_name, root)
    task = next(t for t in pack.tasks if t.id == task_id)
    context = PackContext(pack=pack.name, task=task, rng=np.random.default_rng([seed, position]),
                          _reference=pack.reference, _default_file=pack.reference_module,
                          _support=pack.support_module)
    cases = tuple(pack.checks[task_id].cases(context))
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


def _run(engine, job: Job | None) -> RawRun | None:
    return engine.run(job) if job else None
