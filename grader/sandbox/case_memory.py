"""The cases a warm worker keeps between jobs, so that a batch sends each task's inputs once.

A batch grades every student on the same cases (one seed), and sending them
with each job (encode, copy through a socket, decode) costs the parent and the
worker more than many a task's run. Both ends keep the same first-in,
first-out memory of the last KEPT cases keys, updated in the same order (the
parent sends one job at a time, the worker reads them in that order), so the
parent knows when a job may leave its cases out.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any

KEPT = 16


class CaseMemory:
    """The last KEPT (key, cases) pairs, oldest forgotten first."""

    def __init__(self, size: int = KEPT) -> None:
        self._size = size
        self._cases: OrderedDict[str, Any] = OrderedDict()

    def recall(self, key: str) -> Any:
        return self._cases.get(key)

    def remember(self, key: str, cases: Any) -> None:
        if key in self._cases:
            return
        self._cases[key] = cases
        if len(self._cases) > self._size:
            self._cases.popitem(last=False)
