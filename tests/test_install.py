"""`pip install` of the project gives a `grade` that finds its packs, and never ships a
reference solution: the wheel is built and installed into a scratch folder here."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import REPO, SOLUTIONS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(out), str(REPO)], check=True, capture_output=True,
                   timeout=600, cwd=out)
    return next(out.glob("grader-*.whl"))


def test_the_wheel_holds_every_grader_module_and_pack_but_no_solution(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {str(p.relative_to(REPO)) for p in (REPO / "grader").rglob("*.py")}
    assert modules <= names, f"missing from the wheel: {sorted(modules - names)}"
    packs = {"grader_packs/" + str(p.relative_to(REPO / "assignments"))
             for p in (REPO / "assignments").rglob("*") if p.is_file()
             and "__pycache__" not in p.parts}
    assert packs <= names, f"pack files missing from the wheel: {sorted(packs - names)}"
    solution_bytes = {p.read_bytes() for p in SOLUTIONS.iterdir() if p.is_file()}
    with zipfile.ZipFile(wheel) as archive:
        shipped = {archive.read(name) for name in names}
    assert not any("solutions" in name for name in names)
    assert not solution_bytes & shipped, "a reference solution is inside the wheel"


def test_the_installed_grade_finds_its_packs_and_asks_for_solutions(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(wheel)], check=True, capture_output=True, timeout=600)
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(target), "HOME": str(tmp_path)}
    code = ("import grader.packs as p; print(p.__file__); print(sorted(p.available_packs()));"
            "print(p.load_pack('regularization').solutions)")
    listed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, cwd=tmp_path, timeout=300)
    assert listed.returncode == 0, listed.stderr
    location, packs, solutions = listed.stdout.split("\n")[:3]
    assert location.startswith(str(target)) and "regularization" in packs
    assert solutions == "None"  # not installed: set GRADER_SOLUTIONS on the grading machine
    graded = subprocess.run(
        [sys.executable, "-c", "import sys; from grader.cli import main; sys.exit(main())",
         str(SOLUTIONS), "--assignment", "regularization", "--task", "0", "--quiet"],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
        env={**env, "GRADER_SOLUTIONS": str(SOLUTIONS.parent)})
    assert graded.returncode == 0, graded.stderr
    unsolved = subprocess.run(
        [sys.executable, "-c", "import sys; from grader.cli import main; sys.exit(main())",
         str(SOLUTIONS), "--assignment", "regularization", "--task", "0", "--quiet"],
        capture_output=True, text=True, cwd=tmp_path, timeout=300, env=env)
    assert unsolved.returncode == 2
    assert "GRADER_SOLUTIONS" in unsolved.stderr and len(unsolved.stderr.splitlines()) == 1
