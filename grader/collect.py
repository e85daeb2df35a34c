"""`grade collect`: fetch every student's repository as it was at the deadline, grade them all.

REPOS.txt holds one git URL a line, optionally followed by the student's name
(else the name is the URL's last part, without `.git`); blank lines and `#`
comments are skipped. Each repository is cloned (bare, into a temporary
folder) and the tree of its last commit before the deadline (by committer
date, on its default branch) is written to OUT/repos/<student>/ with `git
archive`: no `.git`, nothing of the student's run. Then OUT/repos is graded as
one batch, hidden checks included, into the usual OUT layout (reports,
summary.json, grades.csv, index.html).

Nothing is dropped: a repository that cannot be fetched, or has no commit
before the deadline, is a `missing` student with the reason (summary.json's
`roster`, grades.csv, the dashboard), and OUT/collect.json lists every
repository with the commit graded or the error.

Commit dates are written by the student's own machine: a forged date passes.
Where that matters, run `collect` at the deadline (without --deadline) or check
the forge's push times.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from grader.batch import RESERVED, run_batch
from grader.errors import GraderError
from grader.output import write_text
from grader.pipeline import Options
from grader.roster import ClassRoster

REPOS_FOLDER = "repos"
GIT_SECONDS = 300
COLUMNS = ("repository", "commit", "committed_at")


@dataclass(frozen=True)
class Repository:
    url: str
    student: str


@dataclass(frozen=True)
class Fetched:
    """One repository's outcome: the commit written out, or why there is none."""

    repository: Repository
    commit: str = ""
    committed_at: str = ""
    error: str = ""


def collect(repos_file: str, out: str, options: Options, *, deadline: str | None = None,
            force: bool = False, audience: str = "student") -> int:
    """Fetch, then grade as one batch; the batch's exit status, at least 1 when some
    repository could not be fetched."""
    repositories = read_repositories(repos_file)
    cutoff = parse_deadline(deadline) if deadline else None
    out_dir = Path(out)
    folder = out_dir / REPOS_FOLDER
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GraderError(f"cannot create {folder}: {exc.strerror}") from None
    fetched = [fetch(repository, folder, cutoff) for repository in repositories]
    write_text(str(out_dir / "collect.json"), json.dumps(
        {"deadline": cutoff.isoformat() if cutoff else None,
         "repositories": [_entry(f) for f in fetched]}, indent=2) + "\n")
    failed = [f for f in fetched if f.error]
    for item in failed:
        print(f"grade collect: {item.repository.student}: {item.error}", file=sys.stderr)
    if len(failed) == len(fetched):
        raise GraderError(f"no repository could be fetched (see {out_dir / 'collect.json'})")
    roster = ClassRoster(
        source=str(repos_file), columns=COLUMNS,
        students={f.repository.student: dict(zip(COLUMNS, (f.repository.url, f.commit,
                                                           f.committed_at)))
                  for f in fetched},
        reasons={f.repository.student: f.error for f in failed})
    status = run_batch(str(folder), str(out_dir), options, force=force, audience=audience,
                       class_roster=roster)
    return max(status, 1) if failed else status


def read_repositories(path: str) -> list[Repository]:
    """REPOS.txt's repositories (see the module docstring); GraderError on a bad line."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise GraderError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") \
            from None
    repositories: dict[str, Repository] = {}
    for number, line in enumerate(lines, start=1):
        words = line.split("#", 1)[0].split() if not line.lstrip().startswith("#") else []
        if not words:
            continue
        if len(words) > 2:
            raise GraderError(f"{path}, line {number}: expected `URL [student]`")
        url = words[0]
        student = words[1] if len(words) == 2 else url.rstrip("/").rsplit("/", 1)[-1]
        student = student.removesuffix(".git")
        if not student or student.startswith(".") or "/" in student or ":" in student \
                or student in RESERVED or student == REPOS_FOLDER:
            raise GraderError(f"{path}, line {number}: {student!r} cannot be a student's name: "
                              f"give one after the URL")
        if student in repositories:
            raise GraderError(f"{path}, line {number}: student {student!r} is listed twice")
        repositories[student] = Repository(url, student)
    if not repositories:
        raise GraderError(f"{path} lists no repository")
    return list(repositories.values())


def parse_deadline(text: str) -> datetime:
    """An ISO 8601 date and time with its time zone (2026-03-01T23:59:00+01:00, or ...Z)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise GraderError(f"bad --deadline {text!r}: give an ISO 8601 date and time, such as "
                          f"2026-03-01T23:59:00+01:00") from None
    if moment.tzinfo is None:
        raise GraderError(f"--deadline {text!r} has no time zone: add one (Z, +01:00, ...)")
    return moment


def fetch(repository: Repository, folder: Path, deadline: datetime | None) -> Fetched:
    """Write the repository's tree at its last commit before `deadline` to
    folder/<student>/ (replacing an earlier one); never raises for the repository."""
    target = folder / repository.student
    shutil.rmtree(target, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="grade-collect-") as scratch:
        clone = Path(scratch) / "clone.git"
        try:
            _git(["clone", "--bare", "--quiet", "--", repository.url, str(clone)])
            history = _git(["--git-dir", str(clone), "log", "--format=%H %ct", "HEAD"])
        except GraderError as exc:
            return Fetched(repository, error=str(exc))
        commits = [line.split() for line in history.decode().splitlines() if line.strip()]
        chosen = next((c for c in commits if deadline is None
                       or int(c[1]) <= deadline.timestamp()), None)
        if chosen is None:
            return Fetched(repository, error="no commit before the deadline")
        archive = Path(scratch) / "tree.tar"
        try:
            _git(["--git-dir", str(clone), "archive", "--format=tar", "-o", str(archive),
                  chosen[0]])
            target.mkdir()
            with tarfile.open(archive) as tar:
                tar.extractall(target, filter="data")
        except (GraderError, OSError, tarfile.TarError) as exc:
            shutil.rmtree(target, ignore_errors=True)
            return Fetched(repository, error=f"cannot write out commit {chosen[0][:12]}: {exc}")
    moment = datetime.fromtimestamp(int(chosen[1]), timezone.utc).isoformat()
    return Fetched(repository, commit=chosen[0], committed_at=moment)


def _git(arguments: list[str]) -> bytes:
    """Run git without prompts or the user's configuration; GraderError with git's last line."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GIT_TERMINAL_PROMPT": "0",
           "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "LANG": "C",
           "HOME": tempfile.gettempdir()}
    try:
        done = subprocess.run(["git", *arguments], capture_output=True, env=env,
                              timeout=GIT_SECONDS, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise GraderError("git is not installed") from None
    except subprocess.TimeoutExpired:
        raise GraderError(f"git {arguments[0]} took more than {GIT_SECONDS} s") from None
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        raise GraderError(f"git {arguments[0]} failed: {lines[-1] if lines else done.returncode}")
    return done.stdout


def _entry(fetched: Fetched) -> dict[str, Any]:
    return {"student": fetched.repository.student, "url": fetched.repository.url,
            "commit": fetched.commit or None, "committed_at": fetched.committed_at or None,
            "error": fetched.error or None}
