"""The scratch folder's quota and its non-recursive clean-up (grader/sandbox/scratch.py)."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from grader.sandbox import scratch
from sandbox_child import run_forked


def _deep_tree(root, depth: int) -> None:
    """`depth` nested folders `d`, made relative to each other (deeper than PATH_MAX)."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(depth):
        os.mkdir("d", dir_fd=fd)
        inner = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = inner
    with open(os.open("last", os.O_WRONLY | os.O_CREAT, dir_fd=fd), "w") as handle:
        handle.write("x")
    os.close(fd)


def test_over_quota_counts_bytes_and_entries(tmp_path):
    assert scratch.over_quota(str(tmp_path)) is None
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "big").write_bytes(b"x" * (3 << 20))
    (tmp_path / "sparse").open("wb").truncate(1 << 30)  # uses no blocks
    assert scratch.over_quota(str(tmp_path), max_bytes=4 << 20) is None
    assert "MB written" in scratch.over_quota(str(tmp_path), max_bytes=2 << 20)
    for index in range(20):
        (tmp_path / "a" / str(index)).touch()
    assert "files and folders" in scratch.over_quota(str(tmp_path), max_entries=10)


def test_empty_folder_survives_what_rmtree_does_not(tmp_path):
    _deep_tree(tmp_path, 3000)
    (tmp_path / "locked").mkdir(mode=0)
    (tmp_path / "file").write_text("x")
    with pytest.raises(RecursionError):
        list(os.walk(tmp_path))
    scratch.empty_folder(str(tmp_path))
    assert os.listdir(tmp_path) == []
    shutil.rmtree(tmp_path)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to switch to an unprivileged user")
def test_empty_folder_unprivileged_reopens_locked_folders():
    folder = Path(tempfile.mkdtemp(prefix="grader-scratch-test-"))  # reachable by nobody
    os.chown(folder, 65534, 65534)

    def child():
        os.setgid(65534)
        os.setuid(65534)
        (folder / "locked").mkdir(mode=0)
        (folder / "open").mkdir()
        (folder / "open" / "inner").mkdir(mode=0o100)
        scratch.empty_folder(str(folder))
        return {"left": os.listdir(folder)}

    try:
        assert run_forked(child) == {"left": []}
    finally:
        shutil.rmtree(folder)
