"""seccomp deny-list for the student child: no sockets, no new processes, no
kernel attack surface a grading task never needs.

Default allow, EPERM for the listed system calls: NumPy and TensorFlow keep
working (threads included) while the child cannot use the network (UDP and
UNIX sockets too, which Landlock does not cover), debug or read other
processes, leave its namespaces, or load kernel code.

Processes are denied because the grader runs as root, and RLIMIT_NPROC does not
apply to uid 0: this filter is what stops fork bombs and double-forked daemons.
fork, vfork and clone without CLONE_THREAD fail; clone3 fails with ENOSYS so
glibc falls back to clone, whose flags (unlike clone3's, passed in memory)
seccomp can inspect.

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
)

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


def install() -> None:
    """Load the filter into every thread of this process, for good.

    Sets no_new_privs (needed without CAP_SYS_ADMIN). System calls of a foreign
    architecture (32-bit int 0x80, x32) kill the thread, libseccomp's default,
    so they cannot bypass the list. Raises OSError when it cannot be applied.
    """
    if not prepare():
        raise OSError(errno.ENOSYS, "pyseccomp or libseccomp is not available")
    sc = _pyseccomp
    flt = sc.SyscallFilter(sc.ALLOW)
    flt.set_attr(sc.Attr.CTL_NNP, 1)
    flt.set_attr(sc.Attr.CTL_TSYNC, 1)
    deny = sc.ERRNO(errno.EPERM)
    for name in DENIED:
        flt.add_rule(deny, name)
    flt.add_rule(deny, "clone", sc.Arg(_CLONE_FLAGS_ARG, sc.MASKED_EQ, _CLONE_THREAD, 0))
    flt.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    flt.load()
