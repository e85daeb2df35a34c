"""Which protection layers exist on this machine, and locking a child down.

Every report lists each layer as active or not, so an instructor can tell an
authoritative grade from an advisory one. Modes:
- strict: refuse to grade unless Landlock and seccomp are both available;
- auto:   use every layer available, say which are missing;
- off:    only process separation, wall-clock and output bounds (for measuring).
"""
from __future__ import annotations

import os
from typing import Any

from grader.errors import GraderError
from grader.models import Limits
from grader.sandbox import capabilities, landlock, seccomp
from grader.sandbox.limits import apply_rlimits

MODES = ("auto", "strict", "off")
# Layers the supervisor provides in every mode.
ALWAYS = ("separate process", "wall-clock kill", "process-tree cleanup", "output cap")


class SandboxFailure(RuntimeError):
    """A required layer could not be applied in the child: student code must not run."""


def machine_support() -> dict[str, Any]:
    """What this machine offers, probed from the trusted parent."""
    abi = landlock.abi_version()
    return {
        "landlock_abi": abi,
        "landlock-fs": abi >= 1,
        "landlock-tcp": abi >= 4,
        "landlock-scopes": abi >= 6,
        "seccomp": seccomp.available(),
        "capabilities": os.geteuid() == 0,
    }


def describe(mode: str) -> dict[str, Any]:
    """The `sandbox` object of a report: mode, active layers, missing layers."""
    if mode not in MODES:
        raise GraderError(f"unknown sandbox mode {mode!r} (use one of: {', '.join(MODES)})")
    support = machine_support()
    optional = ["rlimits", "seccomp", "landlock-fs", "landlock-tcp", "landlock-scopes"]
    if support["capabilities"]:
        optional.append("capabilities")
    if mode == "off":
        active, missing = list(ALWAYS), []
    else:
        active = list(ALWAYS) + [n for n in optional if support.get(n, True)]
        missing = [n for n in optional if not support.get(n, True)]
    if mode == "strict" and not (support["landlock-fs"] and support["seccomp"]):
        need = [n for n in ("landlock-fs", "seccomp") if not support[n]]
        raise GraderError(f"--sandbox strict: {', '.join(need)} not available on this machine")
    return {"mode": mode, "active": active, "missing": missing,
            "landlock_abi": support["landlock_abi"], "user": "root" if os.geteuid() == 0
            else "unprivileged"}


def lock_down(mode: str, limits: Limits, scratch: str, readable: list[str] = (),
              socket_folder: str | None = None) -> dict[str, Any]:
    """Apply every layer the mode asks for to this (single-threaded) child.

    `readable` folders (a pack's support files) may be read, never written.
    Called after fork, before any student code. Returns what was applied; raises
    SandboxFailure when a layer that must hold (strict) could not be applied.

    With a `socket_folder` (inside scratch) the child is a notebook kernel's host
    (grader/sandbox/kernel.py): seccomp's "kernel-host" profile lets it start
    the kernel and use UNIX stream sockets, and Landlock lets it make them in
    that folder only.
    """
    if mode == "off":
        return {"applied": []}
    threads = len(os.listdir("/proc/self/task"))
    if threads != 1:
        raise SandboxFailure(f"child has {threads} threads at lock-down; refusing to run")
    applied = ["rlimits"]
    apply_rlimits(limits)
    have_seccomp = seccomp.prepare()
    if capabilities.drop_all():
        applied.append("capabilities")
    if have_seccomp:
        seccomp.install("kernel-host" if socket_folder else "task")
        applied.append("seccomp")
    elif mode == "strict":
        raise SandboxFailure("seccomp unavailable")
    if landlock.abi_version() >= 1:
        status = landlock.restrict(landlock.default_readable(readable), [scratch, os.devnull],
                                   [socket_folder] if socket_folder else [])
        applied += [name for name, on in (("landlock-fs", status.filesystem),
                                          ("landlock-tcp", status.tcp),
                                          ("landlock-scopes", status.scopes)) if on]
    elif mode == "strict":
        raise SandboxFailure("Landlock unavailable")
    return {"applied": applied}
