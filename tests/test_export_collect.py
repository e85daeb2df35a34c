"""The instructor's side: `grade collect REPOS.txt --deadline ...` grades each repository at
its last commit before the deadline, hidden checks included, into the usual OUT layout, and
lists every repository it could not fetch (never dropped)."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from classroom import PACK, PACKS, student

GRADE = Path(sys.executable).parent / "grade"
BEFORE, DEADLINE, AFTER = "2026-01-10T12:00:00+00:00", "2026-01-15T23:59:00+01:00", \
    "2026-01-20T12:00:00+00:00"

pytestmark = pytest.mark.slow


def commit(repository: Path, date: str, message: str) -> str:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(repository), "GIT_AUTHOR_DATE": date,
           "GIT_COMMITTER_DATE": date, "GIT_CONFIG_NOSYSTEM": "1"}
    git = ["git", "-C", str(repository), "-c", "user.name=Student", "-c",
           "user.email=student@example.org"]
    subprocess.run([*git, "add", "-A"], check=True, env=env, capture_output=True)
    subprocess.run([*git, "commit", "-q", "-m", message], check=True, env=env,
                   capture_output=True)
    return subprocess.run([*git, "rev-parse", "HEAD"], check=True, env=env, text=True,
                          capture_output=True).stdout.strip()


def repository(path: Path, history: list[tuple[str, dict]]) -> dict[str, str]:
    """A git repository at `path` whose commits hold the student bodies of `history`
    (date, bodies); the commits' ids by date."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    return {date: commit(student(path, **bodies), date, f"work of {date}")
            for date, bodies in history}


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    root = tmp_path_factory.mktemp("collect")
    alice = repository(root / "alice.git", [(BEFORE, {"double": "plus_one"}), (AFTER, {})])
    bob = repository(root / "bob-repo", [(BEFORE, {})])
    repository(root / "carol", [(AFTER, {})])
    (root / "repos.txt").write_text(
        "# one repository a line, then the student's name if the URL does not say it\n"
        f"file://{root}/alice.git\n"
        f"file://{root}/bob-repo   bob\n\n"
        f"file://{root}/carol      carol   # only committed after the deadline\n"
        f"file://{root}/no-such-repository dave\n")
    done = subprocess.run([str(GRADE), "collect", str(root / "repos.txt"), "--assignment",
                           PACK, "--packs", str(PACKS), "--out", str(root / "out"),
                           "--deadline", DEADLINE, "-j", "2", "--seed", "11"],
                          capture_output=True, text=True, timeout=600)
    return root / "out", done, {"alice": alice, "bob": bob}


def test_each_repository_is_graded_at_its_last_commit_before_the_deadline(collected):
    out, done, commits = collected
    assert done.returncode == 1, done.stderr  # some repositories could not be fetched
    alice = json.loads((out / "alice.json").read_text())
    double = next(t for t in alice["tasks"] if t["id"] == "double")
    assert not double["correct"]  # the fix was committed after the deadline
    assert any(c["hidden"] for c in double["checks"])  # the instructor's checks, hidden ones
    assert "np.multiply(x, 2) + 1" in (out / "repos" / "alice" / "double.py").read_text()
    assert not (out / "repos" / "alice" / ".git").exists()
    bob = json.loads((out / "bob.json").read_text())
    assert bob["score"] == bob["max_score"]
    with open(out / "grades.csv", newline="") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert rows["alice"]["commit"] == commits["alice"][BEFORE]
    assert rows["bob"]["commit"] == commits["bob"][BEFORE]
    assert rows["alice"]["status"] == rows["bob"]["status"] == "graded"


def test_a_repository_that_cannot_be_fetched_is_listed_never_dropped(collected):
    out, done, _ = collected
    listing = {r["student"]: r for r in json.loads((out / "collect.json").read_text())
               ["repositories"]}
    assert set(listing) == {"alice", "bob", "carol", "dave"}
    assert listing["carol"]["error"] == "no commit before the deadline"
    assert listing["dave"]["error"].startswith("git clone failed")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["roster"]["missing"] == ["carol", "dave"]
    assert summary["roster"]["reasons"]["dave"] == listing["dave"]["error"]
    with open(out / "grades.csv", newline="") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert rows["carol"]["status"] == rows["dave"]["status"] == "missing"
    assert "no commit before the deadline" in (out / "index.html").read_text()
    assert "dave: git clone failed" in done.stderr


def test_without_a_deadline_the_last_commit_is_graded(collected, tmp_path):
    out, _, commits = collected
    root = out.parent
    (tmp_path / "repos.txt").write_text(f"file://{root}/alice.git\n")
    done = subprocess.run([str(GRADE), "collect", str(tmp_path / "repos.txt"), "--assignment",
                           PACK, "--packs", str(PACKS), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "out" / "alice.json").read_text())
    assert report["score"] == report["max_score"]
    listing = json.loads((tmp_path / "out" / "collect.json").read_text())["repositories"]
    assert listing[0]["commit"] == commits["alice"][AFTER]


@pytest.mark.parametrize("lines, deadline, error", [
    ("file:///x/a.git alice\nfile:///x/b.git alice\n", None, "listed twice"),
    ("file:///x/a.git alice extra\n", None, "expected `URL [student]`"),
    ("file:///x/a.git\n", "2026-01-15T23:59", "no time zone"),
    ("file:///x/a.git\n", "tomorrow", "bad --deadline"),
])
def test_bad_input_is_one_line(tmp_path, lines, deadline, error):
    (tmp_path / "repos.txt").write_text(lines)
    command = [str(GRADE), "collect", str(tmp_path / "repos.txt"), "--assignment", PACK,
               "--packs", str(PACKS), "--out", str(tmp_path / "out")]
    done = subprocess.run(command + (["--deadline", deadline] if deadline else []),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and error in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
