"""The terminal table wraps a diagnosis, never cuts it, even on a narrow terminal."""
from __future__ import annotations

import io

import pytest
from rich.console import Console

from conftest import FIXTURES
from grader.pipeline import Options, grade
from grader.report import terminal
from grader.report.public import Paths


@pytest.fixture(scope="module")
def sample(warm_engine):
    return grade(str(FIXTURES / "sample"), Options(assignment="regularization", seed=11),
                 engine=warm_engine)


def last_column(table_text: str) -> str:
    """The text of the table's last column, rows joined, without whitespace."""
    cells = [line.split("\u2502")[-2] for line in table_text.splitlines()
             if line.startswith("\u2502")]
    return "".join("".join(cells).split())


@pytest.mark.parametrize("width", [80, 140])
def test_the_first_failing_check_is_wrapped_whole(sample, width):
    console = Console(file=io.StringIO(), width=width)
    terminal.render(sample, console)
    text = console.file.getvalue()
    assert "\u2026" not in text
    column = last_column(text)
    paths = Paths(sample.submission)
    firsts = [r.first_failure for r in sample.tasks if r.first_failure is not None]
    assert max(len(c.message) for c in firsts) > 220  # longer than the old cut
    for check in firsts:
        whole = "".join(f"{check.name}: {paths(check.message)}".split())
        assert whole in column, check.name


def test_the_score_line_is_what_quiet_prints(sample):
    line = terminal.score_line(sample)
    assert line.startswith(f"score {sample.score:g}/{sample.max_score:g}")
    assert f"seed {sample.seed}" in line and sample.grader_version in line
    console = Console(file=io.StringIO(), width=120)
    terminal.render(sample, console)
    assert line in console.file.getvalue()
