"""Calibrate the training task's bar: the reference's validation accuracy over many runs.

    .venv/bin/python solutions/nnfs-regularization/calibrate_training.py [RUNS] [PROCESSES]

Each run is drawn exactly as a graded case draws one (checks/training.py: run_inputs),
from seeds 0..RUNS-1, and trained by the reference solution's classes. Prints the
distribution, the smallest accuracy seen and the false-fail bound of a bar below it;
checks/training.py holds the numbers this printed (CALIBRATION_MINIMUM, BAR).
"""
import math
import os
import sys
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from grader.packs import load_pack

PACK = "nnfs-regularization"


def _training():
    pack = load_pack(PACK)
    return pack, sys.modules[f"grader_pack_{PACK.replace('-', '_')}_checks.training"]


def accuracy(seed):
    pack, training = _training()
    run = training.run_inputs(np.random.default_rng(seed))
    labels = run.pop("y_val")
    return training.reference_accuracy(lambda name: pack.reference("solution.py", name), run,
                                       labels)


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    processes = int(sys.argv[2]) if len(sys.argv) > 2 else os.cpu_count()
    with ProcessPoolExecutor(processes) as pool:
        accuracies = np.array(list(pool.map(accuracy, range(runs), chunksize=20)))
    _, training = _training()
    confidence_miss = training.CONFIDENCE_MISS
    single = 1 - confidence_miss ** (1 / runs)
    bound = math.comb(training.RUNS, training.MISSES) * single ** training.MISSES
    print(f"{runs} reference runs of {training.EPOCHS} epochs on {3 * training.SAMPLES} points")
    print(f"validation accuracy: mean {accuracies.mean():.4f}, sd {accuracies.std():.4f}, "
          f"min {accuracies.min():.4f}, quantiles 0.1% {np.quantile(accuracies, 0.001):.4f}, "
          f"1% {np.quantile(accuracies, 0.01):.4f}, 50% {np.median(accuracies):.4f}")
    print(f"a bar at or below {accuracies.min():.4f}: P(one correct run below it) <= "
          f"{single:.3g} (confidence {1 - confidence_miss}); {training.NEEDED} of "
          f"{training.RUNS} runs: false-fail bound {bound:.3g}")


if __name__ == "__main__":
    main()
