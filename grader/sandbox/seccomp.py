"""seccomp deny-list for the student child: no sockets, no new processes, no
kernel attack surface a grading task never needs.

Default allow, EPERM for the listed system calls: NumPy and TensorFlow keep
working (threads included) while the child cannot use the network (UDP and
UNIX sockets too, which Landlock does not cover), debug or read other
processes, leave its namespaces, or load kernel code.

It also closes what Landlock and the rlimits leave open: Landlock has no
right for chmod, chown, utimes or xattrs (so, as the owner, the child could
change those of any file it can name), RLIMIT_DATA does not count shared
memory (mmap(MAP_SHARED | MAP_ANONYMOUS), memfd), and System V / POSIX IPC
objects outlive the process. None of these is needed by a grading task.

Processes are denied because the grader runs as root, and RLIMIT_NPROC does not
apply to uid 0: this filter is what stops fork bombs and double-forked daemons.
fork, vfork and clone without CLONE_THREAD fail; clone3 fails with ENOSYS so
glibc falls back to clone, whose flags (unlike clone3's, passed in memory)
seccomp can inspect.

A notebook executed with `--execute` needs two exceptions, each in its own
profile (grader/sandbox/kernel.py): the kernel's host (the nbclient driver)
starts one process, the Jupyter kernel, and both talk ZeroMQ over pathname
UNIX stream sockets (the `ipc` transport). `install("kernel-host")` allows
that much: UNIX stream sockets only (no other family, no datagrams) and new
processes. The kernel gets `kernel_filter()` on top, loaded between fork and
exec: it may bind, listen and accept (its own ZeroMQ channels) but never
connect to a socket or start a process, so the code of the notebook cannot
reach a UNIX socket of the machine (Landlock does not cover connecting to
one) nor fork.

Uses PyPI pyseccomp (ctypes over Debian's libseccomp2). prepare() must run
before Landlock hides the library directory.
"""
from __future__ import annotations

import errno
import platform
from types import ModuleType

_CLONE_THREAD = 0x00010000
# s390 passes clone's stack first and its flags second.
_CLONE_FLAGS_ARG = 1 if platform.machine().startswith("s390") else 0

DENIED = (
    # network (also pathname and abstract UNIX sockets)
    "socket", "socketpair", "connect", "bind", "listen", "accept", "accept4",
    # other processes' memory
    "ptrace", "process_vm_readv", "process_vm_writev",
    # namespaces, mounts, root
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot",
    # kernel attack surface
    "bpf", "userfaultfd", "keyctl", "add_key", "request_key", "perf_event_open",
    "kexec_load", "init_module", "finit_module", "delete_module",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    # new processes (threads use clone with CLONE_THREAD, allowed below)
    "fork", "vfork",
    # file metadata, which Landlock does not cover (on any file the child can name)
    "chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown", "fchownat",
    "utime", "utimes", "futimesat", "utimensat", "file_setattr",
    "setxattr", "lsetxattr", "fsetxattr", "setxattrat",
    "removexattr", "lremovexattr", "fremovexattr", "removexattrat",
    # memory RLIMIT_DATA does not count, and IPC objects that outlive the process
    "memfd_create", "memfd_secret",
    "shmget", "shmat", "shmdt", "shmctl", "msgget", "msgsnd", "msgrcv", "msgctl",
    "semget", "semop", "semtimedop", "semctl",
    "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr",
)
# What the kernel's host needs beyond a task child (see the module docstring).
UNIX_SOCKET_CALLS = ("socket", "socketpair", "connect", "bind", "listen", "accept", "accept4")
PROCESS_CALLS = ("fork", "vfork")
PROFILES = ("task", "kernel-host")
_AF_UNIX = 1
_SOCK_TYPE_MASK = 0xF
_SOCK_DGRAM = 2
# System calls newer than some libseccomp releases know by name, numbered alike
# on every architecture but alpha (the unified table of Linux >= 5.1).
UNIFIED_NUMBERS = {"memfd_secret": 447, "fchmodat2": 452, "setxattrat": 463,
                   "removexattrat": 466, "file_setattr": 469}
_UNKNOWN = -1  # what libseccomp resolves a name it does not know to
_MAP_SHARED = 0x01
_MAP_ANONYMOUS = 0x20
_FS_IOC_SETFLAGS = (0x40086602, 0x40046602)  # chattr, 64- and 32-bit request numbers
_FS_IOC_FSSETXATTR = 0x401C5820

_pyseccomp: ModuleType | None = None


def prepare() -> bool:
    """Import pyseccomp, which loads libseccomp now; False when either is missing.

    Call before Landlock (which hides /usr/lib) and before seccomp itself
    (pyseccomp runs `ldconfig -p` to find the library). A warm parent that calls
    it once passes the loaded library to every forked child.
    """
    global _pyseccomp
    if _pyseccomp is None:
        try:
            import pyseccomp
        except (ImportError, OSError, RuntimeError, AttributeError):
            return False
        _pyseccomp = pyseccomp
    return True


def available() -> bool:
    """Whether this layer can be used on this machine (for the report)."""
    return prepare()


def install(profile: str = "task") -> None:
    """Load the filter of `profile` into every thread of this process, for good.

    "task": the deny-list above. "kernel-host": the same but for UNIX stream
    sockets and new processes (the host of a notebook's kernel). Sets
    no_new_privs (needed without CAP_SYS_ADMIN). System calls of a foreign
    architecture (32-bit int 0x80, x32) kill the thread, libseccomp's default,
    so they cannot bypass the list. Raises OSError when it cannot be applied.
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown seccomp profile {profile!r}")
    sc = _library()
    flt = _new_filter(sc)
    deny = sc.ERRNO(errno.EPERM)
    left_out = PROCESS_CALLS + (UNIX_SOCKET_CALLS if profile == "kernel-host" else ())
    for name in DENIED:
        if name in left_out:  # new processes: _deny_new_processes below (task profile)
            continue
        if sc.resolve_syscall(sc.Arch.NATIVE, name) != _UNKNOWN:
            flt.add_rule(deny, name)
        elif name in UNIFIED_NUMBERS:
            flt.add_rule(deny, UNIFIED_NUMBERS[name])
    if profile == "kernel-host":
        for call in ("socket", "socketpair"):
            flt.add_rule(deny, call, sc.Arg(0, sc.NE, _AF_UNIX))
            flt.add_rule(deny, call, sc.Arg(1, sc.MASKED_EQ, _SOCK_TYPE_MASK, _SOCK_DGRAM))
    else:
        _deny_new_processes(sc, flt)
    shared_anonymous = _MAP_SHARED | _MAP_ANONYMOUS  # also matches MAP_SHARED_VALIDATE
    flt.add_rule(deny, "mmap", sc.Arg(3, sc.MASKED_EQ, shared_anonymous, shared_anonymous))
    for request in _FS_IOC_SETFLAGS + (_FS_IOC_FSSETXATTR,):
        flt.add_rule(deny, "ioctl", sc.Arg(1, sc.EQ, request))
    flt.load()


def kernel_filter():
    """The filter a notebook's kernel gets on top of its host's: no connect, no new
    process. Built by the host before it starts the kernel; the host's fork of the
    kernel calls its `load()` before exec, while single-threaded, so that every
    thread the kernel will have is covered."""
    sc = _library()
    flt = _new_filter(sc)
    flt.add_rule(sc.ERRNO(errno.EPERM), "connect")
    _deny_new_processes(sc, flt)
    return flt


def _library() -> ModuleType:
    if not prepare():
        raise OSError(errno.ENOSYS, "pyseccomp or libseccomp is not available")
    return _pyseccomp


def _new_filter(sc: ModuleType):
    flt = sc.SyscallFilter(sc.ALLOW)
    flt.set_attr(sc.Attr.CTL_NNP, 1)
    flt.set_attr(sc.Attr.CTL_TSYNC, 1)
    return flt


def _deny_new_processes(sc: ModuleType, flt) -> None:
    """fork, vfork and clone without CLONE_THREAD fail; clone3 fails with ENOSYS so that
    glibc falls back to clone, whose flags seccomp can inspect."""
    deny = sc.ERRNO(errno.EPERM)
    for name in PROCESS_CALLS:
        flt.add_rule(deny, name)
    flt.add_rule(deny, "clone", sc.Arg(_CLONE_FLAGS_ARG, sc.MASKED_EQ, _CLONE_THREAD, 0))
    flt.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
