"""Landlock: the student child may read only what Python, NumPy and TensorFlow
need, write only its scratch directory, make no TCP connections and signal or
reach (abstract UNIX sockets) no process outside its own sandbox.

Landlock needs no privileges, so this layer also works on student laptops.
Plain ctypes over the raw system calls: glibc has no wrappers for them.

Only the calling thread and the children it creates afterwards are restricted
(threads that already exist are not), so apply it in a single-threaded child,
e.g. right after fork. Files opened before `restrict()` stay usable.
"""
from __future__ import annotations

import ctypes
import errno
import os
import platform
import stat
import sys
import sysconfig
from dataclasses import dataclass
from typing import Iterable

# These three system calls have the same number on every architecture but alpha.
_SYS_CREATE_RULESET = 444
_SYS_ADD_RULE = 445
_SYS_RESTRICT_SELF = 446
_CREATE_RULESET_VERSION = 1 << 0
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

# Filesystem access rights (linux/landlock.h), with the ABI that introduced them.
FS_EXECUTE = 1 << 0
FS_WRITE_FILE = 1 << 1
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
FS_REMOVE_DIR = 1 << 4
FS_REMOVE_FILE = 1 << 5
FS_MAKE_CHAR = 1 << 6
FS_MAKE_DIR = 1 << 7
FS_MAKE_REG = 1 << 8
FS_MAKE_SOCK = 1 << 9
FS_MAKE_FIFO = 1 << 10
FS_MAKE_BLOCK = 1 << 11
FS_MAKE_SYM = 1 << 12
FS_REFER = 1 << 13       # ABI 2
FS_TRUNCATE = 1 << 14    # ABI 3
FS_IOCTL_DEV = 1 << 15   # ABI 5
NET_BIND_TCP = 1 << 0    # ABI 4
NET_CONNECT_TCP = 1 << 1  # ABI 4
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1                # ABI 6

# The kernel refuses directory-only rights in a rule whose path is a file.
_FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV
_READ_RIGHTS = FS_READ_FILE | FS_READ_DIR | FS_EXECUTE
# Scratch gets everything except planting special files or symlinks for the
# grader to trip over, and running programs it wrote.
_NOT_WRITABLE = (FS_MAKE_SYM | FS_MAKE_FIFO | FS_MAKE_SOCK | FS_MAKE_BLOCK
                 | FS_MAKE_CHAR | FS_EXECUTE)

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64),
                ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


@dataclass(frozen=True)
class LandlockStatus:
    """Which parts of the policy the kernel enforces (for the report)."""
    abi: int
    filesystem: bool
    tcp: bool
    scopes: bool


def _syscall(number: int, *args: object) -> int:
    result = _libc.syscall(ctypes.c_long(number), *args)
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return result


def abi_version() -> int:
    """The kernel's Landlock ABI, or 0 when Landlock is not built in or disabled."""
    try:
        return _syscall(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0),
                        ctypes.c_uint32(_CREATE_RULESET_VERSION))
    except OSError as exc:
        if exc.errno in (errno.ENOSYS, errno.EOPNOTSUPP):
            return 0
        raise


def _handled_fs(abi: int) -> int:
    """Every filesystem right this ABI knows, so that all of them are denied by default.

    ABIs 6 to 8 added scopes, audit flags and TSYNC but no filesystem right; a
    right added by a later ABI is unknown here and stays allowed.
    """
    if abi >= 5:
        return (1 << 16) - 1
    if abi >= 3:
        return (1 << 15) - 1
    if abi >= 2:
        return (1 << 14) - 1
    return (1 << 13) - 1


def restrict(readable: Iterable[str], writable: Iterable[str],
             socket_folders: Iterable[str] = ()) -> LandlockStatus:
    """Restrict the calling thread (and its future children) for good.

    `readable` paths may be read and executed; `writable` directories get every
    right but making special files or symlinks and executing; in
    `socket_folders` (inside a writable one) UNIX sockets may also be made (a
    notebook kernel's ZeroMQ `ipc` channels). A path that is a file gets only
    the file rights among those. Missing paths are skipped.
    Every filesystem right of the running ABI is handled (denied unless
    granted); on ABI >= 4 all TCP bind/connect is denied, on ABI >= 6 signals
    and abstract UNIX sockets are scoped to this sandbox. Sets no_new_privs.
    Returns an all-False status when the kernel has no Landlock; raises
    OSError when a step fails.
    """
    abi = abi_version()
    if abi == 0:
        return LandlockStatus(0, False, False, False)
    handled = _handled_fs(abi)
    attr = _RulesetAttr(handled_access_fs=handled)
    size = 8
    if abi >= 4:
        attr.handled_access_net = NET_BIND_TCP | NET_CONNECT_TCP
        size = 16
    if abi >= 6:
        attr.scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL
        size = 24
    ruleset = _syscall(_SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size),
                       ctypes.c_uint32(0))
    try:
        for paths, rights in ((readable, _READ_RIGHTS), (writable, handled & ~_NOT_WRITABLE),
                              (socket_folders, FS_MAKE_SOCK)):
            for path in paths:
                _add_path_rule(ruleset, path, rights & handled)
        if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"prctl(PR_SET_NO_NEW_PRIVS): {os.strerror(err)}")
        _syscall(_SYS_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0))
    finally:
        os.close(ruleset)
    return LandlockStatus(abi, True, abi >= 4, abi >= 6)


def _add_path_rule(ruleset: int, path: str, rights: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        return
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            rights &= _FILE_RIGHTS
        rule = _PathBeneathAttr(allowed_access=rights, parent_fd=fd)
        try:
            _syscall(_SYS_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(_RULE_PATH_BENEATH),
                     ctypes.byref(rule), ctypes.c_uint32(0))
        except OSError as exc:
            raise OSError(exc.errno, f"landlock_add_rule({path!r}): {exc.strerror}") from None
    finally:
        os.close(fd)


def default_readable(extra: Iterable[str] = ()) -> list[str]:
    """Read-only paths NumPy and TensorFlow need; call it in the child itself.

    The interpreter's prefixes (the virtualenv itself, never its parent), the
    stdlib and site-packages, the system library directories of this machine's
    architecture, the loader cache, /dev/urandom and /dev/null (TF aborts
    without urandom), and this process's /proc/<pid>/cmdline (TF aborts
    without it; resolved now, hence "in the child"). sys.path is not used: an
    editable install may put the repository on it. Discovered paths that are
    HOME, the current directory or the grader's checkout, or contain one of
    them, are dropped; `extra` is added as given.
    """
    candidates = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    candidates += [sysconfig.get_path(name)
                   for name in ("stdlib", "platstdlib", "purelib", "platlib")]
    triplet = sysconfig.get_config_var("MULTIARCH") or f"{platform.machine()}-linux-gnu"
    candidates += [f"/usr/lib/{triplet}", f"/lib/{triplet}", "/usr/lib64", "/lib64",
                   "/etc/ld.so.cache", "/dev/urandom", "/dev/null",
                   f"/proc/{os.readlink('/proc/self')}/cmdline"]
    protected = [os.path.realpath(p)
                 for p in (os.path.expanduser("~"), os.getcwd(), _checkout()) if p]
    paths: list[str] = []
    for path in candidates:
        for variant in (os.path.abspath(path), os.path.realpath(path)):
            if variant in paths or not os.path.exists(variant):
                continue
            if any(_contains(variant, p) for p in protected):
                continue
            paths.append(variant)
    paths += [p for p in extra if p not in paths]
    return paths


def _contains(parent: str, path: str) -> bool:
    """True when `path` is `parent` or lies beneath it."""
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def _checkout() -> str | None:
    """The source tree holding the grader package, unless it is a site-packages dir
    (a normal install, which must stay readable)."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    site_dirs = {os.path.realpath(sysconfig.get_path(n)) for n in ("purelib", "platlib")}
    return None if os.path.realpath(root) in site_dirs else root
