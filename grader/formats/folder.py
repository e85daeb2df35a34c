"""Reader for a folder: its regular files, recursively, listed without following links."""
from __future__ import annotations

import errno
import os
import stat
from collections import deque

from grader.errors import GraderError
from grader.formats.model import Skipped
from grader.formats.snapshot import (MAX_DEPTH, MAX_ENTRIES, Snapshot, file_type, is_noise,
                                     read_regular_file)

KIND = "folder"
_LISTED_PER_FOLDER = 10 * MAX_ENTRIES  # a folder's entries held in memory to sort them
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC | os.O_NONBLOCK


def accepts(path: str) -> bool:
    return os.path.isdir(path)


def read(path: str) -> Snapshot:
    """List the folder breadth first (names sorted), up to MAX_ENTRIES entries and MAX_DEPTH
    folders down; noise (.git, __pycache__, dot-files, ...) is ignored silently."""
    root = os.path.realpath(path)  # the top-level path is the operator's; nothing below is followed
    snapshot = Snapshot(path, KIND)
    try:
        first = _listing(root, follow=True)
    except OSError as exc:
        raise GraderError(f"cannot read submission folder {path}: {exc.strerror}") from None
    queue: deque[tuple[str, str, int, list | None]] = deque([("", root, 0, first)])
    looked = 0
    while queue:
        rel, full, depth, items = queue.popleft()
        if items is None:
            try:
                items = _listing(full, follow=False)
            except OSError as exc:
                snapshot.add_skipped(rel, "a symbolic link" if exc.errno == errno.ELOOP else
                                     f"unreadable ({exc.strerror})")
                continue
        for base, info in items:
            name = f"{rel}/{base}" if rel else base
            looked += 1
            if looked > MAX_ENTRIES:
                snapshot.limit_skipped.append(Skipped(name, f"over the {MAX_ENTRIES}-file limit"))
                snapshot.notes.append(f"the submission holds more than {MAX_ENTRIES} entries: "
                                      f"only the first {MAX_ENTRIES} were looked at")
                return snapshot
            if isinstance(info, OSError):
                snapshot.add_skipped(name, f"unreadable ({info.strerror})")
            elif stat.S_ISDIR(info.st_mode):
                if depth + 1 > MAX_DEPTH:
                    snapshot.add_skipped(name, f"more than {MAX_DEPTH} folders deep")
                else:
                    snapshot.add_folder(name)
                    queue.append((name, os.path.join(full, base), depth + 1, None))
            elif stat.S_ISREG(info.st_mode):
                snapshot.add_file(name, info.st_size, bool(info.st_mode & stat.S_IXUSR),
                                  _loader(os.path.join(full, base)))
            else:
                snapshot.add_skipped(name, file_type(info.st_mode))
    return snapshot


def _listing(folder: str, follow: bool) -> list[tuple[str, os.stat_result | OSError]]:
    """(name, lstat or the error) of a folder's entries but noise, sorted by name.

    The folder is opened with O_NOFOLLOW (but the top one) and listed through
    its descriptor, so a link swapped in for a folder is not followed.
    """
    fd = os.open(folder, _DIR_FLAGS | (0 if follow else os.O_NOFOLLOW))
    items: list[tuple[str, os.stat_result | OSError]] = []
    try:
        with os.scandir(fd) as entries:
            for item in entries:
                if is_noise(item.name):
                    continue
                try:
                    items.append((item.name, item.stat(follow_symlinks=False)))
                except OSError as exc:
                    items.append((item.name, exc))
                if len(items) >= _LISTED_PER_FOLDER:
                    break
    finally:
        os.close(fd)
    return sorted(items, key=lambda pair: pair[0])


def _loader(full: str):
    return lambda limit: read_regular_file(full, limit)
