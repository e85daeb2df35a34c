#!/usr/bin/env python3
"""Capacity of `grade batch --executor ray`: what the driver costs per submission, what
each pack costs per submission, and so how many cores grade a class in an hour.

    .venv/bin/python bench/capacity.py [--small 500] [--large 2500] [--copies 5]

(1) driver: `grade batch --executor ray` on a one-node Ray cluster of this machine,
    started beforehand, with `--small` and then `--large` trivial submissions of the
    classroom pack (tests/packs/classroom: two NumPy functions); the driver's own CPU
    (its process: reading, digests, parcels, Ray calls, writing reports) is measured
    by the kernel (RUSAGE_CHILDREN), and its cost per submission is the slope between
    the two batches (its start-up cancels out). One driver is one Python thread: it
    keeps up with 1 / (that cost) submissions a second, whatever the cluster's size.
(2) packs: each built-in pack's first correct fixture graded `--copies` times in this
    process on one warm engine (after one warm-up grade): the CPU of this process
    (checks, judges, reports) plus that of every sandboxed child (the supervisor's
    count), per submission. Measured by process, so other load on the machine does
    not count; the warm workers' start (once per node) is left out.
Then the table: cores (and 16-core nodes) to grade 10 000 and 100 000 submissions in an
hour, at UTILIZATION of the cores, and whether one driver keeps up.
"""
from __future__ import annotations

import argparse
import math
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from ray_cluster import local_ray_head

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from classroom import PACK, PACKS, student  # noqa: E402  (the tests' classroom helpers)

GRADE = Path(sys.executable).parent / "grade"
PACK_NAMES = ("regularization", "dnn-regularization", "gradient-checking",
              "lowlevel-regularization", "nnfs-regularization")
CLASS_SIZES = (10_000, 100_000)
UTILIZATION = 0.8  # of a node's cores, for planning (measured locally: about 0.9)
NODE_CORES = 16
MIXES = [("correct", "correct"), ("plus_one", "sum"), ("square", "sample"),
         ("correct", "sample")]


def driver_cpu(count: int, address: str, env: dict, folder: Path) -> tuple[float, float]:
    """(driver CPU seconds, wall seconds) of a ray batch of `count` trivial submissions."""
    submissions = folder / f"class-{count}"
    for index in range(count):
        double, mean = MIXES[index % len(MIXES)]
        student(submissions / f"s{index:05d}", double, mean)
    before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run([str(GRADE), "batch", str(submissions), "--assignment", PACK, "--packs",
                    str(PACKS), "--out", str(folder / f"out-{count}"), "--seed", "1",
                    "--executor", "ray", "--ray-address", address],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return cpu, time.perf_counter() - started


class CountingEngine:
    """A warm engine that adds up the CPU of every sandboxed child it ran."""

    def __init__(self, engine):
        self._engine, self.name = engine, engine.name
        self._lock = threading.Lock()
        self.child_cpu = 0.0

    def run(self, job):
        raw = self._engine.run(job)
        with self._lock:
            self.child_cpu += raw.cpu_seconds
        return raw


def pack_cpu(name: str, copies: int) -> float:
    """CPU seconds per submission of the pack's first correct fixture."""
    from grader.engine import WarmEngine
    from grader.packs import load_pack
    from grader.pipeline import Options, grade
    pack = load_pack(name)
    fixtures = REPO / "fixtures" / name / "correct"
    submission = REPO / "solutions" / name if name == "regularization" else \
        sorted(fixtures.iterdir())[0]
    engine = CountingEngine(WarmEngine(str(pack.probes_path), pack.declared_runtimes))
    options = Options(assignment=name, seed=1, jobs=2)
    try:
        grade(str(submission), options, engine=engine)  # workers started, cases generated
        engine.child_cpu, own = 0.0, time.process_time()
        for _ in range(copies):
            grade(str(submission), options, engine=engine)
        return (time.process_time() - own + engine.child_cpu) / copies
    finally:
        engine._engine.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=500)
    parser.add_argument("--large", type=int, default=2500)
    parser.add_argument("--copies", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="grade-capacity-") as tmp, \
            local_ray_head(cpus=2) as (address, env):
        small = driver_cpu(args.small, address, env, Path(tmp))
        large = driver_cpu(args.large, address, env, Path(tmp))
    per_submission = (large[0] - small[0]) / (args.large - args.small)
    print(f"(1) driver, --executor ray on this machine (2 cores, one node):")
    for count, (cpu, wall) in ((args.small, small), (args.large, large)):
        print(f"    {count:6d} submissions: driver CPU {cpu:7.2f} s, wall {wall:7.1f} s "
              f"({count / wall:.1f} submissions/s)")
    print(f"    driver CPU per submission {per_submission * 1000:.2f} ms: one driver keeps "
          f"up with {1 / per_submission:,.0f} submissions/s ({3600 / per_submission:,.0f} "
          f"an hour)")
    print(f"(2) CPU per submission (a correct one), and what an hour of grading needs at "
          f"{UTILIZATION:.0%} of the cores ({NODE_CORES}-core nodes):")
    header = "".join(f"   {size:>7,} in 1 h" for size in CLASS_SIZES)
    print(f"    {'pack':26s} {'CPU/sub':>8s}{header}")
    for name in PACK_NAMES:
        cpu = pack_cpu(name, args.copies)
        cells = []
        for size in CLASS_SIZES:
            cores = math.ceil(size * cpu / 3600 / UTILIZATION)
            cells.append(f"{cores:5d} cores/{math.ceil(cores / NODE_CORES):3d}n")
        print(f"    {name:26s} {cpu:7.2f}s" + "".join(f"  {cell}" for cell in cells))
    print(f"    (one driver: {CLASS_SIZES[-1] / 3600 * per_submission:.0%} of a core for "
          f"{CLASS_SIZES[-1]:,} an hour)")


if __name__ == "__main__":
    main()
