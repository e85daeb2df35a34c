"""The warm and fresh engines give the same verdicts for the same seed; the warm
engine's kept inputs change nothing; the warm worker forks single-threaded."""
from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import SOLUTIONS, assemble, load_expectations
from grader import wire
from grader.engine import FreshEngine, WarmEngine
from grader.formats import read_submission
from grader.pipeline import Options, _plan, grade
from grader.report import json_report

EXPECTATIONS = load_expectations()
SAMPLES = ["sample", "broken_0_syntax_error", "buggy_6_rate_is_keep_prob",
           "buggy_4_no_keep_prob_scaling"]


def comparable(report) -> dict:
    data = json_report.to_dict(report)
    for key in ("seconds", "started_at", "engine"):
        data.pop(key)
    for task in data["tasks"]:
        task.pop("seconds")
    return data


@pytest.fixture(scope="module")
def fresh_engine(pack):
    engine = FreshEngine(str(pack.probes_path), pack.declared_runtimes)
    yield engine
    engine.close()


@pytest.mark.slow
@pytest.mark.parametrize("name", SAMPLES)
def test_same_seed_same_report_under_both_engines(name, tmp_path, warm_engine, fresh_engine):
    submission = str(assemble(EXPECTATIONS[name], tmp_path / "submission"))
    options = Options(assignment="regularization", seed=4242)
    warm = comparable(grade(submission, options, engine=warm_engine))
    fresh = comparable(grade(submission, options, engine=fresh_engine))
    assert warm == fresh


def test_inputs_kept_by_the_warm_worker_give_the_same_report(tmp_path, pack, monkeypatch):
    """The second grade with a seed sends no inputs (the worker kept them): same report."""
    submission = str(assemble(EXPECTATIONS["buggy_4_no_keep_prob_scaling"], tmp_path / "s"))
    options = Options(assignment="regularization", seed=97)
    sent_inputs = []  # per job sent to a worker: did it carry its cases?
    encode = wire.encode

    def recording_encode(message):
        if "task_id" in message:
            sent_inputs.append(message["cases"] is not None)
        return encode(message)
    monkeypatch.setattr(wire, "encode", recording_encode)
    engine = WarmEngine(str(pack.probes_path), pack.declared_runtimes)
    try:
        first = grade(submission, options, engine=engine)
        second = grade(submission, options, engine=engine)
    finally:
        engine.close()
    tasks = len(pack.tasks)
    assert sent_inputs == [True] * tasks + [False] * tasks
    assert comparable(first) == comparable(second)
    assert not first.full_marks


def test_a_job_whose_inputs_the_worker_lost_is_a_grader_error(tmp_path, warm_engine, pack):
    (tmp_path / "run").mkdir()
    _, job = _plan(pack, pack.tasks[0], read_submission(str(SOLUTIONS), pack.wanted), 5,
                   Options(), tmp_path / "run")
    job.cases, job.cases_key = None, "never-sent"
    run = warm_engine.run(job)
    assert run.grader_fault and "lost" in run.grader_fault and not run.cases


def test_the_check_before_forking_counts_every_other_thread():
    code = ("import threading, time\n"
            "from grader.sandbox.worker import _threads_that_may_hold_locks as count\n"
            "print(count())\n"
            "threading.Thread(target=time.sleep, args=(5,), daemon=True).start()\n"
            "print(count())\n")
    counts = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=60).stdout.split()
    assert counts == ["1", "2"]
