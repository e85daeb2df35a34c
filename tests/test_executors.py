"""`grade batch --executor local|ray`: a local Ray instance grades a class exactly as this
machine does (the same reports, byte for byte but for timings), with the trust boundary
held on its node (student code sandboxed there, never in the grading actor; a node
without the requested sandbox level refuses), and without losing or doubling a report
when an actor dies or hangs in the middle of a batch.

The Ray instance is local: 2 CPUs, no dashboard, loopback only, its files in the
test's temporary folder."""
from __future__ import annotations

import errno
import json
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import pytest

from classroom import PACK, PACKS, student
from grader import __version__
from grader.errors import GraderError
from grader.executors import make_executor
from grader.executors.local import LocalExecutor
from grader.executors.node import NodeGrader
from grader.executors.outcome import graded
from grader.executors.parcel import pack_parcel, parcel_submission, submission_parcel
from grader.formats import read_submission
from grader.packs import SOLUTIONS_VARIABLE, load_pack
from grader.pipeline import Options
from grader.sandbox.layers import describe

GRADE = Path(sys.executable).parent / "grade"
RAY = Path(sys.executable).parent / "ray"
SEED = 2024
# Students of the classroom pack: (double, mean, docstrings); "loops" is a 4 s timeout,
# which keeps the batch long enough to kill or stop an actor in the middle of it.
STUDENTS = {
    "ann": ("correct", "correct", True),
    "ben": ("plus_one", "sum", True),
    "cat": ("square", "sample", True),
    "dan": ("correct", "loops", True),
    "eve": ("correct", "correct", False),
    "ivy": ("plus_one", "loops", True),
    "jon": ("correct", "loops", True),
}
SLOW = {"dan", "ivy", "jon"}
TIMINGS = re.compile(r"\d{4}-\d\d-\d\dT[\d:]+[+-]\d\d:\d\d|\b\d+(\.\d+)? ?s\b")
RAY_ENV = {  # the instance the tests start; the grade commands they run connect to it
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",  # a single machine: loopback only
    "RAY_AUTH_MODE": "token",
    "RAY_AUTH_TOKEN": secrets.token_hex(16),  # never written to ~/.ray
    "RAY_USAGE_STATS_ENABLED": "0",
}


def cli_batch(submissions: Path, out: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(GRADE), "batch", str(submissions), "--assignment", PACK, "--packs", str(PACKS),
         "--out", str(out), "--seed", str(SEED), *args],
        capture_output=True, text=True, timeout=900, env={**os.environ, **RAY_ENV})


def make_class(root: Path) -> Path:
    """The classroom students, a zip of a correct one, an empty folder, a damaged zip."""
    for name, (double, mean, docstrings) in STUDENTS.items():
        student(root / name, double, mean, docstrings)
    with zipfile.ZipFile(root / "gus.zip", "w") as archive:
        for path in sorted((root / "ann").iterdir()):
            archive.write(path, f"gus/{path.name}")
    (root / "fay").mkdir()
    (root / "hal.zip").write_bytes(b"PK\x03\x04 not really a zip")
    return root


def reports(out: Path) -> dict[str, tuple[dict, str]]:
    """Every student's JSON report and HTML page, without what only timing changes."""
    found = {}
    for path in sorted(out.glob("*.json")):
        if path.stem != "summary":
            data = json.loads(path.read_text())
            data.pop("seconds")
            data.pop("started_at")
            for task in data["tasks"]:
                task.pop("seconds")
            found[path.stem] = (data, TIMINGS.sub("", (out / f"{path.stem}.html").read_text()))
    return found


def progress_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if re.match(r"\[\d+/\d+\] ", line)]


def students_shown(text: str) -> list[str]:
    """Whom the progress lines name, one line per student finished."""
    return sorted(line.split("] ", 1)[1].split(":")[0] for line in progress_lines(text))


@pytest.fixture(scope="module")
def class_folder(tmp_path_factory):
    return make_class(tmp_path_factory.mktemp("executors") / "submissions")


@pytest.fixture(scope="module")
def classroom(class_folder, tmp_path_factory):
    """The class, and the local executor's OUT for it (the reference)."""
    out = tmp_path_factory.mktemp("local") / "out"
    local = cli_batch(class_folder, out, "--executor", "local")
    assert local.returncode == 0, local.stderr
    return class_folder, out, local


@pytest.fixture(scope="module")
def ray_instance(tmp_path_factory):
    """A local Ray instance with 2 CPUs, to which this process is connected."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in RAY_ENV.items():
            patch.setenv(name, value)
        import ray
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
                 logging_level=logging.ERROR,
                 _temp_dir=str(tmp_path_factory.mktemp("ray")))
        try:
            assert {node["NodeManagerAddress"] for node in ray.nodes()} == {"127.0.0.1"}
            yield ray
        finally:
            ray.shutdown()


def gcs_address(ray) -> str:
    return ray.get_runtime_context().gcs_address


def grading_actors(ray) -> list:
    return [ray.get_actor(name) for name in ray.util.list_named_actors()
            if name.startswith("grader-")]


def actor_holding(ray, slow: set[str], deadline: float = 300) -> tuple[int, str]:
    """(pid, student) of a grading actor that began a slow student less than a second ago:
    it holds it for three more seconds at least (the student's 4 s timeout)."""
    until = time.monotonic() + deadline
    while time.monotonic() < until:
        for actor in grading_actors(ray):
            try:
                status = ray.get(actor.status.remote(), timeout=10)
            except (ray.exceptions.RayError, TimeoutError):
                continue  # gone, or busy starting
            for student, held in status["grading"].items():
                if student in slow and held < 1.0:
                    return status["pid"], student
        time.sleep(0.05)
    raise AssertionError(f"no actor began any of {sorted(slow)} in {deadline} s")


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def processes_mentioning(fragment: str) -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if fragment.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(int(pid))
        except OSError:
            continue
    return found


def background_batch(submissions: Path, out: Path, executor) -> tuple[threading.Thread, list]:
    from grader.batch import run_batch
    status: list[int] = []
    options = Options(assignment=PACK, packs=(str(PACKS),), seed=SEED)
    thread = threading.Thread(target=lambda: status.append(
        run_batch(str(submissions), str(out), options, executor=executor)))
    thread.start()
    return thread, status


def assert_same_as_local(out: Path, local: Path) -> None:
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in local.iterdir())
    assert reports(out) == reports(local)


# ------------------------------------------------------------------ without Ray
def test_a_parcel_is_the_submission_a_node_grades(class_folder):
    """What crosses to a node rebuilds the very Submission discovery made here, for a
    folder, an archive and a damaged archive; nothing more than the bounded bytes."""
    submissions = class_folder
    pack = load_pack(PACK, (str(PACKS),))
    for name in ("ann", "gus.zip", "hal.zip", "fay"):
        parcel = submission_parcel(submissions / name, pack)
        assert parcel_submission(parcel) == read_submission(str(submissions / name), pack.wanted)
    parcel = submission_parcel(submissions / "ann", pack)
    parcel["files"][0]["data"] = b"x" * (50 * 1024 * 1024)
    with pytest.raises(GraderError, match="more than the 40 MB a grading node accepts"):
        parcel_submission(parcel)


def test_a_node_grades_a_parcel_as_this_process_does(class_folder, monkeypatch):
    """The actor's body, without Ray: the report of a parcel is the local report."""
    submissions = class_folder
    monkeypatch.setenv(SOLUTIONS_VARIABLE, "")  # the node sets its own; restored after
    pack = load_pack(PACK, (str(PACKS),))
    options = Options(assignment=PACK, packs=(str(PACKS),), seed=SEED, jobs=2)
    node = NodeGrader({"grader_version": __version__, "options": options,
                       "audience": "student", "pack": pack_parcel(pack)})
    try:
        assert node.ready()["refused"] is None
        assert node.ready()["sandbox"] == describe("auto")
        path = submissions / "ben"
        remote = node.grade("ben", str(path), "digest", submission_parcel(path, pack))
    finally:
        node.close()
    here = graded(str(path), options, None, "digest", "student")
    for data in (remote, here):
        data["report"].pop("seconds"), data["report"].pop("started_at")
        for task in data["report"]["tasks"]:
            task.pop("seconds")
    assert remote["report"] == here["report"]
    assert json.loads(json.dumps(remote)) == remote  # plain data only
    assert not remote["report"]["tasks"][0]["correct"]


def test_a_node_of_another_grader_version_refuses(monkeypatch):
    monkeypatch.setenv(SOLUTIONS_VARIABLE, "")
    pack = load_pack(PACK, (str(PACKS),))
    node = NodeGrader({"grader_version": "0.0.0-other", "options": Options(assignment=PACK),
                       "audience": "student", "pack": pack_parcel(pack)})
    refused = node.ready()["refused"]
    assert refused and "0.0.0-other" in refused
    assert node.grade("x", "x", None, {})["failure"].startswith("this node refuses")


@pytest.mark.parametrize("args, fragment", [
    (["--ray-address", "127.0.0.1:6379"], "--ray-address needs --executor ray"),
    (["--executor", "dask"], "invalid choice"),
])
def test_bad_executor_arguments_are_one_line(class_folder, tmp_path, args, fragment):
    result = cli_batch(class_folder, tmp_path / "out", *args)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and fragment in lines[0], result.stderr


def test_an_unreachable_cluster_is_one_line_at_once(class_folder, tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    result = cli_batch(class_folder, tmp_path / "out", "--executor", "ray",
                       "--ray-address", f"127.0.0.1:{port}")
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert f"cannot reach Ray at 127.0.0.1:{port}" in lines[0]
    assert time.monotonic() - started < 60


def test_the_local_executor_is_the_default():
    assert isinstance(make_executor(), LocalExecutor)


# ------------------------------------------------------------------ a local Ray instance
@pytest.mark.slow
def test_ray_grades_the_class_as_the_local_executor(classroom, ray_instance, tmp_path):
    """The same OUT, the same reports and pages, the same summary and progress lines; every
    report says the node's sandbox layers; a student's code that reaches for a file outside
    its scratch folder and for Ray's own port gets neither: it ran sandboxed on the node,
    not in the actor (which could do both)."""
    submissions, local_out, local = classroom
    out = tmp_path / "out"
    result = cli_batch(submissions, out, "--executor", "ray",
                       "--ray-address", gcs_address(ray_instance))
    assert result.returncode == local.returncode == 0, result.stderr
    assert_same_as_local(out, local_out)
    summary, local_summary = (json.loads((o / "summary.json").read_text())
                              for o in (out, local_out))
    assert (summary["executor"], local_summary["executor"]) == ("ray", "local")
    assert summary["retries"] == local_summary["retries"] == 0
    for key in ("executor", "retries", "retried", "nodes", "reports"):
        summary.pop(key), local_summary.pop(key, None)
    assert summary == local_summary
    assert students_shown(result.stderr) == students_shown(local.stderr)
    for data, _ in reports(out).values():
        assert data["sandbox"] == describe("auto")


@pytest.mark.slow
def test_student_code_runs_sandboxed_on_the_node_never_in_the_actor(ray_instance, tmp_path):
    escape = tmp_path / "escaped.txt"
    host, port = gcs_address(ray_instance).rsplit(":", 1)
    submissions = tmp_path / "submissions"
    student(submissions / "mallory")
    (submissions / "mallory" / "double.py").write_text(
        '#!/usr/bin/env python3\n"""Reaches out."""\nimport socket\n\nimport numpy as np\n\n'
        f'REACHED = 0\ntry:\n    open({str(escape)!r}, "w").write("out")\n    REACHED += 1\n'
        'except OSError:\n    pass\ntry:\n'
        f'    socket.create_connection(({host!r}, {port}), timeout=3).close()\n'
        '    REACHED += 1\nexcept OSError:\n    pass\n\n\n'
        'def double(x):\n    """Doubled, and off by what was reached."""\n'
        '    return np.multiply(x, 2) + REACHED\n')
    result = cli_batch(submissions, tmp_path / "out", "--executor", "ray",
                       "--ray-address", gcs_address(ray_instance))
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "out" / "mallory.json").read_text())
    double = next(t for t in report["tasks"] if t["id"] == "double")
    assert double["correct"], double
    assert all(c["passed"] for c in double["checks"] if c["kind"] == "correctness")
    assert not escape.exists()


@pytest.mark.slow
def test_an_actor_killed_mid_batch_loses_nothing(classroom, ray_instance, tmp_path, capfd):
    """Kill the process of the actor holding a slow student: what it held is graded again
    by the actor started in its place; every student has one report, the local one, and
    one progress line; the summary counts the retry; nothing of the actor is left."""
    from grader.executors.ray_pool import RayExecutor
    submissions, local_out, _ = classroom
    executor = RayExecutor()
    thread, status = background_batch(submissions, tmp_path / "out", executor)
    pid, held = actor_holding(ray_instance, SLOW)
    os.kill(pid, signal.SIGKILL)
    thread.join(timeout=600)
    assert status == [0]
    assert_same_as_local(tmp_path / "out", local_out)
    assert students_shown(capfd.readouterr().err) == sorted(reports(local_out))
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["retries"] >= 1 and held in summary["retried"]
    assert any("died" in why for whys in summary["retried"].values() for why in whys)
    assert summary["graded_now"] == len(reports(local_out))
    assert list(Path(tempfile.gettempdir()).glob(f"grader-node-{pid}-*")) == []  # removed
    deadline = time.monotonic() + 60
    while processes_mentioning("grader-node-") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert processes_mentioning("grader-node-") == []


@pytest.mark.slow
def test_a_hung_actor_is_replaced_and_its_submissions_graded_elsewhere(
        classroom, ray_instance, tmp_path):
    """Stop (SIGSTOP) the actor holding a slow student: past its patience it is killed,
    and what it held is graded by its replacement, once."""
    from grader.executors.ray_pool import RayExecutor
    submissions, local_out, _ = classroom
    executor = RayExecutor(patience_seconds=20)
    thread, status = background_batch(submissions, tmp_path / "out", executor)
    pid, held = actor_holding(ray_instance, SLOW)
    os.kill(pid, signal.SIGSTOP)
    try:
        thread.join(timeout=600)
        assert status == [0]
        assert_same_as_local(tmp_path / "out", local_out)
        summary = json.loads((tmp_path / "out" / "summary.json").read_text())
        assert "node 127.0.0.1: did not answer in 20 s" in summary["retried"][held]
        deadline = time.monotonic() + 60
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not alive(pid)  # killed, though stopped
    finally:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.slow
def test_ctrl_c_stops_a_ray_batch_at_once_and_keeps_what_was_graded(ray_instance, tmp_path):
    """Ctrl-C while the actor grades slow students: the batch stops within seconds, keeps
    the report written, writes the summary marked interrupted, and ends its actor."""
    submissions, out = tmp_path / "submissions", tmp_path / "out"
    student(submissions / "a-first")
    for name in ("b-slow", "c-slow", "d-slow"):
        student(submissions / name, mean="loops")
    command = [str(GRADE), "batch", str(submissions), "--assignment", PACK, "--packs",
               str(PACKS), "--out", str(out), "--executor", "ray", "--ray-address",
               gcs_address(ray_instance)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True,
                               env={**os.environ, **RAY_ENV, "TTY_COMPATIBLE": "1"})
    deadline = time.monotonic() + 300
    while not (out / "a-first.json").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    pressed = time.monotonic()
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C does: the whole foreground group
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 2, stderr
    assert time.monotonic() - pressed < 5
    summary = json.loads((out / "summary.json").read_text())
    assert summary["interrupted"] is True
    first = json.loads((out / "a-first.json").read_text())
    assert summary["scores"] == {"a-first": first["score"]} and first["score"] > 0
    assert summary["not_graded"] == ["b-slow", "c-slow", "d-slow"]
    written = sorted(p.name for p in out.iterdir())
    assert written == ["a-first.html", "a-first.json", "summary.json"]
    deadline = time.monotonic() + 60
    while processes_mentioning("grader-node-") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert processes_mentioning("grader-node-") == []


# ------------------------------------------------------------------ a node without Landlock
def without_landlock() -> None:
    """In a child before exec: Landlock's system calls fail as on a kernel without it."""
    import pyseccomp
    rules = pyseccomp.SyscallFilter(pyseccomp.ALLOW)
    for name in ("landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self"):
        rules.add_rule(pyseccomp.ERRNO(errno.ENOSYS), name)
    rules.load()


@pytest.fixture
def old_kernel_node(tmp_path_factory):
    """A one-node Ray cluster whose processes (and so its actors) see no Landlock."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    temp = tmp_path_factory.mktemp("rayold")  # short: Ray's socket paths have a limit
    head = subprocess.Popen(
        [str(RAY), "start", "--head", "--block", f"--port={port}", "--num-cpus=1",
         "--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={temp}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, **RAY_ENV, "RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S": "0"},
        preexec_fn=without_landlock)
    watchdog = threading.Timer(300, head.kill)  # never wait forever for it
    watchdog.start()
    said = []
    try:
        for line in head.stdout:  # ready when it says it blocks
            said.append(line)
            if "block forever" in line:
                break
        watchdog.cancel()
        assert head.poll() is None, "".join(said)
        yield f"127.0.0.1:{port}"
    finally:
        head.terminate()
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            head.kill()
        for pid in processes_mentioning(str(temp)):  # only this cluster's processes
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(temp, ignore_errors=True)


@pytest.mark.slow
def test_a_node_without_the_sandbox_level_refuses_and_reports_say_the_nodes_layers(
        old_kernel_node, tmp_path):
    if "landlock-fs" not in describe("auto")["active"]:
        pytest.skip("this machine has no Landlock: a node without it is no different")
    submissions = tmp_path / "submissions"
    student(submissions / "ann")
    strict = cli_batch(submissions, tmp_path / "strict", "--executor", "ray", "--ray-address",
                       old_kernel_node, "--sandbox", "strict")
    lines = strict.stderr.strip().splitlines()
    assert strict.returncode == 2 and len(lines) == 1, strict.stderr
    assert "no node of the Ray cluster can grade" in lines[0]
    assert "--sandbox strict: landlock-fs not available" in lines[0]
    assert not (tmp_path / "strict" / "ann.json").exists()
    auto = cli_batch(submissions, tmp_path / "auto", "--executor", "ray", "--ray-address",
                     old_kernel_node)
    assert auto.returncode == 0, auto.stderr
    report = json.loads((tmp_path / "auto" / "ann.json").read_text())
    assert "landlock-fs" in report["sandbox"]["missing"]  # the node's, not this machine's
    assert report["score"] == report["max_score"]
    nodes = json.loads((tmp_path / "auto" / "summary.json").read_text())["nodes"]
    assert [node["sandbox"] for node in nodes.values()] == [report["sandbox"]]
