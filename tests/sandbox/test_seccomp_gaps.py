"""What the seccomp layer adds where Landlock and the rlimits leave gaps.

Landlock has no right for chmod/chown/utimes/xattrs/chattr, RLIMIT_DATA does
not count shared memory, and System V / POSIX IPC objects outlive a process
(see grader/sandbox/seccomp.py). Each is tried in a forked child after
`seccomp.install()`, on a file the child owns, so only the filter can refuse.
"""
from __future__ import annotations

import ctypes
import errno
import fcntl
import mmap
import os
import struct

from grader.sandbox import seccomp
from sandbox_child import outcome, run_forked


def test_metadata_memory_and_ipc_denied(tmp_path):
    target = tmp_path / "target"
    target.write_text("x")
    libc = ctypes.CDLL(None, use_errno=True)

    def call(function, *args):
        """A libc call's outcome: "ok" or the errno name."""
        return "ok" if function(*args) >= 0 else errno.errorcode[ctypes.get_errno()]

    def child():
        seccomp.install()
        fd = os.open(target, os.O_RDONLY)
        return {
            "chmod": outcome(lambda: os.chmod(target, 0o600)),
            "fchmod": outcome(lambda: os.fchmod(fd, 0o600)),
            "chown": outcome(lambda: os.chown(target, 0, 0)),
            "utime": outcome(lambda: os.utime(target, (0, 0))),
            "setxattr": outcome(lambda: os.setxattr(target, "user.x", b"1")),
            "removexattr": outcome(lambda: os.removexattr(target, "user.x")),
            "setxattrat": call(libc.syscall, 463, -100, str(target).encode(), 0, b"user.x",
                               None, 0),
            "chattr": outcome(lambda: fcntl.ioctl(fd, 0x40086602, struct.pack("l", 0))),
            "shared mmap": outcome(lambda: mmap.mmap(-1, 1 << 20)),
            "memfd": outcome(lambda: os.memfd_create("x")),
            "shmget": call(libc.shmget, 0, 1 << 20, 0o1000 | 0o600),
            "msgget": call(libc.msgget, 0, 0o1000 | 0o600),
            "semget": call(libc.semget, 0, 1, 0o1000 | 0o600),
        }

    result = run_forked(child)
    assert result == dict.fromkeys(result, "EPERM") and len(result) == 13, result


def test_private_memory_and_own_files_still_work(tmp_path):
    def child():
        seccomp.install()
        private = mmap.mmap(-1, 1 << 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        private[0] = 1
        path = tmp_path / "own"
        path.write_bytes(b"\0" * 4096)
        with open(path, "r+b") as handle:
            mapped = mmap.mmap(handle.fileno(), 4096)  # a shared file mapping
            mapped[0] = 2
        return {"private": private[0], "file": path.read_bytes()[0]}

    assert run_forked(child) == {"private": 1, "file": 2}
