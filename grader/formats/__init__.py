"""Discovery: turn whatever a student handed in into a `Submission`, safely.

Two steps. `open_submission(path)` reads what was handed in (a folder, a `.py`
module, a `.ipynb` notebook, a `.zip`/`.tar.gz` archive) into a `Snapshot`,
without ever writing where it lives or following a link inside it; each
format is a small reader module registered in `FORMATS`. `locate(snapshot,
wanted)` then finds what a pack needs in it: the folder holding the task files,
or the one notebook or module holding the graded code, reduced to
definitions-only source.

Only a path that does not exist or is not something the grader reads at all
raises GraderError; anything wrong with what a student handed in (a broken
notebook, a damaged archive, an ambiguous layout) is a `Submission` whose
`broken` says why.
"""
from __future__ import annotations

import os
import stat
from typing import Protocol

from grader.errors import GraderError
from grader.formats import archive, folder, module, notebook
from grader.formats.digest import tree_digest
from grader.formats.locate import Wanted, locate
from grader.formats.model import Definition, Skipped, Submission, SubmittedFile
from grader.formats.snapshot import Snapshot
from grader.formats.source import analyse_file, source_origin

__all__ = ["FORMATS", "Definition", "Reader", "Skipped", "Snapshot", "Submission",
           "SubmittedFile", "Wanted", "analyse_file", "locate", "open_submission",
           "read_submission", "source_origin", "tree_digest"]


class Reader(Protocol):
    """One submission format: a module with these two functions."""

    def accepts(self, path: str) -> bool: ...

    def read(self, path: str) -> Snapshot: ...


FORMATS: dict[str, Reader] = {
    "folder": folder,
    "module": module,
    "notebook": notebook,
    "archive": archive,
}


def open_submission(path: str) -> Snapshot:
    """Step 1: read what was handed in, safely, into memory (files are read on demand).

    Raises GraderError only when `path` does not exist or is nothing the
    grader reads (a `.txt` file, a device).
    """
    if not os.path.exists(path):
        raise GraderError(f"submission not found: {path}")
    for reader in FORMATS.values():
        if reader.accepts(path):
            return reader.read(path)
    raise GraderError(f"not a submission the grader can read: {path} ({_what(path)}; hand in "
                      "a folder, a .py module, a .ipynb notebook or a .zip/.tar.gz archive)")


def read_submission(path: str, wanted: Wanted) -> Submission:
    """Both steps: `locate(open_submission(path), wanted)`."""
    return locate(open_submission(path), wanted)


def _what(path: str) -> str:
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        return f"unreadable: {exc.strerror}"
    if not stat.S_ISREG(mode):
        return "not a regular file"
    suffix = os.path.splitext(path)[1]
    return f"a {suffix} file" if suffix else "a file without a known extension"
