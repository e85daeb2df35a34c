"""A self-contained HTML report (jinja2, inline CSS, no JavaScript)."""
from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape

from grader.models import Report

_ENV = Environment(loader=PackageLoader("grader.report", "templates"),
                   autoescape=select_autoescape(["html", "j2"]),
                   trim_blocks=True, lstrip_blocks=True)


def render(report: Report) -> str:
    return _ENV.get_template("report.html.j2").render(report=report)
