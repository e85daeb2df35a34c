"""Cases are generated once per seed and cannot be changed by a judge; run folders go
where they are cheapest unless told otherwise."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import SOLUTIONS
from grader import pipeline
from grader.pipeline import Options, cases_for, grade
from grader.sandbox import scratch


def arrays(value):
    if isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from arrays(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from arrays(item)


def test_cases_are_generated_once_per_seed_and_differ_between_seeds(pack):
    first = cases_for(pack, "1", 11, 1)
    assert cases_for(pack, "1", 11, 1) is first
    other = cases_for(pack, "1", 12, 1)
    assert not np.array_equal(first[0].inputs["Y"], other[0].inputs["Y"])


@pytest.mark.parametrize("task_id", [str(i) for i in range(7)])  # task 7: plain numbers
def test_cached_cases_cannot_be_changed_in_place(task_id, pack):
    cases = cases_for(pack, task_id, 11, int(task_id))
    found = [array for case in cases for part in (case.inputs, case.context)
             for array in arrays(part)]
    assert found
    for array in found:
        with pytest.raises(ValueError):
            array.flat[0] = 0


def test_run_folders_go_to_memory_when_it_has_room(monkeypatch, tmp_path):
    monkeypatch.setattr(scratch, "MEMORY_FOLDER", str(tmp_path / "missing"))
    assert scratch.base_folder() is None
    monkeypatch.setattr(scratch, "MEMORY_FOLDER", str(tmp_path))
    monkeypatch.setattr(scratch, "MEMORY_FOLDER_MIN_FREE", 2 ** 62)
    assert scratch.base_folder() is None
    monkeypatch.setattr(scratch, "MEMORY_FOLDER_MIN_FREE", 0)
    assert scratch.base_folder() == str(tmp_path)


def test_an_explicit_scratch_folder_is_used_and_left_empty(tmp_path, monkeypatch, warm_engine):
    run_roots = []
    plan = pipeline._plan

    def recording_plan(pack, task, submission, seed, options, run_root):
        run_roots.append(run_root.parent)
        return plan(pack, task, submission, seed, options, run_root)
    monkeypatch.setattr(pipeline, "_plan", recording_plan)
    report = grade(str(SOLUTIONS), Options(assignment="regularization", seed=3,
                                           scratch=str(tmp_path)), engine=warm_engine)
    assert report.full_marks
    assert set(run_roots) == {tmp_path}
    assert list(tmp_path.iterdir()) == []


def test_a_task_file_handed_in_but_unreadable_is_an_error_with_its_reason(tmp_path):
    """Not "missing": the student handed the file in; the report says why it is unusable
    (here UTF-16, as Windows PowerShell's `>` writes it). A task not handed in is missing."""
    source = (SOLUTIONS / "0-l2_reg_cost.py").read_text()
    (tmp_path / "0-l2_reg_cost.py").write_bytes(source.encode("utf-16"))
    report = grade(str(tmp_path), Options(assignment="regularization", tasks=("0", "1"),
                                          seed=3))
    results = {r.task.id: r for r in report.tasks}
    assert results["0"].outcome == "error" and not results["0"].correct
    assert "was handed in but could not be used: UTF-16 text" in \
        results["0"].first_failure.message
    assert results["1"].outcome == "missing"
