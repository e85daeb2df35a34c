"""Running a whole notebook in a sandboxed Jupyter kernel (`grade --execute`).

    python -I -m grader.sandbox.kernel
        read one `Execution` frame on stdin, supervise the kernel's host (the
        supervisor of task children: wall clock, output caps, thread cap over
        the whole tree, scratch quota, subreaper cleanup), write the summary
        frame on stdout.

Processes: grade -> this supervisor -> host (sandboxed) -> kernel (more sandboxed).

The host is the nbclient driver. It locks itself down like a task child
(rlimits, capabilities, Landlock, seccomp) with two exceptions, both needed by
ZeroMQ's `ipc` transport and nothing else (no TCP socket exists at any point):
it may start a process, and use UNIX stream sockets, made in scratch's `ipc`
folder only (seccomp's "kernel-host" profile, Landlock's socket folder). It
starts the kernel (ipykernel, see KERNEL_LAUNCHER; its cwd is the work folder
holding the notebook and the pack's support files), loading
`seccomp.kernel_filter()` in it before exec: the notebook's code may not
connect to any socket nor start any process. Cells run top to bottom with a per-cell
timeout (an interrupted cell is reported and the next one runs; a kernel that
does not come back from the interrupt ends the run). Matplotlib draws with
Agg, never to a display.

The host sends plain data only, one frame per cell: its position (from 1,
every cell counted, as grader/formats counts), how it ended, the error's name
and last line, and what it printed (capped). It holds no verdict: the parent
(grader/execute.py) decides what the frames mean.
"""
from __future__ import annotations

import asyncio
import dataclasses
import os
import sys
from dataclasses import dataclass
from typing import Any, NoReturn

import nbformat
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from grader import wire
from grader.models import Limits
from grader.sandbox import seccomp
from grader.sandbox.child import RESULT_FD
from grader.sandbox.layers import SandboxFailure, lock_down
from grader.sandbox.supervisor import supervise

TIMEOUT_ERROR = "CellTimeout"  # the error name of a cell interrupted at its timeout
STARTUP_SECONDS = 60
RECOVERY_SECONDS = 5  # how long an interrupted kernel has to answer again
PRINTED_CHARS = 4000  # of each cell's printed text


@dataclass
class Execution:
    """One notebook to run, as the parent sends it: the paths are inside `scratch`,
    which holds `work/` (the notebook and the support files: the kernel's cwd),
    `ipc/` (the ZeroMQ sockets) and `home/`."""

    notebook: str
    scratch: str
    sandbox_mode: str
    limits: dict[str, Any]  # grader.models.Limits; wall_seconds bounds the whole run
    env: dict[str, str]
    cell_seconds: int

    @property
    def work(self) -> str:
        return os.path.dirname(self.notebook)

    @property
    def ipc(self) -> str:
        return os.path.join(self.scratch, "ipc")

    def to_message(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_message(cls, message: Any) -> "Execution":
        names = {f.name for f in dataclasses.fields(cls)}
        if not isinstance(message, dict) or set(message) != names:
            raise wire.WireError("malformed execution job")
        return cls(**message)


def socket_prefix(scratch: str) -> str:
    """The path the kernel's sockets are named after (`<prefix>-1` ... `<prefix>-25`)."""
    return os.path.join(scratch, "ipc", "k")


def run_host(execution: Execution, probes: None = None) -> NoReturn:
    """Entry point after the supervisor's fork; never returns."""
    del probes
    try:
        _host(execution)
    except BaseException as exc:  # noqa: B036 - nbclient or the kernel broke the host
        _send({"event": "host-error", "message": f"{type(exc).__name__}: {exc}"[:500]})
    os._exit(0)


def _host(execution: Execution) -> None:
    os.chdir(execution.work)
    os.environ.clear()
    os.environ.update(execution.env)
    try:
        status = lock_down(execution.sandbox_mode, Limits(**execution.limits),
                           execution.scratch, socket_folder=execution.ipc)
    except (SandboxFailure, OSError) as exc:
        _send({"event": "sandbox-failure", "message": str(exc)})
        return
    _send({"event": "sandbox", **status})
    harden = seccomp.kernel_filter().load if "seccomp" in status["applied"] else None
    notebook = nbformat.read(execution.notebook, as_version=4)
    client = _client(notebook, execution)
    try:
        client.execute(preexec_fn=harden)
    except _KernelStuck as stuck:
        _send({"event": "stuck", "index": stuck.index})
    except DeadKernelError:
        _send({"event": "kernel-died"})
    except RuntimeError as exc:  # nbclient: the kernel did not start or answer in time
        _send({"event": "kernel-failed", "message": str(exc)[:500]})
    else:
        _send({"event": "done"})


class _KernelStuck(Exception):
    """The kernel did not answer after a timed-out cell was interrupted."""

    def __init__(self, index: int):
        super().__init__(index)
        self.index = index


# ipykernel, started as `ipykernel_launcher` starts it, less one socket: the pipe that
# forwards the output of forked processes binds tcp://127.0.0.1, and libzmq aborts the
# kernel when seccomp refuses it the socket (the kernel cannot fork anyway).
KERNEL_LAUNCHER = """
from ipykernel import iostream
from ipykernel.kernelapp import IPKernelApp
iostream.IOPubThread._setup_pipe_in = lambda thread: setattr(thread, "_pipe_flag", False)
IPKernelApp.launch_instance()
"""


class _Specs(KernelSpecManager):
    """The one kernel the host starts, whatever the notebook's metadata names: this
    interpreter's ipykernel, without PYTHON* variables or user site-packages (the
    kernel's cwd, the work folder, is first on its sys.path, as in Jupyter)."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        return KernelSpec(argv=[sys.executable, "-E", "-s", "-c", KERNEL_LAUNCHER,
                                "-f", "{connection_file}"],
                          name="python3", display_name="Python 3", language="python",
                          interrupt_mode="signal")


def _client(notebook: Any, execution: Execution) -> NotebookClient:
    manager = AsyncKernelManager(transport="ipc", ip=socket_prefix(execution.scratch),
                                 kernel_spec_manager=_Specs())
    startup = int(min(STARTUP_SECONDS, float(execution.limits["wall_seconds"])))
    client = NotebookClient(
        notebook, km=manager, timeout=execution.cell_seconds, startup_timeout=startup,
        allow_errors=True, interrupt_on_timeout=True, shutdown_kernel="immediate",
        error_on_timeout={"ename": TIMEOUT_ERROR, "traceback": [],
                          "evalue": f"ran longer than {execution.cell_seconds} s"},
        record_timing=False, resources={"metadata": {"path": execution.work}})

    def started(cell: Any, cell_index: int) -> None:
        _send({"event": "start", "index": cell_index + 1})

    async def finished(cell: Any, cell_index: int, execute_reply: dict[str, Any]) -> None:
        frame = _cell_frame(cell, cell_index + 1, execute_reply)
        _send(frame)
        if frame["status"] == "timeout" and not await _answers(client):
            raise _KernelStuck(cell_index + 1)

    client.on_cell_execute = started
    client.on_cell_executed = finished
    return client


async def _answers(client: NotebookClient) -> bool:
    """Whether the kernel answers a kernel_info request again after an interrupt."""
    try:
        await asyncio.wait_for(client.kc.kernel_info(reply=True, timeout=RECOVERY_SECONDS),
                               RECOVERY_SECONDS + 1)
    except Exception:  # noqa: BLE001 - no answer, however it failed
        return False
    return True


def _cell_frame(cell: Any, index: int, execute_reply: dict[str, Any]) -> dict[str, Any]:
    """How one cell ended, and what it printed (stdout and displayed text), capped."""
    content = execute_reply.get("content", {}) if isinstance(execute_reply, dict) else {}
    printed = []
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "stream" and output.get("name") == "stdout":
            printed.append(str(output.get("text", "")))
        elif kind in ("execute_result", "display_data"):
            printed.append(str(output.get("data", {}).get("text/plain", "")) + "\n")
    frame = {"event": "cell", "index": index, "status": "ok",
             "printed": "".join(printed)[:PRINTED_CHARS]}
    if content.get("status") != "ok":
        name = str(content.get("ename", "") or "Error")
        lines = str(content.get("evalue", "")).strip().splitlines()
        frame.update(status="timeout" if name == TIMEOUT_ERROR else "error",
                     error=name[:100], message=(lines[-1] if lines else "")[:300])
    return frame


def _send(message: dict[str, Any]) -> None:
    wire.write_all(RESULT_FD, wire.encode(message))


def main() -> None:
    message = wire.read_frame(sys.stdin.buffer)
    if message is None:
        raise SystemExit("no execution job on stdin")
    supervise(Execution.from_message(message), sys.stdout.fileno(), None, run=run_host)


if __name__ == "__main__":
    main()
