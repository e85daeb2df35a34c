"""A grading node's process (the body of a Ray actor): what a local batch's own process
is, on another machine.

It is trusted, like a local batch's process: it runs the pack's checks and judges,
and student code never runs in it. Student code runs only in the sandboxed children
of its warm engine, locked down by the layers this node has. It refuses to grade
where the requested sandbox level is unavailable (`--sandbox strict` without
Landlock or seccomp), or where its grader is not the batch's version; it says
which layers it has, and so does every report it makes. What it sends back is
plain data: the JSON report as a dict of str, numbers, lists and dicts, the HTML
page as a str (grader/executors/outcome.py); Ray serializes that plain data, and
nothing a student's process produced crosses as an object.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from grader import __version__
from grader.engine import make_engine
from grader.errors import GraderError
from grader.executors.local import TASKS_AT_ONCE
from grader.executors.outcome import graded
from grader.executors.parcel import parcel_submission, unpack_pack
from grader.packs import SOLUTIONS_VARIABLE, load_pack
from grader.pipeline import Options
from grader.sandbox.layers import describe

FOLDER_PREFIX = "grader-node-"  # then the actor's pid: grader-node-<pid>-XXXXXXXX


class NodeGrader:
    """The same engine as a local batch, fed submissions as parcels (grader/executors/
    parcel.py); several at once, one per thread the actor is given. It owns its process:
    the temporary folder and the reference solutions it sets are process-wide."""

    def __init__(self, setup: dict[str, Any]):
        """`setup`: the batch's `grader_version`, `options` (Options), `audience`, and
        `pack` (a pack parcel). A node that cannot grade as asked records why, and
        `ready()` says so: it never grades."""
        self.refused: str | None = None
        self.sandbox: dict[str, Any] = {}
        self._engine = None
        self._grading: dict[str, float] = {}  # student -> when its grading began
        self._lock = threading.Lock()
        _remove_left_behind(Path(tempfile.gettempdir()))
        self._folder = Path(tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-"))
        self._tempdir = tempfile.tempdir
        try:
            if setup["grader_version"] != __version__:
                raise GraderError(f"this node has grader {__version__}, the batch "
                                  f"{setup['grader_version']}")
            self.sandbox = describe(setup["options"].sandbox)  # strict raises where unavailable
            packs, solutions = unpack_pack(setup["pack"], self._folder)
            os.environ[SOLUTIONS_VARIABLE] = str(solutions)  # the batch's, never this node's own
            pack = load_pack(setup["pack"]["name"], (str(packs),))
        except GraderError as exc:
            self.refused = str(exc)
            shutil.rmtree(self._folder, ignore_errors=True)
            return
        self._options: Options = replace(setup["options"], packs=(str(packs),), scratch=None,
                                         jobs=TASKS_AT_ONCE)
        self._audience: str = setup["audience"]
        tempfile.tempdir = str(self._folder)  # the engine's folders too: one to remove
        self._engine = make_engine(self._options.engine, str(pack.probes_path),
                                   pack.declared_runtimes)

    def ready(self) -> dict[str, Any]:
        """Whether this node grades (`refused`: why not), and its sandbox layers."""
        return {"refused": self.refused, "sandbox": self.sandbox, "pid": os.getpid()}

    def grade(self, student: str, path: str, digest: str | None,
              parcel: dict[str, Any]) -> dict[str, Any]:
        """One student's reports as plain data (outcome.graded); `path` names the
        submission as the batch was given it, in the report as in a local batch's."""
        if self._engine is None:
            return {"failure": f"this node refuses to grade: {self.refused}"}
        with self._lock:
            self._grading[student] = time.monotonic()
        try:
            try:
                submission = parcel_submission(parcel)
            except GraderError as exc:
                return {"ungradable": str(exc)}
            except (KeyError, TypeError, ValueError) as exc:
                return {"failure": f"the submission's parcel is malformed ({exc})"}
            return graded(path, self._options, self._engine, digest, self._audience,
                          submission)
        finally:
            with self._lock:
                del self._grading[student]

    def status(self) -> dict[str, Any]:
        """This process, and the students it is grading now: for how many seconds."""
        now = time.monotonic()
        with self._lock:
            return {"pid": os.getpid(),
                    "grading": {s: now - began for s, began in self._grading.items()}}

    def close(self) -> None:
        """End the engine's workers and the children in flight, and remove the pack."""
        if self._engine is not None:
            self._engine.close()
        tempfile.tempdir = self._tempdir
        shutil.rmtree(self._folder, ignore_errors=True)


def _remove_left_behind(parent: Path) -> None:
    """The folders of this machine's actors whose process is gone: an actor killed hard
    (SIGKILL, a lost node) could not remove its own."""
    for folder in parent.glob(f"{FOLDER_PREFIX}*"):
        pid = folder.name[len(FOLDER_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(folder, ignore_errors=True)
