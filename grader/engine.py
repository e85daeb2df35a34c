"""Parent side of the sandboxed run: send a job, get back a validated RawRun.

Two engines give the same verdicts for the same seed:
- warm (default): one worker per runtime (grader/runtimes/) imports numpy or
  TensorFlow once and forks a supervised child per task (~0.1 s a task
  instead of ~2.5 s);
- fresh: a new interpreter per task (fallback, and the benchmark's baseline).
Nothing here unpickles or executes what a child sent: frames are decoded by
grader/wire.py into plain values and checked before any judge sees them.
"""
from __future__ import annotations

import json
import os
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grader import wire
from grader.runtimes import Runtime
from grader.sandbox.case_memory import CaseMemory
from grader.wire import LENGTH, Job, Summary

ENGINES = ("warm", "fresh")
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
    pack_error: str | None = None  # the pack could not serve this task (no probe)
    notes: list[str] = field(default_factory=list)  # what loading the student's code skipped
    roles: dict[str, dict[str, str]] = field(default_factory=dict)  # role -> name, why
    cases: dict[int, dict[str, Any]] = field(default_factory=dict)  # index -> outputs/error
    last_started: int | None = None
    done: bool = False
    protocol_error: str | None = None  # the child's stream was malformed or cut
    grader_fault: str | None = None  # the trusted side (worker, supervisor) failed


def child_env(runtime: Runtime, home: str | None = None) -> dict[str, str]:
    """The whole environment of a worker or child: nothing inherited but CPU quirks,
    plus what its runtime sets (which must be set before its imports)."""
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        **runtime.environment,
    }
    for quirk in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if quirk in os.environ:
            env[quirk] = os.environ[quirk]
    if home:
        env.update(HOME=home, TMPDIR=os.path.join(home, "tmp"),
                   KERAS_HOME=os.path.join(home, ".keras"), MPLCONFIGDIR=home)
    return env


def parse_summary(summary: Summary) -> RawRun:
    """Turn a supervisor's summary into a RawRun, validating the child's frames."""
    if summary.grader_fault:
        return RawRun(grader_fault=summary.grader_fault)
    run = RawRun(
        seconds=summary.seconds, timed_out=summary.timed_out, killed_for=summary.killed_for,
        exit_code=summary.exit_code, signal=summary.signal, cpu_seconds=summary.cpu_seconds,
        max_rss_kb=summary.max_rss_kb, stdout=summary.stdout, stderr=summary.stderr,
        output_bytes=summary.stdout_bytes + summary.stderr_bytes,
        stray_processes_killed=summary.stray_processes_killed)
    result = summary.result
    if not isinstance(result, np.ndarray) or result.dtype != np.uint8:
        run.protocol_error = "the sandbox supervisor sent no result stream"
        return run
    try:
        frames, cut = wire.decode_frames(result.tobytes())
    except wire.WireError as exc:
        run.protocol_error = f"the task's process sent malformed results ({exc})"
        return run
    if cut or summary.result_truncated:
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
    elif event == "pack-error":
        run.pack_error = str(frame.get("message", ""))[:500]
    elif event == "notes" and isinstance(frame.get("notes"), list):
        run.notes = [str(note)[:500] for note in frame["notes"][:50]]
    elif event == "roles" and isinstance(frame.get("roles"), dict):
        run.roles = {str(role)[:100]: {"name": str(filled.get("name", ""))[:200],
                                       "why": str(filled.get("why", ""))[:200]}
                     for role, filled in list(frame["roles"].items())[:50]
                     if isinstance(filled, dict)}
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

    def __init__(self, probes_path: str, runtimes: list[Runtime]) -> None:
        del probes_path, runtimes  # each fresh child imports what its job names

    def run(self, job: Job) -> RawRun:
        command = [sys.executable, "-I", "-m", "grader.sandbox.worker", "--once"]
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=job.env, cwd=job.scratch, start_new_session=True)
        timeout = float(job.limits["wall_seconds"]) + GRACE_SECONDS + 30.0
        try:
            stdout, _ = process.communicate(wire.encode(job.to_message()), timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_process_group(process)
            return RawRun(grader_fault="the sandbox supervisor did not answer in time")
        return _summary_from_bytes(stdout)

    def close(self) -> None:
        pass


class _Worker:
    """One pre-imported worker process and the channel that feeds it jobs."""

    def __init__(self, probes_path: str, runtime: Runtime, home: str) -> None:
        self._lock = threading.Lock()
        self._sent_cases = CaseMemory()  # mirrors what the worker keeps
        self._ready = threading.Event()
        self._start_error: str | None = None
        parent_end, worker_end = socket.socketpair()
        command = [sys.executable, "-I", "-m", "grader.sandbox.worker", "--serve", probes_path,
                   "--runtime", json.dumps(runtime.to_message())]
        self._process = subprocess.Popen(
            command, stdin=worker_end, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=child_env(runtime, home), cwd=home, start_new_session=True)
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

    def run(self, job: Job) -> RawRun:
        self._ready.wait()
        if self._start_error:
            return RawRun(grader_fault=self._start_error)
        read_end, write_end = os.pipe()
        try:
            with self._lock:
                data = wire.encode(self._without_kept_cases(job))
                socket.send_fds(self._channel, [LENGTH.pack(len(data))], [write_end])
                self._channel.sendall(data)
        except OSError:
            os.close(read_end)
            return RawRun(grader_fault="the warm worker is gone")
        finally:
            os.close(write_end)
        deadline = time.monotonic() + float(job.limits["wall_seconds"]) + GRACE_SECONDS
        return _summary_from_bytes(_read_until_eof(read_end, deadline))

    def _without_kept_cases(self, job: Job) -> dict[str, Any]:
        """The job's message, without its cases when the worker still holds them
        (call under the lock)."""
        message = job.to_message()
        key = job.cases_key
        if key is None:
            return message
        if self._sent_cases.recall(key) is not None:
            return {**message, "cases": None}
        self._sent_cases.remember(key, True)
        return message

    def close(self) -> None:
        self._channel.close()
        _kill_process_group(self._process)


class WarmEngine:
    """Pre-imported workers, one per runtime; each job forks from its runtime's worker.

    The workers of the runtimes a pack declares start at once, in parallel: NumPy
    tasks are done while TensorFlow still loads in the other worker, and forking
    from a small process is cheaper. A runtime no task declared (a NumPy task
    whose file imports TensorFlow, routed elsewhere) gets its worker on first use.
    """

    name = "warm"

    def __init__(self, probes_path: str, runtimes: list[Runtime]) -> None:
        self._probes_path = probes_path
        self._home = tempfile.mkdtemp(prefix="grader-worker-")
        os.makedirs(os.path.join(self._home, "tmp"), mode=0o700)
        self._lock = threading.Lock()
        self._workers: dict[str, _Worker] = {}
        for runtime in runtimes:
            self._worker(runtime)

    def _worker(self, runtime: Runtime) -> _Worker:
        with self._lock:
            if runtime.name not in self._workers:
                self._workers[runtime.name] = _Worker(self._probes_path, runtime, self._home)
            return self._workers[runtime.name]

    def run(self, job: Job) -> RawRun:
        return self._worker(Runtime.from_message(job.runtime)).run(job)

    def close(self) -> None:
        with self._lock:
            for worker in self._workers.values():
                worker.close()
            self._workers.clear()
        shutil.rmtree(self._home, ignore_errors=True)


def make_engine(name: str, probes_path: str, runtimes: list[Runtime]):
    return {"warm": WarmEngine, "fresh": FreshEngine}[name](probes_path, runtimes)


def _summary_from_bytes(data: bytes) -> RawRun:
    try:
        frames, _ = wire.decode_frames(data)
    except wire.WireError as exc:
        return RawRun(grader_fault=f"the sandbox supervisor's summary was malformed ({exc})")
    return parse_summary(Summary.from_message(frames[0] if frames else None))


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
