"""Gradescope: `grade gradescope-bundle` writes the autograder zip (setup.sh, run_autograder);
its run_autograder, run here with the /autograder root moved to a scratch folder, writes
results/results.json with the contract's fields, for a graded and an ungradable submission."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from classroom import PACK, PACKS, SOLUTIONS, student

GRADE = Path(sys.executable).parent / "grade"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    done = subprocess.run([str(GRADE), "gradescope-bundle", "--assignment", PACK, "--packs",
                           str(PACKS), "--out", str(out)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return out


def autograder_root(bundle: Path, root: Path) -> Path:
    """The layout Gradescope makes: the zip extracted in source/, run_autograder beside."""
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
        for name in ("setup.sh", "run_autograder"):
            mode = archive.getinfo(name).external_attr >> 16
            assert mode & stat.S_IXUSR, f"{name} is not executable in the zip"
            os.chmod(root / "source" / name, 0o755)
    (root / "run_autograder").write_bytes((root / "source" / "run_autograder").read_bytes())
    os.chmod(root / "run_autograder", 0o755)
    return root


def run_autograder(root: Path) -> dict:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(root), "AUTOGRADER_ROOT": str(root),
           "GRADE": str(GRADE)}
    done = subprocess.run([str(root / "run_autograder")], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads((root / "results" / "results.json").read_text())


def test_the_zip_holds_the_scripts_the_grader_the_pack_and_its_solutions(bundle):
    names = set(zipfile.ZipFile(bundle).namelist())
    assert {"setup.sh", "run_autograder", "grader-source/pyproject.toml",
            "grader-source/requirements.lock", "grader-source/grader/cli.py",
            f"grader-source/assignments/{PACK}/pack.toml",
            f"grader-source/assignments/{PACK}/checks.py"} <= names
    assert {f"solutions/{PACK}/{p.name}" for p in SOLUTIONS.iterdir()} <= names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    setup = zipfile.ZipFile(bundle).read("setup.sh").decode()
    assert "libseccomp2" in setup and "requirements.lock" in setup
    assert subprocess.run(["bash", "-n"], input=setup, text=True).returncode == 0


def test_run_autograder_writes_results_json_with_every_check(bundle, tmp_path):
    root = autograder_root(bundle, tmp_path)
    student(root / "submission", double="plus_one")
    results = run_autograder(root)
    assert results["score"] == 2  # mean (2 points) right, double wrong
    assert {"execution_time", "output", "tests", "extra_data"} <= set(results)
    assert results["extra_data"]["grader_version"]
    tests = results["tests"]
    assert {t["visibility"] for t in tests} == {"visible", "after_published"}
    assert {t["status"] for t in tests} == {"passed", "failed"}
    assert all(t["output_format"] == "md" and t["tags"] in (["double"], ["mean"])
               for t in tests)
    hidden_failures = [t for t in tests if t["visibility"] == "after_published"
                       and t["status"] == "failed"]
    assert hidden_failures and all("largest error" not in t["output"] for t in hidden_failures)
    assert any("largest error" in t["output"] for t in tests if t["visibility"] == "visible")
    assert str(root) not in json.dumps(results)


def test_an_ungradable_submission_still_gets_results_saying_why(bundle, tmp_path):
    root = autograder_root(bundle, tmp_path)
    (root / "submission").mkdir()
    (root / "submission" / "notes.pdf").write_bytes(b"%PDF-1.4")
    results = run_autograder(root)
    assert results["score"] == 0
    assert "Nothing could be graded" in results["output"] and "notes.pdf" in results["output"]
    assert any("double.py was not found" in t["output"] for t in results["tests"])
    missing = run_autograder_without_grader(root)
    assert missing["score"] == 0 and "could not be graded" in missing["output"]


def run_autograder_without_grader(root: Path) -> dict:
    """The grader itself failing to start (a broken image) still writes results.json."""
    (root / "results" / "results.json").unlink()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(root), "AUTOGRADER_ROOT": str(root),
           "GRADE": str(root / "no-grade-here")}
    done = subprocess.run([str(root / "run_autograder")], cwd=root, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    return json.loads((root / "results" / "results.json").read_text())
