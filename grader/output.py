"""Writing report files: atomically, never half-written, `-` meaning stdout."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from grader.errors import GraderError


def check_writable(path: str | None) -> None:
    """Fail before grading, not after, when a report cannot be written at `path`."""
    if path is None or path == "-":
        return
    if Path(path).is_dir():
        raise GraderError(f"cannot write {path}: it is a folder")
    check_folder_writable(os.path.dirname(os.path.abspath(path)), f"cannot write {path}")


def ensure_folder(folder: str | Path, context: str) -> None:
    """Create `folder` (and its parents) when missing, then check that it can be written."""
    folder = Path(folder)
    for part in reversed((folder, *folder.parents)):
        if part.exists() and not part.is_dir():
            raise GraderError(f"{context}: {part} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GraderError(f"{context}: cannot create folder {folder} ({exc.strerror})") from None
    check_folder_writable(folder, context)


def check_folder_writable(folder: str | Path, context: str) -> None:
    """Raise GraderError unless a file can be created in `folder`.

    Creating (and removing) a file is the only honest test: permission bits
    say nothing for root, nor on a read-only file system.
    """
    folder = Path(folder)
    for part in reversed((folder, *folder.parents)):
        if not part.exists():
            raise GraderError(f"{context}: folder {folder} does not exist")
        if not part.is_dir():
            raise GraderError(f"{context}: {part} is a file, not a folder")
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".grade-write-test-")
    except OSError as exc:
        raise GraderError(f"{context}: folder {folder} is not writable ({exc.strerror})") from None
    os.close(fd)
    os.unlink(probe)


def write_text(path: str, text: str) -> None:
    if path == "-":
        sys.stdout.write(text)
        return
    target = Path(path)
    fd, temporary = tempfile.mkstemp(dir=target.resolve().parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise GraderError(f"cannot write {path}: {exc.strerror}") from None
