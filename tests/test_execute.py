"""Executed mode (`--execute`): the whole notebook runs in a sandboxed Jupyter kernel, and
"runs top to bottom" (plus the pack's published outputs, informational) is judged in the
parent, through the real pipeline. The toy pack (tests/packs/toy/) declares a 3 s per-cell
timeout and one published output (`print(double(3))` prints 6)."""
from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import threading
import time
import uuid
from pathlib import Path

import pytest

from conftest import REPO
from grader.cli import main
from grader.errors import GraderError
from grader.formats import tree_digest
from grader.packs import load_pack
from grader.pipeline import Options, grade
from grader.sandbox import landlock, seccomp

PACKS = REPO / "tests" / "packs"
NOTEBOOK = REPO / "fixtures" / "toy" / "student.ipynb"
STATIC = Options(assignment="toy", seed=5, packs=(str(PACKS),))
EXECUTED = Options(assignment="toy", seed=5, packs=(str(PACKS),), execute=True)
ONLY_DOUBLE = Options(assignment="toy", seed=5, packs=(str(PACKS),), execute=True,
                      tasks=("double",))
RUNS = "runs top to bottom"
PUBLISHED = "published output (informational): print(double(3))"
DOUBLE = '# GRADED FUNCTION: double\ndef double(x):\n    """Twice x."""\n    return 2 * x'


def notebook(path: Path, *cells: str) -> Path:
    """A notebook of these cells (a cell starting with '#md ' is a markdown cell)."""
    def cell(number: int, text: str) -> dict:
        if text.startswith("#md "):
            return {"cell_type": "markdown", "id": f"c{number}", "metadata": {},
                    "source": text[4:]}
        return {"cell_type": "code", "id": f"c{number}", "metadata": {}, "outputs": [],
                "execution_count": None, "source": text}
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                                "cells": [cell(n, t) for n, t in enumerate(cells)]}))
    return path


def check(result, name: str):
    return next(c for c in result.checks if c.name == name)


@pytest.mark.slow
def test_the_toy_notebook_runs_top_to_bottom_but_for_the_cells_that_cannot():
    before = tree_digest(NOTEBOOK.parent)
    started = time.monotonic()
    executed = grade(str(NOTEBOOK), EXECUTED)
    seconds = time.monotonic() - started
    assert tree_digest(NOTEBOOK.parent) == before
    static = grade(str(NOTEBOOK), STATIC)
    # static grading is unchanged: same outcomes, same checks, the executed ones added
    assert [(r.task.id, r.outcome, r.score) for r in executed.tasks] == \
        [(r.task.id, r.outcome, r.score) for r in static.tasks]
    for before_run, after_run in zip(static.tasks, executed.tasks):
        assert after_run.checks[:len(before_run.checks)] == before_run.checks
    runs = check(executed.tasks[0], RUNS)
    assert not runs.passed and all(check(r, RUNS) == runs for r in executed.tasks)
    message = runs.message
    # the infinite loop timed out (3 s), was interrupted, and the cells after it still ran
    assert "cell 6 (`while True:`): timed out: ran longer than 3 s" in message
    assert "cell 2 (`%matplotlib inline`): ModuleNotFoundError: No module named " \
           "'cv2_not_installed_here'" in message
    assert "cell 7 (`!pip install nothing`)" in message and "shell commands" in message
    assert message.startswith("3 cells failed")
    assert not any(f"cell {n} " in message for n in (3, 4, 5))
    assert seconds < 45, "the notebook's run must be bounded, never hang"
    note = next(n for n in executed.source["notes"] if n.startswith("executed the notebook"))
    if seccomp.available():
        assert "seccomp" in note
    # requirement checks fail, so the exit status says something failed
    assert not executed.tasks[0].style_ok


@pytest.mark.slow
def test_a_cell_that_raises_is_named_and_the_published_output_is_compared(tmp_path):
    path = notebook(
        tmp_path / "work.ipynb",
        "#md # My work",
        "import numpy as np\nfrom toyhelpers import SCALE\n"
        "helper_text = open('toyhelpers.py').read()",
        DOUBLE,
        "print(double(3))",
        "values = [1, 2]\nraise ValueError('first line\\nthe last line')",
        "print('still running')",
        "import os\nos._exit(3)",
        "print('never')")
    result = grade(str(path), ONLY_DOUBLE).tasks[0]
    assert result.outcome == "passed"
    runs = check(result, RUNS)
    assert not runs.passed
    # the support files sit beside the notebook: cell 2 imports and reads them, and passes
    assert "cell 2" not in runs.message and "cell 6" not in runs.message
    assert "cell 5 (`values = [1, 2]`): ValueError: the last line" in runs.message
    assert "cell 7 (`import os`): the kernel died while running it" in runs.message
    assert "the cells after it did not run" in runs.message
    published = check(result, PUBLISHED)
    assert published.passed and published.weight == 0


@pytest.mark.slow
def test_a_cell_that_ignores_the_interrupt_ends_the_run_with_a_reason(tmp_path):
    path = notebook(tmp_path / "work.ipynb", DOUBLE,
                    "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                    "while True:\n    time.sleep(0.1)",
                    "print(double(3))")
    started = time.monotonic()
    message = check(grade(str(path), ONLY_DOUBLE).tasks[0], RUNS).message
    assert time.monotonic() - started < 40  # not 60 s: the run stops at the stuck kernel
    assert "cell 2 (`import signal, time`): timed out: ran longer than 3 s" in message
    assert "cell 3 (`print(double(3))`): not run: cell 2 was interrupted at its timeout " \
           "and the kernel did not stop it" in message


@pytest.mark.slow
def test_a_wrong_published_output_is_informational_only(tmp_path, monkeypatch):
    packs = tmp_path / "packs"
    shutil.copytree(PACKS / "toy", packs / "toy")
    toml = packs / "toy" / "pack.toml"
    toml.write_text(toml.read_text().replace('cell_marker = "print(double(3))"',
                                             'cell_marker = "print(total)"'))
    monkeypatch.setenv("GRADER_SOLUTIONS", str(REPO / "tests" / "solutions"))
    path = notebook(tmp_path / "work.ipynb", DOUBLE, "total = double(3) + 1\nprint(total)")
    report = grade(str(path), Options(assignment="toy", seed=5, packs=(str(packs),),
                                      execute=True, tasks=("double",)))
    result = report.tasks[0]
    assert check(result, RUNS).passed
    published = check(result, "published output (informational): print(total)")
    assert not published.passed and published.kind == "requirement"
    assert "cell 2 printed 7" in published.message and "publishes 6" in published.message
    assert "informational" in published.message
    # it changes neither the score, nor `correct`, nor `style_ok`
    assert result.score == result.task.points and result.correct and result.style_ok


def _in_a_forked_child(work) -> dict:
    """Run `work()` in a forked child (no filter ever reaches pytest); its dict back."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        try:
            os.write(write_end, json.dumps(work()).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as handle:
        data = handle.read()
    os.waitpid(pid, 0)
    return json.loads(data or b"{}")


def _outcome(action) -> str:
    try:
        result = action()
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno))
    if isinstance(result, socket.socket):
        result.close()
    return "ok"


def _forked() -> int:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


@pytest.mark.skipif(not seccomp.available(), reason="pyseccomp or libseccomp is missing")
def test_the_kernel_host_profile_allows_unix_streams_and_the_kernel_filter_takes_them_back(
        tmp_path):
    path = str(tmp_path / "s")

    def work() -> dict:
        seccomp.install("kernel-host")
        server = socket.socket(socket.AF_UNIX)
        server.bind(path)
        server.listen()
        host = {"tcp": _outcome(lambda: socket.socket(socket.AF_INET)),
                "udp": _outcome(lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM)),
                "unix datagram": _outcome(lambda: socket.socket(socket.AF_UNIX,
                                                                socket.SOCK_DGRAM)),
                "unix connect": _outcome(lambda: socket.socket(socket.AF_UNIX).connect(path)),
                "fork": _outcome(_forked)}
        seccomp.kernel_filter().load()
        kernel = {"unix stream": _outcome(lambda: socket.socket(socket.AF_UNIX)),
                  "unix connect": _outcome(lambda: socket.socket(socket.AF_UNIX).connect(path)),
                  "fork": _outcome(_forked),
                  "thread": _outcome(lambda: threading.Thread(target=int).start())}
        return {"host": host, "kernel": kernel}

    seen = _in_a_forked_child(work)
    assert seen["host"] == {"tcp": "EPERM", "udp": "EPERM", "unix datagram": "EPERM",
                            "unix connect": "ok", "fork": "ok"}
    assert seen["kernel"] == {"unix stream": "ok", "unix connect": "EPERM", "fork": "EPERM",
                              "thread": "ok"}


def _sandboxed() -> bool:
    return seccomp.available() and landlock.abi_version() >= 1


@pytest.mark.slow
@pytest.mark.skipif(not _sandboxed(), reason="needs seccomp and Landlock")
def test_a_hostile_cell_is_contained_and_leaves_nothing_behind(tmp_path):
    marker = f"grader-daemon-{uuid.uuid4().hex}"
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    unix_path = str(tmp_path / "machine.sock")
    unix_listener = socket.socket(socket.AF_UNIX)
    unix_listener.bind(unix_path)
    unix_listener.listen()
    unix_listener.setblocking(False)
    outside = tmp_path / "written-outside"
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    hostile = f"""import os, socket, subprocess, sys
udp = socket.AF_INET, socket.SOCK_DGRAM
seen = {{}}
def attempt(name, action):
    try:
        action()
        seen[name] = "done"
    except OSError as exc:
        seen[name] = type(exc).__name__
attempt("tcp", lambda: socket.create_connection(("127.0.0.1", {listener.getsockname()[1]}), 2))
attempt("unix", lambda: socket.socket(socket.AF_UNIX).connect({unix_path!r}))
attempt("udp", lambda: socket.socket(*udp).sendto(b"x", ("127.0.0.1", 9)))
attempt("write", lambda: open({str(outside)!r}, "w").write("escaped"))
def daemon():
    if os.fork() == 0:
        os.setsid()
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(60)", {marker!r}])
attempt("fork", daemon)
attempt("popen", lambda: subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)",
                                           {marker!r}], start_new_session=True))
assert "done" not in seen.values(), seen"""
    path = notebook(tmp_path / "work.ipynb", DOUBLE, hostile, "print('the kernel survived')")
    options = Options(assignment="toy", seed=5, packs=(str(PACKS),), execute=True,
                      tasks=("double",), scratch=str(scratch))
    result = grade(str(path), options).tasks[0]
    runs = check(result, RUNS)
    assert runs.passed, runs.message  # every attempt failed in the cell, and the kernel went on
    with pytest.raises(BlockingIOError):
        listener.accept()
    with pytest.raises(BlockingIOError):
        unix_listener.accept()
    assert not outside.exists()
    assert list(scratch.iterdir()) == []
    assert not [pid for pid in os.listdir("/proc") if pid.isdigit() and _runs(pid, marker)]
    listener.close()
    unix_listener.close()


def _runs(pid: str, marker: str) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return marker.encode() in handle.read()
    except OSError:
        return False


def test_execute_on_a_module_says_it_applies_to_notebooks_only(tmp_path, capsys):
    module = tmp_path / "work.py"
    module.write_text("def double(x):\n    return 2 * x\n")
    status = main([str(module), "--assignment", "toy", "--packs", str(PACKS), "--execute"])
    error = capsys.readouterr().err
    assert status == 2
    assert error.count("\n") == 1 and "--execute applies to notebooks only" in error


@pytest.mark.parametrize("table, fragment", [
    ('[execute]\ncell_seconds = 5\ntotal_seconds = 2\n', "cell_seconds <= total_seconds"),
    ('[execute]\nwall = 3\n', "takes cell_seconds, total_seconds and published"),
    ('[[execute.published]]\ntask = "nope"\ncell_marker = "x"\nexpected = "1"\n',
     "unknown task"),
    ('[[execute.published]]\ntask = "double"\ncell_marker = "x"\nexpected = "none"\n',
     "expects no number"),
])
def test_the_execute_table_is_validated(tmp_path, table, fragment):
    shutil.copytree(PACKS / "toy", tmp_path / "toy")
    text = (tmp_path / "toy" / "pack.toml").read_text()
    (tmp_path / "toy" / "pack.toml").write_text(text[:text.index("[execute]")] + table)
    with pytest.raises(GraderError, match=fragment):
        load_pack("toy", (str(tmp_path),))
