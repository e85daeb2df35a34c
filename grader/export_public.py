"""`grade export-public`: a pack for students' own repositories, that hands out no answer.

A pack's `checks/` computes expected values (it calls the reference solution
and computes each classic mistake's output), so it never leaves the
instructor's side. The public pack written to OUT/<name>/ holds:
- `pack.toml` (only the tasks that have public cases), `probes.py`, `support/`
  and `statement.md`, copied: the probes call the student's code and hold no
  expected value;
- `public/`: the public cases (`Case.public`) and the outputs the reference
  solution's probe run gave on them (grader/public_checks.py stores them as
  JSON and .npz, no pickle);
- `checks.py`: three lines that load them and judge with the generic judge of
  grader/public_checks.py.
No hidden case, no reference solution and no code of `checks/` is written.

The expected outputs are recorded from two sandboxed runs of the reference
solution (the same cases and seed): a public case whose outputs differ between
the runs (the reference draws random numbers the probe does not seed) cannot
have one stored answer and is left out, as is a task without any public case.
Last, the exported pack grades the reference solution, which must get every
point: an export that would fail correct code is never left behind.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from grader import __version__
from grader.engine import make_engine
from grader.errors import GraderError
from grader.packs import Pack, load_pack
from grader.pipeline import Options, cases_for, grade
from grader.public_checks import FORMAT_VERSION, difference, save

CHECKS_PY = '''"""Checks of the public pack {name!r}, written by `grade export-public`.

Its cases and their expected outputs are data (public/); the judge compares
your outputs with them (grader/public_checks.py). Nothing here computes an answer.
"""
from pathlib import Path

from grader.public_checks import load_tasks

TASKS = load_tasks(Path(__file__).resolve().parent / "public")
'''
COPIED = ("probes.py", "statement.md", "support")
DEFAULT_TOLERANCE = {"rtol": 1e-7, "atol": 1e-9}  # those of grader.authoring.compare_arrays


@dataclass(frozen=True)
class Exported:
    """What an export wrote, and what it left out and why."""

    folder: Path
    cases: dict[str, list[str]]  # task id -> names of its public cases
    left_out: dict[str, str] = field(default_factory=dict)  # task or case -> why


def export_public(assignment: str, out: str, options: Options = Options(),
                  tolerance: dict[str, float] | None = None) -> Exported:
    """Write the public pack of `assignment` to OUT/<assignment>/ (replacing an earlier
    export there); GraderError when the pack has nothing public or fails its self-test."""
    pack = load_pack(assignment, options.packs)
    if pack.solutions is None:
        raise GraderError(f"assignment {assignment!r}: its reference solutions were not found "
                          f"(they give the public cases' expected outputs)")
    seed = options.seed if options.seed is not None else 0
    options = replace(options, assignment=assignment, seed=seed)
    public, left_out = _public_cases(pack, seed)
    if not public:
        raise GraderError(f"assignment {assignment!r} has no public case (Case(..., "
                          f"public=True) in its checks): nothing can be exported")
    first = _reference_outputs(pack, public, options)
    again = _reference_outputs(pack, public, options)
    tolerance = tolerance or DEFAULT_TOLERANCE
    tasks: dict[str, list[dict[str, Any]]] = {}
    for task_id, cases in public.items():
        for index, case in cases:
            outputs = first[task_id][index]
            if any(difference(key, value, again[task_id][index].get(key), tolerance)
                   for key, value in outputs.items()):
                left_out[f"{task_id} [{case.name}]"] = ("the reference's outputs differ from "
                                                        "one run to the next")
                continue
            tasks.setdefault(task_id, []).append(
                {"name": case.name, "inputs": case.inputs, "expected": outputs})
    for task_id in public:
        if task_id not in tasks:
            left_out.setdefault(task_id, "none of its public cases has a stable answer")
    if not tasks:
        raise GraderError(f"assignment {assignment!r}: no public case has a stable answer")
    target = Path(out) / pack.name
    _write(pack, target, {"format_version": FORMAT_VERSION, "assignment": pack.name,
                          "grader_version": __version__, "seed": seed,
                          "tolerance": tolerance, "tasks": tasks})
    _self_test(pack, target, options)
    return Exported(target, {t: [c["name"] for c in cases] for t, cases in tasks.items()},
                    left_out)


def _public_cases(pack: Pack, seed: int) -> tuple[dict[str, list], dict[str, str]]:
    """{task id: [(index, case)]} of the public cases, and the tasks without any."""
    public, left_out = {}, {}
    for position, task in enumerate(pack.tasks):
        cases = [(i, c) for i, c in enumerate(cases_for(pack, task.id, seed, position))
                 if c.public]
        if cases:
            public[task.id] = cases
        else:
            left_out[task.id] = "no public case"
    return public, left_out


class _Recorder:
    """An engine that keeps each task's raw outputs (the reference's, on the instructor's
    machine) while the pipeline grades with it."""

    def __init__(self, engine):
        self._engine, self.name = engine, engine.name
        self.outputs: dict[str, dict[int, dict[str, Any]]] = {}

    def run(self, job):
        raw = self._engine.run(job)
        self.outputs[job.task_id] = {i: r["outputs"] for i, r in raw.cases.items()
                                     if "outputs" in r}
        return raw


def _reference_outputs(pack: Pack, public: dict[str, list],
                       options: Options) -> dict[str, dict[int, dict[str, Any]]]:
    """The probe's outputs on the reference solution, for every public case; GraderError
    when the reference does not pass a public case (the pack is then broken)."""
    tasks = [t for t in pack.tasks if t.id in public]
    runtimes = [pack.runtimes[name] for name in dict.fromkeys(t.runtime for t in tasks)]
    engine = make_engine(options.engine, str(pack.probes_path), runtimes)
    recorder = _Recorder(engine)
    try:
        report = grade(str(pack.solutions), replace(options, tasks=tuple(public)),
                       engine=recorder)
    finally:
        engine.close()
    for result in report.tasks:
        failed = [c.name for c in result.correctness_checks if not c.passed and not c.hidden]
        recorded = recorder.outputs.get(result.task.id, {})
        missing = [case.name for index, case in public[result.task.id] if index not in recorded]
        if failed or missing:
            raise GraderError(f"assignment {pack.name!r}: the reference solution does not pass "
                              f"the public cases of task {result.task.id} "
                              f"({(failed or missing)[0]}): fix the pack before exporting")
    return recorder.outputs


def _write(pack: Pack, target: Path, document: dict[str, Any]) -> None:
    """The public pack in a new folder, then moved to `target` (an earlier export there,
    and only that, is replaced)."""
    if target.exists() and not (target / "public" / "cases.json").is_file():
        raise GraderError(f"{target} exists and is not an exported public pack: "
                          f"choose another --out")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{pack.name}-", dir=target.parent))
    try:
        for name in COPIED:
            source = pack.root / name
            if source.is_dir():
                shutil.copytree(source, staging / name,
                                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            elif source.is_file():
                shutil.copy2(source, staging / name)
        (staging / "pack.toml").write_text(
            pack_toml_with_tasks((pack.root / "pack.toml").read_text(), set(document["tasks"])))
        (staging / "checks.py").write_text(CHECKS_PY.format(name=pack.name))
        save(staging / "public", document)
        os.chmod(staging, 0o755)
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def pack_toml_with_tasks(text: str, keep: set[str]) -> str:
    """pack.toml's text with only the `[[tasks]]` whose id is in `keep`, comments and all.

    A task's block runs from its `[[tasks]]` line to the next table header that is not
    one of its own (`[tasks.limits]`)."""
    lines = text.splitlines(keepends=True)
    blocks: list[list[str]] = [[]]
    for line in lines:
        header = line.strip()
        if header.startswith("[[tasks]]") or (header.startswith("[") and not
                                              header.startswith(("[tasks.", "[[tasks."))):
            blocks.append([])
        blocks[-1].append(line)
    kept = []
    for block in blocks:
        if block and block[0].strip().startswith("[[tasks]]"):
            task = tomllib.loads("".join(block))["tasks"][0]
            if str(task.get("id")) not in keep:
                continue
        kept.append("".join(block))
    result = "".join(kept)
    found = {str(t.get("id")) for t in tomllib.loads(result).get("tasks", [])}
    if found != keep:
        raise GraderError(f"cannot write the public pack.toml (tasks {sorted(found)} instead "
                          f"of {sorted(keep)})")
    return result


def _self_test(pack: Pack, target: Path, options: Options) -> None:
    """The exported pack must give the reference solution every point, else it is removed."""
    report = grade(str(pack.solutions), replace(options, tasks=(),
                                                packs=(str(target.parent), *options.packs)))
    wrong = [f"{t.task.id} ({t.first_failure.name if t.first_failure else t.outcome})"
             for t in report.tasks if not t.correct]
    if wrong:
        shutil.rmtree(target, ignore_errors=True)
        raise GraderError(f"the exported pack fails the reference solution on task(s) "
                          f"{', '.join(wrong)}: nothing was exported")
