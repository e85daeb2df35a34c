"""The local executor: this machine grades the batch, `-j` submissions at once, every one
through one shared warm engine (one worker per runtime, a sandboxed child per task)."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.console import Console

from grader.engine import RawRun, make_engine
from grader.executors import Batch
from grader.executors.outcome import Result, graded, record
from grader.pipeline import Options
from grader.report.batch_terminal import Board

# Tasks of one submission graded at once: while one task's child runs, the other's
# outputs are judged, so -j submissions keep -j cores busy.
TASKS_AT_ONCE = 2


class LocalExecutor:
    name = "local"

    def grade_all(self, batch: Batch, results: dict[str, Result], console: Console) -> None:
        """Grade `batch.todo` with one shared engine, several submissions at once, showing
        who.

        On Ctrl-C: no new submission or task starts, the engine is closed (which ends the
        runs in flight at once), and whatever was in flight is dropped, not reported.
        """
        options, pack = batch.options, batch.pack
        stop = threading.Event()
        engine = make_engine(options.engine, str(pack.probes_path), pack.declared_runtimes)
        shared = _StoppableEngine(engine, stop)
        per_submission = replace(options, jobs=TASKS_AT_ONCE)
        max_score = sum(t.points for t in pack.tasks)
        pool = ThreadPoolExecutor(options.jobs)
        futures = {}
        try:
            with Board(console, len(batch.todo)) as board:
                for student, (path, digest) in batch.todo.items():
                    futures[pool.submit(_grade_one, path, batch.out, student, digest,
                                        per_submission, shared, batch.audience, stop,
                                        board)] = student
                for future in as_completed(futures):
                    result = future.result()
                    if result is not None:
                        results[futures[future]] = result
                        board.finished(futures[future], result.outcome(max_score))
        except KeyboardInterrupt:
            stop.set()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        finally:
            engine.close()
            pool.shutdown(wait=True)
            for future, student in futures.items():  # finished while Ctrl-C was handled
                if student not in results and future.done() and not future.cancelled():
                    if future.result() is not None:
                        results[student] = future.result()

    def summary(self) -> dict[str, Any]:
        return {"executor": self.name, "retries": 0, "retried": {}}


class _StoppableEngine:
    """The batch's shared engine: once Ctrl-C was pressed, no new task starts."""

    def __init__(self, engine, stop: threading.Event):
        self._engine, self._stop = engine, stop
        self.name = engine.name

    def run(self, job) -> RawRun:
        if self._stop.is_set():
            return RawRun(grader_fault="the batch was interrupted")
        return self._engine.run(job)


def _grade_one(path: Path, out: Path, student: str, digest: str | None, options: Options,
               engine, audience: str, stop: threading.Event, board: Board) -> Result | None:
    """Grade one submission and write its reports; None when the batch was interrupted
    before they were written."""
    if stop.is_set():
        return None
    board.started(student)
    data = graded(str(path), options, engine, digest, audience)
    if stop.is_set() and ("report" in data or "no_report" in data):
        return None
    return record(out, student, data)
