"""Reader for a single Python module (`.py`) given as the path."""
from __future__ import annotations

import os

from grader.formats.snapshot import Snapshot, single_file

KIND = "module"


def accepts(path: str) -> bool:
    return path.lower().endswith(".py") and os.path.isfile(path)


def read(path: str) -> Snapshot:
    return single_file(path, KIND)
