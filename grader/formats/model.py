"""What discovery produces: the files and definitions a task needs, and what was skipped."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SubmittedFile:
    """One regular file as read at discovery time (never read again, never written)."""

    name: str  # path relative to the submission's located folder, with '/' separators
    data: bytes
    executable: bool

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class Skipped:
    """An entry of the submission that was not used, and why (shown in every report)."""

    name: str  # path relative to what was handed in
    reason: str  # e.g. "larger than 1 MB", "a symbolic link", "not UTF-8 text"


@dataclass(frozen=True)
class Definition:
    """Where a top-level name of a notebook or definitions-only module came from."""

    name: str
    kind: str  # "function" | "class" | "constant"
    cell: int | None  # notebook cell position (from 1, markdown cells counted); None: module
    line: int  # line in the cell (or module) where the definition starts
    marker: bool  # found in a cell marked "# GRADED FUNCTION: name"
    placeholder: bool  # the body is only the course's placeholders (None, pass, comments)


@dataclass(frozen=True)
class Submission:
    """What a student handed in, located and read for one pack.

    `files` are the regular files of the located folder (module packs: one file
    per task). `module` is the student's single module or notebook turned into
    definitions-only Python source (packs whose tasks name no file).
    `broken` says why nothing can be graded (invalid notebook, ambiguous
    layout): every task then fails with that reason.
    """

    path: str
    format: str  # "folder", "module", "notebook", "zip archive: folder", ...
    location: str = ""  # folder inside the submission that was graded ("" = as handed in)
    files: dict[str, SubmittedFile] = field(default_factory=dict)
    module: SubmittedFile | None = None
    definitions: dict[str, Definition] = field(default_factory=dict)
    skipped: tuple[Skipped, ...] = ()
    notes: tuple[str, ...] = ()
    broken: str | None = None
    # names of `module` that only top-level statements the grader does not run set
    # (a notebook's test cells, a script's demo), and where: "cell 4, line 2"
    not_run: dict[str, str] = field(default_factory=dict)
    # the other notebooks and modules handed in beside `module`, not graded
    also_seen: tuple[str, ...] = ()

    def get(self, name: str) -> SubmittedFile | None:
        return self.files.get(name)

    def skip_reason(self, name: str) -> str | None:
        """Why a file of this name was handed in but not used, or None."""
        for item in self.skipped:
            if item.name == name or item.name.rsplit("/", 1)[-1] == name:
                return item.reason
        return None
