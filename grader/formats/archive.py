"""Reader for an archive (`.zip`, `.tar`, `.tar.gz`/`.tgz`, `.tar.bz2`, `.tar.xz`).

Unpacked in memory only, never to disk, then treated like a folder. Entries
with absolute paths or `..` components, links and devices are skipped with a
reason; entry count, per-file size (checked while decompressing, headers are
not trusted) and total size are bounded, so a zip bomb costs nothing. A zip's
entries are decompressed only when asked for; a compressed tar is one stream,
read once, at most MAX_STREAM_BYTES of it.
"""
from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import stat
import struct
import tarfile
import zipfile

from grader.formats.model import Skipped
from grader.formats.snapshot import (MAX_DEPTH, MAX_ENTRIES, MAX_TOTAL_BYTES, MB, Snapshot,
                                     Unusable, is_noise, limit_for, read_regular_file,
                                     too_large)

SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tbz", ".tar.xz", ".txz")
MAX_ARCHIVE_BYTES = 64 * MB  # the archive file itself
MAX_STREAM_BYTES = 64 * MB  # uncompressed bytes a tar stream may take to get through
MAX_MEMBERS = 100_000  # a zip's directory holding more is not read at all


def accepts(path: str) -> bool:
    return path.lower().endswith(SUFFIXES) and os.path.isfile(path)


def read(path: str) -> Snapshot:
    real = os.path.realpath(path)
    try:
        data = read_regular_file(real, MAX_ARCHIVE_BYTES)
    except Unusable as exc:
        snapshot = Snapshot(path, "archive")
        snapshot.broken = f"the archive cannot be read: {exc.reason}"
        return snapshot
    kind, opener = _kind(data, path)
    snapshot = Snapshot(path, f"{kind} archive")
    try:
        if kind == "zip":
            _read_zip(snapshot, data)
        else:
            _read_tar(snapshot, opener(io.BytesIO(data)))
    except Exception as exc:  # noqa: BLE001 - a damaged archive raises anything; it is a reason
        snapshot.broken = f"the archive cannot be read: {_one_line(exc)}"
        return snapshot
    if not snapshot.entries:
        reasons = "; ".join(f"{s.name}: {s.reason}" for s in snapshot.skipped[:3])
        snapshot.broken = ("the archive holds no file the grader can use"
                           + (f" ({reasons})" if reasons else ""))
    return snapshot


def _kind(data: bytes, path: str):
    """The archive's kind from its first bytes (the name only when they say nothing)."""
    if data[:2] == b"PK":
        return "zip", None
    if data[:2] == b"\x1f\x8b":
        return "tar.gz", lambda f: gzip.GzipFile(fileobj=f, mode="rb")
    if data[:3] == b"BZh":
        return "tar.bz2", bz2.BZ2File
    if data[:6] == b"\xfd7zXZ\x00":
        return "tar.xz", lzma.LZMAFile
    if path.lower().endswith(".zip"):
        return "zip", None
    return "tar", lambda f: f


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _clean(raw: str) -> tuple[str | None, str | None]:
    """(relative path, None), or (None, reason) for a name that leaves the archive;
    (None, None) for the archive's own top entry."""
    name = raw.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None, "an absolute path"
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        return None, "a path outside the archive (..)"
    if not parts:
        return None, None
    return "/".join(parts), None


class _Walk:
    """Bookkeeping shared by both archive kinds: names, noise, bounds."""

    def __init__(self, snapshot: Snapshot):
        self.snapshot = snapshot
        self.looked = 0
        self.names: set[str] = set()

    def admit(self, raw: str) -> str | None:
        """The entry's clean name if it is to be looked at; None once skipped or noise.
        Raises _Full when the entry limit is passed."""
        name, problem = _clean(raw)
        if problem:
            self.count(raw)
            self.snapshot.add_skipped(raw, problem, outside=True)
            return None
        if name is None or any(is_noise(part) for part in name.split("/")):
            return None
        self.count(name)
        if name in self.names:
            self.snapshot.add_skipped(name, "a duplicate entry of the archive")
            return None
        if name.count("/") > MAX_DEPTH:
            self.snapshot.add_skipped(name, f"more than {MAX_DEPTH} folders deep")
            return None
        self.names.add(name)
        return name

    def count(self, name: str) -> None:
        self.looked += 1
        if self.looked > MAX_ENTRIES:
            self.snapshot.limit_skipped.append(Skipped(name, f"over the {MAX_ENTRIES}-file limit"))
            self.snapshot.notes.append(f"the archive holds more than {MAX_ENTRIES} entries: "
                                       f"only the first {MAX_ENTRIES} were looked at")
            raise _Full


class _Full(Exception):
    """The entry limit is reached: the rest of the archive is not looked at."""


# ------------------------------------------------------------------ zip
def _read_zip(snapshot: Snapshot, data: bytes) -> None:
    declared = _zip_entry_count(data)
    if declared is not None and declared > MAX_MEMBERS:
        raise ValueError(f"it holds {declared} entries (more than {MAX_MEMBERS})")
    archive = zipfile.ZipFile(io.BytesIO(data))
    walk = _Walk(snapshot)
    try:
        for info in archive.infolist():
            name = walk.admit(info.filename)
            if name is None:
                continue
            mode = info.external_attr >> 16 if info.create_system == 3 else 0
            if info.is_dir() or stat.S_ISDIR(mode):
                snapshot.add_folder(name)
            elif stat.S_ISLNK(mode):
                snapshot.add_skipped(name, "a symbolic link")
            elif stat.S_IFMT(mode) not in (0, stat.S_IFREG):
                snapshot.add_skipped(name, "not a regular file")
            elif info.flag_bits & 0x1:
                snapshot.add_skipped(name, "encrypted", regular=True)
            else:
                snapshot.add_file(name, info.file_size, bool(mode & stat.S_IXUSR),
                                  _zip_loader(archive, info))
    except _Full:
        pass


def _zip_entry_count(data: bytes) -> int | None:
    """Entries the zip's end record declares, read before zipfile parses its directory."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65557))
    if end < 0 or end + 22 > len(data):
        return None
    total = struct.unpack("<H", data[end + 10:end + 12])[0]
    return MAX_MEMBERS + 1 if total == 0xFFFF else total  # Zip64: no submission is that big


def _zip_loader(archive: zipfile.ZipFile, info: zipfile.ZipInfo):
    def load(limit: int) -> bytes:
        if info.file_size > limit:
            raise too_large(info.file_size, limit)
        try:
            with archive.open(info) as stream:
                data = stream.read(limit + 1)  # decompresses at most this much
        except Exception as exc:  # noqa: BLE001 - bad CRC, unsupported method, damaged data
            raise Unusable(f"unreadable (the archive entry is damaged: {_one_line(exc)})")
        if len(data) > limit:
            raise too_large(None, limit)
        return data
    return load


# ------------------------------------------------------------------ tar
class _Bounded(io.RawIOBase):
    """A stream that ends the archive after MAX_STREAM_BYTES uncompressed bytes."""

    def __init__(self, inner):
        self.inner = inner
        self.used = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = MAX_STREAM_BYTES + 1
        if self.used + size > MAX_STREAM_BYTES:
            raise _StreamLimit()
        data = self.inner.read(size)
        self.used += len(data)
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


class _StreamLimit(Exception):
    pass


def _read_tar(snapshot: Snapshot, stream) -> None:
    bounded = _Bounded(stream)
    archive = tarfile.open(fileobj=bounded, mode="r|")
    walk = _Walk(snapshot)
    stored = 0
    try:
        for member in archive:
            name = walk.admit(member.name)
            if name is None:
                continue
            if member.isdir():
                snapshot.add_folder(name)
            elif member.issym():
                snapshot.add_skipped(name, "a symbolic link")
            elif member.islnk():
                snapshot.add_skipped(name, "a hard link")
            elif member.ischr() or member.isblk():
                snapshot.add_skipped(name, "not a regular file (device)")
            elif member.isfifo():
                snapshot.add_skipped(name, "not a regular file (FIFO)")
            elif not member.isreg():
                snapshot.add_skipped(name, "not a regular file")
            elif member.size > limit_for(name):
                snapshot.add_skipped(name, too_large(member.size, limit_for(name)).reason,
                                     regular=True)
            elif stored + member.size > MAX_TOTAL_BYTES:
                snapshot.add_skipped(name, f"over the {MAX_TOTAL_BYTES // MB} MB total",
                                     regular=True)
            else:
                handle = archive.extractfile(member)
                data = handle.read(member.size + 1) if handle else b""
                stored += len(data)
                snapshot.add_file(name, len(data), bool(member.mode & stat.S_IXUSR),
                                  _bytes_loader(data))
    except _Full:
        pass
    except _StreamLimit:
        snapshot.notes.append(f"the archive unpacks to more than {MAX_STREAM_BYTES // MB} MB: "
                              "the rest of it was not looked at")
        snapshot.limit_skipped.append(Skipped(
            "(the rest of the archive)",
            f"over the {MAX_STREAM_BYTES // MB} MB the grader unpacks from an archive"))


def _bytes_loader(data: bytes):
    def load(limit: int) -> bytes:
        if len(data) > limit:
            raise too_large(len(data), limit)
        return data
    return load
