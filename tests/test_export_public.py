"""Students' repositories: `grade export-public` writes a pack that grades like the real one
on its public cases and hands out no answer; `grade ci-template` prints a CI job whose
commands, run here in a scratch copy of a student's repository, write the job page's
summary, the reports and the annotations, and fail only when a correctness check fails."""
from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from classroom import PACK, PACKS, SOLUTIONS, student
from conftest import REPO, assemble
from grader.export_public import export_public
from grader.packs import load_pack
from grader.pipeline import cases_for
from grader.public_checks import load

GRADE = Path(sys.executable).parent / "grade"
SOURCE = "git+https://git.example.org/course/grader@v0.1.0"  # what the job's pip installs
VENV_BIN = Path(sys.executable).parent


def grade_json(submission: Path, packs: Path, assignment: str, tmp: Path) -> tuple[int, dict]:
    report = tmp / f"{submission.name}-{assignment}.json"
    done = subprocess.run([str(GRADE), str(submission), "--assignment", assignment, "--packs",
                           str(packs), "--json", str(report), "--quiet"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(report.read_text())


@pytest.fixture(scope="module")
def classroom_export(tmp_path_factory):
    out = tmp_path_factory.mktemp("public")
    done = subprocess.run([str(GRADE), "export-public", "--assignment", PACK, "--packs",
                           str(PACKS), "--out", str(out)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "task double: 1 public case(s): statement example" in done.stdout
    return out


@pytest.fixture(scope="module")
def regularization_export(tmp_path_factory):
    out = tmp_path_factory.mktemp("public-regularization")
    return export_public("regularization", str(out))


# ------------------------------------------------------------------ what the pack holds
def exported_files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def checks_functions(pack_root: Path) -> set[str]:
    sources = [pack_root / "checks.py"] if (pack_root / "checks.py").is_file() else \
        sorted((pack_root / "checks").glob("*.py"))
    return {node.name for path in sources for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.FunctionDef)}


def assert_hands_out_no_answer(name: str, exported: Path, packs: tuple[str, ...] = ()):
    """No reference solution, no hidden case, no function of the pack's checks."""
    pack = load_pack(name, packs)
    files = exported_files(exported)
    solutions = {p.name: p.read_bytes() for p in pack.solutions.rglob("*") if p.is_file()}
    assert not set(solutions.values()) & set(files.values()), "a reference solution was copied"
    assert not {Path(f).name for f in files} & set(solutions), "a solution's file name"
    assert not any(f.startswith("checks/") for f in files)
    functions = checks_functions(pack.root)
    for path, data in files.items():
        original = pack.root / path
        if path.endswith(".py") and not (original.is_file() and data == original.read_bytes()):
            defined = {n.name for n in ast.walk(ast.parse(data)) if isinstance(n, ast.FunctionDef)}
            assert not defined & functions, f"{path} defines {defined & functions}"
    assert (exported / "probes.py").read_bytes() == pack.probes_path.read_bytes()
    stored = load(exported / "public")
    with np.load(exported / "public" / "arrays.npz", allow_pickle=False) as arrays:
        saved = [arrays[key] for key in arrays.files]
    for position, task in enumerate(pack.tasks):
        for case in cases_for(pack, task.id, stored["seed"], position):
            if case.public:
                continue
            assert case.name not in [c["name"] for c in stored["tasks"].get(task.id, [])]
            for value in _arrays(case.inputs):
                if value.size > 4:
                    assert not any(s.shape == value.shape and np.array_equal(s, value)
                                   for s in saved), f"a hidden input of task {task.id}"


def _arrays(value):
    if isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _arrays(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _arrays(item)


def test_the_public_pack_holds_data_probes_and_statement_only(classroom_export):
    folder = classroom_export / PACK
    assert sorted(exported_files(folder)) == ["checks.py", "pack.toml", "probes.py",
                                              "public/arrays.npz", "public/cases.json",
                                              "statement.md"]
    checks = ast.parse((folder / "checks.py").read_text())
    assert not [n for n in ast.walk(checks) if isinstance(n, (ast.FunctionDef, ast.Lambda))]
    assert_hands_out_no_answer(PACK, folder, (str(PACKS),))


def test_the_public_pack_grades_the_reference_fully_and_a_mistake_as_failing(classroom_export,
                                                                             tmp_path):
    status, report = grade_json(SOLUTIONS, classroom_export, PACK, tmp_path)
    assert status == 0 and report["score"] == report["max_score"] == 3
    assert all(not c["hidden"] for t in report["tasks"] for c in t["checks"])
    status, report = grade_json(student(tmp_path / "bob", double="plus_one"),
                                classroom_export, PACK, tmp_path)
    double = next(t for t in report["tasks"] if t["id"] == "double")
    assert status == 1 and not double["correct"]
    failing = next(c for c in double["checks"] if not c["passed"])
    assert "returned" in failing["message"] and "expected [2, 4, 6], got [3, 5, 7]" in \
        failing["message"]


@pytest.mark.slow
def test_regularization_exports_the_tasks_with_public_cases(regularization_export, tmp_path):
    exported = regularization_export
    assert sorted(exported.cases) == ["0", "7"]
    assert exported.left_out["3"] == "no public case"
    assert_hands_out_no_answer("regularization", exported.folder)
    packs = exported.folder.parent
    status, report = grade_json(REPO / "solutions" / "regularization", packs,
                                "regularization", tmp_path)
    assert status == 0 and report["score"] == report["max_score"] == 2
    for kind, fixture, correct in (("buggy", "0-lambtha_over_m", False),
                                   ("buggy", "7-threshold_ge", False),
                                   ("correct", "7-early_returns", True),
                                   ("correct", "0-linalg_norm", True)):
        submission = assemble({"path": f"{kind}/{fixture}"}, tmp_path / fixture)
        _, report = grade_json(submission, packs, "regularization", tmp_path)
        task = next(t for t in report["tasks"] if t["id"] == fixture[0])
        assert task["correct"] is correct, (fixture, task["checks"])


def test_an_assignment_without_public_cases_cannot_be_exported(tmp_path):
    done = subprocess.run([str(GRADE), "export-public", "--assignment", "toy", "--packs",
                           str(PACKS), "--out", str(tmp_path)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and "no public case" in done.stderr
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ the CI job, run here
def parse_yaml(text: str):
    """The YAML subset the templates use: block mappings and sequences, `|` blocks, scalars
    (PyYAML is not a dependency of the grader)."""
    lines = text.splitlines()
    position = 0

    def indent(line: str) -> int:
        return len(line) - len(line.lstrip(" "))

    def skip() -> None:
        nonlocal position
        while position < len(lines) and (not lines[position].strip()
                                         or lines[position].lstrip().startswith("#")):
            position += 1

    def node(depth: int):
        skip()
        return sequence(depth) if lines[position].lstrip().startswith("- ") else mapping(depth)

    def value(rest: str, depth: int):
        nonlocal position
        position += 1
        if rest == "|":
            block = []
            while position < len(lines) and (not lines[position].strip()
                                             or indent(lines[position]) > depth):
                block.append(lines[position])
                position += 1
            margin = min(indent(line) for line in block if line.strip())
            return "\n".join(line[margin:] for line in block).strip("\n") + "\n"
        if rest:
            return rest[1:-1] if rest[:1] in "\"'" and rest[-1:] == rest[:1] else rest
        skip()
        if position < len(lines) and indent(lines[position]) > depth:
            return node(indent(lines[position]))
        return None

    def mapping(depth: int) -> dict:
        found = {}
        while True:
            skip()
            if position >= len(lines) or indent(lines[position]) != depth \
                    or lines[position].lstrip().startswith("- "):
                return found
            key, _, rest = lines[position].strip().partition(":")
            found[key] = value(rest.strip(), depth)

    def sequence(depth: int) -> list:
        found = []
        while True:
            skip()
            if position >= len(lines) or indent(lines[position]) != depth \
                    or not lines[position].lstrip().startswith("- "):
                return found
            content = lines[position].strip()[2:]
            if re.match(r"[\w.-]+:( |$)", content):
                lines[position] = " " * (depth + 2) + content
                found.append(mapping(depth + 2))
            else:
                found.append(value(content, depth))
    return node(0)


def student_repository(tmp_path: Path, packs: Path | None, **bodies) -> Path:
    """A scratch copy of a student's repository: their files at its root, the public pack
    committed under .grader/packs/ (unless `packs` is None), a README."""
    repository = student(tmp_path / "repository", **bodies)
    if packs is not None:
        shutil.copytree(packs, repository / ".grader" / "packs")
    (repository / "README.md").write_text("# My solutions\n")
    return repository


def job_environment(tmp_path: Path) -> dict[str, str]:
    return {"PATH": f"{VENV_BIN}:/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8",
            "GITHUB_STEP_SUMMARY": str(tmp_path / "step_summary.md"),
            "GITHUB_OUTPUT": str(tmp_path / "github_output"), "CI": "true"}


def run_github_job(workflow: str, repository: Path, tmp_path: Path) -> list[dict]:
    """Run the workflow's `run:` steps as GitHub would (bash -eo pipefail, later steps
    skipped after a failure unless `if: always()`); the install step is checked, not run
    (the grader is this checkout's, already installed)."""
    steps = parse_yaml(workflow)["jobs"]["grade"]["steps"]
    failed, ran = False, []
    for step in steps:
        if "run" not in step:
            ran.append({**step, "ran": False})
            continue
        if step["name"] == "Install the grader":
            assert step["run"].strip() == f"python -m pip install {SOURCE}"
            continue
        if failed and step.get("if") != "always()":
            ran.append({**step, "ran": False})
            continue
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                               step["run"]], cwd=repository, env=job_environment(tmp_path),
                              capture_output=True, text=True, timeout=300)
        failed |= done.returncode != 0
        ran.append({**step, "ran": True, "status": done.returncode, "stdout": done.stdout,
                    "stderr": done.stderr})
    return ran


@pytest.fixture(scope="module")
def github_workflow():
    done = subprocess.run([str(GRADE), "ci-template", "--assignment", PACK, "--provider",
                           "github", "--grader-source", SOURCE], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_workflow_uses_plain_github_actions_only(github_workflow):
    workflow = parse_yaml(github_workflow)
    steps = workflow["jobs"]["grade"]["steps"]
    actions = {step["uses"].split("@")[0] for step in steps if "uses" in step}
    assert actions == {"actions/checkout", "actions/setup-python", "actions/upload-artifact"}
    assert "classroom" not in " ".join(actions) and "autograding" not in github_workflow
    assert set(workflow["on"]) >= {"push", "pull_request"}


def test_the_github_job_fails_on_a_correctness_failure_and_says_where(github_workflow,
                                                                      classroom_export,
                                                                      tmp_path):
    repository = student_repository(tmp_path, classroom_export, double="plus_one")
    steps = {step["name"]: step for step in run_github_job(github_workflow, repository, tmp_path)
             if "name" in step}
    assert steps["Grade with the public checks"]["status"] == 0
    summary = (tmp_path / "step_summary.md").read_text()
    assert "## Classroom pack (exports): 2 / 3" in summary and "| double " in summary
    annotations = steps["Annotate failing files"]["stdout"]
    assert annotations.startswith("::error file=double.py,")
    upload = steps["Upload the reports"]
    reports = repository / upload["with"]["path"]
    assert (reports / "report.json").is_file() and (reports / "report.html").is_file()
    report = json.loads((reports / "report.json").read_text())
    assert {"double.py", "mean.py"} <= set(report["source"]["files"])
    assert not [f for f in report["source"]["files"] if f.startswith(".grader")]
    gate = steps["Fail when a correctness check failed"]
    assert gate["status"] == 1 and "task(s): double" in gate["stdout"]


def test_the_github_job_passes_when_only_style_fails(github_workflow, classroom_export,
                                                     tmp_path):
    repository = student_repository(tmp_path, classroom_export, docstrings=False)
    steps = {step["name"]: step for step in run_github_job(github_workflow, repository, tmp_path)
             if "name" in step}
    assert all(step["status"] == 0 for step in steps.values() if step.get("ran"))
    assert steps["Annotate failing files"]["stdout"].startswith("::warning file=")
    assert "3 / 3" in (tmp_path / "step_summary.md").read_text()


def test_the_github_job_stops_when_the_grader_cannot_grade(github_workflow, tmp_path):
    repository = student_repository(tmp_path, None)  # no public pack: `grade` exits 2
    steps = {step["name"]: step for step in run_github_job(github_workflow, repository, tmp_path)
             if "name" in step}
    grading = steps["Grade with the public checks"]
    assert grading["status"] == 2 and "::error title=grader::" in grading["stdout"]
    assert not steps["Fail when a correctness check failed"]["ran"]


def test_the_gitlab_job_writes_a_junit_report_and_fails_on_correctness(classroom_export,
                                                                       tmp_path):
    done = subprocess.run([str(GRADE), "ci-template", "--assignment", PACK, "--provider",
                           "gitlab", "--grader-source", SOURCE], capture_output=True,
                          text=True, timeout=60)
    job = parse_yaml(done.stdout)["grade"]
    assert job["script"][0] == f"python -m pip install {SOURCE}"
    for bodies, expected in (({"mean": "sum"}, 1), ({}, 0)):
        repository = student_repository(tmp_path / str(expected), classroom_export, **bodies)
        script = "\n".join(job["script"][1:])
        run = subprocess.run(["bash", "-eo", "pipefail", "-c", script], cwd=repository,
                             env=job_environment(tmp_path), capture_output=True, text=True,
                             timeout=300)
        assert run.returncode == expected, run.stderr
        junit = repository / job["artifacts"]["reports"]["junit"]
        assert junit.is_file() and ("<failure" in junit.read_text()) == bool(expected)
        assert "## Classroom pack" in run.stdout


def test_ci_template_rejects_an_unknown_provider():
    done = subprocess.run([str(GRADE), "ci-template", "--assignment", PACK, "--provider",
                           "jenkins"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
