"""A class: `grade batch --roster` writes OUT/grades.csv and the dashboard OUT/index.html
as the contract says (columns, statuses, missing and unmatched students, named mistakes
with who made them, timeouts, a sortable table linking every report, nothing online)."""
from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from classroom import PACK, PACKS, student
from grader.class_reports import write_class_reports

GRADE = Path(sys.executable).parent / "grade"
ROSTER = "folder,id,email\nalice,1,alice@example.org\nbob,2,bob@example.org\n" \
         "zoe,9,zoe@example.org\ncarol,3,carol@example.org\ndave,4,dave@example.org\n"


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Six submissions (one endless loop, one with nothing to grade, one not on the roster)
    and a roster with a student who handed in nothing."""
    root = tmp_path_factory.mktemp("class")
    subs = root / "subs"
    student(subs / "alice")
    student(subs / "bob", double="plus_one")
    student(subs / "carol", double="plus_one", mean="sum")
    student(subs / "dave", mean="loops")
    student(subs / "gina", double="square", mean="sample")
    (subs / "frank").mkdir()
    (subs / "frank" / "notes.txt").write_text("I will hand in tomorrow\n")
    (root / "roster.csv").write_text(ROSTER)
    done = subprocess.run([str(GRADE), "batch", str(subs), "--assignment", PACK, "--packs",
                           str(PACKS), "--out", str(root / "out"), "--roster",
                           str(root / "roster.csv"), "-j", "2", "--seed", "3"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return root / "out", done


pytestmark = pytest.mark.slow


def rows(out: Path) -> list[dict[str, str]]:
    with open(out / "grades.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def test_grades_csv_has_the_contract_columns_and_one_row_per_student(batch):
    out, _ = batch
    with open(out / "grades.csv", newline="") as handle:
        header = next(csv.reader(handle))
    assert header == ["student", "id", "email", "score", "max_score", "percent",
                      "task double", "task mean", "status", "report"]
    found = {row["student"]: row for row in rows(out)}
    assert list(found)[:5] == ["alice", "bob", "zoe", "carol", "dave"]  # the roster's order
    assert set(found) == {"alice", "bob", "zoe", "carol", "dave", "frank", "gina"}
    assert {row["status"] for row in found.values()} <= {"graded", "grader-error", "missing"}
    for name, row in found.items():
        if row["status"] != "graded":
            continue
        report = json.loads((out / f"{name}.json").read_text())
        assert float(row["score"]) == report["score"]
        assert float(row["max_score"]) == report["max_score"] == 3
        assert float(row["percent"]) == round(100 * report["score"] / 3, 1)
        for task in report["tasks"]:
            assert float(row[f"task {task['id']}"]) == task["score"]
        assert row["report"] == f"{name}.html" and (out / row["report"]).is_file()
    assert found["alice"]["id"] == "1" and found["alice"]["email"] == "alice@example.org"
    assert found["zoe"]["status"] == "missing" and found["zoe"]["score"] == ""
    assert found["frank"]["status"] == "missing"  # handed in nothing gradable
    assert found["gina"]["id"] == ""  # not on the roster: graded, columns empty


def test_summary_lists_missing_and_unmatched_students(batch):
    out, done = batch
    roster = json.loads((out / "summary.json").read_text())["roster"]
    assert roster["missing"] == ["zoe"]
    assert roster["unmatched"] == ["frank", "gina"]
    assert "1 missing (zoe)" in " ".join(done.stderr.split())


def test_dashboard_shows_distribution_pass_rates_mistakes_and_timeouts(batch):
    out, _ = batch
    page = (out / "index.html").read_text()
    assert page.count("<svg") == 2 and "Matplotlib" in page  # drawn by matplotlib, inline
    mistakes = page[page.index('id="mistakes"'):page.index('id="incidents"')]
    made_by = re.search(r'<span class="count">(\d+)</span> × adds 1 after doubling '
                        r'\(x \* 2 \+ 1\)\s*<span class="who">(.*?)</span>', mistakes, re.S)
    assert made_by and made_by.group(1) == "2"
    assert 'href="bob.html"' in made_by.group(2) and 'href="carol.html"' in made_by.group(2)
    assert "returns the sum: the division by n is missing" in mistakes
    incidents = page[page.index('id="incidents"'):page.index('id="no-score"')]
    assert "dave" in incidents and "timeout" in incidents
    table = page[page.index('id="students"'):]
    assert 'class="sortable"' in table and "<script>" in page
    for name in ("alice", "bob", "carol", "dave", "gina"):
        assert f'href="{name}.html"' in table


def test_dashboard_is_self_contained(batch):
    out, _ = batch
    page = (out / "index.html").read_text()
    assert not re.search(r"<(?:link|img|iframe)\b|\bsrc=", page)
    links = re.findall(r'href="([^"]*)"', page)  # reports beside it, or inside the page
    assert links and all(re.fullmatch(r"[\w.%-]+\.html|#[\w-]+", link) for link in links)
    assert "http://" not in page.replace("http://www.w3.org", "").replace(
        "http://purl.org", "").replace("http://creativecommons.org", "")


def test_an_interrupted_batch_leaves_no_gradebook(batch, tmp_path):
    out, _ = batch
    summary = json.loads((out / "summary.json").read_text())
    for name in ("grades.csv", "index.html", "summary.json"):
        (tmp_path / name).write_text((out / name).read_text())
    write_class_reports(tmp_path, {**summary, "interrupted": True})
    assert not (tmp_path / "grades.csv").exists() and not (tmp_path / "index.html").exists()


@pytest.mark.parametrize("roster, error", [
    ("folder,id\nalice,1\nalice,2\n", "listed twice"),
    ("folder,score\nalice,1\n", "columns after the first"),
    ("folder,id\n", "one row per student"),
])
def test_a_bad_roster_is_one_line_and_grades_nothing(tmp_path, roster, error):
    student(tmp_path / "subs" / "alice")
    (tmp_path / "roster.csv").write_text(roster)
    done = subprocess.run([str(GRADE), "batch", str(tmp_path / "subs"), "--assignment", PACK,
                           "--packs", str(PACKS), "--out", str(tmp_path / "out"), "--roster",
                           str(tmp_path / "roster.csv")], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and error in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
