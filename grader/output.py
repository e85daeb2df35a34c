"""Writing report files: atomically, never half-written, `-` meaning stdout."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from grader.errors import GraderError


def check_writable(path: str | None) -> None:
    """Fail before grading, not after, when a report cannot be written."""
    if path is None or path == "-":
        return
    folder = Path(path).resolve().parent
    if not folder.is_dir():
        raise GraderError(f"cannot write {path}: folder {folder} does not exist")
    if Path(path).is_dir():
        raise GraderError(f"cannot write {path}: it is a folder")
    if not os.access(folder, os.W_OK):
        raise GraderError(f"cannot write {path}: folder {folder} is not writable")


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
