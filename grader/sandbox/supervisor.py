"""The trusted supervisor of one student child.

It forks the child, drains its stdout, stderr and result pipes without ever
blocking (keeping only capped excerpts), kills it with SIGKILL at the
wall-clock deadline, over its thread cap or when its scratch folder goes
over its quota, and, being a child subreaper, kills and reaps every
descendant (double-forked daemons included) before reporting. It then
empties the scratch folder and writes one summary frame to `sink`; it never
looks inside the student's results.
"""
from __future__ import annotations

import ctypes
import os
import selectors
import signal
import time
from types import ModuleType
from typing import Any, Callable, NoReturn

import numpy as np

from grader import wire
from grader.sandbox import scratch
from grader.sandbox.child import RESULT_FD, run_child
from grader.wire import Job, Summary

PR_SET_CHILD_SUBREAPER = 36
PR_SET_PDEATHSIG = 1
DRAIN_AFTER_EXIT = 0.5
CHECK_SECONDS = 0.1  # how often the thread cap and the scratch quota are checked
# uid 0 is exempt from RLIMIT_NPROC, and with small stacks RLIMIT_DATA allows
# ~20 000 threads: enough to use up the machine's PIDs. TensorFlow needs ~4.
MAX_THREADS = 256


def supervise(job: Job, sink_fd: int, probes: ModuleType | None,
              run: Callable[[Any, ModuleType | None], NoReturn] = run_child) -> None:
    """Run `job` in a sandboxed child and write its summary frame to `sink_fd`.

    The child runs `run(job, probes)`: a task child by default; a notebook
    kernel's host for `--execute` (grader/sandbox/kernel.py), whose job has the
    same `limits` and `scratch`."""
    _become_subreaper()
    started = time.monotonic()
    pipes = {name: os.pipe() for name in ("stdout", "stderr", "result")}
    supervisor = os.getpid()
    pid = os.fork()
    if pid == 0:
        _die_with(supervisor)
        _wire_child_fds(pipes)
        run(job, probes)
    for read_end, write_end in pipes.values():
        os.close(write_end)
    limits = job.limits
    collected = _drain(pid, {pipes[n][0]: n for n in pipes},
                       deadline=started + float(limits["wall_seconds"]),
                       caps={"stdout": limits["output_kb"] * 1024,
                             "stderr": limits["output_kb"] * 1024,
                             "result": limits["result_mb"] * 1024 * 1024},
                       scratch_folder=job.scratch)
    stray = kill_descendants()
    _empty_scratch(job.scratch)
    status, usage = collected.pop("wait")
    stderr = collected["stderr"].decode("utf-8", "replace")
    if collected["killed_for"]:
        stderr += f"\n[grader] killed: {collected['killed_for']}"
    summary = Summary(
        seconds=time.monotonic() - started,
        timed_out=collected["timed_out"],
        exit_code=os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        signal=os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        cpu_seconds=usage.ru_utime + usage.ru_stime if usage else 0.0,
        max_rss_kb=usage.ru_maxrss if usage else 0,
        stray_processes_killed=stray,
        killed_for=collected["killed_for"],
        stdout=collected["stdout"].decode("utf-8", "replace"),
        stderr=stderr,
        stdout_bytes=collected["sizes"]["stdout"],
        stderr_bytes=collected["sizes"]["stderr"],
        result_truncated=collected["sizes"]["result"] > limits["result_mb"] * 1024 * 1024,
        result=np.frombuffer(collected["result"], dtype=np.uint8),
    )
    wire.write_all(sink_fd, wire.encode(summary.to_message()))


def _become_subreaper() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")


def _die_with(supervisor: int) -> None:
    """In the child: SIGKILL when the supervisor dies (a grader stopped by Ctrl-C kills its
    workers and supervisors; no child may outlive them, sleeping where nobody watches)."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != supervisor:  # it died before the line above
        os._exit(1)


def _wire_child_fds(pipes: dict[str, tuple[int, int]]) -> None:
    """In the child: stdin /dev/null, stdout/stderr/result to their pipes, nothing else open."""
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(pipes["stdout"][1], 1)
    os.dup2(pipes["stderr"][1], 2)
    os.dup2(pipes["result"][1], RESULT_FD)
    os.closerange(RESULT_FD + 1, 65536)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)


def _empty_scratch(folder: str) -> None:
    """Best effort: the parent removes the folder itself and must not choke on what is left."""
    try:
        scratch.empty_folder(folder)
    except OSError:
        pass


def _drain(pid: int, fds: dict[int, str], deadline: float,
           caps: dict[str, int], scratch_folder: str) -> dict[str, Any]:
    """Read every pipe until the child is gone and the pipes are empty, or time runs out.

    Every CHECK_SECONDS the child's threads are counted and the scratch folder
    measured; over a bound, the child is killed like at the deadline, and
    `killed_for` says why.
    """
    kept = {name: bytearray() for name in fds.values()}
    sizes = dict.fromkeys(fds.values(), 0)
    selector = selectors.DefaultSelector()
    for fd in fds:
        os.set_blocking(fd, False)
        selector.register(fd, selectors.EVENT_READ)
    timed_out, waited, exited_at, killed_for = False, None, None, None
    next_check = time.monotonic()
    while True:
        now = time.monotonic()
        if waited is None:
            reaped, status, usage = os.wait4(pid, os.WNOHANG)
            if reaped:
                waited, exited_at = (status, usage), now
            else:
                if now >= next_check:
                    next_check = now + CHECK_SECONDS
                    killed_for = _over_bounds(scratch_folder)
                if killed_for or now >= deadline:
                    timed_out = killed_for is None
                    _kill_group(pid)  # descendants are killed once the child is reaped
                    _, status, usage = os.wait4(pid, 0)
                    waited, exited_at = (status, usage), now
        open_fds = selector.get_map()
        if waited is not None and (not open_fds or now - exited_at > DRAIN_AFTER_EXIT):
            break
        if not open_fds:
            time.sleep(0.01)
            continue
        for key, _ in selector.select(timeout=0.02):
            name = fds[key.fd]
            try:
                chunk = os.read(key.fd, 65536)
            except BlockingIOError:
                continue
            if not chunk:
                selector.unregister(key.fd)
                continue
            sizes[name] += len(chunk)
            room = caps[name] + 1 - len(kept[name])
            if room > 0:
                kept[name] += chunk[:room]
    for fd in fds:
        os.close(fd)
    selector.close()
    return {"wait": waited, "timed_out": timed_out, "killed_for": killed_for, "sizes": sizes,
            **{name: bytes(data[:caps[name]]) for name, data in kept.items()}}


def _over_bounds(scratch_folder: str) -> str | None:
    """Why the running child must be killed now (too many threads, scratch quota), or None.

    Threads are counted in every process below this supervisor: a task child
    has no process of its own, but a notebook kernel's host has the kernel."""
    if _threads_below() > MAX_THREADS:
        return f"more than {MAX_THREADS} threads"
    return scratch.over_quota(scratch_folder)


def _threads_below() -> int:
    total, pending, seen = 0, _children(), 0
    while pending and seen < MAX_THREADS:
        process = pending.pop()
        seen += 1
        try:
            with open(f"/proc/{process}/stat", "rb") as handle:
                stat = handle.read()
            total += int(stat[stat.rindex(b")") + 2:].split()[17])  # field 20, num_threads
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
        pending += _children(process)
    return total


def _kill_group(pid: int) -> None:
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except OSError:
            pass


def kill_descendants() -> int:
    """SIGKILL and reap every remaining descendant (we are their subreaper); returns how many."""
    killed = 0
    while True:
        children = _children()
        if not children:
            return killed
        for child in children:
            try:
                os.kill(child, signal.SIGKILL)
                killed += 1
            except OSError:
                pass
        for child in children:
            try:
                os.waitpid(child, 0)
            except ChildProcessError:
                pass


def _children(process: int | str = "self") -> list[int]:
    pids = []
    try:
        tasks = os.listdir(f"/proc/{process}/task")
    except OSError:
        return pids
    for task in tasks:
        try:
            with open(f"/proc/{process}/task/{task}/children") as handle:
                pids += [int(p) for p in handle.read().split()]
        except OSError:
            continue
    return pids
