"""Archives: unpacked in memory only, escapes and links skipped, bombs bounded."""
from __future__ import annotations

import io
import stat
import tarfile
import time
import tracemalloc
import zipfile
from pathlib import Path

from formats_support import (MODULE_PACK, NOTEBOOK_PACK, TASK_FILES, course_cells,
                             notebook_text)
from grader.formats import open_submission, read_submission, tree_digest

MB = 1024 * 1024


def make_zip(path: Path, entries: list[tuple[str, bytes, int]],
             compression: int = zipfile.ZIP_DEFLATED) -> Path:
    """entries: (name, data, unix mode incl. type bits; 0 for none)."""
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = mode << 16
            info.compress_type = compression
            archive.writestr(info, data)
    return path


def make_tar(path: Path, entries: list[tuple[str, bytes, int, bytes]], mode: str = "w:gz"
             ) -> Path:
    """entries: (name, data, permission bits, type) with tarfile's type codes."""
    with tarfile.open(path, mode) as archive:
        for name, data, permissions, kind in entries:
            info = tarfile.TarInfo(name)
            info.mode, info.type = permissions, kind
            if kind == tarfile.SYMTYPE or kind == tarfile.LNKTYPE:
                info.linkname = "target.py"
                archive.addfile(info)
            elif kind == tarfile.FIFOTYPE:
                archive.addfile(info)
            else:
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    return path


def reasons(submission) -> dict[str, str]:
    return {item.name: item.reason for item in submission.skipped}


def test_a_zip_is_read_in_memory_with_the_executable_bit(tmp_path):
    path = make_zip(tmp_path / "hw.zip", [
        (TASK_FILES[0], b"#!/usr/bin/env python3\n", stat.S_IFREG | 0o755),
        (TASK_FILES[1], b"x = 1\n", stat.S_IFREG | 0o644),
        (TASK_FILES[2], b"y = 2\n", 0)])  # made on Windows: no mode at all
    before = tree_digest(tmp_path)
    submission = read_submission(str(path), MODULE_PACK)
    assert tree_digest(tmp_path) == before  # nothing unpacked next to it
    assert submission.format == "zip archive"
    assert submission.broken is None
    assert set(submission.files) == set(TASK_FILES)
    assert submission.get(TASK_FILES[0]).executable is True
    assert submission.get(TASK_FILES[1]).executable is False
    assert submission.get(TASK_FILES[2]).data == b"y = 2\n"


def test_a_single_top_folder_is_a_nested_location(tmp_path):
    entries = [("student-repo-main/", b"", stat.S_IFDIR | 0o755)] + [
        (f"student-repo-main/supervised_learning/regularization/{name}", b"x = 1\n",
         stat.S_IFREG | 0o755) for name in TASK_FILES]
    submission = read_submission(str(make_zip(tmp_path / "repo.zip", entries)), MODULE_PACK)
    assert submission.location == "student-repo-main/supervised_learning/regularization"
    assert ("task files found in student-repo-main/supervised_learning/regularization/"
            in submission.notes)
    assert set(submission.files) == set(TASK_FILES)
    assert open_submission(str(tmp_path / "repo.zip")).names() == set(TASK_FILES)


def test_a_tar_gz_with_modes_links_and_escapes(tmp_path):
    path = make_tar(tmp_path / "hw.tar.gz", [
        ("./hw/" + TASK_FILES[0], b"x = 0\n", 0o755, tarfile.REGTYPE),
        ("hw/" + TASK_FILES[1], b"x = 1\n", 0o644, tarfile.REGTYPE),
        ("hw/" + TASK_FILES[2], b"", 0o777, tarfile.SYMTYPE),
        ("hw/hard.py", b"", 0o644, tarfile.LNKTYPE),
        ("hw/pipe", b"", 0o644, tarfile.FIFOTYPE),
        ("../x.py", b"escaped = True\n", 0o644, tarfile.REGTYPE),
        ("/etc/x.py", b"escaped = True\n", 0o644, tarfile.REGTYPE),
        ("hw/../../y.py", b"escaped = True\n", 0o644, tarfile.REGTYPE)])
    submission = read_submission(str(path), MODULE_PACK)
    assert submission.format == "tar.gz archive"
    assert submission.location == "hw"
    assert set(submission.files) == {TASK_FILES[0], TASK_FILES[1]}
    assert submission.get(TASK_FILES[0]).executable is True
    assert submission.get(TASK_FILES[1]).executable is False
    assert submission.skip_reason(TASK_FILES[2]) == "a symbolic link"
    why = reasons(open_submission(str(path)))
    assert why == {"hw/" + TASK_FILES[2]: "a symbolic link", "hw/hard.py": "a hard link",
                   "hw/pipe": "not a regular file (FIFO)",
                   "../x.py": "a path outside the archive (..)",
                   "/etc/x.py": "an absolute path",
                   "hw/../../y.py": "a path outside the archive (..)"}
    assert not (tmp_path.parent / "x.py").exists() and not (tmp_path / "x.py").exists()
    plain = make_tar(tmp_path / "hw.tar", [(TASK_FILES[0], b"x = 0\n", 0o644, tarfile.REGTYPE)],
                     mode="w")
    assert read_submission(str(plain), MODULE_PACK).format == "tar archive"


def test_zip_escapes_and_symlinks_are_skipped(tmp_path):
    path = make_zip(tmp_path / "hw.zip", [
        (TASK_FILES[0], b"x = 0\n", stat.S_IFREG | 0o644),
        ("../x.py", b"escaped = True\n", stat.S_IFREG | 0o644),
        ("/etc/x.py", b"escaped = True\n", stat.S_IFREG | 0o644),
        ("..\\..\\win.py", b"escaped = True\n", 0),
        (TASK_FILES[1], b"/etc/passwd", stat.S_IFLNK | 0o777),
        ("__MACOSX/._" + TASK_FILES[0], b"junk", 0),
        (".DS_Store", b"junk", 0)])
    submission = read_submission(str(path), MODULE_PACK)
    assert set(submission.files) == {TASK_FILES[0]}
    assert reasons(submission) == {"../x.py": "a path outside the archive (..)",
                                   "/etc/x.py": "an absolute path",
                                   "..\\..\\win.py": "a path outside the archive (..)",
                                   TASK_FILES[1]: "a symbolic link"}


def test_a_zip_bomb_costs_nothing(tmp_path):
    path = make_zip(tmp_path / "bomb.zip",
                    [(TASK_FILES[0], b"x = 1\n", 0), ("zeros.py", bytes(50 * MB), 0)])
    assert path.stat().st_size < MB
    # A lying header too: the directory claims 900 KB for 50 MB of zeros.
    data = bytearray(path.read_bytes())
    central = data.index(b"PK\x01\x02", data.index(b"PK\x01\x02") + 4)  # zeros.py's entry
    data[central + 24:central + 28] = (900 * 1024).to_bytes(4, "little")
    liar = tmp_path / "liar.zip"
    liar.write_bytes(bytes(data))
    for bomb in (path, liar):
        tracemalloc.start()
        started = time.monotonic()
        submission = read_submission(str(bomb), MODULE_PACK)
        elapsed = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert elapsed < 2, elapsed
        assert peak < 8 * MB, peak  # never fully decompressed
        assert set(submission.files) == {TASK_FILES[0]}
    assert reasons(read_submission(str(path), MODULE_PACK)) == {
        "zeros.py": "larger than 1 MB (50.0 MB)"}
    assert reasons(read_submission(str(liar), MODULE_PACK))["zeros.py"].startswith(
        "unreadable (the archive entry is damaged")


def test_a_tar_gz_bomb_is_bounded(tmp_path):
    path = tmp_path / "bomb.tgz"
    with tarfile.open(path, "w:gz", compresslevel=1) as archive:
        for name, size in ((TASK_FILES[0], 6), ("zeros.bin", 5 * MB), (TASK_FILES[1], 6),
                           ("huge.bin", 80 * MB), (TASK_FILES[2], 6)):
            info = tarfile.TarInfo(name)
            info.size = size
            archive.addfile(info, io.BytesIO(b"x = 1\n" if size == 6 else bytes(size)))
    started = time.monotonic()
    submission = read_submission(str(path), MODULE_PACK)
    assert time.monotonic() - started < 3
    assert set(submission.files) == {TASK_FILES[0], TASK_FILES[1]}
    why = reasons(submission)
    assert why["zeros.bin"] == "larger than 1 MB (5.0 MB)"
    assert why["(the rest of the archive)"] == "over the 64 MB the grader unpacks from an archive"
    assert "the archive unpacks to more than 64 MB: the rest of it was not looked at" \
        in submission.notes


def test_a_corrupt_archive_is_a_broken_submission(tmp_path):
    good = make_zip(tmp_path / "good.zip", [(TASK_FILES[0], b"x = 1\n" * 1000, 0)])
    corrupt = tmp_path / "corrupt.zip"
    corrupt.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    submission = read_submission(str(corrupt), MODULE_PACK)
    assert submission.broken.startswith("the archive cannot be read: ")
    assert submission.files == {}
    (tmp_path / "text.zip").write_text("not an archive at all")
    assert read_submission(str(tmp_path / "text.zip"), NOTEBOOK_PACK).broken.startswith(
        "the archive cannot be read: ")
    tgz = make_tar(tmp_path / "t.tar.gz", [(TASK_FILES[0], bytes(range(256)) * 400, 0o644,
                                            tarfile.REGTYPE)])
    (tmp_path / "cut.tar.gz").write_bytes(tgz.read_bytes()[:-100])
    assert read_submission(str(tmp_path / "cut.tar.gz"), MODULE_PACK).broken.startswith(
        "the archive cannot be read: ")


def test_a_zip_with_nothing_useful_is_broken(tmp_path):
    path = make_zip(tmp_path / "escape.zip",
                    [("../x.py", b"x = 1\n", 0), ("link.py", b"/etc", stat.S_IFLNK | 0o777)])
    submission = read_submission(str(path), MODULE_PACK)
    assert submission.broken == ("the archive holds no file the grader can use (../x.py: a path "
                                 "outside the archive (..); link.py: a symbolic link)")


def test_an_archive_holding_many_entries_is_looked_at_up_to_the_limit(tmp_path):
    path = make_zip(tmp_path / "many.zip", [(f"f{i:04}.txt", b"", 0) for i in range(2100)],
                    compression=zipfile.ZIP_STORED)
    snapshot = open_submission(str(path))
    assert len(snapshot.entries) == 2000
    assert [(s.name, s.reason) for s in snapshot.limit_skipped] == [
        ("f2000.txt", "over the 2000-file limit")]


def test_a_notebook_inside_an_archive(tmp_path):
    entries = [("work/Regularization.ipynb", notebook_text(course_cells(done=False)).encode(), 0),
               ("work/Regularization_v2a.ipynb", notebook_text(course_cells(done=True)).encode(),
                0)]
    submission = read_submission(str(make_zip(tmp_path / "nb.zip", entries)), NOTEBOOK_PACK)
    assert submission.broken is None
    assert submission.format == "zip archive (notebook inside)"
    assert submission.location == "work"
    assert submission.module.name == "Regularization_v2a.py"
    assert not submission.definitions["compute_cost_with_regularization"].placeholder


def test_escaping_names_do_not_decide_where_the_task_files_are(tmp_path):
    path = make_zip(tmp_path / "hw.zip", [("../" + name, b"x = 1\n", 0) for name in TASK_FILES]
                    + [("hw/" + TASK_FILES[0], b"x = 0\n", 0)])
    submission = read_submission(str(path), MODULE_PACK)
    assert submission.location == "hw"
    assert list(submission.files) == [TASK_FILES[0]]


def test_an_archive_inside_the_archive_is_named_not_not_found(tmp_path):
    inner = make_zip(tmp_path / "inner.zip", [(TASK_FILES[0], b"x = 1\n", 0o100644)])
    outer = make_zip(tmp_path / "outer.zip", [("inner.zip", inner.read_bytes(), 0o100644)])
    broken = read_submission(str(outer), MODULE_PACK).broken
    assert broken.startswith("no task file was found, but inner.zip is an archive inside the "
                             "submission, which the grader does not open")
