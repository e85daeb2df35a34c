"""What a batch sends to a grading node: plain data, bounded; no shared file system.

A submission travels as what discovery located in it (grader/formats/): the files
its tasks need as bytes, the definitions found, what was skipped and why. That is
exactly what grading reads, already bounded by the readers (1 MB a file, 20 MB in
all), so a node grades what a local batch would, and never sees the folder or
archive itself. The pack travels once per node, as its trusted files and its
reference solutions' (the files the batch's run key digests).
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path, PurePosixPath
from typing import Any, Iterator

from grader.errors import GraderError
from grader.formats import Definition, Skipped, Submission, SubmittedFile, read_submission
from grader.formats.snapshot import MAX_TOTAL_BYTES, MB, is_noise
from grader.packs import Pack

MAX_SUBMISSION_BYTES = 2 * MAX_TOTAL_BYTES  # its files, and a notebook's definitions as source
MAX_PACK_BYTES = 64 * MB


def submission_parcel(path: Path, pack: Pack) -> dict[str, Any]:
    """The submission at `path`, located for `pack`, as plain data. Raises GraderError when
    nothing of it can be read (as grading it would)."""
    submission = read_submission(str(path), pack.wanted)
    parcel = {
        "path": submission.path, "format": submission.format, "location": submission.location,
        "files": [_file(item) for item in submission.files.values()],
        "module": _file(submission.module) if submission.module else None,
        "definitions": [dataclasses.asdict(d) for d in submission.definitions.values()],
        "skipped": [[s.name, s.reason] for s in submission.skipped],
        "notes": list(submission.notes), "broken": submission.broken,
        "not_run": dict(submission.not_run), "also_seen": list(submission.also_seen),
    }
    _check_size(parcel)
    return parcel


def parcel_submission(parcel: dict[str, Any]) -> Submission:
    """The Submission a parcel holds (checked for size; a malformed one raises)."""
    _check_size(parcel)
    files = [_submitted(item) for item in parcel["files"]]
    definitions = [Definition(**item) for item in parcel["definitions"]]
    return Submission(
        path=str(parcel["path"]), format=str(parcel["format"]),
        location=str(parcel["location"]), files={f.name: f for f in files},
        module=_submitted(parcel["module"]) if parcel["module"] else None,
        definitions={d.name: d for d in definitions},
        skipped=tuple(Skipped(str(name), str(reason)) for name, reason in parcel["skipped"]),
        notes=tuple(str(note) for note in parcel["notes"]),
        broken=None if parcel["broken"] is None else str(parcel["broken"]),
        not_run={str(name): str(where) for name, where in parcel["not_run"].items()},
        also_seen=tuple(str(name) for name in parcel["also_seen"]))


def _file(item: SubmittedFile) -> dict[str, Any]:
    return {"name": item.name, "data": item.data, "executable": item.executable}


def _submitted(item: dict[str, Any]) -> SubmittedFile:
    if not isinstance(item["data"], bytes):
        raise TypeError("a submitted file's data must be bytes")
    return SubmittedFile(str(item["name"]), item["data"], bool(item["executable"]))


def _check_size(parcel: dict[str, Any]) -> None:
    items = parcel["files"] + ([parcel["module"]] if parcel["module"] else [])
    size = sum(len(item["data"]) for item in items)
    if size > MAX_SUBMISSION_BYTES:
        raise GraderError(f"{parcel['path']}: {size // MB} MB to grade, more than the "
                          f"{MAX_SUBMISSION_BYTES // MB} MB a grading node accepts")


# ------------------------------------------------------------------ the pack
def trusted_files(folder: Path) -> Iterator[tuple[str, Path]]:
    """(relative name, path) of a trusted folder's files (a pack, its reference solutions),
    sorted, without caches and dot-files."""
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not is_noise(d))
        for name in sorted(f for f in filenames if not is_noise(f) and not f.endswith(".pyc")):
            path = Path(dirpath) / name
            yield str(path.relative_to(folder)), path


def pack_parcel(pack: Pack) -> dict[str, Any]:
    """The pack's files and its reference solutions' (None: it has none), as plain data."""
    parcel = {"name": pack.name,
              "pack": _folder_files(pack.root),
              "solutions": _folder_files(pack.solutions) if pack.solutions else None}
    size = sum(len(data) for part in ("pack", "solutions")
               for data in (parcel[part] or {}).values())
    if size > MAX_PACK_BYTES:
        raise GraderError(f"assignment {pack.name!r}: its pack and reference solutions hold "
                          f"{size // MB} MB, more than the {MAX_PACK_BYTES // MB} MB sent to "
                          f"grading nodes")
    return parcel


def _folder_files(folder: Path) -> dict[str, bytes]:
    return {name: path.read_bytes() for name, path in trusted_files(folder)}


def unpack_pack(parcel: dict[str, Any], folder: Path) -> tuple[Path, Path]:
    """Write a pack parcel under `folder`: (the folder of packs holding it, the folder of
    reference solutions holding its own, which may be absent)."""
    packs, solutions = folder / "packs", folder / "solutions"
    name = _relative(parcel["name"])
    for part, target in (("pack", packs / name), ("solutions", solutions / name)):
        for relative, data in (parcel[part] or {}).items():
            path = target / _relative(relative)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    solutions.mkdir(exist_ok=True)
    return packs, solutions


def _relative(name: str) -> str:
    """A relative path inside the folder it is written to (never out of it)."""
    parts = PurePosixPath(name).parts
    if not parts or PurePosixPath(name).is_absolute() or ".." in parts:
        raise ValueError(f"not a relative path: {name!r}")
    return str(PurePosixPath(*parts))
