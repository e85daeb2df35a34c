"""Folders: what is read, what is skipped and why, where task files are found."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

import grader.formats.folder as folder_reader
from formats_support import MODULE_PACK, NOTEBOOK_PACK, TASK_FILES
from grader.errors import GraderError
from grader.formats import (FORMATS, Skipped, locate, open_submission, read_submission,
                            tree_digest)


def make(root: Path, files: dict[str, bytes | str]) -> Path:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            data = data.encode()
        path.write_bytes(data)
    return root


def reasons(submission) -> dict[str, str]:
    return {item.name: item.reason for item in submission.skipped}


def test_registry_names_the_four_formats():
    assert list(FORMATS) == ["folder", "module", "notebook", "archive"]
    for reader in FORMATS.values():
        assert callable(reader.accepts) and callable(reader.read)


def test_flat_folder_gives_its_files_with_the_executable_bit(tmp_path):
    make(tmp_path, {TASK_FILES[0]: "#!/usr/bin/env python3\nx = 1\n", "README.md": "# hi\n"})
    (tmp_path / TASK_FILES[0]).chmod(0o755)
    submission = read_submission(str(tmp_path), MODULE_PACK)
    assert submission.format == "folder"
    assert submission.location == ""
    assert submission.broken is None
    assert set(submission.files) == {TASK_FILES[0], "README.md"}
    task = submission.get(TASK_FILES[0])
    assert task.data == b"#!/usr/bin/env python3\nx = 1\n"
    assert task.executable is True
    assert submission.get("README.md").executable is False


def test_every_skip_reason_a_student_understands(tmp_path):
    make(tmp_path, {
        TASK_FILES[0]: b"x = 1\n" + b"#" * int(1.4 * 1024 * 1024),
        TASK_FILES[1]: "s = 'caf\xe9'\n".encode("latin-1"),
        "data.bin": b"\xff\xfe binary data is fine",
        "target.py": "x = 1\n",
    })
    (tmp_path / TASK_FILES[2]).symlink_to(tmp_path / "target.py")
    os.mkfifo(tmp_path / "pipe.py")
    submission = read_submission(str(tmp_path), MODULE_PACK)
    why = reasons(submission)
    assert why[TASK_FILES[0]] == "larger than 1 MB (1.5 MB)"
    assert why[TASK_FILES[1]].startswith("not UTF-8 text (line 1: byte 0xE9")
    assert why[TASK_FILES[2]] == "a symbolic link"
    assert why["pipe.py"] == "not a regular file (FIFO)"
    assert "data.bin" in submission.files  # only .py and .ipynb must be UTF-8
    for name in TASK_FILES:
        assert name not in submission.files
        assert submission.skip_reason(name), name  # handed in, so never "not found"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files without read permission")
def test_an_unreadable_file_is_skipped_with_the_reason(tmp_path):
    make(tmp_path, {TASK_FILES[0]: "x = 1\n"})
    (tmp_path / TASK_FILES[0]).chmod(0)
    try:
        submission = read_submission(str(tmp_path), MODULE_PACK)
    finally:
        (tmp_path / TASK_FILES[0]).chmod(0o644)
    assert submission.skip_reason(TASK_FILES[0]) == "unreadable (Permission denied)"


def test_noise_is_ignored_silently(tmp_path):
    make(tmp_path, {
        TASK_FILES[0]: "x = 1\n", ".DS_Store": "junk", ".git/config": "[core]\n",
        "__pycache__/m.cpython-311.pyc": b"\x00", ".ipynb_checkpoints/a-checkpoint.ipynb": "{}",
        "__MACOSX/._a.py": "junk", "node_modules/x/index.js": "", "venv/bin/python": "",
        ".venv/lib/x.py": "", "._0-l2_reg_cost.py": "junk"})
    submission = read_submission(str(tmp_path), MODULE_PACK)
    assert set(submission.files) == {TASK_FILES[0]}
    assert submission.skipped == ()
    assert open_submission(str(tmp_path)).names() == {TASK_FILES[0]}


def test_names_lists_base_names_at_any_depth(tmp_path):
    make(tmp_path, {"a.py": "", "x/b.py": "", "x/y/z/c.ipynb": "{}",
                    "big/huge.py": b"#" * (2 * 1024 * 1024)})
    assert open_submission(str(tmp_path)).names() == {"a.py", "b.py", "c.ipynb", "huge.py"}


def test_a_repository_checkout_is_found_where_the_task_files_are(tmp_path):
    make(tmp_path, {
        "README.md": "# my repo\n",
        "a/b/regularization/" + TASK_FILES[0]: "x = 0\n",
        "a/b/regularization/" + TASK_FILES[1]: "x = 1\n",
        "a/b/regularization/README.md": "# reg\n",
        "a/b/regularization/sub/helper.py": "y = 2\n",
        "a/b/optimization/" + TASK_FILES[0]: "z = 0\n",  # one file of the same name elsewhere
        "a/b/regularization/" + TASK_FILES[2]: b"#" * (2 * 1024 * 1024),
        "other/big.py": b"#" * (2 * 1024 * 1024),
    })
    submission = read_submission(str(tmp_path), MODULE_PACK)
    assert submission.broken is None
    assert submission.location == "a/b/regularization"
    assert "task files found in a/b/regularization/" in submission.notes
    assert set(submission.files) == {TASK_FILES[0], TASK_FILES[1], "README.md"}
    assert submission.get(TASK_FILES[0]).data == b"x = 0\n"
    assert submission.get(TASK_FILES[0]).name == TASK_FILES[0]
    assert submission.skip_reason(TASK_FILES[2]).startswith("larger than 1 MB")
    assert "other/big.py" not in reasons(submission)  # outside the graded folder: not reported


def test_task_files_at_the_top_win(tmp_path):
    make(tmp_path, {TASK_FILES[0]: "top\n", "sub/" + TASK_FILES[0]: "sub\n",
                    "sub/" + TASK_FILES[1]: "sub\n"})
    submission = read_submission(str(tmp_path), MODULE_PACK)
    assert submission.location == ""
    assert set(submission.files) == {TASK_FILES[0]}


def test_an_ambiguous_checkout_is_broken_naming_the_folders(tmp_path):
    make(tmp_path, {"v1/" + TASK_FILES[0]: "", "v1/" + TASK_FILES[1]: "",
                    "v2/" + TASK_FILES[0]: "", "v2/" + TASK_FILES[2]: ""})
    submission = read_submission(str(tmp_path), MODULE_PACK)
    assert submission.broken == "task files found in several folders (v1/, v2/): hand in one"
    assert submission.files == {}


def test_only_the_located_folder_is_read(tmp_path, monkeypatch):
    files = {f"lib/m{i}.py": f"x = {i}\n" for i in range(50)}
    files.update({"hw/regularization/" + name: "x = 1\n" for name in TASK_FILES})
    make(tmp_path, files)
    read = []
    real = folder_reader.read_regular_file
    monkeypatch.setattr(folder_reader, "read_regular_file",
                        lambda path, limit: read.append(path) or real(path, limit))
    submission = read_submission(str(tmp_path), MODULE_PACK)
    assert set(submission.files) == set(TASK_FILES)
    assert sorted(Path(p).relative_to(tmp_path).as_posix() for p in read) == sorted(
        "hw/regularization/" + name for name in TASK_FILES)


def test_bounds_on_entries_depth_and_total(tmp_path):
    make(tmp_path, {f"many/f{i:04}.txt": "" for i in range(2100)})
    snapshot = open_submission(str(tmp_path))
    assert len(snapshot.entries) == 1999  # the folder `many` is the 2000th entry looked at
    assert snapshot.limit_skipped == [Skipped("many/f1999.txt", "over the 2000-file limit")]
    submission = locate(snapshot, MODULE_PACK)
    assert Skipped("many/f1999.txt", "over the 2000-file limit") in submission.skipped

    deep = tmp_path / "deep"
    make(deep, {"/".join(["d"] * 8) + "/ok.py": "", "/".join(["d"] * 9) + "/too_deep.py": ""})
    snapshot = open_submission(str(deep))
    assert "/".join(["d"] * 8) + "/ok.py" in snapshot.entries
    assert Skipped("/".join(["d"] * 9), "more than 8 folders deep") in snapshot.skipped

    total = tmp_path / "total"
    make(total, {f"f{i:02}.dat": b"x" * (1000 * 1024) for i in range(25)})
    submission = read_submission(str(total), MODULE_PACK)
    assert len(submission.files) == 20
    assert [s.reason for s in submission.skipped] == ["over the 20 MB total"] * 5


def test_reading_never_writes_into_the_submission(tmp_path):
    make(tmp_path, {TASK_FILES[0]: "import os\nprint('hi')\n", "m.py": "def f():\n    pass\n",
                    "sub/n.ipynb": '{"cells": [], "metadata": {}, "nbformat": 4, '
                                   '"nbformat_minor": 5}'})
    before = tree_digest(tmp_path)
    for path in tmp_path.rglob("*"):  # access times older than the contents: a read would show
        info = path.stat()
        os.utime(path, ns=(info.st_mtime_ns - 10**12, info.st_mtime_ns))
    times = {p: p.stat().st_atime_ns for p in tmp_path.rglob("*")}
    read_submission(str(tmp_path), MODULE_PACK)
    read_submission(str(tmp_path), NOTEBOOK_PACK)
    assert {p: p.stat().st_atime_ns for p in tmp_path.rglob("*")} == times  # O_NOATIME
    assert tree_digest(tmp_path) == before
    assert not list(tmp_path.rglob("__pycache__"))


def test_what_is_not_a_submission_is_a_grader_error(tmp_path):
    with pytest.raises(GraderError, match="submission not found"):
        open_submission(str(tmp_path / "missing"))
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(GraderError, match=r"a \.txt file"):
        open_submission(str(tmp_path / "notes.txt"))
    with pytest.raises(GraderError, match="not a regular file"):
        open_submission("/dev/null")
    os.mkfifo(tmp_path / "pipe.py")
    with pytest.raises(GraderError, match="not a regular file"):
        open_submission(str(tmp_path / "pipe.py"))


SOURCE = "def l2_reg_cost():\n    return 'co\u00fbt'\n"


@pytest.mark.parametrize("data, fragment", [
    ("# r\u00e9gularisation\n".encode("latin-1") + SOURCE.encode("latin-1"),
     "not UTF-8 text (line 1: byte 0xE9"),
    (SOURCE.encode("utf-16"), "UTF-16 text"),
    (bytes(range(256)), "not text (binary data)"),
])
def test_text_that_is_not_utf8_says_what_it_is(tmp_path, data, fragment):
    make(tmp_path, {TASK_FILES[0]: data})
    before = tree_digest(tmp_path)
    reason = read_submission(str(tmp_path), MODULE_PACK).skip_reason(TASK_FILES[0])
    assert reason.startswith(fragment) and ("save" in reason or "hand in" in reason)
    assert tree_digest(tmp_path) == before


def test_a_declared_encoding_is_honoured_as_python_does(tmp_path):
    declared = "#!/usr/bin/env python3\n# -*- coding: latin-1 -*-\n" + SOURCE
    make(tmp_path, {TASK_FILES[0]: declared.encode("latin-1")})
    submission = read_submission(str(tmp_path), MODULE_PACK)
    task = submission.get(TASK_FILES[0])
    assert task.text == declared.replace("latin-1", "utf-8")  # same lines, now UTF-8
    assert any("declares its encoding (iso-8859-1)" in note for note in submission.notes)
    assert (tmp_path / TASK_FILES[0]).read_bytes() == declared.encode("latin-1")


@pytest.mark.parametrize("handed_in, fragment", [
    ("0-L2_reg_cost.py", "handed in as '0-L2_reg_cost.py': the grader looks for exactly "
                         "'0-l2_reg_cost.py' (names are case-sensitive): rename the file"),
    ("0-l2_reg_cost (1).py", "handed in as '0-l2_reg_cost (1).py'"),
    ("0-l2_reg_cost.py.txt", "handed in as '0-l2_reg_cost.py.txt'"),
    ("0-l2_reg_coût.py", "handed in as '0-l2_reg_coût.py'"),
    ("0-l2_reg_cost.py/x.py", "a folder of that name, not a file"),
    ("other/0-l2_reg_cost.py", "it is in other/, but the other task files are in the top "
                               "folder: put every task file in one folder"),
])
def test_a_task_file_handed_in_under_another_name_or_place_is_never_not_found(
        tmp_path, handed_in, fragment):
    make(tmp_path, {handed_in: "x = 1\n", TASK_FILES[1]: "x = 1\n"})
    submission = read_submission(str(tmp_path), MODULE_PACK)
    assert fragment in submission.skip_reason(TASK_FILES[0])
    assert submission.skip_reason(TASK_FILES[2]) is None  # nothing like it: plainly missing


def test_another_task_number_is_not_a_lookalike(tmp_path):
    make(tmp_path, {TASK_FILES[2]: "x = 1\n"})  # 2-l2_reg_cost.py, one digit off task 0's
    assert read_submission(str(tmp_path), MODULE_PACK).skip_reason(TASK_FILES[0]) is None
