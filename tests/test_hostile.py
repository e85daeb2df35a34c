"""Hostile fixtures: every attack of the threat model fails and leaves no trace.

For each `hostile/*` fixture of fixtures/regularization/expectations.toml,
grading it must:
- give the attacked task its expected verdict and every other task its true
  one (never a grader error), without a traceback;
- finish within the attacked task's wall-clock limit + 15 s;
- leave the submission byte-identical (grader.formats.tree_digest), and
  create or change nothing outside the scratch folders: no marker file the
  fixtures try to plant (in /tmp, /var/tmp, /dev/shm, /root, /, the repo,
  site-packages, the stdlib, the submission's parent folder), no new
  `git status` entry under solutions/ or naming a marker, no marker line in
  the grader files the fixtures append to, no changed mode, time or xattr of
  the files the fixtures chmod, no System V IPC object (other engineers may
  edit grader/ and assignments/ meanwhile, so those are checked by marker);
- leave no process of the run alive (descendants of this process, and any
  process whose environment or cwd points into the run's scratch folders),
  no scratch folder behind, and a sentinel process of the test untouched
  (alive, and not even reached by a harmless SIGURG);
- let no connection or datagram reach the listeners the test opens
  (TCP and UDP on one port of 127.0.0.1:47000-47010, a UNIX socket in /tmp,
  an abstract UNIX socket);
- execute nothing the child returned (the smuggling fixtures' markers).

Every fixture runs on the session's warm engine, and a representative subset
(one per kind of attack: limits, signals, harness, hijacking, files, network,
smuggling) on the fresh engine (a new interpreter per task); only the attacked
task is graded (`--task`), the others have nothing to say about the attack. Scratch folders are put under the test's tmp_path
(Options.scratch), next to the submission, so that the fixtures that walk up
from their own file can find the original submission and try to change it.
"""
from __future__ import annotations

import ctypes
import os
import select
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

from conftest import REPO, assemble, load_expectations
from grader.engine import FreshEngine
from grader.pipeline import Options, grade
from grader.formats import tree_digest

SEED = 1234
# Fragments the attacked task's failing checks must say (why it failed).
MESSAGES = {"hostile_0_ignore_signals_loop": "timed out", "hostile_0_sleep_forever": "timed out",
            "hostile_0_many_files_2gb": "more than 128 MB written in the scratch folder",
            "hostile_0_killpg_self": "SIGKILL",
            "hostile_0_small_stack_thread_bomb": "more than 256 threads",
            "hostile_0_sigsegv_self": "SIGSEGV", "hostile_0_close_all_fds": "without reporting",
            "hostile_0_os_exit_in_function": "without reporting",
            "hostile_0_garbage_on_result_fd": "malformed results"}
HOSTILE = {name: spec for name, spec in load_expectations().items()
           if spec.get("path", "").startswith("hostile/")}
MARKER_NAMES = ("grader-hostile-marker", "grader_hostile_marker")
MARKER_FOLDERS = ["/tmp", "/var/tmp", "/dev/shm", "/root", "/", str(REPO), str(REPO / "grader"),
                  str(REPO / "solutions" / "regularization"),
                  str(REPO / "assignments" / "regularization"),
                  sysconfig.get_path("purelib"), sysconfig.get_path("stdlib")]
CHMOD_TARGET = Path("/tmp/grader-hostile-chmod-target")
METADATA_TARGETS = [REPO / "solutions" / "regularization" / "0-l2_reg_cost.py",
                    REPO / "assignments" / "regularization" / "probes.py", CHMOD_TARGET]
APPEND_TARGETS = [REPO / "grader" / "judging" / "compare.py",
                  REPO / "assignments" / "regularization" / "checks" / "__init__.py",
                  REPO / "assignments" / "regularization" / "probes.py"]
PORTS = range(47000, 47011)
UNIX_PATH = "/tmp/grader-hostile-unix.sock"
ABSTRACT_NAME = "\0grader-hostile-abstract"


FRESH_SUBSET = ["hostile_0_close_all_fds", "hostile_0_fork_bomb", "hostile_0_hijack_numpy_py",
                "hostile_0_hijack_pth", "hostile_0_ignore_signals_loop", "hostile_0_kill_parent",
                "hostile_0_many_files_2gb", "hostile_0_memory_bomb", "hostile_0_read_solutions_abs",
                "hostile_0_reduce_payload", "hostile_0_setsid_daemon",
                "hostile_0_tamper_submission", "hostile_0_tcp_connect", "hostile_0_udp_sendto",
                "hostile_2_hijack_tensorflow_py"]


def _params():
    return ([pytest.param(name, "warm", id=f"warm-{name}") for name in sorted(HOSTILE)]
            + [pytest.param(name, "fresh", id=f"fresh-{name}", marks=pytest.mark.slow)
               for name in FRESH_SUBSET])


def test_hostile_lists_are_consistent():
    assert set(MESSAGES) <= set(HOSTILE)
    assert set(FRESH_SUBSET) <= set(HOSTILE)
    assert len(HOSTILE) >= 50


@pytest.mark.parametrize("name, engine_kind", _params())
def test_hostile_fixture(name, engine_kind, tmp_path, warm_engine, pack,
                         listeners):
    spec = HOSTILE[name]
    submission = assemble(spec, tmp_path / "submission")
    runs = tmp_path / "runs"
    runs.mkdir()
    attacked = spec["path"].split("/")[1].split("-")[0]
    task = next(t for t in pack.tasks if t.id == attacked)
    traces = Traces(tmp_path, submission)
    engine = warm_engine if engine_kind == "warm" else FreshEngine(
        str(pack.probes_path), pack.declared_runtimes)
    started, crash = time.monotonic(), None
    try:
        report = grade(str(submission), Options(assignment="regularization", seed=SEED,
                                                scratch=str(runs), tasks=(attacked,)),
                       engine=engine)
    except Exception as exc:  # reported below, with whatever the run left behind
        crash = exc
    elapsed = time.monotonic() - started
    problems = traces.problems(runs) + listeners.reached()
    if crash is not None:
        raise AssertionError(f"grading crashed: {crash!r}\n" + "\n".join(problems)) from crash
    assert not problems, f"{spec['why']}\n" + "\n".join(problems)
    assert elapsed <= task.limits.wall_seconds + 15, f"grading took {elapsed:.1f} s"
    assert [r.task.id for r in report.tasks] == [attacked]
    fails = {r.task.id for r in report.tasks if not r.correct}
    style_fails = {r.task.id for r in report.tasks if not r.style_ok}
    details = {r.task.id: [(c.name, c.message[:300]) for c in r.checks if not c.passed][:2]
               for r in report.tasks if r.task.id in fails ^ set(spec["fails"])}
    assert fails == set(spec["fails"]), f"{spec['why']}\n{details}"
    assert style_fails == set(spec["style_fails"]), spec["why"]
    errors = [r.task.id for r in report.tasks if r.outcome == "grader-error"]
    assert not errors, f"grader errors on tasks {errors}"
    if name in MESSAGES:
        messages = " ".join(c.message for c in report.tasks[0].checks if not c.passed)
        assert MESSAGES[name] in messages, f"{MESSAGES[name]!r} not in {messages!r}"


# ------------------------------------------------------------------ traces
class Traces:
    """What a run could leave behind, snapshotted before it; `problems()` compares."""

    def __init__(self, tmp_path: Path, submission: Path) -> None:
        self.tmp_path, self.submission = tmp_path, submission
        CHMOD_TARGET.unlink(missing_ok=True)
        CHMOD_TARGET.write_text("the chmod fixture's target\n")
        os.chmod(CHMOD_TARGET, 0o644)
        os.utime(CHMOD_TARGET, ns=(10 ** 18, 10 ** 18))
        self.digest = tree_digest(submission)
        self.neighbours = sorted(os.listdir(tmp_path))
        self.markers = _markers(tmp_path)
        self.git = _git_status()
        self.metadata = {path: _metadata(path) for path in METADATA_TARGETS}
        self.ipc = _ipc_objects()
        self.sentinel = Sentinel()
        self.descendants = _descendants(os.getpid())

    def problems(self, runs: Path) -> list[str]:
        """Every trace the run left, cleaning up what it can; [] when none."""
        found = []
        if tree_digest(self.submission) != self.digest:
            found.append("the submission folder changed")
        if sorted(os.listdir(self.tmp_path)) != self.neighbours:
            found.append(f"the submission's parent folder changed: {os.listdir(self.tmp_path)}")
        for path in sorted(_markers(self.tmp_path) - self.markers):
            found.append(f"marker file appeared: {path}")
            os.unlink(path)
        found += [f"repository changed: {line}" for line in sorted(_git_status() - self.git)
                  if line[3:].startswith("solutions/") or any(m in line for m in MARKER_NAMES)]
        found += [f"{path} was appended to" for path in APPEND_TARGETS
                  if any(m.encode() in path.read_bytes() for m in MARKER_NAMES)]
        for path, before in self.metadata.items():
            after = _metadata(path)
            if after != before:
                found.append(f"metadata of {path} changed: {before} -> {after}")
                _restore_metadata(path, before)
        new_ipc = _ipc_objects() - self.ipc
        found += [f"System V IPC object left: {kind} {ident}" for kind, ident in sorted(new_ipc)]
        _remove_ipc(new_ipc)
        found += _leftover_processes(self.descendants, runs)
        found += self.sentinel.problems()
        if os.listdir(runs):
            found.append(f"scratch folders were left behind: {os.listdir(runs)}")
            subprocess.run(["rm", "-rf", "--one-file-system", *map(str, runs.iterdir())])
        CHMOD_TARGET.unlink(missing_ok=True)
        return found


class Sentinel:
    """A process of the test that no child may signal: it reports every signal it gets."""

    CODE = ("import signal, sys, time\n"
            "def report(number, frame):\n"
            "    print(signal.Signals(number).name, flush=True)\n"
            "for name in ('SIGURG', 'SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'):\n"
            "    signal.signal(getattr(signal, name), report)\n"
            "print('ready', flush=True)\n"
            "while True:\n"
            "    time.sleep(1000)\n")

    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-I", "-c", self.CODE],
                                        stdout=subprocess.PIPE, start_new_session=True)
        assert self.process.stdout.readline() == b"ready\n"

    def problems(self) -> list[str]:
        """What happened to the sentinel; it is stopped either way."""
        alive = self.process.poll() is None
        if alive:
            self.process.kill()
        self.process.wait()
        received = self.process.stdout.read().decode().split()
        found = [] if alive else [f"the test's sentinel process was killed "
                                  f"(status {self.process.returncode})"]
        return found + [f"the test's sentinel process received {name}" for name in received]


def _markers(tmp_path: Path) -> set[str]:
    found = set()
    for folder in MARKER_FOLDERS + [str(tmp_path)]:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        found |= {os.path.join(folder, n) for n in names if any(m in n for m in MARKER_NAMES)}
    return found


def _git_status() -> set[str]:
    """`git status` lines of the folders fixtures attack (read-only: no index refresh)."""
    result = subprocess.run(
        ["git", "--no-optional-locks", "status", "--porcelain", "--untracked-files=all",
         "--", "solutions", "fixtures", "grader", "assignments"],
        cwd=REPO, capture_output=True, text=True, check=True)
    return set(result.stdout.splitlines())


def _metadata(path: Path) -> tuple | None:
    try:
        info = os.lstat(path)
        xattrs = tuple(sorted(os.listxattr(path)))
    except FileNotFoundError:
        return None
    return info.st_mode, info.st_uid, info.st_gid, info.st_mtime_ns, xattrs


def _restore_metadata(path: Path, before: tuple | None) -> None:
    if before is None or not path.exists():
        return
    mode, uid, gid, mtime_ns, xattrs = before
    os.chown(path, uid, gid)
    os.chmod(path, mode & 0o7777)
    for name in set(os.listxattr(path)) - set(xattrs):
        os.removexattr(path, name)
    os.utime(path, ns=(mtime_ns, mtime_ns))


_IPC_FILES = {"shm": "/proc/sysvipc/shm", "msg": "/proc/sysvipc/msg", "sem": "/proc/sysvipc/sem"}


def _ipc_objects() -> set[tuple[str, int]]:
    objects = set()
    for kind, path in _IPC_FILES.items():
        try:
            with open(path) as handle:
                lines = handle.read().splitlines()[1:]
        except OSError:
            continue
        objects |= {(kind, int(line.split()[1])) for line in lines if line.strip()}
    return objects


def _remove_ipc(objects: set[tuple[str, int]]) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    ipc_rmid = 0  # IPC_RMID on Linux
    for kind, ident in objects:
        if kind == "shm":
            libc.shmctl(ident, ipc_rmid, None)
        elif kind == "msg":
            libc.msgctl(ident, ipc_rmid, None)
        else:
            libc.semctl(ident, 0, ipc_rmid)


# --------------------------------------------------------------- processes
def _parents() -> dict[int, tuple[int, str]]:
    """pid -> (ppid, state) of every process on the machine."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                data = handle.read()
        except OSError:
            continue
        fields = data[data.rindex(b")") + 2:].split()
        table[int(entry)] = (int(fields[1]), fields[0].decode())
    return table


def _descendants(root: int) -> set[int]:
    table = _parents()
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, (ppid, state) in table.items()
                    if ppid in frontier and state != "Z"} - found
        found |= frontier
    return found


def _mentions(pid: int, folder: bytes) -> bool:
    """Whether a process's environment or working directory points into `folder`."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            if folder in handle.read():
                return True
        return os.readlink(f"/proc/{pid}/cwd").encode().startswith(folder)
    except OSError:
        return False


def _leftover_processes(before: set[int], runs: Path) -> list[str]:
    """Processes of the run still alive a few seconds after grading; kills them."""
    folder = str(runs).encode()
    deadline = time.monotonic() + 5
    while True:
        alive = {pid for pid, (_, state) in _parents().items() if state != "Z"}
        left = (_descendants(os.getpid()) - before) | {p for p in alive if _mentions(p, folder)}
        left.discard(os.getpid())
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    found = []
    for pid in sorted(left):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                command = handle.read().replace(b"\0", b" ").decode(errors="replace")
            os.kill(pid, signal.SIGKILL)
        except OSError:
            continue
        found.append(f"process {pid} survived the run: {command[:200]}")
    return found


# --------------------------------------------------------------- listeners
class Listeners:
    """TCP, UDP, UNIX and abstract UNIX listeners that no child may reach."""

    def __init__(self) -> None:
        self.sockets: list[tuple[str, socket.socket]] = []
        self.tcp_port = self._bind_range(socket.SOCK_STREAM, "tcp")
        self.udp_port = self._bind_range(socket.SOCK_DGRAM, "udp")
        if os.path.exists(UNIX_PATH):
            os.unlink(UNIX_PATH)
        for label, address in (("unix", UNIX_PATH), ("abstract", ABSTRACT_NAME)):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.bind(address)
            except OSError:
                sock.close()
                continue
            sock.listen(16)
            self.sockets.append((label, sock))

    def _bind_range(self, kind: int, label: str) -> int | None:
        for port in PORTS:
            sock = socket.socket(socket.AF_INET, kind)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                sock.close()
                continue
            if kind == socket.SOCK_STREAM:
                sock.listen(16)
            self.sockets.append((label, sock))
            return port
        return None

    def reached(self) -> list[str]:
        """What arrived (connections, datagrams) since the listeners were opened."""
        found = []
        for label, sock in self.sockets:
            readable, _, _ = select.select([sock], [], [], 0.05)
            if not readable:
                continue
            if sock.type == socket.SOCK_DGRAM:
                data, _ = sock.recvfrom(4096)
                found.append(f"a {label} datagram reached the test's listener: {data!r}")
            else:
                connection, _ = sock.accept()
                connection.close()
                found.append(f"a {label} connection reached the test's listener")
        return found

    def close(self) -> None:
        for _, sock in self.sockets:
            sock.close()
        if os.path.exists(UNIX_PATH):
            os.unlink(UNIX_PATH)


@pytest.fixture
def listeners():
    opened = Listeners()
    assert opened.tcp_port is not None and opened.udp_port is not None, \
        "no free port in 127.0.0.1:47000-47010"
    yield opened
    opened.close()
