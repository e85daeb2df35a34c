"""The dashboard's charts, drawn by matplotlib as inline SVG (no image files, no network).

Figures are made without pyplot (no global figure state, no GUI: the Agg
backend is selected), text stays text (`svg.fonttype` none: the page's own
font), and ids inside the SVG are derived from a fixed salt, so that the same
class gives the same page.
"""
from __future__ import annotations

import io
import re

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402 - after the backend is chosen

_STYLE = {"svg.fonttype": "none", "font.size": 10, "axes.spines.top": False,
          "axes.spines.right": False}
_COLOR, _MISSING_COLOR = "#3465a4", "#bbbbbb"
_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.S)  # the XML declaration and DOCTYPE


def score_histogram(scores: list[float], max_score: float, missing: int = 0) -> str:
    """How many students got each range of scores; students without one are a grey bar."""
    with matplotlib.rc_context({**_STYLE, "svg.hashsalt": "scores"}):
        figure = Figure(figsize=(6.0, 2.6))
        axes = figure.subplots()
        top = max_score or 1.0
        bins = [top * i / 10 for i in range(11)]
        axes.hist(scores, bins=bins, color=_COLOR, edgecolor="white")
        if missing:
            width = top / 10
            axes.bar([-width], [missing], width=width * 0.9, color=_MISSING_COLOR,
                     label="no score")
            axes.legend(frameon=False)
        axes.set_xticks(bins[::2], [f"{b:g}" for b in bins[::2]])
        axes.set_xlabel(f"score (out of {max_score:g})")
        axes.set_ylabel("students")
        axes.yaxis.get_major_locator().set_params(integer=True)
        return _svg(figure)


def pass_rates(rates: dict[str, float | None]) -> str:
    """The share of graded students who passed every correctness check of each task."""
    with matplotlib.rc_context({**_STYLE, "svg.hashsalt": "pass-rates"}):
        labels = list(rates)
        figure = Figure(figsize=(6.0, 0.6 + 0.32 * max(1, len(labels))))
        axes = figure.subplots()
        values = [100 * (rates[label] or 0.0) for label in labels]
        positions = range(len(labels))
        axes.barh(positions, values, color=_COLOR)
        axes.set_yticks(list(positions), [f"task {label}" for label in labels])
        axes.invert_yaxis()
        axes.set_xlim(0, 100)
        axes.set_xlabel("passed (% of graded students)")
        for position, value in zip(positions, values):
            inside = value > 80  # a long bar holds its label
            axes.text(value - 1 if inside else value + 1, position, f"{value:.0f} %",
                      va="center", ha="right" if inside else "left",
                      color="white" if inside else "black")
        return _svg(figure)


def _svg(figure: Figure) -> str:
    figure.tight_layout()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return _PROLOGUE.sub("", buffer.getvalue(), count=1)
