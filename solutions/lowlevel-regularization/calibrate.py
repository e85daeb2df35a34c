"""Where the `train` task's bars come from: the reference's own runs over many seeds.

    .venv/bin/python solutions/lowlevel-regularization/calibrate.py [SEEDS] [--first N]
                     [--out FILE]     (or: --summarize FILE... to merge runs written earlier)

Runs the reference `train` with the task's exact settings (checks/training.py RUNS)
for SEEDS seeds (default 100) under three initialisations a correct submission may
use (the seed's 0.01 * randn, He normal, Glorot uniform), and prints, per statistic
the judge reads, n, min, mean, sd and max, and how far its bar in checks/training.py
lies from the worst initialisation (z, in its standard deviations). Penalty ratios
are printed paired (the same seed with and without the penalty) and unpaired
(against seed + 1: a submission that ignores `seed`). A run takes about 0.8 s of CPU
single-threaded: 100 seeds (1200 runs) take 16 minutes of CPU (two processes with
--first split the seeds; --summarize merges their --out files). Not part of the test
suite; rerun it when the settings change.
"""
import argparse
import contextlib
import importlib.util
import json
import math
import os
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as in the sandboxed child
sys.dont_write_bytecode = True  # the pack and solution folders stay as they are

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
PACK = HERE.parent.parent / "assignments" / "lowlevel-regularization"

INITIALISATIONS = {
    "seed 0.01*randn": lambda rng, sizes: [0.01 * rng.standard_normal(shape)
                                           for shape in zip(sizes[:-1], sizes[1:])],
    "He normal": lambda rng, sizes: [rng.standard_normal(shape) * np.sqrt(2 / shape[0])
                                     for shape in zip(sizes[:-1], sizes[1:])],
    "Glorot uniform": lambda rng, sizes: [rng.uniform(-1, 1, shape) * np.sqrt(6 / sum(shape))
                                          for shape in zip(sizes[:-1], sizes[1:])],
}


def _load(name, path, package=None):
    spec = importlib.util.spec_from_file_location(
        name, path, submodule_search_locations=[str(path.parent)] if package else None)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def statistics(reference, training, data, seed):
    """What the judge reads from one seed's four runs (the current initialisation). The
    penalty runs' sums are kept raw: summarize() divides them by the plain run of the
    same seed (paired) and of the next seed (unpaired: a submission that ignores
    `seed`)."""
    def run(name):
        settings = {**training.SETTINGS, **training.RUNS[name]}
        weights, history = reference.train(*data, seed=seed, **settings)
        matrices, _ = training.weight_matrices(weights, settings["hidden"])
        logged, _ = training.logged_accuracies(history)
        return matrices, training.reached_accuracy(logged, settings["steps"])

    plain, plain_accuracy = run("plain")
    pruned, pruned_accuracy = run("pruning")
    return {
        "accuracy plain": plain_accuracy,
        "accuracy pruning": pruned_accuracy,
        "sum W^2 plain": training.sum_squares(plain),
        "sum W^2 with L2": training.sum_squares(run("l2")[0]),
        "sum |W| plain": training.sum_abs(plain),
        "sum |W| with L1": training.sum_abs(run("l1")[0]),
        "stay-zero share": training.stay_zero_share(pruned,
                                                    training.RUNS["pruning"]["pruning_rate"]),
        "sparsity (least matrix)": training.sparsity(pruned),
    }


def with_ratios(rows):
    """The rows with the penalty ratios the judge compares with its bars."""
    following = {(r["init"], r["seed"]): r for r in rows}
    out = []
    for row in rows:
        other = following.get((row["init"], row["seed"] + 1))
        ratios = {"L2 ratio paired": row["sum W^2 with L2"] / row["sum W^2 plain"],
                  "L1 ratio paired": row["sum |W| with L1"] / row["sum |W| plain"]}
        if other:
            ratios.update({
                "L2 ratio unpaired": row["sum W^2 with L2"] / other["sum W^2 plain"],
                "L1 ratio unpaired": row["sum |W| with L1"] / other["sum |W| plain"]})
        out.append({**row, **ratios})
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("seeds", type=int, nargs="?", default=100)
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--out", help="also write every run's statistics there (JSON lines)")
    parser.add_argument("--summarize", nargs="+", metavar="FILE",
                        help="only summarize rows written earlier with --out")
    args = parser.parse_args()
    checks = _load("lowlevel_checks", PACK / "checks" / "__init__.py", package=True)
    training = checks.training
    if args.summarize:
        summarize([json.loads(line) for name in args.summarize
                   for line in Path(name).read_text().splitlines() if line], training)
        return
    data = checks.data.digits_split()
    reference = _load("lowlevel_reference", HERE / "solution.py")
    rows = []
    with open(args.out, "a") if args.out else contextlib.nullcontext() as out:
        for seed in range(args.first, args.first + args.seeds):
            for init_name, init in INITIALISATIONS.items():
                reference.initial_weights = init
                row = {"seed": seed, "init": init_name,
                       **statistics(reference, training, data, seed)}
                rows.append(row)
                if out:
                    out.write(json.dumps(row) + "\n")
                    out.flush()
    summarize(rows, training)


def bars(training):
    """Each statistic's bar and the side a pass is on ("min": at least, "max": at most)."""
    return {"accuracy plain": (training.ACCURACY_BAR, "min"),
            "accuracy pruning": (training.ACCURACY_BAR, "min"),
            "L2 ratio paired": (training.L2_RATIO_BAR, "max"),
            "L2 ratio unpaired": (training.L2_RATIO_BAR, "max"),
            "L1 ratio paired": (training.L1_RATIO_BAR, "max"),
            "L1 ratio unpaired": (training.L1_RATIO_BAR, "max"),
            "stay-zero share": (training.STAY_ZERO_BAR, "min"),
            "sparsity (least matrix)": (training.SPARSITY_BAR, "min")}


def summarize(rows, training):
    """Per statistic: the values over every run, then how far its bar is from each
    initialisation's values, in standard deviations (z) and as a normal tail."""
    rows = with_ratios(rows)
    print(f"{'statistic':24} {'n':>4} {'min':>6} {'mean':>6} {'sd':>6} {'max':>6}  "
          f"{'bar':>5}  {'z (worst init)':>14}  normal tail")
    for name, (bar, side) in bars(training).items():
        values = np.array([r[name] for r in rows if name in r], dtype=float)
        worst = min((_z([r[name] for r in rows if r["init"] == init and name in r], bar,
                        side), init) for init in INITIALISATIONS)
        tail = 0.5 * math.erfc(worst[0] / math.sqrt(2))
        print(f"{name:24} {values.size:4d} {values.min():6.3f} {values.mean():6.3f} "
              f"{values.std(ddof=1):6.4f} {values.max():6.3f}  {side} {bar:<5} "
              f"{worst[0]:5.1f} ({worst[1][:6]})  {tail:.1e}")
    print(f"distribution-free: a statistic beyond the range of all {len(rows)} runs has "
          f"probability <= {3 / len(rows):.1%} (95 % confidence)")


def _z(values, bar, side):
    values = np.asarray(values, dtype=float)
    spread = max(values.std(ddof=1), 1e-3)  # floor: a near-constant statistic
    return (values.mean() - bar) / spread if side == "min" else (bar - values.mean()) / spread


if __name__ == "__main__":
    main()
