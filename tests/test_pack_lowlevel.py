"""The lowlevel-regularization pack through the real pipeline: every fixture gets the
verdicts its expectations.toml entry states, under the warm engine (and a few under
the fresh one), with the named mistake in its feedback.

Grading a fixture runs the student's `train` five times (about a second each for
vectorised code), so these tests are marked slow.
"""
from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO
from grader.engine import WarmEngine
from grader.formats import tree_digest
from grader.packs import load_pack
from grader.pipeline import Options, grade

PACK = "lowlevel-regularization"
FIXTURES = REPO / "fixtures" / PACK
REFERENCE = REPO / "solutions" / PACK / "solution.py"
EXPECTATIONS = tomllib.loads((FIXTURES / "expectations.toml").read_text())


def assemble(spec: dict, folder: Path) -> Path:
    """The fixture's submission: the file itself, or its redefinitions appended to a copy
    of the reference solution (the last definition wins)."""
    source = FIXTURES / spec["path"]
    if spec["base"] == "none":
        return source
    target = folder / "submission.py"
    target.write_text(REFERENCE.read_text() + "\n\n" + source.read_text())
    return target


def check_expectations(name: str, report) -> None:
    spec = EXPECTATIONS[name]
    fails = {r.task.id for r in report.tasks if not r.correct}
    details = {r.task.id: [(c.name, c.message) for c in r.checks if not c.passed][:2]
               for r in report.tasks if r.task.id in fails ^ set(spec["fails"])}
    assert fails == set(spec["fails"]), f"{spec['why']}\n{details}"
    results = {r.task.id: r for r in report.tasks}
    for task_id, fragment in spec.get("feedback", {}).items():
        messages = " ".join(c.message for c in results[task_id].checks if not c.passed)
        assert fragment in messages, f"{task_id}: {fragment!r} not in {messages!r}"
    for task_id, outcome in spec.get("outcomes", {}).items():
        assert results[task_id].outcome == outcome, results[task_id].checks


@pytest.fixture(scope="module")
def engine():
    pack = load_pack(PACK)
    warm = WarmEngine(str(pack.probes_path), pack.declared_runtimes)
    yield warm
    warm.close()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTATIONS))
def test_fixture_verdicts(name, tmp_path, engine):
    spec = EXPECTATIONS[name]
    submission = assemble(spec, tmp_path)
    before = tree_digest(submission.parent)
    report = grade(str(submission), Options(assignment=PACK, seed=1234), engine=engine)
    assert tree_digest(submission.parent) == before, "grading changed the submission"
    check_expectations(name, report)
    if "max_seconds" in spec:
        assert report.seconds < spec["max_seconds"], f"graded in {report.seconds} s"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["correct_notebook_trains_for_minutes",
                                  "buggy_prune_masks_never_updated", "broken_missing_prune"])
def test_fresh_engine_gives_the_same_verdicts(name, tmp_path):
    submission = assemble(EXPECTATIONS[name], tmp_path)
    report = grade(str(submission), Options(assignment=PACK, seed=99, engine="fresh"))
    assert report.engine == "fresh"
    check_expectations(name, report)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 2 ** 31 - 1])
def test_the_reference_gets_full_marks(seed, engine):
    report = grade(str(REFERENCE), Options(assignment=PACK, seed=seed), engine=engine)
    failures = [(r.task.id, c.name, c.message) for r in report.tasks for c in r.checks
                if not c.passed]
    assert failures == [] and report.score == report.max_score
    # the reference imports only numpy: it never waits for the scikit-learn worker
    assert {r.runtime for r in report.tasks} == {"numpy"}


def test_every_fixture_file_has_expectations():
    listed = {spec["path"] for spec in EXPECTATIONS.values()}
    files = {str(p.relative_to(FIXTURES)) for kind in ("correct", "buggy", "broken")
             for p in (FIXTURES / kind).iterdir()}
    assert files == listed


def test_train_cases_use_the_seed_notebooks_digits_split():
    """60/20/20 of scikit-learn's bundled digits, shuffled as the seed shuffles them."""
    from sklearn.datasets import load_digits

    pack = load_pack(PACK)
    from grader.pipeline import cases_for
    position = [t.id for t in pack.tasks].index("train")
    cases = cases_for(pack, "train", 7, position)
    inputs = cases[0].inputs
    features, labels = load_digits(return_X_y=True)
    features = (features - np.mean(features)) / np.std(features)
    np.random.seed(1337)
    np.random.shuffle(features)
    np.random.seed(1337)
    np.random.shuffle(labels)
    assert inputs["x_val"].shape == (359, 64) and inputs["x"].shape == (1079, 64)
    np.testing.assert_array_equal(inputs["x_val"], features[:359])
    np.testing.assert_array_equal(inputs["y"].argmax(axis=1), labels[718:])
    seeds = {run["seed"] for case in cases for run in case.inputs["runs"].values()}
    assert len(seeds) == 1  # the penalty runs are paired with the run without
