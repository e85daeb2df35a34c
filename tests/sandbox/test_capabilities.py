"""Dropping capabilities alone: root keeps its own files, loses root's powers.

Each check runs in a forked child, so pytest keeps its capabilities.
"""
from __future__ import annotations

import os

import pytest

from grader.sandbox import capabilities
from sandbox_child import outcome, read, run_forked, write

NOBODY = 65534


def test_drop_all_leaves_no_capability():
    def child():
        before = capabilities.current()
        dropped = capabilities.drop_all()
        return {"had": bool(before["CapEff"] or before["CapPrm"]), "dropped": dropped,
                "after": capabilities.current(), "again": capabilities.drop_all()}

    result = run_forked(child)
    assert result["dropped"] == result["had"]
    assert result["after"]["CapEff"] == result["after"]["CapPrm"] == 0
    if result["had"]:  # the bounding set too, so no execve can give any back
        assert not any(result["after"].values()), result["after"]
    assert result["again"] is False  # nothing left to drop


@pytest.mark.skipif(os.geteuid() != 0, reason="only root has capabilities to drop")
def test_root_keeps_its_files_but_not_dac_override(tmp_path):
    own = tmp_path / "own.txt"
    own.write_text("mine")
    own.chmod(0o600)
    foreign = tmp_path / "foreign.txt"
    foreign.write_text("someone else's")
    foreign.chmod(0o600)
    os.chown(foreign, NOBODY, NOBODY)

    def child():
        before = outcome(lambda: read(str(foreign)))
        assert capabilities.drop_all()
        return {"foreign_before": before,
                "read_own": outcome(lambda: read(str(own))),
                "write_own": outcome(lambda: write(str(own))),
                "create": outcome(lambda: write(str(tmp_path / "new.txt"))),
                "mkdir": outcome(lambda: os.mkdir(tmp_path / "d")),
                "unlink": outcome(lambda: os.unlink(tmp_path / "new.txt")),
                "foreign_after": outcome(lambda: read(str(foreign))),
                "chown": outcome(lambda: os.chown(own, NOBODY, NOBODY)),
                "setuid": outcome(lambda: os.setuid(NOBODY))}

    assert run_forked(child) == {
        "foreign_before": "ok", "read_own": "ok", "write_own": "ok", "create": "ok",
        "mkdir": "ok", "unlink": "ok",
        "foreign_after": "EACCES", "chown": "EPERM", "setuid": "EPERM"}
