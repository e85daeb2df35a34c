"""Runtimes: the environment a task's child runs in, one small module each.

A runtime owns its environment variables, what it imports before any student
code (so that a student's `numpy.py` cannot shadow it, and so that warm
workers pay the import once), its mode (TensorFlow's graph mode) and its
warm start. Warm workers are keyed by runtime. Packs may declare more
runtimes in pack.toml, each based on a registered one:

    [runtimes.nnfs]
    base = "numpy"
    preload = ["nnfs"]
    env = { NNFS_QUIET = "1" }

A task runs in the runtime its *file* needs: a NumPy task whose file imports
TensorFlow is routed to a runtime that preloads TensorFlow (`route`), instead
of importing TensorFlow inside the child (seconds per task).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from grader.errors import GraderError
from grader.runtimes import numpy_runtime, tf1_runtime


@dataclass(frozen=True)
class Runtime:
    """A named environment; plain data, so that it can be sent to a worker."""

    name: str
    base: str  # the registered module that sets it up: "numpy" or "tf1"
    preload: tuple[str, ...] = ()  # modules imported before student code, besides the base's
    env: dict[str, str] = field(default_factory=dict)

    @property
    def provides(self) -> frozenset[str]:
        """Top-level module names importable at no cost in this runtime's children."""
        module = BASES[self.base]
        return frozenset(module.PROVIDES) | {m.split(".")[0] for m in self.preload}

    @property
    def environment(self) -> dict[str, str]:
        return {**BASES[self.base].ENV, **self.env}

    def to_message(self) -> dict[str, Any]:
        return {"name": self.name, "base": self.base, "preload": list(self.preload),
                "env": dict(self.env)}

    @classmethod
    def from_message(cls, data: dict[str, Any]) -> "Runtime":
        return cls(name=str(data["name"]), base=str(data["base"]),
                   preload=tuple(str(m) for m in data.get("preload", ())),
                   env={str(k): str(v) for k, v in dict(data.get("env", {})).items()})


# The registered bases: one module each, with ENV, PROVIDES, prepare(), warm_up(probes) and
# student_builtins() (the builtins of the student's module, or None for the ordinary ones).
BASES = {"numpy": numpy_runtime, "tf1": tf1_runtime}
BUILT_IN = {name: Runtime(name=name, base=name) for name in BASES}


def declared(data: dict[str, Any], where: str) -> dict[str, Runtime]:
    """The built-in runtimes plus those a pack declares in `[runtimes.NAME]`."""
    runtimes = dict(BUILT_IN)
    for name, spec in data.items():
        if not isinstance(spec, dict) or set(spec) - {"base", "preload", "env"}:
            raise GraderError(f"{where}: [runtimes.{name}] takes base, preload and env")
        if spec.get("base") not in BASES:
            raise GraderError(f"{where}: [runtimes.{name}] base must be one of "
                              f"{', '.join(BASES)}")
        runtimes[name] = Runtime(name=name, base=spec["base"],
                                 preload=tuple(spec.get("preload", ())),
                                 env={str(k): str(v) for k, v in spec.get("env", {}).items()})
    return runtimes


def route(declared_runtime: Runtime, imported: set[str],
          runtimes: dict[str, Runtime]) -> Runtime:
    """The runtime a task's file needs: its own, unless the file imports a module that
    another runtime preloads and this one does not (a NumPy task importing TensorFlow).

    Only heavy modules count (those some runtime preloads); of the runtimes that
    provide everything the task's runtime provides plus what the file imports,
    the one providing least is chosen."""
    heavy = set().union(*(r.provides for r in runtimes.values()))
    needed = (imported & heavy) | declared_runtime.provides
    if needed <= declared_runtime.provides:
        return declared_runtime
    fitting = [r for r in runtimes.values() if needed <= r.provides]
    if not fitting:
        return declared_runtime  # the child imports what no runtime preloads itself
    return min(fitting, key=lambda r: (len(r.provides), r.name))


def prepare(runtime: Runtime) -> None:
    """Import everything the runtime preloads, in this process (a worker or a fresh child)."""
    BASES[runtime.base].prepare()
    for module in runtime.preload:
        importlib.import_module(module)


def warm_up(runtime: Runtime, probes) -> None:
    """The runtime's one-time set-up in a warm worker, before it forks children."""
    BASES[runtime.base].warm_up(probes)


def student_builtins(runtime: Runtime) -> dict | None:
    """The builtins the student's module is run with (an edition's import rules), or None."""
    return BASES[runtime.base].student_builtins()
