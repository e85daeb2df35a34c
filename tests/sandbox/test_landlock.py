"""Landlock alone denies what it should and allows what it must; then every
layer together still lets NumPy and TensorFlow run, in both grader modes.

Every restriction happens in a forked child (or a subprocess), never in pytest.
"""
from __future__ import annotations

import importlib
import json
import os
import shutil
import socket
import subprocess
import sys

import pytest

from grader.sandbox import landlock, seccomp
from sandbox_child import REPO, SOLUTION, outcome, read, run_forked, write

ABI = landlock.abi_version()
pytestmark = pytest.mark.skipif(ABI == 0, reason="Landlock is not available on this kernel")


@pytest.fixture
def dirs(tmp_path):
    """scratch (writable), outside (neither readable nor writable) with a secret."""
    scratch, outside = tmp_path / "scratch", tmp_path / "outside"
    scratch.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text("answer")
    (scratch / "existing.txt").write_text("old")
    return str(scratch), str(outside)


def test_default_readable_is_narrow():
    paths = landlock.default_readable()
    assert sys.prefix in paths  # the virtualenv itself...
    assert os.path.realpath(sys.base_prefix) in paths
    assert f"/proc/{os.getpid()}/cmdline" in paths
    for protected in (REPO, os.path.expanduser("~"), os.getcwd()):
        protected = os.path.realpath(protected)
        # ...but nothing that is, or contains, the checkout, HOME or the cwd
        assert not [p for p in paths if protected == p or protected.startswith(p + "/")]


def test_default_readable_resolves_proc_self_in_the_caller():
    child = run_forked(lambda: {"pid": os.getpid(), "paths": landlock.default_readable()})
    assert f"/proc/{child['pid']}/cmdline" in child["paths"]


def test_status_reports_what_the_abi_enforces(dirs):
    scratch, _ = dirs
    child = run_forked(lambda: landlock.restrict(landlock.default_readable(), [scratch]).__dict__)
    assert child == {"abi": ABI, "filesystem": True, "tcp": ABI >= 4, "scopes": ABI >= 6}


def test_filesystem(dirs):
    scratch, outside = dirs
    exe = os.path.join(scratch, "true")
    shutil.copy("/usr/bin/true", exe)

    def child():
        landlock.restrict(landlock.default_readable(), [scratch])
        s = scratch
        # a stdlib module this process has not imported yet (the suite imports many)
        fresh_stdlib = next((name for name in ("tabnanny", "wave", "colorsys", "mailcap")
                             if name not in sys.modules), None)
        return {
            "read_outside": outcome(lambda: read(os.path.join(outside, "secret.txt"))),
            "read_repo_file": outcome(lambda: read(__file__)),
            "read_solution": outcome(lambda: read(SOLUTION)),
            "list_repo": outcome(lambda: os.listdir(REPO)),
            "read_parent_environ": outcome(lambda: read(f"/proc/{os.getppid()}/environ")),
            "write_outside": outcome(lambda: write(os.path.join(outside, "secret.txt"))),
            "create_outside": outcome(lambda: write(os.path.join(outside, "new.txt"))),
            "write_dev_null": outcome(lambda: write(os.devnull)),
            "read_stdlib": outcome(lambda: read(os.__file__)),
            "import_stdlib": outcome(lambda: importlib.import_module(fresh_stdlib))
            if fresh_stdlib else "not fresh",
            "read_urandom": outcome(lambda: read("/dev/urandom")),
            "create_in_scratch": outcome(lambda: write(os.path.join(s, "new.txt"))),
            "truncate_in_scratch": outcome(lambda: write(os.path.join(s, "existing.txt"))),
            "mkdir_in_scratch": outcome(lambda: os.mkdir(os.path.join(s, "d"))),
            "rename_in_scratch": outcome(lambda: os.rename(os.path.join(s, "new.txt"),
                                                           os.path.join(s, "d", "moved.txt"))),
            "unlink_in_scratch": outcome(lambda: os.unlink(os.path.join(s, "d", "moved.txt"))),
            "symlink_in_scratch": outcome(lambda: os.symlink(SOLUTION, os.path.join(s, "l"))),
            "fifo_in_scratch": outcome(lambda: os.mkfifo(os.path.join(s, "fifo"))),
            "exec_from_scratch": outcome(lambda: os.execv(exe, [exe])),
            "exec_system_binary": outcome(lambda: os.execv("/usr/bin/true", ["true"])),
        }

    assert run_forked(child) == {
        "read_outside": "EACCES", "read_repo_file": "EACCES",
        "read_solution": "EACCES" if os.path.exists(SOLUTION) else "ENOENT",
        "list_repo": "EACCES",
        "read_parent_environ": "EACCES", "write_outside": "EACCES",
        "create_outside": "EACCES", "write_dev_null": "EACCES",
        "read_stdlib": "ok", "import_stdlib": "ok", "read_urandom": "ok",
        "create_in_scratch": "ok", "truncate_in_scratch": "ok", "mkdir_in_scratch": "ok",
        "rename_in_scratch": "ok", "unlink_in_scratch": "ok",
        "symlink_in_scratch": "EACCES", "fifo_in_scratch": "EACCES",
        "exec_from_scratch": "EACCES", "exec_system_binary": "EACCES",
    }


def test_single_file_rules_and_missing_paths(dirs):
    scratch, outside = dirs
    allowed = os.path.join(outside, "secret.txt")
    write(os.path.join(outside, "other.txt"))

    def child():
        landlock.restrict([allowed, "/no/such/dir"], [scratch, os.devnull, "/no/such/scratch"])
        return {"allowed_file": outcome(lambda: read(allowed)),
                "sibling_file": outcome(lambda: read(os.path.join(outside, "other.txt"))),
                "dev_null_given_as_writable_file": outcome(lambda: write(os.devnull))}

    assert run_forked(child) == {"allowed_file": "ok", "sibling_file": "EACCES",
                                 "dev_null_given_as_writable_file": "ok"}


@pytest.mark.skipif(ABI < 4, reason="Landlock TCP rules need ABI 4 (Linux 6.7)")
def test_tcp_connect_and_bind_denied_udp_not_covered(dirs):
    scratch, _ = dirs
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(0.3)
        port = listener.getsockname()[1]

        def child():
            landlock.restrict(landlock.default_readable(), [scratch])
            tcp = socket.socket()
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            return {"connect": outcome(lambda: tcp.connect(("127.0.0.1", port))),
                    "bind": outcome(lambda: socket.socket().bind(("127.0.0.1", 0))),
                    "udp_send": outcome(lambda: udp.sendto(b"x", ("127.0.0.1", port)))}

        result = run_forked(child)
        with pytest.raises(TimeoutError):
            listener.accept()
    # UDP is outside Landlock: seccomp's socket() deny closes that gap.
    assert result == {"connect": "EACCES", "bind": "EACCES", "udp_send": "ok"}


@pytest.mark.skipif(ABI < 6, reason="Landlock scopes need ABI 6 (Linux 6.12)")
def test_scopes_deny_signals_and_abstract_sockets_outside(dirs):
    scratch, _ = dirs
    name = f"\0grader-sandbox-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(name)
        listener.listen()

        def child():
            landlock.restrict(landlock.default_readable(), [scratch])
            return {"signal_parent": outcome(lambda: os.kill(os.getppid(), 0)),
                    "signal_self": outcome(lambda: os.kill(os.getpid(), 0)),
                    "abstract_unix": outcome(lambda: socket.socket(socket.AF_UNIX).connect(name))}

        assert run_forked(child) == {"signal_parent": "EPERM", "signal_self": "ok",
                                     "abstract_unix": "EPERM"}


# --- every layer together, with NumPy and TensorFlow -------------------------------

@pytest.mark.skipif(not seccomp.prepare(), reason="pyseccomp or libseccomp is missing")
@pytest.mark.parametrize("mode", ["warm", "fresh"])
def test_tensorflow_runs_under_all_layers(mode, tmp_path):
    """warm: TF imported, then fork + lock down; fresh: fork + lock down, then import TF."""
    helper = os.path.join(os.path.dirname(__file__), "sandbox_child.py")
    proc = subprocess.run([sys.executable, "-I", helper, mode, str(tmp_path)],
                          capture_output=True, text=True, timeout=600, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"\n{mode}: {json.dumps(report, indent=1)}")
    assert "error" not in report, report
    assert report["threads_at_lockdown"] == 1
    assert report["landlock"] == [True, ABI >= 4, ABI >= 6]
    assert report["caps_dropped"] == (os.geteuid() == 0)
    assert report["tf_ok"] and report["numpy_ok"]
    assert report["denied"] == {"read_solution": "EACCES", "write_repo": "EACCES",
                                "write_scratch": "ok", "udp_socket": "EPERM", "fork": "EPERM",
                                "signal_parent": "EPERM" if ABI >= 6 else "ok"}
