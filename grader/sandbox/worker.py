"""The trusted process that starts student children; it never runs student code.

    python -I -m grader.sandbox.worker --once
        fresh engine: read one job frame on stdin, supervise it, write the
        summary frame on stdout, exit. numpy/TensorFlow are imported only in
        the child, after lock-down: one interpreter start per task.
    python -I -m grader.sandbox.worker --serve PROBES_PATH --runtime JSON
        warm engine: set up the runtime (its imports and mode) and import the
        pack's probes once, warm the runtime up (TensorFlow: the probes'
        `warm_up()`), check that no thread but
        TensorFlow's idle graph runner is left, then for each job received on
        fd 0 (a UNIX socket, with the write end of the job's result pipe passed
        alongside) fork a supervisor. Jobs may leave out the cases the worker
        kept from an earlier job (see case_memory.py).
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import signal
import socket
import sys

from grader import runtimes, wire
from grader.runtimes import Runtime
from grader.sandbox import landlock, seccomp
from grader.sandbox.case_memory import CaseMemory
from grader.sandbox.child import import_probes
from grader.sandbox.supervisor import supervise
from grader.wire import LENGTH, Job


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="grader.sandbox.worker")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--once", action="store_true")
    group.add_argument("--serve", metavar="PROBES_PATH")
    parser.add_argument("--runtime", metavar="JSON", help="grader.runtimes.Runtime as JSON")
    args = parser.parse_args(argv)
    if args.once:
        message = wire.read_frame(sys.stdin.buffer)
        if message is None:
            raise SystemExit("no job on stdin")
        supervise(Job.from_message(message), sys.stdout.fileno(), probes=None)
    else:
        serve(args.serve, Runtime.from_message(json.loads(args.runtime)))


def serve(probes_path: str, runtime: Runtime) -> None:
    """Warm loop: preload once, then one forked supervisor per job."""
    probes = import_probes(probes_path, None, runtime)
    runtimes.warm_up(runtime, probes)
    seccomp.prepare()  # load libseccomp once; every forked child inherits it
    landlock.default_readable()  # fills sysconfig's path caches once, not in every child
    gc.freeze()  # a child's collections skip the preloaded objects: fewer copy-on-write pages
    busy = _threads_that_may_hold_locks()
    if busy > 1:  # a thread running during a fork could leave a lock held in the children
        raise SystemExit(f"the warm worker has {busy} threads after warming up; "
                         f"forking from it would be unsafe")
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # supervisors are reaped by the kernel
    channel = socket.socket(fileno=0)
    channel.sendall(b"R")  # ready
    kept_cases = CaseMemory()
    while True:
        try:
            header, fds, _, _ = socket.recv_fds(channel, LENGTH.size, 1)
        except OSError:
            return
        if len(header) < LENGTH.size or len(fds) != 1:
            return
        (length,) = LENGTH.unpack(header)
        job = Job.from_message(wire.decode_frames(_recv_exact(channel, length))[0][0])
        if not _with_cases(job, kept_cases):
            lost = "the warm worker lost the task's inputs"
            wire.write_all(fds[0], wire.encode({"grader_fault": lost}))  # a Summary
            os.close(fds[0])
            continue
        if os.fork() == 0:
            channel.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            try:
                supervise(job, fds[0], probes)
            finally:
                os._exit(0)
        os.close(fds[0])


def _with_cases(job: Job, kept_cases: CaseMemory) -> bool:
    """Fill in the cases the parent left out, or keep the ones it sent; False if lost."""
    key = job.cases_key
    if job.cases is None:
        job.cases = kept_cases.recall(key) if key is not None else None
        return job.cases is not None
    if key is not None:
        kept_cases.remember(key, job.cases)
    return True


def _threads_that_may_hold_locks() -> int:
    """This process's threads, except TensorFlow's graph runner: it is created with the
    first graph, only ever runs work the main thread hands it synchronously (never
    during a fork), and a forked child runs that work inline. A Session's pools would
    count: with TF_OVERRIDE_GLOBAL_THREADPOOL=1 they end when the session closes."""
    count = 0
    for thread in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{thread}/comm") as handle:
                count += handle.read().strip() != "tf_graph_runner"
        except OSError:
            continue
    return count


def _recv_exact(channel: socket.socket, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = channel.recv(min(n - got, 1 << 20))
        if not chunk:
            raise EOFError("job channel closed")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


if __name__ == "__main__":
    main()
