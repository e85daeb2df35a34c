"""Parent side of the sandboxed run: send a job, get back a validated RawRun.

Two engines give the same verdicts for the same seed:
- warm (default): one worker per pack imports numpy/TensorFlow once and forks
  a supervised child per task (~0.1 s a task instead of ~2.5 s);
- fresh: a new interpreter per task (fallback, and the benchmark's baseline).
Nothing here unpickles or executes what a child sent: frames are decoded by
grader/wire.py into plain values and checked before any judge sees them.
"""
from __future__ import annotations

import os
import selectors
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grader import wire
from grader.sandbox.case_memory import CaseMemory

ENGINES = ("warm", "fresh")
_LENGTH = struct.Struct(">Q")
GRACE_SECONDS = 10.0
WORKER_START_SECONDS = 120.0


@dataclass
class RawRun:
    """What came back from one sandboxed task run, decoded and bounded."""

    seconds: float = 0.0
    timed_out: bool = False
    killed_for: str | None = None  # the supervisor killed the child over a bound
    exit_code: int | None = None
    signal: int | None = None
    cpu_seconds: float = 0.0
    max_rss_kb: int = 0
    stdout: str = ""
    stderr: str = ""
    output_bytes: int = 0
    stray_processes_killed: int = 0
    sandbox: dict[str, Any] = field(default_factory=dict)
    sandbox_failure: str | None = None
    load_error: dict[str, str] | None = None
    cases: dict[int, dict[str, Any]] = field(default_factory=dict)  # index -> outputs/error
    last_started: int | None = None
    done: bool = False
    protocol_error: str | None = None  # the child's stream was malformed or cut
    grader_fault: str | None = None  # the trusted side (worker, supervisor) failed


def child_env(home: str | None = None) -> dict[str, str]:
    """The whole environment of a worker or child: nothing inherited but CPU quirks."""
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "TF_USE_LEGACY_KERAS": "1",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "TF_ENABLE_ONEDNN_OPTS": "0",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "TF_NUM_INTRAOP_THREADS": "1",
        "TF_NUM_INTEROP_THREADS": "1",
        "TF_OVERRIDE_GLOBAL_THREADPOOL": "1",  # a session's threads end with it: fork-safe
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
    }
    for quirk in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if quirk in os.environ:
            env[quirk] = os.environ[quirk]
    if home:
        env.update(HOME=home, TMPDIR=os.path.join(home, "tmp"),
                   KERAS_HOME=os.path.join(home, ".keras"), MPLCONFIGDIR=home)
    return env


def parse_summary(summary: dict[str, Any] | None) -> RawRun:
    """Turn a supervisor's summary frame into a RawRun, validating the child's frames."""
    if not isinstance(summary, dict):
        return RawRun(grader_fault="the sandbox supervisor sent no summary")
    if summary.get("grader_fault"):
        return RawRun(grader_fault=str(summary["grader_fault"])[:500])
    run = RawRun(
        seconds=float(summary.get("seconds", 0.0)),
        timed_out=bool(summary.get("timed_out")),
        killed_for=str(summary["killed_for"]) if summary.get("killed_for") else None,
        exit_code=summary.get("exit_code"),
        signal=summary.get("signal"),
        cpu_seconds=float(summary.get("cpu_seconds", 0.0)),
        max_rss_kb=int(summary.get("max_rss_kb", 0)),
        stdout=str(summary.get("stdout", "")),
        stderr=str(summary.get("stderr", "")),
        output_bytes=int(summary.get("stdout_bytes", 0)) + int(summary.get("stderr_bytes", 0)),
        stray_processes_killed=int(summary.get("stray_processes_killed", 0)),
    )
    result = summary.get("result")
    if not isinstance(result, np.ndarray) or result.dtype != np.uint8:
        run.protocol_error = "the sandbox supervisor sent no result stream"
        return run
    try:
        frames, cut = wire.decode_frames(result.tobytes())
    except wire.WireError as exc:
        run.protocol_error = f"the task's process sent malformed results ({exc})"
        return run
    if cut or summary.get("result_truncated"):
        run.protocol_error = "the task's process stopped in the middle of sending a result"
    for frame in frames:
        _apply_event(run, frame)
    return run


def _apply_event(run: RawRun, frame: dict[str, Any]) -> None:
    event = frame.get("event")
    index = frame.get("index")
    if event == "sandbox":
        run.sandbox = {"applied": [str(a) for a in frame.get("applied", [])]}
    elif event == "sandbox-failure":
        run.sandbox_failure = str(frame.get("message", ""))
    elif event == "load-error" and run.load_error is None:
        run.load_error = _error(frame.get("error"))
    elif event == "start" and type(index) is int:
        run.last_started = index
    elif event == "case" and type(index) is int and index not in run.cases:
        if "error" in frame:
            run.cases[index] = {"error": _error(frame["error"])}
        elif isinstance(frame.get("outputs"), dict):
            run.cases[index] = {"outputs": frame["outputs"]}
    elif event == "done":
        run.done = True


def _error(value: Any) -> dict[str, str]:
    value = value if isinstance(value, dict) else {}
    return {key: str(value.get(key, ""))[:2000] for key in ("type", "message", "where")}


class FreshEngine:
    """A new `python -I` per task: slow, simple, and the baseline."""

    name = "fresh"

    def __init__(self, probes_path: str, tensorflow: bool) -> None:
        del probes_path, tensorflow  # each fresh child imports what its job names

    def run(self, job: dict[str, Any]) -> RawRun:
        command = [sys.executable, "-I", "-m", "grader.sandbox.worker", "--once"]
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=child_env(job["env"]["HOME"]), cwd=job["scratch"], start_new_session=True)
        timeout = float(job["limits"]["wall_seconds"]) + GRACE_SECONDS + 30.0
        try:
            stdout, _ = process.communicate(wire.encode(job), timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_process_group(process)
            return RawRun(grader_fault="the sandbox supervisor did not answer in time")
        return _summary_from_bytes(stdout)

    def close(self) -> None:
        pass


class _Worker:
    """One pre-imported worker process and the channel that feeds it jobs."""

    def __init__(self, probes_path: str, tensorflow: bool, home: str) -> None:
        self._lock = threading.Lock()
        self._sent_cases = CaseMemory()  # mirrors what the worker keeps
        self._ready = threading.Event()
        self._start_error: str | None = None
        parent_end, worker_end = socket.socketpair()
        command = [sys.executable, "-I", "-m", "grader.sandbox.worker", "--serve", probes_path]
        if tensorflow:
            command.append("--tensorflow")
        self._process = subprocess.Popen(
            command, stdin=worker_end, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=child_env(home), cwd=home, start_new_session=True)
        worker_end.close()
        self._channel = parent_end
        threading.Thread(target=self._wait_ready, daemon=True).start()

    def _wait_ready(self) -> None:
        try:
            self._channel.settimeout(WORKER_START_SECONDS)
            if self._channel.recv(1) != b"R":
                self._start_error = "the warm worker failed to start"
            self._channel.settimeout(None)
        except OSError:  # timed out, or closed by close() before it was ready
            self._start_error = "the warm worker did not start"
        finally:
            self._ready.set()

    def run(self, job: dict[str, Any]) -> RawRun:
        self._ready.wait()
        if self._start_error:
            return RawRun(grader_fault=self._start_error)
        read_end, write_end = os.pipe()
        try:
            with self._lock:
                data = wire.encode(self._without_kept_cases(job))
                socket.send_fds(self._channel, [_LENGTH.pack(len(data))], [write_end])
                self._channel.sendall(data)
        except OSError:
            os.close(read_end)
            return RawRun(grader_fault="the warm worker is gone")
        finally:
            os.close(write_end)
        deadline = time.monotonic() + float(job["limits"]["wall_seconds"]) + GRACE_SECONDS
        return _summary_from_bytes(_read_until_eof(read_end, deadline))

    def _without_kept_cases(self, job: dict[str, Any]) -> dict[str, Any]:
        """The job, with `cases: None` when the worker still holds them (call under the lock)."""
        key = job.get("cases_key")
        if key is None:
            return job
        if self._sent_cases.recall(key) is not None:
            return {**job, "cases": None}
        self._sent_cases.remember(key, True)
        return job

    def close(self) -> None:
        self._channel.close()
        _kill_process_group(self._process)


class WarmEngine:
    """Pre-imported workers; each job forks from one of them.

    NumPy tasks go to a worker that never imports TensorFlow: it is ready in a
    fraction of a second, so those tasks are done while TensorFlow still loads
    in the other worker, and forking from a small process is cheaper.
    """

    name = "warm"

    def __init__(self, probes_path: str, tensorflow: bool) -> None:
        self._home = tempfile.mkdtemp(prefix="grader-worker-")
        os.makedirs(os.path.join(self._home, "tmp"), mode=0o700)
        self._workers = {False: _Worker(probes_path, False, self._home)}
        if tensorflow:
            self._workers[True] = _Worker(probes_path, True, self._home)

    def run(self, job: dict[str, Any]) -> RawRun:
        return self._workers[bool(job["needs_tensorflow"])].run(job)

    def close(self) -> None:
        for worker in self._workers.values():
            worker.close()
        shutil.rmtree(self._home, ignore_errors=True)


def make_engine(name: str, probes_path: str, tensorflow: bool):
    return {"warm": WarmEngine, "fresh": FreshEngine}[name](probes_path, tensorflow)


def _summary_from_bytes(data: bytes) -> RawRun:
    try:
        frames, _ = wire.decode_frames(data)
    except wire.WireError as exc:
        return RawRun(grader_fault=f"the sandbox supervisor's summary was malformed ({exc})")
    return parse_summary(frames[0] if frames else None)


def _read_until_eof(fd: int, deadline: float) -> bytes:
    chunks = []
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks)


def _kill_process_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, 9)
    except OSError:
        pass
    process.wait()
