"""The warm and fresh engines give the same verdicts for the same seed."""
from __future__ import annotations

import pytest

from conftest import assemble, load_expectations
from grader.engine import FreshEngine
from grader.pipeline import Options, grade
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
    engine = FreshEngine(str(pack.probes_path), tensorflow=True)
    yield engine
    engine.close()


@pytest.mark.parametrize("name", SAMPLES)
def test_same_seed_same_report_under_both_engines(name, tmp_path, warm_engine, fresh_engine):
    submission = str(assemble(EXPECTATIONS[name], tmp_path / "submission"))
    options = Options(assignment="regularization", seed=4242)
    warm = comparable(grade(submission, options, engine=warm_engine))
    fresh = comparable(grade(submission, options, engine=fresh_engine))
    assert warm == fresh
