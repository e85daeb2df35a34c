"""The `grade` command's contract (../shared/contract/grade-cli.md): exit codes,
JSON schema v1, one-line errors."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, SOLUTIONS
from grader import __version__
from grader.errors import GraderError
from grader.output import check_writable
from grader.pipeline import Options, grade
from grader.report import json_report

GRADE = Path(sys.executable).parent / "grade"


def run_grade(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(GRADE), *args], capture_output=True, text=True, timeout=600,
                          cwd=cwd)


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    result = run_grade(str(FIXTURES / "sample"), "--json", str(out / "r.json"),
                       "--html", str(out / "r.html"))
    return result, json.loads((out / "r.json").read_text()), (out / "r.html").read_text()


def test_sample_exits_1_and_json_has_every_contract_field(sample_run, pack):
    result, report, _ = sample_run
    assert result.returncode == 1, result.stderr
    assert report["schema_version"] == 1
    assert report["assignment"] == "regularization"  # recognised from the file names
    assert report["submission"] == str(FIXTURES / "sample")
    assert isinstance(report["seed"], int)
    assert report["max_score"] == sum(t.points for t in pack.tasks)
    assert [t["id"] for t in report["tasks"]] == [t.id for t in pack.tasks]
    assert report["score"] == pytest.approx(sum(t["score"] for t in report["tasks"]))
    for task in report["tasks"]:
        assert set(task) >= {"id", "file", "correct", "style_ok", "score", "max_score", "checks"}
        assert isinstance(task["correct"], bool) and isinstance(task["style_ok"], bool)
        assert task["checks"], task["id"]
        for check in task["checks"]:
            assert set(check) >= {"name", "kind", "passed", "message", "hidden"}
            assert check["kind"] in ("correctness", "requirement")
            assert check["passed"] or check["message"], check["name"]


def test_sample_terminal_table_and_html(sample_run):
    result, report, page = sample_run
    for task in report["tasks"]:
        assert task["file"][:12] in result.stdout
    assert f"seed {report['seed']}" in result.stdout
    assert str(report["seed"]) in page and report["grader_version"] in page
    assert "<script" not in page
    failed = next(t for t in report["tasks"] if not t["correct"])
    message = next(c["message"] for c in failed["checks"] if not c["passed"])
    assert message.replace("'", "&#39;").replace('"', "&#34;")[:60] in page


def test_reference_solutions_exit_0_and_quiet_prints_the_score_line():
    result = run_grade(str(SOLUTIONS), "--assignment", "regularization", "--quiet")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("score 8/8 ") and "seed " in lines[0]


def test_missing_files_still_list_every_task(tmp_path, pack):
    shutil.copy2(SOLUTIONS / "7-early_stopping.py", tmp_path)
    result = run_grade(str(tmp_path), "--json", "-")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert len(report["tasks"]) == len(pack.tasks)
    verdicts = {t["id"]: (t["correct"], t["style_ok"]) for t in report["tasks"]}
    assert verdicts.pop("7") == (True, True)
    assert set(verdicts.values()) == {(False, False)}


@pytest.mark.parametrize("args, fragment", [
    (["/no/such/folder"], "not found"),
    ([str(SOLUTIONS.parent.parent / "README.md")], "not a submission the grader can read"),
    ([str(SOLUTIONS), "--assignment", "nope"], "unknown assignment"),
    ([str(SOLUTIONS), "--json", "/no/such/dir/r.json"], "does not exist"),
    ([str(SOLUTIONS), "--seed", "abc"], "invalid int"),
    ([str(SOLUTIONS), "--seed", "-5"], "--seed must be between 0 and"),
    ([str(SOLUTIONS), "--seed", str(2 ** 63)], "--seed must be between 0 and"),
    ([str(SOLUTIONS), "-j", "0"], "-j must be at least 1"),
    ([str(SOLUTIONS), "--sandbox", "maybe"], "invalid choice"),
    ([], "required"),
])
def test_bad_input_is_one_line_and_exit_2(args, fragment):
    result = run_grade(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0] and "Traceback" not in result.stderr


def test_unrecognisable_folder_is_exit_2(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    result = run_grade(str(tmp_path))
    assert result.returncode == 2 and "--assignment" in result.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any folder")
def test_unreadable_folder_is_exit_2(tmp_path):
    tmp_path.chmod(0)
    try:
        assert run_grade(str(tmp_path)).returncode == 2
    finally:
        tmp_path.chmod(0o700)


def test_same_seed_same_report(warm_engine):
    options = Options(assignment="regularization", seed=99)
    first, second = (json_report.to_dict(grade(str(FIXTURES / "sample"), options,
                                               engine=warm_engine)) for _ in range(2))
    for report in (first, second):
        for key in ("seconds", "started_at"):
            report.pop(key)
        for task in report["tasks"]:
            task.pop("seconds")
    assert first == second


def test_version_and_help():
    version = run_grade("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"grade {__version__}"
    usage = run_grade("--help")
    assert usage.returncode == 0
    assert "grade batch SUBMISSIONS_DIR" in usage.stdout
    assert "exit status" in usage.stdout
    for code, meaning in (("0", "every check passed"), ("1", "something failed"),
                          ("2", "could not grade")):
        assert any(line.split()[:1] == [code] and meaning in line
                   for line in usage.stdout.splitlines()), code
    batch = run_grade("batch", "--help")
    assert batch.returncode == 0
    assert "--assignment NAME     assignment pack (required" in batch.stdout
    assert "[--assignment" not in batch.stdout  # shown as required in the usage line


REGULAR_FILE = Path("/etc/hostname")


@pytest.mark.parametrize("where, fragment", [
    ("missing/r.out", "does not exist"),
    ("missing/deeper/r.out", "does not exist"),
    (".", "is a folder"),
    ("file.txt/r.out", "is a file, not a folder"),
    (str(REGULAR_FILE / "x.out"), "is a file, not a folder"),
])
def test_unwritable_destinations_are_refused(tmp_path, where, fragment):
    if where.startswith(str(REGULAR_FILE)) and not REGULAR_FILE.is_file():
        pytest.skip("no /etc/hostname here")
    (tmp_path / "file.txt").write_text("a regular file")
    destination = where if where.startswith("/") else str(tmp_path / where)
    with pytest.raises(GraderError, match=fragment):
        check_writable(destination)
    check_writable(str(tmp_path / "r.out"))  # a writable destination passes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]  # and is left empty


@pytest.mark.parametrize("option", ["--json", "--html"])
def test_destinations_are_checked_before_grading(tmp_path, option):
    (tmp_path / "file.txt").write_text("a regular file")
    destination = str(tmp_path / "file.txt" / "r.out")
    # a submission that does not exist: the destination is refused before anything is read
    result = run_grade(str(tmp_path / "no-such-submission"), option, destination)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and result.stdout == ""
    assert len(lines) == 1 and destination in lines[0] and "not a folder" in lines[0], lines


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into any folder")
def test_a_folder_without_write_permission_fails_before_grading(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o500)
    result = run_grade(str(tmp_path / "no-such-submission"), "--json", str(folder / "r.json"))
    assert result.returncode == 2 and "is not writable" in result.stderr
