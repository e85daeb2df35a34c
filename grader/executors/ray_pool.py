"""The ray executor: a batch graded by the nodes of a Ray cluster.

One actor per node (grader/executors/node.py), given all the CPUs Ray counts on it
and grading that many submissions at once, as `grade batch -j CORES` would there:
one warm engine per machine (one TensorFlow import), forked sandboxed children per
task. The batch's own process (the driver) reads each submission, sends it to a
free actor as a parcel (plain data, grader/executors/parcel.py), and writes the
reports the actor sends back (plain data) to OUT: the same OUT, resume and seed
rules, and progress display as a local batch (grader/batch.py).

Faults: an actor that dies, or holds a submission longer than the pack's bounds
allow (`patience`), is killed and replaced on its node; the submissions it held go
to the front of the queue for any actor to grade again, each counted in the
summary (`retries`, `retried`). A report is written only by the driver, when an
answer arrives for the student's one submission in flight: never twice, never
lost. A submission whose actor failed MAX_ATTEMPTS times is a grader failure, and
a node whose actors failed MAX_NODE_FAILURES times is left out.

Without --ray-address (nor $RAY_ADDRESS), a Ray instance is started on this
machine, on loopback only, and stopped at the end.
"""
from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

from rich.console import Console

from grader import __version__
from grader.engine import GRACE_SECONDS, WORKER_START_SECONDS
from grader.errors import GraderError
from grader.executors import Batch
from grader.executors.node import NodeGrader
from grader.executors.outcome import Result, record
from grader.executors.parcel import pack_parcel, submission_parcel
from grader.packs import Pack
from grader.report.batch_terminal import Board

MAX_ATTEMPTS = 3  # a submission held by this many failed actors is a grader failure
MAX_NODE_FAILURES = 3  # a node whose actors failed this many times gets no new one
CONTROL_CALLS = 2  # an actor's threads kept for ready/status/close while every slot grades
JUDGING_SECONDS = 60.0  # of a submission's patience: the checks run by the actor itself
POLL_SECONDS = 0.2  # how often the driver looks for hung actors (and Ctrl-C)
CLOSE_SECONDS = 10.0  # an actor's time to close its engine at the end
LOCAL = "local"  # ray.init's address for a new instance on this machine


def patience(pack: Pack) -> float:
    """How long an actor may hold one submission before it is taken for hung: its
    workers' start, then every task's wall clock and grace one after the other, then
    the judges."""
    walls = sum(max(pack.limits_for(task, runtime).wall_seconds for runtime in pack.runtimes)
                + GRACE_SECONDS for task in pack.tasks)
    return WORKER_START_SECONDS + walls + JUDGING_SECONDS


class RayExecutor:
    name = "ray"

    def __init__(self, address: str | None = None, patience_seconds: float | None = None):
        """`address`: a Ray cluster's (None: $RAY_ADDRESS, else a new instance on this
        machine); `patience_seconds`: see patience() (None: the pack's)."""
        self.address = address
        self.patience_seconds = patience_seconds
        self.retried: dict[str, list[str]] = {}  # student -> why each resend
        self.nodes: dict[str, dict[str, Any]] = {}  # node id -> what it did

    def grade_all(self, batch: Batch, results: dict[str, Result], console: Console) -> None:
        ray = _import_ray(self.address)
        started_here = _connect(ray, self.address)
        try:
            _Pool(ray, batch, self, console).run(results)
        finally:
            if started_here:
                ray.shutdown()

    def summary(self) -> dict[str, Any]:
        return {"executor": self.name, "retries": sum(map(len, self.retried.values())),
                "retried": self.retried, "nodes": self.nodes}


def _import_ray(address: str | None):
    if not (address or os.environ.get("RAY_ADDRESS")):
        # A new instance on this machine is not a cluster: Ray then listens on loopback
        # only (read when Ray is imported).
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    try:
        import ray
    except ImportError:
        raise GraderError("--executor ray needs Ray (pip install ray)") from None
    return ray


def _connect(ray, address: str | None) -> bool:
    """Connect to the cluster (or start one here); True when this call did. A program
    already connected (a test, a notebook) keeps its connection."""
    if ray.is_initialized():
        return False
    address = address or os.environ.get("RAY_ADDRESS") or LOCAL
    settings: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.ERROR}
    if address == LOCAL:
        settings["include_dashboard"] = False
    else:
        _check_reachable(address)
    try:
        ray.init(address=address, **settings)
    except Exception as exc:  # Ray raises anything; the contract is one line
        where = "start Ray on this machine" if address == LOCAL else f"reach Ray at {address}"
        raise GraderError(f"cannot {where}: {_first_line(exc)}") from None
    return True


def _check_reachable(address: str) -> None:
    """Fail at once, in one line, when nothing answers at a HOST:PORT address (Ray itself
    retries for minutes)."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return  # "auto" and the like: Ray finds the cluster
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=10).close()
    except OSError as exc:
        raise GraderError(f"cannot reach Ray at {address}: "
                          f"{exc.strerror or exc.__class__.__name__}") from None


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0][:300] if lines else exc.__class__.__name__


@dataclass(eq=False)
class _Actor:
    handle: Any
    node: str  # Ray's node id
    slots: int  # submissions it grades at once
    created: float
    ready: bool = False
    busy: int = 0


@dataclass(frozen=True)
class _Sent:
    student: str
    actor: _Actor
    at: float


class _Pool:
    """The batch's actors and what each holds; driven by the batch's one thread."""

    def __init__(self, ray, batch: Batch, executor: RayExecutor, console: Console):
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
        self.ray, self.batch, self.executor, self.console = ray, batch, executor, console
        self.affinity = NodeAffinitySchedulingStrategy
        self.patience = executor.patience_seconds or patience(batch.pack)
        self.max_score = sum(t.points for t in batch.pack.tasks)
        self.name = f"grader-{uuid.uuid4().hex[:8]}"
        self.node_actor = ray.remote(NodeGrader)
        self.setup = ray.put({"grader_version": __version__, "options": batch.options,
                              "audience": batch.audience, "pack": pack_parcel(batch.pack)})
        self.queue = deque(batch.todo)
        self.actors: list[_Actor] = []
        self.starting: dict[Any, _Actor] = {}  # ready() call -> actor
        self.in_flight: dict[Any, _Sent] = {}  # grade() call -> what it grades
        self.attempts: Counter[str] = Counter()
        self.results: dict[str, Result] = {}
        self.board: Board | None = None
        self.started = 0

    def run(self, results: dict[str, Result]) -> None:
        self.results = results
        for node in self.ray.nodes():
            cpus = int(node["Resources"].get("CPU", 0))
            if node["Alive"] and cpus >= 1:
                self.executor.nodes[node["NodeID"]] = {
                    "address": node["NodeManagerAddress"], "cpus": cpus, "sandbox": None,
                    "graded": 0, "failures": 0, "refused": None}
                self._start(node["NodeID"])
        if not self.actors:
            raise GraderError("the Ray cluster has no node with a CPU to grade on")
        closing = CLOSE_SECONDS / 10  # Ctrl-C (or a failure): end at once
        try:
            with Board(self.console, len(self.queue)) as self.board:
                while self.queue or self.in_flight:
                    if not self.actors:
                        self._give_up()
                        break
                    self._send()
                    self._receive()
                    self._check_patience()
            closing = CLOSE_SECONDS
        finally:
            self._close(closing)
        for node in self.executor.nodes.values():
            if node["refused"]:
                self.console.print(f"node {node['address']} refused to grade: "
                                   f"{node['refused']}", style="yellow", highlight=False,
                                   markup=False)

    # ------------------------------------------------------------ actors
    def _start(self, node: str) -> None:
        slots = self.executor.nodes[node]["cpus"]
        self.started += 1
        handle = self.node_actor.options(
            num_cpus=slots, max_concurrency=slots + CONTROL_CALLS, max_restarts=0,
            max_task_retries=0, name=f"{self.name}-{self.started}",
            scheduling_strategy=self.affinity(node, soft=False)).remote(self.setup)
        actor = _Actor(handle, node, slots, time.monotonic())
        self.actors.append(actor)
        self.starting[handle.ready.remote()] = actor

    def _ready(self, call) -> None:
        actor = self.starting.pop(call)
        try:
            answer = self.ray.get(call)
        except self.ray.exceptions.RayError as exc:
            self._lost(actor, f"did not start ({_first_line(exc)})")
            return
        node = self.executor.nodes[actor.node]
        if answer["refused"]:
            node["refused"] = answer["refused"]
            self._drop(actor)
            return
        node["sandbox"] = answer["sandbox"]
        actor.ready = True

    def _lost(self, actor: _Actor, why: str) -> None:
        """The actor died or hung: kill it, send what it held again, start another."""
        if actor not in self.actors:
            return
        self._drop(actor)
        node = self.executor.nodes[actor.node]
        node["failures"] += 1
        held = [(call, sent) for call, sent in self.in_flight.items() if sent.actor is actor]
        again = 0
        for call, sent in held:
            del self.in_flight[call]
            self.attempts[sent.student] += 1
            if self.attempts[sent.student] >= MAX_ATTEMPTS:
                self._finish(sent.student, {"failure": f"its grading actor failed "
                                                       f"{MAX_ATTEMPTS} times ({why})"})
            else:
                self.executor.retried.setdefault(sent.student, []).append(
                    f"node {node['address']}: {why}")
                self.queue.appendleft(sent.student)
                again += 1
        self.console.print(f"node {node['address']}: the grading actor {why}; "
                           f"{again} submission(s) sent again", style="yellow",
                           highlight=False, markup=False)
        if node["failures"] < MAX_NODE_FAILURES:
            self._start(actor.node)

    def _drop(self, actor: _Actor) -> None:
        self.actors.remove(actor)
        for call in [c for c, a in self.starting.items() if a is actor]:
            del self.starting[call]
        try:
            self.ray.kill(actor.handle, no_restart=True)
        except Exception:  # already gone
            pass

    def _close(self, seconds: float) -> None:
        """Let every actor end its engine (and the children in flight), then kill it."""
        actors, self.actors = self.actors, []
        calls = [actor.handle.close.remote() for actor in actors]
        if calls:
            self.ray.wait(calls, num_returns=len(calls), timeout=seconds)
        for actor in actors:
            try:
                self.ray.kill(actor.handle, no_restart=True)
            except Exception:  # already gone
                pass

    def _give_up(self) -> None:
        """No actor is left: never grade here, or fail what is left."""
        nodes = self.executor.nodes.values()
        if not any(node["sandbox"] for node in nodes):  # none ever graded
            reasons = "; ".join(f"{node['address']}: {node['refused'] or 'its actor failed'}"
                                for node in nodes)
            raise GraderError(f"no node of the Ray cluster can grade ({reasons})")
        while self.queue:
            self._finish(self.queue.popleft(), {"failure": "no node of the Ray cluster is "
                                                           "left to grade it"})

    # ------------------------------------------------------------ submissions
    def _send(self) -> None:
        """Give every free slot of a ready actor the next submission."""
        while self.queue:
            free = [a for a in self.actors if a.ready and a.busy < a.slots]
            if not free:
                return
            actor = min(free, key=lambda a: a.busy / a.slots)
            student = self.queue.popleft()
            path, digest = self.batch.todo[student]
            if self.attempts[student] == 0:
                self.board.started(student)
            try:
                parcel = submission_parcel(path, self.batch.pack)
            except GraderError as exc:  # nothing of it can be read: as a local batch says
                self._finish(student, {"ungradable": str(exc)})
                continue
            call = actor.handle.grade.remote(student, str(path), digest, parcel)
            self.in_flight[call] = _Sent(student, actor, time.monotonic())
            actor.busy += 1

    def _receive(self) -> None:
        """Wait a moment for answers (actors ready, reports), and take them all."""
        calls = [*self.in_flight, *self.starting]
        if not calls:
            time.sleep(POLL_SECONDS)
            return
        done, _ = self.ray.wait(calls, num_returns=1, timeout=POLL_SECONDS)
        if done:
            done, _ = self.ray.wait(calls, num_returns=len(calls), timeout=0)
        for call in done:
            if call in self.starting:
                self._ready(call)
            elif call in self.in_flight:
                self._answer(call)

    def _answer(self, call) -> None:
        sent = self.in_flight[call]
        try:
            data = self.ray.get(call)
        except self.ray.exceptions.RayTaskError as exc:  # the actor's code raised: a bug
            data = {"failure": f"the grading actor failed: {_first_line(exc)}"}
        except self.ray.exceptions.RayError as exc:  # the actor is gone
            self._lost(sent.actor, f"died ({_first_line(exc)})")
            return
        del self.in_flight[call]
        sent.actor.busy -= 1
        self.executor.nodes[sent.actor.node]["graded"] += 1
        self._finish(sent.student, data)

    def _check_patience(self) -> None:
        now = time.monotonic()
        for sent in list(self.in_flight.values()):
            if now - sent.at > self.patience:
                self._lost(sent.actor, f"did not answer in {self.patience:g} s")
        for actor in list(self.starting.values()):
            if now - actor.created > self.patience:
                self._lost(actor, f"did not start in {self.patience:g} s")

    def _finish(self, student: str, data: dict[str, Any]) -> None:
        result = record(self.batch.out, student, data)
        self.results[student] = result
        self.board.finished(student, result.outcome(self.max_score))
