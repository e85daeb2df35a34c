"""Where a batch's submissions are graded: an executor grades the batch's to-do list and
writes each student's reports to OUT, showing progress on the batch's board.

    local  this machine: a thread pool over the submissions, one shared warm engine
    ray    a Ray cluster: an actor per node holds the same engine as a local batch;
           submissions go to it as bounded plain data, reports come back as plain data

Everything else of `grade batch` (who handed in what, what is up to date, the seed,
the summary) is the same whichever executor grades: grader/batch.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol

from rich.console import Console

from grader.errors import GraderError
from grader.executors.outcome import Result
from grader.packs import Pack
from grader.pipeline import Options


@dataclass(frozen=True)
class Batch:
    """What an executor is asked to grade, and how."""

    todo: dict[str, tuple[Path, str | None]]  # student -> (submission, input digest)
    out: Path
    pack: Pack
    options: Options
    audience: str


class Executor(Protocol):
    name: str

    def grade_all(self, batch: Batch, results: dict[str, Result], console: Console) -> None:
        """Grade every submission of `batch.todo`, writing its reports and putting its
        Result in `results` as it finishes. On KeyboardInterrupt: stop at once, keep what
        was written, re-raise."""

    def summary(self) -> dict[str, Any]:
        """What summary.json says about the run: at least `executor` and `retries` (how
        many times a submission was sent again after a grading process failed)."""


def _local(ray_address: str | None) -> Executor:
    from grader.executors.local import LocalExecutor
    return LocalExecutor()


def _ray(ray_address: str | None) -> Executor:
    from grader.executors.ray_pool import RayExecutor  # Ray is imported only when chosen
    return RayExecutor(ray_address)


EXECUTORS: dict[str, Callable[[str | None], Executor]] = {"local": _local, "ray": _ray}


def make_executor(name: str = "local", ray_address: str | None = None) -> Executor:
    if name not in EXECUTORS:
        raise GraderError(f"unknown executor {name!r} (use one of: {', '.join(EXECUTORS)})")
    if ray_address is not None and name != "ray":
        raise GraderError("--ray-address needs --executor ray")
    return EXECUTORS[name](ray_address)
