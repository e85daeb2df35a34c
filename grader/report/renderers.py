"""The renderers of a JSON report dict: one interface, one registry.

Each format is one module with `FORMAT_VERSION`, `DESCRIPTION` and `render(report:
dict) -> str`, reading the JSON report (`json_report.to_dict`, the source of truth)
and never recomputing a score. `render_as` first shows the report to its audience
(`audience.for_audience`), so no renderer can forget to hide what students must
not read. `grade --NAME PATH` writes each format (see grader/cli.py).
"""
from __future__ import annotations

from typing import Any

from grader.report import annotations, gradescope, junit, markdown
from grader.report.audience import for_audience

RENDERERS = {
    "gradescope": gradescope,  # Gradescope's autograder results.json
    "junit": junit,  # JUnit XML (GitLab, Jenkins, GitHub test-report actions)
    "markdown": markdown,  # a CI job page's summary
    "annotations": annotations,  # GitHub Actions annotations of failing files
}


def render_as(name: str, report: dict[str, Any], audience: str = "student") -> str:
    """The report dict in format `name`, as `audience` may read it."""
    return RENDERERS[name].render(for_audience(report, audience))
