"""Dropping every Linux capability in the student child.

The grader may run as root (containers, CI). uid 0 without capabilities is
still the owner of its root-owned scratch, so it reads and writes it as
before, but it can no longer override file permissions, kill other users'
processes, mount, load modules, change limits, and so on. Emptying the
bounding set as well means no later execve can give capabilities back.
"""
from __future__ import annotations

import ctypes
import os

_PR_CAPBSET_DROP = 24
_PR_CAP_AMBIENT = 47
_PR_CAP_AMBIENT_CLEAR_ALL = 4
_LINUX_CAPABILITY_VERSION_3 = 0x20080522

_libc = ctypes.CDLL(None, use_errno=True)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def current() -> dict[str, int]:
    """CapInh, CapPrm, CapEff, CapBnd and CapAmb of this thread, from /proc."""
    with open("/proc/thread-self/status") as status:
        return {key: int(value, 16) for key, _, value in
                (line.partition(":") for line in status) if key.startswith("Cap")}


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def drop_all() -> bool:
    """Drop every capability for good.

    True when this process had capabilities and now has none; False when it
    had none to begin with. Raises OSError if any remain.
    """
    before = current()
    if not (before["CapEff"] or before["CapPrm"]):
        return False
    with open("/proc/sys/kernel/cap_last_cap") as f:
        last_cap = int(f.read())
    for cap in range(last_cap + 1):
        _check(_libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0), f"PR_CAPBSET_DROP {cap}")
    _check(_libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0),
           "PR_CAP_AMBIENT_CLEAR_ALL")
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    empty = (_CapData * 2)()  # version 3: two 32-bit halves, all zero
    _check(_libc.capset(ctypes.byref(header), empty), "capset")
    left = {k: v for k, v in current().items() if v}
    if left:
        raise OSError(f"capabilities remain after dropping: {left}")
    return True
