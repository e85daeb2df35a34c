"""Resource limits applied inside the student child before its code runs."""
from __future__ import annotations

import os
import resource

from grader.models import Limits

MIB = 1024 * 1024
NPROC_MARGIN = 64


def apply_rlimits(limits: Limits) -> dict[str, int]:
    """Set hard and soft rlimits; returns what was set (for the report).

    RLIMIT_DATA rather than RLIMIT_AS: TensorFlow reserves ~1.8 GB of address
    space at import. RLIMIT_NPROC counts every process of the user, so it is
    relative to the current count (and uid 0 is exempt from it: the seccomp
    layer is what stops forks there).
    """
    cpu = max(1, int(limits.cpu_seconds))
    wanted = {
        "RLIMIT_CPU": (cpu, cpu + 1),
        "RLIMIT_DATA": (limits.memory_mb * MIB,) * 2,
        "RLIMIT_FSIZE": (limits.file_mb * MIB,) * 2,
        "RLIMIT_NOFILE": (limits.open_files,) * 2,
        "RLIMIT_NPROC": (_process_count() + NPROC_MARGIN,) * 2,
        "RLIMIT_CORE": (0, 0),
    }
    applied = {}
    for name, (soft, hard) in wanted.items():
        which = getattr(resource, name)
        _, current_hard = resource.getrlimit(which)
        if current_hard != resource.RLIM_INFINITY:
            soft, hard = min(soft, current_hard), min(hard, current_hard)
        resource.setrlimit(which, (soft, hard))
        applied[name] = soft
    return applied


def _process_count() -> int:
    """Processes (threads included, as the kernel counts) of this uid."""
    uid = os.getuid()
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry}/task"))
            except OSError:
                continue
    return count
