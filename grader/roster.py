"""A class roster: who should hand in, read from a CSV file (`grade batch --roster`).

The first column is the name of the student's submission (the folder or file
name in SUBMISSIONS_DIR, which is the student's name in the batch); the other
columns (id, email, ...) are copied to OUT/grades.csv. A student on the roster
without a submission is `missing`; a submission of a student not on the roster
is `unmatched`: graded, and listed, never dropped.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from typing import Any

from grader.errors import GraderError

# grades.csv's own columns, which a roster column may not shadow
RESERVED = {"student", "score", "max_score", "percent", "status", "report"}


@dataclass(frozen=True)
class ClassRoster:
    """The students who should hand in, with their other columns, in the file's order."""

    source: str  # where it was read from (for the summary)
    columns: tuple[str, ...]  # the columns after the first
    students: dict[str, dict[str, str]]  # submission name -> {column: value}
    reasons: dict[str, str] = field(default_factory=dict)  # why one has no submission, if known

    def matching(self, submitted: set[str]) -> dict[str, Any]:
        """Who is on the roster without a submission (and why, when known), and whose
        submission is not on it."""
        missing = [s for s in self.students if s not in submitted]
        return {"file": self.source, "missing": missing,
                "reasons": {s: self.reasons[s] for s in missing if s in self.reasons},
                "unmatched": sorted(s for s in submitted if s not in self.students)}


def read_roster(path: str) -> ClassRoster:
    """Read and check a roster CSV (a header row, then one row per student)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except FileNotFoundError:
        raise GraderError(f"roster not found: {path}") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise GraderError(f"cannot read the roster {path}: {exc}") from None
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if len(rows) < 2:
        raise GraderError(f"roster {path}: needs a header row and one row per student")
    header = [cell.strip() for cell in rows[0]]
    columns = tuple(header[1:])
    clash = [c for c in columns if c.lower() in RESERVED or c.lower().startswith("task ")]
    if clash or len(set(columns)) != len(columns) or "" in columns:
        raise GraderError(f"roster {path}: columns after the first need distinct names, none "
                          f"of {', '.join(sorted(RESERVED))} or 'task ...' "
                          f"(found {', '.join(repr(c) for c in columns)})")
    students: dict[str, dict[str, str]] = {}
    for number, row in enumerate(rows[1:], start=2):
        name = row[0].strip() if row else ""
        if not name:
            raise GraderError(f"roster {path}, row {number}: the first column (the "
                              f"submission's name) is empty")
        if name in students:
            raise GraderError(f"roster {path}, row {number}: {name!r} is listed twice")
        if len(row) > len(header):
            raise GraderError(f"roster {path}, row {number}: more cells than the header has")
        cells = [cell.strip() for cell in row[1:]] + [""] * (len(header) - len(row))
        students[name] = dict(zip(columns, cells))
    return ClassRoster(str(path), columns, students)
