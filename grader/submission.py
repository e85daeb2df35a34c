"""Discovery: read a submission folder once, safely, without ever writing to it.

The folder is snapshotted into memory (regular files only, size-capped, no
symlinks or FIFOs followed). Every later stage works on the snapshot, and each
sandboxed task gets its own scratch copy made from it.
"""
from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from grader.errors import GraderError

MAX_FILE_BYTES = 1024 * 1024
MAX_TOTAL_BYTES = 20 * 1024 * 1024
MAX_FILES = 200


@dataclass(frozen=True)
class SubmittedFile:
    """One regular file of the submission as read at discovery time."""

    name: str
    data: bytes
    executable: bool

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class Submission:
    """What a student handed in: the path as given and its top-level files."""

    path: str
    files: dict[str, SubmittedFile]
    skipped: tuple[str, ...]  # entries not copied (links, special files, too big)

    def get(self, name: str) -> SubmittedFile | None:
        return self.files.get(name)


def read_submission(path: str) -> Submission:
    """Snapshot the top-level regular files of `path`."""
    folder = Path(path)
    if not folder.exists():
        raise GraderError(f"submission folder not found: {path}")
    if not folder.is_dir():
        raise GraderError(f"submission is not a folder: {path}")
    try:
        names = sorted(os.listdir(folder))
    except OSError as exc:
        raise GraderError(f"cannot read submission folder {path}: {exc.strerror}") from None
    files: dict[str, SubmittedFile] = {}
    skipped: list[str] = []
    total = 0
    for name in names:
        entry = _read_regular_file(folder / name)
        if entry is None or len(files) >= MAX_FILES or total + len(entry.data) > MAX_TOTAL_BYTES:
            skipped.append(name)
            continue
        files[name] = entry
        total += len(entry.data)
    return Submission(path=path, files=files, skipped=tuple(skipped))


def _read_regular_file(path: Path) -> SubmittedFile | None:
    """The file's bytes, or None for anything but a small regular file.

    O_NOFOLLOW and O_NONBLOCK make symlinks fail and FIFOs not block; the type
    and size are checked on the open descriptor, not on the name.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
            return None
        chunks, size = [], 0
        while size <= MAX_FILE_BYTES:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_FILE_BYTES:
            return None
        return SubmittedFile(path.name, b"".join(chunks), bool(info.st_mode & stat.S_IXUSR))
    finally:
        os.close(fd)


def write_scratch_copy(submission: Submission, folder: Path) -> None:
    """Lay the snapshot out in a fresh folder a sandboxed task may read and change."""
    folder.mkdir(mode=0o700)
    for item in submission.files.values():
        target = folder / item.name
        target.write_bytes(item.data)
        target.chmod(0o700 if item.executable else 0o600)


def tree_digest(path: str | Path) -> str:
    """A digest of every entry under `path` (names, types, modes, bytes, link targets).

    Used by tests to prove that grading left a submission byte-identical.
    """
    digest = hashlib.sha256()
    root = Path(path)
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            full = Path(dirpath) / name
            info = full.lstat()
            digest.update(f"{full.relative_to(root)}\0{info.st_mode}\0".encode())
            if stat.S_ISLNK(info.st_mode):
                digest.update(os.readlink(full).encode())
            elif stat.S_ISREG(info.st_mode):
                digest.update(full.read_bytes())
    return digest.hexdigest()
