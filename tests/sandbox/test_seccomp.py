"""The seccomp filter alone: no sockets of any family, no new processes, no
kernel attack surface, while threads (which NumPy and TensorFlow need) work.

Each check runs in a forked child, so the filter never reaches pytest.
"""
from __future__ import annotations

import ctypes
import errno
import os
import socket
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from grader.sandbox import seccomp
from sandbox_child import fork_and_reap, outcome, run_forked

pytestmark = pytest.mark.skipif(not seccomp.prepare(), reason="pyseccomp or libseccomp is missing")

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long

# Arguments that make each call fail harmlessly (EFAULT, EBADF, EINVAL...) or do
# nothing when it is NOT filtered, so the control child shows EPERM comes from
# seccomp. kexec_load is left out: with zero segments it would unload a kernel.
KERNEL_SURFACE = {
    "ptrace": (-1, 0, 0, 0),
    "process_vm_readv": ("ppid", 0, 0, 0, 0, 0),
    "unshare": (0,),
    "setns": (-1, 0),
    "mount": (0, 0, 0, 0, 0),
    "umount2": (0, 0),
    "pivot_root": (0, 0),
    "chroot": (0,),
    "bpf": (-1, 0, 0),
    "userfaultfd": (0,),
    "keyctl": (-1, 0, 0, 0, 0),
    "add_key": (0, 0, 0, 0, 0),
    "request_key": (0, 0, 0, 0),
    "perf_event_open": (0, 0, -1, -1, 0),
    "init_module": (0, 0, 0),
    "finit_module": (-1, 0, 0),
    "delete_module": (0, 0),
    "io_uring_setup": (0, 0),
    "io_uring_enter": (-1, 0, 0, 0, 0, 0),
    "io_uring_register": (-1, 0, 0, 0),
}


def raw_syscall(name: str, args: tuple) -> str:
    """Call a system call by name with fixed arguments; "ok" or the errno name."""
    import pyseccomp
    number = pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, name)
    values = [os.getppid() if a == "ppid" else a for a in args]
    result = _libc.syscall(ctypes.c_long(number), *[ctypes.c_long(v) for v in values])
    if result == 0 and name == "fork":
        os._exit(0)  # the copy, had fork not been denied
    if result < 0:
        return errno.errorcode[ctypes.get_errno()]
    return "ok"


def test_sockets_of_every_family_denied():
    pre_made = socket.socket()  # created before the filter, like an inherited fd

    def child():
        seccomp.install()
        return {
            "tcp": outcome(lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM)),
            "udp": outcome(lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM)),
            "ipv6": outcome(lambda: socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)),
            "unix": outcome(lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)),
            "socketpair": outcome(socket.socketpair),
            "connect_existing": outcome(lambda: pre_made.connect(("127.0.0.1", 9))),
            "bind_existing": outcome(lambda: pre_made.bind(("127.0.0.1", 0))),
            "listen_existing": outcome(lambda: pre_made.listen()),
        }

    with pre_made:
        result = run_forked(child)
    assert result == {name: "EPERM" for name in result} and len(result) == 8, result


def test_no_new_processes():
    def child():
        seccomp.install()
        return {"os.fork": outcome(fork_and_reap),
                "subprocess": outcome(lambda: subprocess.run(["/bin/true"])),
                "raw fork": raw_syscall("fork", ()),
                "clone3": raw_syscall("clone3", (0, 0))}

    assert run_forked(child) == {"os.fork": "EPERM", "subprocess": "EPERM",
                                 "raw fork": "EPERM", "clone3": "ENOSYS"}


def test_threads_still_work():
    def child():
        seccomp.install()
        box = []
        thread = threading.Thread(target=lambda: box.append(threading.get_native_id()))
        thread.start()
        thread.join()
        with ThreadPoolExecutor(4) as pool:
            squares = list(pool.map(lambda n: n * n, range(8)))
        return {"thread_ran": box != [] and box[0] != threading.get_native_id(),
                "pool": squares}

    assert run_forked(child) == {"thread_ran": True, "pool": [n * n for n in range(8)]}


def test_kernel_surface_denied():
    def calls():
        return {name: raw_syscall(name, args) for name, args in KERNEL_SURFACE.items()}

    def child():
        seccomp.install()
        return calls()

    control = run_forked(calls)
    assert "error" not in control and "EPERM" not in control.values(), control
    assert run_forked(child) == {name: "EPERM" for name in control}


def test_filter_sets_no_new_privs_and_mode():
    def child():
        seccomp.install()
        with open("/proc/self/status") as status:
            fields = dict(line.rstrip("\n").split(":\t", 1) for line in status if ":\t" in line)
        return {"NoNewPrivs": fields["NoNewPrivs"], "Seccomp": fields["Seccomp"]}

    assert run_forked(child) == {"NoNewPrivs": "1", "Seccomp": "2"}
