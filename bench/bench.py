#!/usr/bin/env python3
"""Benchmark: grading cost against the physical floor, measured in one run.

    make bench                      # or: .venv/bin/python bench/bench.py [--size N] [--runs R]

Prints, for this machine and this run:
  (a) floor:  `python -c "import numpy, tensorflow.compat.v1"` in the venv;
  (b) cold:   `grade` on the reference solutions (a correct submission);
  (c) batch:  N generated submissions (correct and buggy fixtures), warm engine
              and fresh engine on the same inputs, the machine's busy CPU time per
              submission, and, in one more warm run (sampling /proc costs CPU, so
              timed runs are not sampled), peak memory: PSS of the whole process
              tree, so pages forked copy-on-write count once; then the same batch
              with `import tensorflow as tf` added to every NumPy task file, as
              real students write them (routed to the TensorFlow worker);
  (d) sandbox: the bundled sample graded with every layer on (`--sandbox auto`)
              and off, alternating, on one warm engine;
  (e) ray:    the same batch with `--executor ray` on a one-node Ray cluster of this
              machine started beforehand (as a real cluster is; as many CPUs as -j),
              against `--executor local`, one run of each in turn (the machine's load
              drifts), the same seed for both; then once with Ray started by the
              batch itself (`--executor ray` alone);
then the ratios and the targets of issues 4 and 5. Medians of R runs (fresh: one run,
it is the slow baseline). Timings are wall-clock on a noisy 2-core machine:
read the ratios, not the absolute numbers.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from pathlib import Path

from ray_cluster import local_ray_head, ray_env

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
FIXTURES = REPO / "fixtures" / "regularization"
SOLUTIONS = REPO / "solutions" / "regularization"
SLOW_FIXTURES = ("infinite_loop", "prints_10mb")  # bounded by the wall limit, not by speed


def tree_pss_kb(root_pid: int) -> int:
    """Proportional set size of a process and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        stack += children.get(pid, [])
        try:
            with open(f"/proc/{pid}/smaps_rollup") as handle:
                total += next(int(line.split()[1]) for line in handle if line.startswith("Pss:"))
        except (OSError, StopIteration):
            continue
    return total


def busy_cpu_seconds() -> float:
    """CPU time the whole machine has spent busy (every process, kernel included)."""
    with open("/proc/stat") as handle:
        ticks = [int(v) for v in handle.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def run_timed(command: list[str], env: dict | None = None) -> tuple[float, float]:
    """Wall seconds and machine-wide busy CPU seconds of one command."""
    cpu, started = busy_cpu_seconds(), time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                   check=False)
    return time.perf_counter() - started, busy_cpu_seconds() - cpu


def run_with_peak_memory(command: list[str]) -> int:
    """Peak tree PSS (KB) of one command."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0

    def sample() -> None:
        nonlocal peak
        while process.poll() is None:
            peak = max(peak, tree_pss_kb(process.pid))
            time.sleep(0.1)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    process.wait()
    sampler.join()
    return peak


def make_batch(folder: Path, size: int, seed: int) -> dict[str, int]:
    """`size` submissions: reference solutions with one correct or buggy overlay each."""
    expectations = tomllib.loads((FIXTURES / "expectations.toml").read_text())
    overlays = sorted(name for name, spec in expectations.items()
                      if spec.get("base", "solutions") == "solutions" and spec.get("path")
                      and not spec["path"].startswith("hostile")
                      and not any(slow in spec["path"] for slow in SLOW_FIXTURES))
    rng = random.Random(seed)
    kinds = {"correct": 0, "buggy or broken": 0}
    for index in range(size):
        target = folder / f"student{index:03d}"
        shutil.copytree(SOLUTIONS, target)
        spec = expectations[rng.choice(overlays)]
        for item in (FIXTURES / spec["path"]).iterdir():
            shutil.copy2(item, target / item.name)
        kinds["buggy or broken" if spec["fails"] else "correct"] += 1
    return kinds


NUMPY_TASK_FILES = ("0-l2_reg_cost.py", "1-l2_reg_gradient_descent.py",
                    "4-dropout_forward_prop.py", "5-dropout_gradient_descent.py",
                    "7-early_stopping.py")


def import_tensorflow_everywhere(source: Path, target: Path) -> None:
    """A copy of a batch whose NumPy task files also `import tensorflow as tf`."""
    shutil.copytree(source, target)
    for name in NUMPY_TASK_FILES:
        for path in target.glob(f"*/{name}"):
            lines = path.read_text().split("\n")
            at = 1 if lines and lines[0].startswith("#!") else 0
            path.write_text("\n".join(lines[:at] + ["import tensorflow as tf"] + lines[at:]))


def sandbox_overhead(runs: int) -> tuple[float, float]:
    """Median seconds to grade the sample with all layers on, and with them off."""
    from grader.engine import WarmEngine
    from grader.packs import load_pack
    from grader.pipeline import Options, grade
    pack = load_pack("regularization")
    engine = WarmEngine(str(pack.probes_path), pack.declared_runtimes)
    times: dict[str, list[float]] = {"auto": [], "off": []}
    try:
        grade(str(FIXTURES / "sample"), Options(seed=1), engine=engine)  # workers ready, cases made
        for run in range(runs):
            for mode in ("auto", "off") if run % 2 else ("off", "auto"):
                started = time.perf_counter()
                grade(str(FIXTURES / "sample"), Options(seed=1, sandbox=mode), engine=engine)
                times[mode].append(time.perf_counter() - started)
    finally:
        engine.close()
    return statistics.median(times["auto"]), statistics.median(times["off"])


def _verdicts(out: Path) -> dict[str, list]:
    """Every student's score and task outcomes in a batch's OUT."""
    verdicts = {}
    for path in out.glob("*.json"):
        if path.stem != "summary":
            report = json.loads(path.read_text())
            verdicts[path.stem] = [report["score"]] + [
                (task["id"], task["outcome"], task["correct"]) for task in report["tasks"]]
    return verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100, help="submissions in the batch")
    parser.add_argument("--runs", type=int, default=3, help="runs per warm measurement")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    grade = str(BIN / "grade")

    floor = statistics.median(
        run_timed([sys.executable, "-c", "import numpy, tensorflow.compat.v1"], env)[0]
        for _ in range(args.runs))
    cold = statistics.median(
        run_timed([grade, str(SOLUTIONS), "--assignment", "regularization", "--quiet"])[0]
        for _ in range(args.runs))

    with tempfile.TemporaryDirectory(prefix="grade-bench-") as tmp:
        submissions = Path(tmp) / "submissions"
        submissions.mkdir()
        kinds = make_batch(submissions, args.size, seed=7)

        with_tf = Path(tmp) / "with-tf"
        import_tensorflow_everywhere(submissions, with_tf)

        def batch(engine: str, run: str, folder: Path = submissions) -> list[str]:
            return [grade, "batch", str(folder), "--assignment", "regularization",
                    "--out", str(Path(tmp) / f"out-{engine}-{run}"), "--force",
                    "--engine", engine, "-j", str(args.jobs)]
        warm_runs = [run_timed(batch("warm", str(run))) for run in range(args.runs)]
        tf_runs = [run_timed(batch("warm", f"tf{run}", with_tf)) for run in range(args.runs)]
        fresh_seconds, fresh_cpu = run_timed(batch("fresh", "0"))
        warm_peak = run_with_peak_memory(batch("warm", "memory"))
        summary = json.loads((Path(tmp) / "out-warm-0" / "summary.json").read_text())
        same_seed = ["--seed", str(summary["seed"])]
        with local_ray_head(args.jobs) as (address, ray_environment):
            on_ray = ["--executor", "ray", "--ray-address", address, *same_seed]
            turns = [(run_timed(batch("warm", f"local{run}") + same_seed, ray_environment)[0],
                      run_timed(batch("warm", f"ray{run}") + on_ray, ray_environment)[0])
                     for run in range(args.runs)]
        ray_cold = run_timed(batch("warm", "ray-cold") + ["--executor", "ray", *same_seed],
                             ray_env())[0]
        ray_summary = json.loads((Path(tmp) / "out-warm-ray0" / "summary.json").read_text())
        same = _verdicts(Path(tmp) / "out-warm-local0") == _verdicts(Path(tmp) / "out-warm-ray0")

    sandboxed, unsandboxed = sandbox_overhead(max(10, 4 * args.runs))
    warm = statistics.median(s for s, _ in warm_runs)
    warm_cpu = statistics.median(c for _, c in warm_runs)
    throughput = args.size / warm
    tf_warm = statistics.median(s for s, _ in tf_runs)
    print(f"machine: {os.cpu_count()} cores; batch of {args.size} "
          f"({kinds['correct']} correct, {kinds['buggy or broken']} buggy or broken), "
          f"-j {args.jobs}; medians of {args.runs} runs (fresh: 1 run)")
    print(f"(a) floor  import numpy + tensorflow.compat.v1   {floor:8.2f} s")
    print(f"(b) cold   grade one correct submission         {cold:8.2f} s   "
          f"= {cold / floor:.2f} x floor   (target <= 1.5)")
    print(f"(c) batch  warm engine                          {warm:8.2f} s   "
          f"= {throughput:.2f} submissions/s   (target >= 2)")
    print(f"    batch  fresh engine                         {fresh_seconds:8.2f} s   "
          f"warm is {fresh_seconds / warm:.1f} x faster   (target >= 10)")
    print(f"    batch  warm, NumPy tasks import TensorFlow {tf_warm:8.2f} s   "
          f"= {args.size / tf_warm:.2f} submissions/s   ({warm / tf_warm:.2f} x the "
          f"generated batch's rate; target 1.0)")
    print(f"    busy CPU per submission: warm {warm_cpu / args.size:.2f} s, "
          f"fresh {fresh_cpu / args.size:.2f} s (the whole machine, startup included)")
    print(f"    peak memory, warm batch -j {args.jobs}               {warm_peak / 1024:8.0f} MB"
          f"   (target < 3072)")
    print(f"(d) sandbox  sample, every layer on              {sandboxed:8.2f} s   "
          f"off {unsandboxed:.2f} s: {(sandboxed / unsandboxed - 1) * 100:+.1f} %   "
          f"(target < 10 %)")
    print(f"    batch mean score {summary['mean_score']} / {summary['max_score']}, "
          f"grader failures: {len(summary['grader_failures'])}")
    local_turns = statistics.median(local for local, _ in turns)
    ray_warm = statistics.median(on_ray for _, on_ray in turns)
    print(f"(e) ray    batch, --executor local (in turn)     {local_turns:8.2f} s")
    print(f"    ray    batch, --executor ray, cluster up     {ray_warm:8.2f} s   "
          f"= {ray_warm / local_turns:.2f} x --executor local   (target <= 1.15)")
    print(f"    ray    batch, --executor ray starting Ray    {ray_cold:8.2f} s   "
          f"= {ray_cold / local_turns:.2f} x --executor local (Ray's start included)")
    print(f"    ray batch mean score {ray_summary['mean_score']} / {ray_summary['max_score']}, "
          f"grader failures: {len(ray_summary['grader_failures'])}, "
          f"retries: {ray_summary['retries']}, "
          f"verdicts {'the same as' if same else 'DIFFERENT from'} --executor local's")


if __name__ == "__main__":
    main()
