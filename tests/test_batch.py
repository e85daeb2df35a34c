"""`grade batch`: one report per student (folders and single files), regrading decided by
content never by timestamps, ungradable submissions named (never a silent 0), broken
and hostile submissions contained, a class summary, and Ctrl-C that keeps what was done."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

from conftest import FIXTURES, SOLUTIONS, assemble, load_expectations
from grader.formats import tree_digest

GRADE = Path(sys.executable).parent / "grade"
EXPECTATIONS = load_expectations()
STUDENTS = {  # student folder -> fixture
    "alice": "correct_0_linalg_norm",
    "bob": "buggy_0_bias_regularized",
    "carol": "broken_0_syntax_error",
    "dave": "sample",
}
FILE_STUDENTS = {"erin": "correct_0_linalg_norm", "frank": "buggy_0_bias_regularized"}
UNGRADABLE = {"empty": "nothing to grade", "gina": "several submissions of this name"}
OLD = 946684800  # 2000-01-01: what unzip, cp -p, rsync -a and tar x leave on a resubmission


def batch(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(GRADE), "batch", *args], capture_output=True, text=True,
                          timeout=900, env=env)


def regrade(submissions: Path, out: Path, *args: str) -> subprocess.CompletedProcess:
    return batch(str(submissions), "--assignment", "regularization", "--out", str(out), *args)


def zip_folder(folder: Path, target: Path) -> None:
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(folder.rglob("*")):
            archive.write(path, path.relative_to(folder))


@pytest.fixture(scope="module")
def classroom(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    submissions = root / "submissions"
    for student, fixture in STUDENTS.items():
        assemble(EXPECTATIONS[fixture], submissions / student)
    hostile = [name for name in EXPECTATIONS if name.startswith("hostile")]
    if hostile:  # the sandbox issue's fixtures, when present: one of them joins the class
        assemble(EXPECTATIONS[sorted(hostile)[0]], submissions / "mallory")
    work = root / "work"
    zip_folder(assemble(EXPECTATIONS[FILE_STUDENTS["erin"]], work / "erin"),
               submissions / "erin.zip")
    assemble(EXPECTATIONS[FILE_STUDENTS["frank"]], work / "checkout" / "regularization")
    with tarfile.open(submissions / "frank.tar.gz", "w:gz") as archive:  # a repository
        archive.add(work / "checkout", arcname="frank-repo")
    (submissions / "empty").mkdir()
    shutil.copytree(SOLUTIONS, submissions / "gina")
    zip_folder(SOLUTIONS, submissions / "gina.zip")
    (submissions / "notes.txt").write_text("the instructor's notes")
    (submissions / ".DS_Store").write_bytes(b"\0")
    out = root / "out"
    first = regrade(submissions, out)
    return submissions, out, first


def expected_correct(fixture: str) -> dict[str, bool]:
    fails = set(EXPECTATIONS[fixture]["fails"])
    return {str(i): str(i) not in fails for i in range(8)}


def read(out: Path, name: str) -> dict:
    return json.loads((out / f"{name}.json").read_text())


@pytest.mark.slow
def test_every_student_gets_both_reports_with_true_verdicts(classroom):
    submissions, out, first = classroom
    assert first.returncode == 0, first.stderr
    graded = {**STUDENTS, **FILE_STUDENTS}
    if (submissions / "mallory").exists():
        graded["mallory"] = None
    for student, fixture in graded.items():
        assert (out / f"{student}.html").stat().st_size > 0
        report = read(out, student)
        assert report["schema_version"] == 1
        if fixture:
            verdicts = {t["id"]: t["correct"] for t in report["tasks"]}
            assert verdicts == expected_correct(fixture), student
    assert read(out, "frank")["source"]["location"] == "frank-repo/regularization"
    progress = first.stderr.splitlines()  # not a terminal: one line per student graded
    for student in graded:
        assert any(line.startswith("[") and f"] {student}: " in line for line in progress)


@pytest.mark.slow
def test_ungradable_submissions_are_named_never_a_silent_zero(classroom):
    submissions, out, first = classroom
    summary = read(out, "summary")
    assert set(summary["ungradable"]) == set(UNGRADABLE)
    for student, reason in UNGRADABLE.items():
        assert reason in summary["ungradable"][student]
        assert student not in summary["scores"]
        assert any(line.strip().startswith(f"{student}: ") for line in first.stderr.splitlines())
    assert "gina.zip" in summary["ungradable"]["gina"]
    assert not (out / "gina.json").exists()  # which of the two would it be?
    assert read(out, "empty")["score"] == 0  # the student still sees why
    assert summary["ignored"] == {"notes.txt": "not a folder, .py, .ipynb, .zip or .tar.gz"}
    assert "None" not in first.stderr and "ungradable" in first.stderr


@pytest.mark.slow
def test_summary_counts_and_pass_rates(classroom):
    submissions, out, _ = classroom
    summary = read(out, "summary")
    students = len([p for p in submissions.iterdir()
                    if p.name not in ("notes.txt", ".DS_Store", "gina.zip")])
    assert summary["submissions"] == students and not summary["interrupted"]
    assert summary["graded_now"] == students - 1  # all but gina (no report)
    assert summary["grader_failures"] == {}
    reports = {s: read(out, s) for s in summary["scores"]}
    assert summary["scores"] == {s: r["score"] for s, r in reports.items()}
    assert summary["graded"] == len(reports) == students - len(UNGRADABLE)
    assert summary["mean_score"] == pytest.approx(
        sum(r["score"] for r in reports.values()) / len(reports), abs=1e-3)
    for task_id, rate in summary["task_pass_rate"].items():
        passed = [next(t["correct"] for t in r["tasks"] if t["id"] == task_id)
                  for r in reports.values()]
        assert rate == pytest.approx(sum(passed) / len(passed)), task_id
    assert 0 < summary["task_pass_rate"]["0"] < 1  # alice passes task 0, bob does not


@pytest.mark.slow
def test_every_report_says_what_was_graded(classroom):
    submissions, out, _ = classroom
    summary = read(out, "summary")
    assert summary["grader_version"] and summary["title"]
    for student, graded in summary["students"].items():
        report = read(out, student)
        assert report["seed"] == summary["seed"]
        assert report["grader_version"] == summary["grader_version"]
        assert report["title"] == summary["title"]
        assert report["input_digest"] == graded["input_digest"] and len(graded["input_digest"])
        assert graded["files"] == report["source"]["files"]
        assert graded["format"] == report["source"]["format"]
        assert Path(graded["submission"]).name in os.listdir(submissions)
    assert summary["students"]["erin"]["format"].startswith("zip")
    assert summary["students"]["erin"]["files"] == read(out, "alice")["source"]["files"]


@pytest.mark.slow
def test_regrades_on_content_never_on_timestamps(classroom):
    submissions, out, _ = classroom
    mtimes = {p.name: p.stat().st_mtime_ns for p in out.glob("*.json") if p.stem != "summary"}
    again = regrade(submissions, out)
    assert again.returncode == 0, again.stderr
    summary = read(out, "summary")
    assert summary["graded_now"] == 0 and summary["skipped_up_to_date"] == len(mtimes)
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.json")
            if p.stem != "summary"} == mtimes
    os.utime(submissions / "alice" / "0-l2_reg_cost.py")  # newer, but the same content
    assert regrade(submissions, out).returncode == 0
    assert read(out, "summary")["graded_now"] == 0
    # bob resubmits a corrected task 0, unpacked with its old timestamps kept
    fixed = submissions / "bob" / "0-l2_reg_cost.py"
    shutil.copy(SOLUTIONS / "0-l2_reg_cost.py", fixed)
    for path in (fixed, fixed.parent):
        os.utime(path, (OLD, OLD))
    assert read(out, "bob")["tasks"][0]["correct"] is False
    third = regrade(submissions, out)
    assert third.returncode == 0, third.stderr
    summary = read(out, "summary")
    assert summary["graded_now"] == 1
    assert read(out, "bob")["tasks"][0]["correct"] is True
    assert summary["scores"]["bob"] == read(out, "bob")["score"]
    assert summary["mean_score"] is not None and len(summary["scores"]) == summary["graded"]


@pytest.mark.slow
def test_force_regrades_everything_with_the_same_seed(classroom):
    submissions, out, _ = classroom
    summary = read(out, "summary")
    forced = regrade(submissions, out, "--force")
    assert forced.returncode == 0, forced.stderr
    again = read(out, "summary")
    assert again["graded_now"] == summary["submissions"] - 1  # gina has no report
    assert again["seed"] == summary["seed"] == read(out, "alice")["seed"]


@pytest.mark.parametrize("entries, fragment", [
    ([], "no submissions in"),
    (["notes.txt", ".hidden"], "no submissions in"),
    (["0-l2_reg_cost.py", "1-l2_reg_gradient_descent.py"], "looks like one student's"),
])
def test_a_folder_without_submissions_is_one_line_and_exit_2(tmp_path, entries, fragment):
    folder = tmp_path / "class"
    folder.mkdir()
    for name in entries:
        (folder / name).write_text("x = 1\n")
    result = regrade(folder, tmp_path / "out")
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and fragment in lines[0], result.stderr


@pytest.mark.parametrize("args, fragment", [
    (["/no/such/dir", "--assignment", "regularization", "--out", "/tmp/x"], "not found"),
    ([".", "--out", "/tmp/x"], "--assignment"),
    ([".", "--assignment", "regularization"], "--out"),
    ([".", "--assignment", "regularization", "--out", "/tmp/x", "-j", "0"], "-j"),
    ([".", "--assignment", "regularization", "--out", "/tmp/x", "--scratch", "/no/such"],
     "scratch folder not found"),
    ([".", "--assignment", "regularization", "--out", "/etc/hostname/out"], "not a folder"),
])
def test_bad_batch_arguments_exit_2_with_one_line(args, fragment):
    result = batch(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0]


def processes_working_in(folder: Path) -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink(f"/proc/{pid}/cwd").startswith(str(folder)):
                found.append(int(pid))
        except OSError:
            continue
    return found


@pytest.mark.slow
def test_ctrl_c_stops_at_once_and_keeps_what_was_graded(tmp_path):
    """Ctrl-C while a student's task sleeps (it would run to its 20 s wall clock): the
    batch stops within seconds, keeps the report already written, and writes the summary
    of what was graded, marked interrupted; no process is left behind."""
    submissions, out, scratch = tmp_path / "class", tmp_path / "out", tmp_path / "scratch"
    scratch.mkdir()
    for student in ("a-first", "c-third", "d-fourth"):
        shutil.copytree(SOLUTIONS, submissions / student)
    assemble(EXPECTATIONS["hostile_0_sleep_forever"], submissions / "b-sleeper")
    command = [str(GRADE), "batch", str(submissions), "--assignment", "regularization",
               "--out", str(out), "-j", "1", "--scratch", str(scratch)]
    # a terminal (TTY_COMPATIBLE) shows the live bar; its own process group, like a shell's job
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True,
                               env={**os.environ, "TTY_COMPATIBLE": "1"})
    deadline = time.monotonic() + 300
    while not (out / "a-first.json").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # b-sleeper's task 0 is asleep now
    pressed = time.monotonic()
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C does: the whole foreground group
    _, stderr = process.communicate(timeout=60)
    stopped_after = time.monotonic() - pressed
    assert process.returncode == 2, stderr
    assert stopped_after < 5, stopped_after
    assert "grading b-sleeper" in stderr  # the bar names who is being graded
    summary = read(out, "summary")
    assert summary["interrupted"] is True
    assert summary["scores"] == {"a-first": read(out, "a-first")["score"]}
    assert summary["not_graded"] == ["b-sleeper", "c-third", "d-fourth"]
    written = sorted(p.name for p in out.iterdir())
    assert written == ["a-first.html", "a-first.json", "summary.json"]
    time.sleep(0.5)
    assert processes_working_in(scratch) == []
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize("out", [".", "out", "alice", "alice/reports", "bob/../out"])
def test_reports_never_go_into_the_submissions_folder(tmp_path, out):
    folder = tmp_path / "class"
    (folder / "alice").mkdir(parents=True)
    (folder / "alice" / "0-l2_reg_cost.py").write_text("x = 1\n")
    before = tree_digest(folder)
    result = regrade(folder, folder / out)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert "is the submissions folder" in lines[0] and "choose a folder outside it" in lines[0]
    assert tree_digest(folder) == before


def test_a_file_given_as_the_submissions_folder_says_how_to_grade_it(tmp_path):
    student = tmp_path / "0-l2_reg_cost.py"
    student.write_text("x = 1\n")
    result = regrade(student, tmp_path / "out")
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1
    assert f"is a file, not a folder of submissions: grade one submission with `grade {student}`" \
        in lines[0]
    assert not (tmp_path / "out").exists()
