"""The scratch folder of one task: its quota, and emptying it afterwards.

RLIMIT_FSIZE bounds the size of one file, not how many files a child writes:
without a quota, 16 MB files fill the disk (or, where /tmp is a tmpfs, the
memory). The supervisor polls `over_quota()` while the child runs and kills
it when it returns a reason. The child may also leave trees far deeper than
Python's recursion limit or PATH_MAX (shutil.rmtree then raises
RecursionError); `empty_folder()` removes anything without recursion, once
the child and its descendants are dead.
"""
from __future__ import annotations

import os

MAX_BYTES = 128 * 1024 * 1024
MAX_ENTRIES = 10_000
_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
MEMORY_FOLDER = "/dev/shm"
MEMORY_FOLDER_MIN_FREE = 1024 * 1024 * 1024


def base_folder() -> str | None:
    """Where run folders go: the in-memory /dev/shm when it has room for many quotas.

    Each task's scratch is created, filled with the submission and emptied again:
    a few dozen file operations that a journaling disk makes cost ~0.3 ms each, and
    a tmpfs ~0.02 ms. None (the system's temporary folder) when /dev/shm is
    missing, not writable or small (containers often give it 64 MB).
    """
    try:
        info = os.statvfs(MEMORY_FOLDER)
    except OSError:
        return None
    if not os.access(MEMORY_FOLDER, os.W_OK | os.X_OK):
        return None
    return MEMORY_FOLDER if info.f_bavail * info.f_frsize >= MEMORY_FOLDER_MIN_FREE else None


def over_quota(path: str, max_bytes: int = MAX_BYTES,
               max_entries: int = MAX_ENTRIES) -> str | None:
    """Why the folder `path` is over its quota, or None.

    Counts allocated blocks (sparse files count what they use) and entries,
    stopping as soon as a bound is passed, so a hostile tree costs at most
    `max_entries` stat calls. Entries that vanish meanwhile, and folders too
    deep to be named by a path, are skipped.
    """
    used, entries, folders = 0, 0, [path]
    while folders:
        try:
            with os.scandir(folders.pop()) as listing:
                for entry in listing:
                    entries += 1
                    if entries > max_entries:
                        return f"more than {max_entries} files and folders in the scratch folder"
                    if entry.is_dir(follow_symlinks=False):
                        folders.append(entry.path)
                    else:
                        used += entry.stat(follow_symlinks=False).st_blocks * 512
        except OSError:
            continue
        if used > max_bytes:
            return f"more than {max_bytes // (1024 * 1024)} MB written in the scratch folder"
    return None


def empty_folder(path: str) -> None:
    """Delete everything inside `path` (not `path` itself), depth first, without recursion.

    Every step is relative to one open directory and nothing is followed; the
    way back up is "..", which is safe because no process may change the tree
    any more. Folders left without permissions are given them back first.
    """
    fd = os.open(path, _DIRECTORY)
    below: list[str] = []  # names from `path` down to the open directory
    try:
        while True:
            folder = _remove_files(fd)
            if folder is not None:
                try:
                    inner = os.open(folder, _DIRECTORY, dir_fd=fd)
                except PermissionError:
                    os.chmod(folder, 0o700, dir_fd=fd)
                    inner = os.open(folder, _DIRECTORY, dir_fd=fd)
                os.close(fd)
                fd = inner
                below.append(folder)
            elif below:
                outer = os.open("..", _DIRECTORY, dir_fd=fd)
                os.close(fd)
                fd = outer
                os.rmdir(below.pop(), dir_fd=fd)
            else:
                return
    finally:
        os.close(fd)


def _remove_files(fd: int) -> str | None:
    """Unlink every non-folder in the open directory; the name of a folder left, if any."""
    with os.scandir(fd) as listing:
        for entry in listing:
            if entry.is_dir(follow_symlinks=False):
                return entry.name
            os.unlink(entry.name, dir_fd=fd)
    return None


def write_submission_copy(files: list, folder: str) -> None:
    """Lay a submission's snapshot out in a fresh folder a sandboxed task may read and
    change (`files`: SubmittedFile items; the student's real folder is never touched)."""
    os.mkdir(folder, 0o700)
    for item in files:
        target = os.path.join(folder, os.path.basename(item.name))
        with open(target, "wb") as handle:
            handle.write(item.data)
        os.chmod(target, 0o700 if item.executable else 0o600)
