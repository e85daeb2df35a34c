"""Every format rendered from the JSON report (the source of truth), checked against the
contract's fields (../shared/contract/exports.md): Gradescope's results.json, JUnit XML,
the Markdown job summary, GitHub annotations; and what the student audience hides."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from classroom import PACK, PACKS, student
from conftest import REPO
from grader.report import markdown
from grader.report.audience import for_audience
from grader.report.renderers import RENDERERS
from grader.report.views import check_points

GRADE = Path(sys.executable).parent / "grade"
FORMATS = ("json", *RENDERERS)


def run_grade(submission: Path, out: Path, *extra: str, packs: Path = PACKS,
              assignment: str = PACK) -> tuple[int, dict[str, str]]:
    """`grade` writing every format to out/; its exit status and the texts written."""
    out.mkdir(exist_ok=True)
    paths = {name: out / f"report.{name}" for name in FORMATS}
    command = [str(GRADE), str(submission), "--assignment", assignment, "--packs", str(packs),
               "--seed", "7", "--quiet", *extra]
    for name, path in paths.items():
        command += [f"--{name}", str(path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, {name: path.read_text() for name, path in paths.items()}


@pytest.fixture(scope="module")
def bob(tmp_path_factory):
    """A student whose `double` adds 1 (a named mistake, public and hidden cases fail) and
    whose `mean` is right; graded once for the student, once for the instructor."""
    root = tmp_path_factory.mktemp("bob")
    submission = student(root / "bob", double="plus_one")
    graded = {audience: run_grade(submission.resolve(), root / audience, "--audience", audience)
              for audience in ("student", "instructor")}
    return {**graded, "submission": submission.resolve()}


def hidden_failures(report: dict) -> list[dict]:
    return [c for t in report["tasks"] for c in t["checks"] if c["hidden"] and not c["passed"]]


def test_gradescope_results_have_the_contract_fields(bob):
    status, texts = bob["student"]
    report, results = json.loads(texts["json"]), json.loads(texts["gradescope"])
    assert status == 1
    assert results["score"] == report["score"]
    assert isinstance(results["execution_time"], (int, float)) and results["output"]
    assert results["extra_data"]["seed"] == 7 == report["seed"]
    assert results["extra_data"]["grader_version"] == report["grader_version"]
    checks = [(t, c) for t in report["tasks"] for c in t["checks"]]
    assert len(results["tests"]) == len(checks)
    for test, (task, check) in zip(results["tests"], checks):
        assert set(test) >= {"name", "number", "score", "max_score", "status", "output",
                             "output_format", "visibility", "tags"}
        assert check["name"] in test["name"]
        assert re.fullmatch(rf"{re.escape(task['id'])}\.\d+", test["number"])
        assert test["status"] == ("passed" if check["passed"] else "failed")
        assert test["output_format"] == "md"
        assert test["visibility"] == ("after_published" if check["hidden"] else "visible")
        assert test["tags"] == [task["id"]]
    for task in report["tasks"]:
        mine = [t for t in results["tests"] if t["tags"] == [task["id"]]]
        assert sum(t["score"] for t in mine) == pytest.approx(task["score"], abs=1e-5)
        assert sum(t["max_score"] for t in mine) == pytest.approx(task["max_score"], abs=1e-5)


def test_students_do_not_see_hidden_inputs_nor_the_machine_s_paths(bob):
    (_, student_texts), (_, instructor_texts) = bob["student"], bob["instructor"]
    submission = bob["submission"]
    report = json.loads(student_texts["json"])
    hidden = hidden_failures(report)
    assert hidden, "the hidden case of `double` should fail for this student"
    detail = hidden[0]["message"]  # the JSON report is the instructor's: values and all
    assert "expected" in detail
    for name in RENDERERS:
        assert detail not in student_texts[name], name
        assert str(submission.parent) not in student_texts[name], name
    gradescope = json.loads(instructor_texts["gradescope"])
    assert any("expected" in t["output"] for t in gradescope["tests"]
               if t["visibility"] == "after_published")


def test_junit_xml_has_one_suite_per_task_and_one_case_per_check(bob):
    _, texts = bob["student"]
    report = json.loads(texts["json"])
    shown = for_audience(report, "student")["tasks"]
    root = ET.fromstring(texts["junit"])
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [f"{t['id']} {t['title']}" for t in report["tasks"]]
    for suite, task, shown_task in zip(suites, report["tasks"], shown):
        properties = {p.get("name"): p.get("value") for p in suite.find("properties")}
        assert properties["seed"] == str(report["seed"])
        assert properties["assignment"] == report["assignment"]
        assert properties["grader_version"] == report["grader_version"]
        cases = suite.findall("testcase")
        assert [c.get("name") for c in cases] == [c["name"] for c in task["checks"]]
        assert {c.get("classname") for c in cases} == {task["file"]}
        assert all(float(c.get("time")) >= 0 for c in cases)
        for case, check, shown_check in zip(cases, task["checks"], shown_task["checks"]):
            failure = case.find("failure")
            assert (failure is None) == check["passed"]
            if failure is not None:
                assert failure.get("message") == shown_check["message"].split("\n")[0]
                assert failure.text == shown_check["message"]
        assert int(suite.get("failures")) == sum(not c["passed"] for c in task["checks"])
    assert int(root.get("tests")) == sum(len(t["checks"]) for t in report["tasks"])


def test_junit_skips_the_checks_a_grader_error_kept_from_running(tmp_path):
    """The toy pack's broken judge is a grader error: no verdict on the student's code."""
    notebook = REPO / "fixtures" / "toy" / "student.ipynb"
    _, texts = run_grade(notebook, tmp_path, assignment="toy")
    report = json.loads(texts["json"])
    broken = next(t for t in report["tasks"] if t["outcome"] == "grader-error")
    suite = next(s for s in ET.fromstring(texts["junit"]).findall("testsuite")
                 if s.get("name").startswith(broken["id"] + " "))
    skipped = [c for c in suite.findall("testcase") if c.find("skipped") is not None]
    assert skipped and all(c.find("failure") is None for c in skipped)
    assert int(suite.get("skipped")) == len(skipped)


def test_markdown_summary_has_the_score_a_row_per_task_and_what_to_fix(bob):
    _, texts = bob["student"]
    report, summary = json.loads(texts["json"]), texts["markdown"]
    assert f"{report['score']:g} / {report['max_score']:g}" in summary
    rows = [line for line in summary.splitlines() if line.startswith("| ")][1:]
    assert len(rows) == len(report["tasks"])
    double = next(t for t in report["tasks"] if t["id"] == "double")
    public_failure = next(c for c in double["checks"] if not c["passed"] and not c["hidden"])
    assert "adds 1 after doubling" in public_failure["message"]
    assert r"adds 1 after doubling (x \* 2 + 1)" in summary  # shown, never read as markup
    assert len(summary.encode()) < 64 * 1024


def test_markdown_summary_stays_under_64_kb_whatever_the_messages(bob):
    _, texts = bob["student"]
    report = json.loads(texts["json"])
    for task in report["tasks"]:
        for check in task["checks"]:
            check.update(passed=False, message="x" * 100_000)
    summary = markdown.render(report)
    assert len(summary.encode()) < 64 * 1024
    assert all(f"| {t['id']} " in summary for t in report["tasks"])


def test_annotations_point_at_the_files_of_failing_tasks(bob):
    _, texts = bob["student"]
    lines = texts["annotations"].splitlines()
    assert len(lines) == 1 and lines[0].startswith("::error file=double.py,")
    assert "%0A" in lines[0] or "\n" not in lines[0]


def test_per_check_points_add_up_to_the_task_score_under_every_rule():
    def task(score, max_score, checks):
        return {"score": score, "max_score": max_score, "checks": [
            {"kind": kind, "passed": passed} for kind, passed in checks]}
    cases = [task(0.5, 1, [("correctness", True), ("correctness", False),
                           ("requirement", False)]),
             task(0.0, 2, [("correctness", True), ("correctness", False)]),  # all-or-nothing
             task(0.3, 1, [("correctness", False), ("requirement", True)]),  # style's share
             task(1.0, 1, [("requirement", True)])]
    for example in cases:
        points = check_points(example)
        assert sum(p for p, _ in points) == pytest.approx(example["score"])
        assert sum(m for _, m in points) == pytest.approx(example["max_score"])
