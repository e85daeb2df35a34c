"""Helpers for the sandbox tests: run code in a forked child so no restriction
ever reaches the pytest process, and (as a script) check that TensorFlow
works under every layer in the grader's two modes:

    python -I sandbox_child.py warm|fresh SCRATCH

warm:  import NumPy and TensorFlow first, then fork one locked-down child
       that builds and runs a TF1 graph (the pre-imported worker);
fresh: fork first from a process without TensorFlow, lock the
       single-threaded child down, THEN import NumPy and TensorFlow in it.
Prints one JSON object: what worked, what was denied, timings in ms.
"""
from __future__ import annotations

import errno
import json
import os
import select
import signal
import sys
import time
from typing import Any, Callable

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOLUTION = os.path.join(REPO, "solutions", "regularization", "0-l2_reg_cost.py")


def run_forked(work: Callable[[], dict[str, Any]], timeout: float = 120) -> dict[str, Any]:
    """Run `work` in a forked child and return the dict it returned.

    A raised exception comes back as {"error": ...}; a child that dies or
    hangs past `timeout` is reported the same way (and killed).
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        try:
            payload = json.dumps(work())
        except BaseException as exc:  # report everything: the parent decides
            payload = json.dumps({"error": f"{type(exc).__name__}: {exc}"})
        os.write(write_end, payload.encode())
        os._exit(0)
    os.close(write_end)
    chunks, deadline = [], time.monotonic() + timeout
    try:
        while True:
            ready, _, _ = select.select([read_end], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                return {"error": f"child timed out after {timeout}s"}
            chunk = os.read(read_end, 65536)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_end)
        _, status = os.waitpid(pid, 0)
    if not chunks:
        return {"error": f"child died without a result (wait status {status})"}
    return json.loads(b"".join(chunks))


def outcome(action: Callable[[], object]) -> str:
    """Return "ok", or the errno name (e.g. "EPERM", "EACCES") of the OSError raised."""
    try:
        action()
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno))
    return "ok"


def fork_and_reap() -> None:
    """os.fork(); should it succeed, the copy exits at once."""
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)


def read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read(64)


def write(path: str) -> None:
    with open(path, "w") as f:
        f.write("x")


def _prepare_env(scratch: str) -> None:
    """What the grader sets before TF is imported: everything TF writes goes to scratch."""
    for name in ("HOME", "TMPDIR", "KERAS_HOME"):
        os.environ[name] = scratch
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"


def _lock_down(scratch: str) -> dict[str, Any]:
    """Every layer, in the production order, timed."""
    from grader.sandbox import capabilities, landlock, seccomp
    ms: dict[str, float] = {}
    threads = len(os.listdir("/proc/self/task"))
    start = time.perf_counter()
    assert seccomp.prepare()
    ms["seccomp.prepare"] = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    dropped = capabilities.drop_all()
    ms["capabilities.drop_all"] = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    seccomp.install()
    ms["seccomp.install"] = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    status = landlock.restrict(landlock.default_readable(), [scratch])
    ms["landlock.restrict"] = (time.perf_counter() - start) * 1000
    return {"threads_at_lockdown": threads, "caps_dropped": dropped,
            "landlock": [status.filesystem, status.tcp, status.scopes], "ms": ms}


def _tf_work() -> dict[str, Any]:
    """A small TF1 graph (Dense + VarianceScaling + L2) and a NumPy matmul."""
    import numpy as np
    import tensorflow.compat.v1 as tf

    start = time.perf_counter()
    tf.disable_eager_execution()
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(0)
        x = tf.placeholder(tf.float32, (None, 4))
        layer = tf.layers.Dense(
            units=3, activation=tf.nn.tanh,
            kernel_initializer=tf.keras.initializers.VarianceScaling(scale=2.0, mode="fan_avg"),
            kernel_regularizer=tf.keras.regularizers.L2(0.01))
        y = layer(x)
        reg = tf.add_n(tf.losses.get_regularization_losses())
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            out, reg_value = sess.run([y, reg], {x: np.ones((2, 4), np.float32)})
    product = np.arange(6.0).reshape(2, 3) @ np.arange(6.0).reshape(3, 2)
    return {"tf_ok": bool(out.shape == (2, 3) and np.all(np.isfinite(out)) and reg_value > 0),
            "numpy_ok": product.tolist() == [[10.0, 13.0], [28.0, 40.0]],
            "graph_ms": (time.perf_counter() - start) * 1000}


def _still_denied(scratch: str) -> dict[str, str]:
    """Spot checks that the layers are on while TF runs."""
    import socket
    return {"read_solution": outcome(lambda: read(SOLUTION)),
            "write_repo": outcome(lambda: write(os.path.join(REPO, "planted.txt"))),
            "write_scratch": outcome(lambda: write(os.path.join(scratch, "ok.txt"))),
            "udp_socket": outcome(lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM)),
            "fork": outcome(fork_and_reap),
            "signal_parent": outcome(lambda: os.kill(os.getppid(), 0))}


def _warm(scratch: str) -> dict[str, Any]:
    _prepare_env(scratch)
    start = time.perf_counter()
    import numpy  # noqa: F401
    import tensorflow.compat.v1  # noqa: F401
    import_ms = (time.perf_counter() - start) * 1000
    from grader.sandbox import seccomp
    seccomp.prepare()  # once in the parent: children inherit the loaded library

    def child() -> dict[str, Any]:
        start = time.perf_counter()
        report = _lock_down(scratch)
        report.update(_tf_work())
        report["denied"] = _still_denied(scratch)
        report["child_ms"] = (time.perf_counter() - start) * 1000
        return report

    start = time.perf_counter()
    report = run_forked(child)
    report["fork_to_result_ms"] = (time.perf_counter() - start) * 1000
    report["parent_import_ms"] = import_ms
    return report


def _fresh(scratch: str) -> dict[str, Any]:
    _prepare_env(scratch)

    def child() -> dict[str, Any]:
        report = _lock_down(scratch)
        report["tf_imported_before_lockdown"] = "tensorflow" in sys.modules
        start = time.perf_counter()
        import numpy  # noqa: F401
        import tensorflow.compat.v1  # noqa: F401
        report["restricted_import_ms"] = (time.perf_counter() - start) * 1000
        report.update(_tf_work())
        report["denied"] = _still_denied(scratch)
        return report

    return run_forked(child)


if __name__ == "__main__":
    sys.path.append(REPO)  # -I leaves the checkout off sys.path; the grader lives there
    mode, scratch_dir = sys.argv[1], sys.argv[2]
    print(json.dumps({"warm": _warm, "fresh": _fresh}[mode](scratch_dir)))
