"""A snapshot: what was handed in, listed safely, its files read lazily into memory.

Every reader (folder, module, notebook, archive) produces one. Listing records
names, types and sizes only; bytes are read when `Snapshot.read` asks for them
(a repository checkout can hold thousands of files, of which a pack needs a
dozen), always bounded: per file, in total, and in number of entries looked at.
Nothing is ever written where the submission lives.
"""
from __future__ import annotations

import errno
import io
import math
import os
import posixpath
import re
import stat
import tokenize
from dataclasses import dataclass
from typing import Callable

from grader.formats.model import Skipped

MB = 1024 * 1024
MAX_FILE_BYTES = 1 * MB  # any file the grader keeps (task files, modules)
MAX_NOTEBOOK_BYTES = 10 * MB  # notebooks: outputs make them big; only code cells are kept
MAX_TOTAL_BYTES = 20 * MB  # everything read from one submission
MAX_ENTRIES = 2000  # entries looked at
MAX_DEPTH = 8  # folders below the top

NOISE_DIRS = frozenset({".git", "__pycache__", ".ipynb_checkpoints", "__MACOSX", "node_modules",
                        ".venv", "venv"})
NOISE_FILES = frozenset({"Thumbs.db", "desktop.ini"})
TEXT_SUFFIXES = (".py", ".ipynb")  # read as UTF-8 text; anything else is kept as bytes


class Unusable(Exception):
    """A file that was handed in but cannot be used; `reason` is for the student."""

    def __init__(self, reason: str, *, final: bool = True):
        super().__init__(reason)
        self.reason = reason
        self.final = final  # False: another limit (a notebook's larger one) may still accept it


def too_large(size: int | None, limit: int) -> Unusable:
    shown = f" ({_mb(size)})" if size is not None else ""
    return Unusable(f"larger than {_mb(limit, exact=True)}{shown}", final=False)


def _mb(size: int, exact: bool = False) -> str:
    if exact and size % MB == 0:
        return f"{size // MB} MB"
    return f"{math.ceil(size * 10 / MB) / 10:.1f} MB"


def is_noise(name: str) -> bool:
    """Entries nobody hands in on purpose: ignored silently, never reported as skipped."""
    return name.startswith(".") or name in NOISE_DIRS or name in NOISE_FILES


def limit_for(name: str) -> int:
    return MAX_NOTEBOOK_BYTES if name.lower().endswith(".ipynb") else MAX_FILE_BYTES


def file_type(mode: int) -> str:
    """What a non-regular entry is, as a student would say it."""
    for test, label in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a folder"),
                        (stat.S_ISFIFO, "not a regular file (FIFO)"),
                        (stat.S_ISSOCK, "not a regular file (socket)"),
                        (stat.S_ISCHR, "not a regular file (character device)"),
                        (stat.S_ISBLK, "not a regular file (block device)")):
        if test(mode):
            return label
    return "not a regular file"


@dataclass
class Entry:
    """A regular file as listed: its bytes come from `load(limit)` (raises Unusable)."""

    name: str  # relative path with '/', from the top of what was handed in
    size: int | None  # as listed (None: unknown until read)
    executable: bool
    load: Callable[[int], bytes]


class Snapshot:
    """What was handed in: regular files (read on demand), skipped entries, folders."""

    def __init__(self, path: str, kind: str):
        self.path = path  # as given
        self.kind = kind  # "folder", "module", "notebook", "zip archive", "tar.gz archive", ...
        self.entries: dict[str, Entry] = {}
        self.skipped: list[Skipped] = []  # found while listing (links, FIFOs, escapes, sizes)
        self.limit_skipped: list[Skipped] = []  # the listing stopped at a bound: always reported
        self.notes: list[str] = []
        self.broken: str | None = None
        self.folders: set[str] = {""}
        self._regular_skipped: set[str] = set()  # regular files skipped while listing
        self._outside: set[str] = set()  # skipped names that leave the archive
        self._cache: dict[str, bytes | Unusable] = {}
        self._total = 0

    # ------------------------------------------------------------ building
    def add_file(self, name: str, size: int | None, executable: bool,
                 load: Callable[[int], bytes]) -> None:
        self._add_parents(name)
        if size is not None and size > limit_for(name):
            self.add_skipped(name, too_large(size, limit_for(name)).reason, regular=True)
            return
        self.entries[name] = Entry(name, size, executable, load)

    def add_skipped(self, name: str, reason: str, *, regular: bool = False,
                    outside: bool = False) -> None:
        """`regular`: a regular file (its name counts in names()); `outside`: a name that
        leaves what was handed in (an archive's `../x.py`), which has no place in it."""
        self.skipped.append(Skipped(name, reason))
        if outside:
            self._outside.add(name)
            return
        self._add_parents(name)
        if regular:
            self._regular_skipped.add(name)

    def add_folder(self, name: str) -> None:
        self._add_parents(name + "/x")

    def _add_parents(self, name: str) -> None:
        folder = posixpath.dirname(name)
        while folder and folder not in self.folders:
            self.folders.add(folder)
            folder = posixpath.dirname(folder)

    # ------------------------------------------------------------ reading
    def names(self) -> set[str]:
        """Base names of every regular file seen (also those too large to use)."""
        return {posixpath.basename(n) for n in (*self.entries, *self._regular_skipped)}

    def seen(self) -> list[str]:
        """Every entry seen, used or skipped (for locating task files by name)."""
        return [*self.entries, *(s.name for s in self.skipped if s.name not in self._outside)]

    def read(self, name: str, limit: int = MAX_FILE_BYTES) -> bytes:
        """The file's bytes (at most `limit`); raises Unusable with the reason it cannot be used.

        `.py` and `.ipynb` files must be UTF-8 text. Bytes are read once and
        kept; every byte read counts against the submission's 20 MB total.
        """
        cached = self._cache.get(name)
        if isinstance(cached, Unusable):
            raise cached
        if cached is None:
            entry = self.entries[name]
            if entry.size is not None and entry.size > limit:
                raise too_large(entry.size, limit)
            try:
                data = entry.load(limit)
            except Unusable as exc:
                if exc.final:
                    self._cache[name] = exc
                raise
            if self._total + len(data) > MAX_TOTAL_BYTES:
                self._cache[name] = Unusable(f"over the {MAX_TOTAL_BYTES // MB} MB total")
                raise self._cache[name]
            self._total += len(data)
            if name.lower().endswith(TEXT_SUFFIXES):
                try:
                    data, declared = as_utf8(name, data)
                except Unusable as exc:
                    self._cache[name] = exc
                    raise
                if declared:
                    self.notes.append(f"{name} declares its encoding ({declared}): read as such")
            self._cache[name] = cached = data
        if len(cached) > limit:
            raise too_large(len(cached), limit)
        return cached


def as_utf8(name: str, data: bytes) -> tuple[bytes, str | None]:
    """A text file's bytes as UTF-8, and the encoding it declared when it was not UTF-8.

    A `.py` file may declare another encoding on its first two lines (PEP 263:
    `# -*- coding: latin-1 -*-`), which Python honours: it is transcoded, its
    declaration now saying utf-8, so that every later step reads UTF-8. Anything
    else that is not UTF-8 raises Unusable saying what the file is and what to do.
    """
    try:
        data.decode("utf-8")
        return data, None
    except UnicodeDecodeError as exc:
        error = exc
    if name.lower().endswith(".py"):
        transcoded = _declared_to_utf8(data)
        if transcoded:
            return transcoded
    raise Unusable(_not_utf8(data, error))


_CODING = re.compile(r"^([ \t\f]*#.*?coding[:=][ \t]*)([-\w.]+)", re.MULTILINE)


def _declared_to_utf8(data: bytes) -> tuple[bytes, str] | None:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return None
    head, sep, rest = text.partition("\n")
    second, sep2, rest = rest.partition("\n")
    head, count = _CODING.subn(r"\1utf-8", head, count=1)
    if not count:
        second = _CODING.sub(r"\1utf-8", second, count=1)
    return (head + sep + second + sep2 + rest).encode("utf-8"), encoding


def _not_utf8(data: bytes, error: UnicodeDecodeError) -> str:
    """What a file that is not UTF-8 is, as a student can act on it."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return ("UTF-16 text, which Python cannot read (Windows Notepad and PowerShell's `>` "
                "save files so): save it as UTF-8")
    if b"\0" in data[:4096]:
        return "not text (binary data): hand in the source file itself"
    line = data[:error.start].count(b"\n") + 1
    return (f"not UTF-8 text (line {line}: byte 0x{data[error.start]:02X}, e.g. an accent "
            "saved as Windows-1252 or Latin-1): save the file as UTF-8")


def read_regular_file(path: str, limit: int) -> bytes:
    """The bytes of the regular file at `path`, never following a link, at most `limit`.

    O_NOFOLLOW and O_NONBLOCK make symlinks fail and FIFOs not block; the type
    and size are checked on the open descriptor, not on the name, and the size
    again while reading (a file may grow). O_NOATIME where allowed, so that
    reading leaves even access times alone.
    """
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        try:
            fd = os.open(path, flags | getattr(os, "O_NOATIME", 0))
        except PermissionError:  # O_NOATIME needs ownership; try plainly
            fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Unusable("a symbolic link") from None
        raise Unusable(f"unreadable ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Unusable(file_type(info.st_mode))
        if info.st_size > limit:
            raise too_large(info.st_size, limit)
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise too_large(None, limit)
        return b"".join(chunks)
    except OSError as exc:
        raise Unusable(f"unreadable ({exc.strerror})") from None
    finally:
        os.close(fd)


def single_file(path: str, kind: str) -> Snapshot:
    """A snapshot of one file given as the path (a module or a notebook)."""
    real = os.path.realpath(path)  # the top-level path is the operator's: a link to it is fine
    name = os.path.basename(real) or os.path.basename(path)
    snapshot = Snapshot(path, kind)
    try:
        info = os.stat(real)
    except OSError as exc:
        snapshot.add_skipped(name, f"unreadable ({exc.strerror})", regular=True)
        return snapshot
    snapshot.add_file(name, info.st_size, bool(info.st_mode & stat.S_IXUSR),
                      lambda limit: read_regular_file(real, limit))
    return snapshot
