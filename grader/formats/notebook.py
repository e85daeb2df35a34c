"""Reader for a Jupyter notebook (`.ipynb`) given as the path, and notebook parsing.

A notebook is read with nbformat (older formats are upgraded to v4); only the
sources of its code cells are kept: outputs and attachments (which can be
megabytes) are never copied anywhere. IPython-only syntax (%magics, !shell,
?help) is blanked out before a cell is parsed, and never run.
"""
from __future__ import annotations

import ast
import contextlib
import json
import logging
import os
import re
import warnings

from grader.formats.snapshot import Snapshot, single_file

KIND = "notebook"


def accepts(path: str) -> bool:
    return path.lower().endswith(".ipynb") and os.path.isfile(path)


def read(path: str) -> Snapshot:
    return single_file(path, KIND)


class NotANotebook(Exception):
    """The text is not a notebook; `detail` says why, in a few words."""

    def __init__(self, detail: str, short: str | None = None):
        super().__init__(detail)
        self.detail = detail  # "invalid JSON at line 3"
        self.short = short or detail  # "invalid JSON (line 3)"

    @property
    def skip_reason(self) -> str:  # for a notebook found in a folder
        return f"not a notebook ({self.detail})"

    @property
    def broken_reason(self) -> str:  # for a notebook handed in as the path
        return f"not a notebook: {self.short}"


def code_cells(text: str) -> list[tuple[int, str]]:
    """(position among all cells, counted from 1 as a student counts them top to bottom,
    source) of every code cell, in notebook order.

    Raises NotANotebook for invalid JSON, JSON that is not a notebook, or
    anything nbformat refuses. A notebook that nbformat reads but finds
    invalid against its schema is still used (its code cells are what count).
    """
    text = text.lstrip("\ufeff")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotANotebook(f"invalid JSON at line {exc.lineno}",
                           f"invalid JSON (line {exc.lineno})") from None
    except (ValueError, RecursionError, MemoryError):
        raise NotANotebook("invalid JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("nbformat"), int):
        raise NotANotebook("JSON without a notebook format version",
                           "JSON without a notebook format version")
    del data
    import nbformat  # imported here: module packs never pay for it

    try:
        with _quiet():
            notebook = nbformat.reads(text, as_version=4, capture_validation_error={})
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds; each is a reason
        raise NotANotebook(f"nbformat cannot read it: {_one_line(exc)}") from None
    cells = []
    for index, cell in enumerate(notebook.get("cells") or [], start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(part for part in source if isinstance(part, str))
        if isinstance(source, str):
            cells.append((index, source))
    return cells


@contextlib.contextmanager
def _quiet():
    """nbformat logs schema errors (on the 'traitlets' logger) and warns about cell ids."""
    from traitlets.log import get_logger

    logger = get_logger()
    logger = getattr(logger, "logger", logger)  # a LoggerAdapter inside a Jupyter application
    was = logger.disabled if isinstance(logger, logging.Logger) else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if was is not None:
                logger.disabled = True
            yield
        finally:
            if was is not None:
                logger.disabled = was


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


# ------------------------------------------------------------------ IPython syntax
_CELL_MAGIC = re.compile(r"%%\s*([\w.-]*)")
_BODY_KEPT_MAGICS = frozenset({"time", "timeit"})  # the cell body is Python: drop the line only
_HELP = re.compile(r"(\?{1,2}[\w.*\[\]]+|[\w.*\[\]()]+\?{1,2})\s*(#.*)?")
_ASSIGNED_MAGIC = re.compile(r"[A-Za-z_][\w.]*(\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*[!%]")


def normalized(text: str) -> str:
    """Text with no BOM and only '\\n' line ends (what Python's own parser sees)."""
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def python_source(cell: str) -> str | None:
    """The cell's Python: IPython-only lines blanked (so line numbers stay true), or None
    when the whole cell is not Python (%%bash, %%html, %%writefile, %%capture, ...)."""
    lines = normalized(cell).split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        match = _CELL_MAGIC.match(lines[first].lstrip())
        if match is None or match.group(1) not in _BODY_KEPT_MAGICS:
            return None
        lines[first] = ""
    text = "\n".join(lines)
    try:
        ast.parse(text)
        return text  # valid Python as it is: a line starting with '%' may be a continuation
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass
    return "\n".join("" if _ipython_line(line) else line for line in lines)


def _ipython_line(line: str) -> bool:
    text = line.strip()
    if not text:
        return False
    return (text[0] in "%!" or _HELP.fullmatch(text) is not None
            or _ASSIGNED_MAGIC.match(text) is not None)
