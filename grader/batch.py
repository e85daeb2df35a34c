"""`grade batch`: grade a whole class, one report per student, and a class summary.

SUBMISSIONS_DIR holds one submission per student: a subfolder, or a file directly
in it that `grade` reads (`.py`, `.ipynb`, `.zip`, `.tar.gz`, ...); the student's
name is the folder's name, or the file's name without its extension. Reports go
to OUT/<student>.json and OUT/<student>.html, plus OUT/summary.json.

Resuming: each report records `input_digest`, a digest of what grading reads (the
files discovery takes from the submission), of the pack's and its reference
solutions' files, of the grader version, the seed and the sandbox mode. A student
is skipped (unless --force) only when that digest is unchanged: timestamps are
never trusted (unzip, cp -p, rsync -a and tar x keep old ones).

Nothing is silent: a submission with nothing to grade (unreadable, broken, every
task missing) is listed as ungradable, apart from the scores; a failure of the
grader itself is counted and shown; Ctrl-C stops at once, keeps the reports
already written and writes the summary, marked "interrupted".

Every submission of a batch is graded on the same cases: one seed (--seed, else
the seed of the earlier summary.json in OUT, else a random one), written to
summary.json. That is fair, reproducible, and lets the grader generate the inputs
and the reference answers once per batch instead of once per student.

Who grades is the executor's business (grader/executors/: this machine, or the
nodes of a Ray cluster); all of the above holds whichever grades.
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rich.console import Console

from grader import __version__
from grader.errors import GraderError
from grader.executors import Batch, Executor, make_executor
from grader.executors.outcome import Result, remove_reports
from grader.executors.parcel import trusted_files
from grader.formats import FORMATS, read_submission
from grader.formats.archive import SUFFIXES as ARCHIVE_SUFFIXES
from grader.formats.snapshot import is_noise
from grader.output import ensure_folder, write_text
from grader.class_reports import DASHBOARD, roster_note, write_class_reports
from grader.packs import Pack, load_pack
from grader.pipeline import Options
from grader.report.batch_terminal import print_summary
from grader.report.views import terminal_text
from grader.roster import ClassRoster

EXIT_OK, EXIT_GRADER_FAILURES, EXIT_INTERRUPTED = 0, 1, 2
FILE_SUFFIXES = (".py", ".ipynb", *ARCHIVE_SUFFIXES)  # removed from a file's name: the student
SUMMARY = "summary"  # OUT/summary.json: no student may be called so
RESERVED = {SUMMARY: "the class summary's",  # names whose reports would overwrite a class file
            Path(DASHBOARD).stem: "the class dashboard's"}


@dataclass(frozen=True)
class Roster:
    """Who handed in what, as found in SUBMISSIONS_DIR."""

    submissions: dict[str, Path]  # student -> the folder or file to grade
    ungradable: dict[str, str]  # student -> why no submission of theirs can be graded
    ignored: dict[str, str]  # entry of SUBMISSIONS_DIR -> why it is not a submission


def run_batch(submissions: str, out: str, options: Options, *, force: bool = False,
              audience: str = "student", class_roster: ClassRoster | None = None,
              executor: Executor | None = None) -> int:
    """Grade every submission in `submissions`; the exit status (see the module docstring).
    With a `class_roster`, OUT/grades.csv and summary.json also say who is missing. The
    `executor` grades what is not up to date (default: this machine, grader/executors/)."""
    executor = executor or make_executor()
    root, out_dir = Path(submissions), Path(out)
    if root.is_file():
        raise GraderError(f"{root} is a file, not a folder of submissions: grade one "
                          f"submission with `grade {root}`")
    if not root.is_dir():
        raise GraderError(f"submissions folder not found: {root}")
    if out_dir.resolve().is_relative_to(root.resolve()):
        raise GraderError(f"--out {out_dir} is the submissions folder {root} or inside it: it "
                          "would be read as a student's submission (or written into one); "
                          "choose a folder outside it")
    if not options.assignment:
        raise GraderError("grade batch needs --assignment")
    pack = load_pack(options.assignment, options.packs)
    roster = find_submissions(root, pack)
    if not roster.submissions and not roster.ungradable:
        raise GraderError(f"no submissions in {root}: it should hold one subfolder or one "
                          f".py, .ipynb, .zip or .tar.gz file per student")
    ensure_folder(out_dir, f"cannot write reports to {out_dir}")
    options = replace(options, seed=_batch_seed(options.seed, out_dir))
    results = {student: Result(ungradable=why) for student, why in roster.ungradable.items()}
    for student in roster.ungradable:
        remove_reports(out_dir, student)  # no earlier grade may stand for it
    console = Console(stderr=True)
    interrupted = False
    try:
        key = run_key(pack, options)
        todo = {}
        for student, path in roster.submissions.items():
            digest = input_digest(path, pack, key)
            earlier = None if force else _up_to_date(out_dir, student, digest)
            if earlier is None:
                todo[student] = (path, digest)
            else:
                results[student] = earlier
        if todo:
            executor.grade_all(Batch(todo, out_dir, pack, options, audience), results, console)
    except KeyboardInterrupt:
        interrupted = True
    summary = class_summary(pack, options, roster, results, out_dir, interrupted)
    summary.update(executor.summary())
    if class_roster is not None:
        summary["roster"] = class_roster.matching({*roster.submissions, *roster.ungradable})
    write_text(str(out_dir / f"{SUMMARY}.json"), json.dumps(summary, indent=2) + "\n")
    write_class_reports(out_dir, summary, class_roster)
    print_summary(console, summary)
    if summary.get("roster"):
        console.print(terminal_text(roster_note(summary["roster"])), highlight=False,
                      markup=False)
    if interrupted:
        return EXIT_INTERRUPTED
    return EXIT_GRADER_FAILURES if summary["grader_failures"] else EXIT_OK


def find_submissions(root: Path, pack: Pack) -> Roster:
    """Every student's submission in `root`: subfolders and files `grade` can read."""
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError as exc:
        raise GraderError(f"cannot read submissions folder {root}: {exc.strerror}") from None
    task_files = {t.file for t in pack.tasks if t.file}
    loose = [e.name for e in entries if e.name in task_files]
    if loose:
        raise GraderError(f"{root} looks like one student's submission (it holds {loose[0]}): "
                          f"grade batch needs a folder holding one subfolder or file per student")
    found: dict[str, list[str]] = {}
    ignored = {}
    for entry in entries:
        if is_noise(entry.name):
            continue
        if entry.is_symlink():
            ignored[entry.name] = "a symbolic link (not followed)"
        elif entry.is_dir(follow_symlinks=False):
            found.setdefault(entry.name, []).append(entry.name)
        elif entry.is_file(follow_symlinks=False) and _readable(entry.path):
            found.setdefault(_student_name(entry.name), []).append(entry.name)
        else:
            ignored[entry.name] = "not a folder, .py, .ipynb, .zip or .tar.gz"
    submissions, ungradable = {}, {}
    for student, names in found.items():
        if len(names) > 1:
            ungradable[student] = f"several submissions of this name: {', '.join(names)}"
        elif student in RESERVED:
            ungradable[student] = f"the name {student!r} is {RESERVED[student]}; rename it"
        else:
            submissions[student] = root / names[0]
    return Roster(submissions, ungradable, ignored)


def _readable(path: str) -> bool:
    return any(reader.accepts(path) for reader in FORMATS.values())


def _student_name(file_name: str) -> str:
    for suffix in sorted(FILE_SUFFIXES, key=len, reverse=True):
        if file_name.lower().endswith(suffix):
            return file_name[:-len(suffix)]
    return os.path.splitext(file_name)[0]


def run_key(pack: Pack, options: Options) -> str:
    """Everything but the submission that decides a grade: pack files (with its reference
    solutions), grader version, seed and sandbox mode."""
    files = hashlib.sha256()
    for folder in (pack.root, pack.solutions):
        if folder is not None and folder.is_dir():
            _hash_tree(files, folder)
    return json.dumps({"pack": pack.name, "pack_files": files.hexdigest(),
                       "grader": __version__, "seed": options.seed,
                       "sandbox": options.sandbox}, sort_keys=True)


def _hash_tree(digest, folder: Path) -> None:
    """Names and bytes of a trusted folder's files (those a grading node receives)."""
    for name, path in trusted_files(folder):
        digest.update(f"{name}\0".encode())
        digest.update(path.read_bytes())


def input_digest(path: Path, pack: Pack, key: str) -> str | None:
    """A digest of everything a grade depends on: what discovery reads from the submission
    (the files handed to the tasks, what was skipped and why) and `key` (see run_key).
    None when the submission cannot be read at all (then it is graded every time)."""
    try:
        submission = read_submission(str(path), pack.wanted)
    except GraderError:
        return None
    digest = hashlib.sha256(key.encode())
    digest.update(json.dumps([submission.format, submission.location, submission.broken,
                              list(submission.notes),
                              [[s.name, s.reason] for s in submission.skipped]]).encode())
    files = sorted(submission.files.values(), key=lambda f: f.name)
    for item in files + ([submission.module] if submission.module else []):
        digest.update(f"\0{item.name}\0{item.executable}\0{len(item.data)}\0".encode())
        digest.update(item.data)
    return digest.hexdigest()


def _up_to_date(out: Path, student: str, digest: str | None) -> Result | None:
    """The student's earlier result when both reports exist and were made from the same
    input (same digest), else None: the student is graded."""
    if digest is None or not (out / f"{student}.html").is_file():
        return None
    try:
        report = json.loads((out / f"{student}.json").read_text())
        if report.get("input_digest") != digest:
            return None
        return Result.of_report(report, graded_now=False)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _batch_seed(requested: int | None, out: Path) -> int:
    """--seed, else the seed an earlier run wrote to OUT/summary.json, else a new one."""
    if requested is not None:
        return requested
    try:
        seed = json.loads((out / f"{SUMMARY}.json").read_text())["seed"]
        if type(seed) is int and 0 <= seed < 2 ** 63:
            return seed
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return secrets.randbelow(2 ** 31)


def class_summary(pack: Pack, options: Options, roster: Roster, results: dict[str, Result],
                  out: Path, interrupted: bool) -> dict[str, Any]:
    """Class-wide figures over every submission with a score (this run's or an earlier
    one), and by name every submission without one."""
    students = sorted({*roster.submissions, *roster.ungradable})
    graded = {s: r for s, r in results.items() if r.score is not None and not r.ungradable}
    failures = {s: r.failure for s, r in results.items() if r.failure}
    failures.update({s: f"grader error in task(s) {', '.join(r.grader_errors)}"
                     for s, r in graded.items() if r.grader_errors})
    scores = [r.score for r in graded.values()]
    return {
        "assignment": pack.name,
        "title": pack.title,
        "grader_version": __version__,
        "seed": options.seed,
        "sandbox": options.sandbox,
        "interrupted": interrupted,
        "submissions": len(students),
        "graded_now": sum(r.graded_now for r in results.values()),
        "skipped_up_to_date": sum(1 for r in results.values()
                                  if r.input_digest and not r.graded_now),
        "not_graded": [s for s in students if s not in results],
        "graded": len(graded),
        "mean_score": round(sum(scores) / len(scores), 3) if scores else None,
        "max_score": sum(t.points for t in pack.tasks),
        "task_pass_rate": {t.id: (sum(bool(r.correct.get(t.id)) for r in graded.values())
                                  / len(graded) if graded else None) for t in pack.tasks},
        "grader_failures": failures,
        "ungradable": {s: r.ungradable for s, r in sorted(results.items()) if r.ungradable},
        "ignored": roster.ignored,
        "scores": {s: r.score for s, r in sorted(graded.items())},
        "students": {s: _what_was_graded(roster.submissions.get(s), r)
                     for s, r in sorted(results.items()) if s in roster.submissions},
        "reports": str(out),
    }


def _what_was_graded(path: Path | None, result: Result) -> dict[str, Any]:
    source = result.source
    return {"submission": str(path), "format": source.get("format"),
            "location": source.get("location"), "files": source.get("files", []),
            "input_digest": result.input_digest}
