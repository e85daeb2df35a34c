"""Task `train`: outcome checks on the digits data, with bars from the reference's runs.

The student's whole training run is judged by what it reaches, never by its
trajectory: the initialisation, the loss definition and how often the history
is logged are the student's. Five runs per submission (hidden=32, 600 full-batch
steps over 1079 samples: 0.8 s of CPU each for the reference, single-threaded in
the sandbox; the task may take 80 s of CPU), in two cases so that a crash with
pruning does not hide the penalties' verdicts:

- penalties, one seed: without regularization, with L2 (lam_l2=5), with L1
  (lam_l1=0.3). Plain training reaches the accuracy bar; L2 shrinks the sum of
  squared weights and L1 the sum of absolute weights, each below a ratio bar of
  the run without (not judged when the run without does not learn), and L2 not
  to almost nothing (a penalty gradient not divided by m); and a run without
  regularization given shifted validation labels (each y_val row's class k
  becomes k + 1 mod 10, x_val unchanged): code that learns only from x, y scores
  about nothing against them, code that learns from x_val, y_val (training on the
  held-out split) learns them. Its history is read in the plain run's unit (a
  student logging percent logs under 1 % against shifted labels);
- pruning (rate 0.1 every 100 steps): the accuracy bar; almost every final entry
  below the threshold is exactly zero (pruned weights stay pruned); every matrix
  holds some exact zeros.

Bars come from the reference's own runs (solutions/lowlevel-regularization/
calibrate.py): 3 initialisations a correct submission may use (the seed's
0.01 * randn, He normal, Glorot uniform) x 100 seeds = 300 runs per statistic,
the penalty ratios both paired (the runs given the same seed) and unpaired (a
submission that ignores `seed`). False-fail bound: distribution-free, a correct
run falls outside the range of those 300 runs with probability at most 1 % (95 %
confidence); every bar lies beyond that range by at least 4.5 standard deviations
of the worst initialisation, and by 6.8 or more from its mean: with normal tails,
at most 1e-11 per check and 3e-11 per grading (six checks). The L2 floor and the
shifted-labels bar are not from that range but from what any correct code can do
(see their constants). Measured: the reference and the three correct fixtures, each
graded 20 times with fresh seeds, all passed (fixtures/lowlevel-regularization/
measure_flakiness.py).
"""
import numpy as np

from grader.authoring import Case, describe_value, to_array, verdict

from .data import digits_split

SETTINGS = {"hidden": 32, "steps": 600, "learning_rate": 0.3, "lam_l1": 0.0, "lam_l2": 0.0,
            "dropout_rate": 0.0, "pruning_rate": 0.0, "prune_period": 100}
RUNS = {"plain": {}, "l2": {"lam_l2": 5.0}, "l1": {"lam_l1": 0.3},
        "pruning": {"pruning_rate": 0.1, "prune_period": 100}, "shifted_validation": {}}
CASES = (("penalties: without, with L2 (lam_l2=5), with L1 (lam_l1=0.3), without given "
          "shifted validation labels, one seed", ("plain", "l2", "l1", "shifted_validation")),
         ("pruning: rate 0.1 every 100 steps", ("pruning",)))
LATE_SHARE = 0.2  # "reaches": the best validation accuracy logged in the last 20 % of steps

# Bars: min, mean, sd and max are over the 300 reference runs (worst initialisation's
# mean and sd in parentheses); z: the bar's distance from that mean in its sd.
# Accuracy, plain: 0.955..0.994; with pruning: 0.947..0.994 (seed's init 0.968, sd 0.0062):
# z = 11. Training that does not learn (wrong gradients, the update's sign) ends near 0.1.
ACCURACY_BAR = 0.90
# Sum of W^2 with lam_l2=5 over without: paired 0.386..0.747, unpaired 0.378..0.749 (the
# seed's init ~0.70, He ~0.39, Glorot ~0.46): z = 6.8. An ignored lam_l2 gives exactly 1
# paired, 0.90..1.08 unpaired.
L2_RATIO_BAR = 0.85
# ... and at least this: the penalty alone multiplies W by 1 - learning_rate * lam_l2 / m
# each step (0.99861), so even weights that never learn keep 0.99861 ** 1200 = 0.19 of their
# sum of squares (0.195 measured with a N(0, 1) initialisation); reference 0.378 at least.
# A gradient lam_l2 * W not divided by m multiplies W by 1 - 1.5 each step: ratio 0.000.
L2_RATIO_FLOOR = 0.05
# Sum of |W| with lam_l1=0.3 over without: paired 0..0.803, unpaired 0..0.824 (the seed's
# 0.01-scaled weights die: 0; He ~0.80, Glorot ~0.78): z = 9.5. An ignored lam_l1 gives
# exactly 1 paired, 0.89..1.13 unpaired.
L1_RATIO_BAR = 0.90
# Final entries below rate * std(W) that are exactly zero: 0.950..0.995 (the last prune at
# step 500, then 100 steps of learning): z = 56. Pruned weights that learn again: <= 0.11.
STAY_ZERO_BAR = 0.5
# Exact zeros in the matrix with the fewest: 0.062..0.464 (Glorot 0.084, sd 0.0094): z = 6.8.
# A run that never prunes, or whose pruned weights learn again, has none.
SPARSITY_BAR = 0.02
# Best validation accuracy in the last 20 % of the steps against shifted labels: the
# reference (3 initialisations x 40 seeds) 0 to 0.008 (mean 0.0016); training on x_val,
# y_val instead of x, y: 1.000. Code that never reads y_val scores against them at most
# 1 - its accuracy on the true labels, so only code below 0.5 there (failing the accuracy
# bar already) could cross this bar without learning from y_val.
SHIFTED_BAR = 0.5
# What correct code showed, for the messages.
CORRECT = {"accuracy": "0.947 to 0.994", "l2": "0.39 to 0.75", "l1": "0 to 0.82",
           "stay_zero": "at least 95 %", "sparsity": "at least 6 %",
           "shifted": "0 to 0.01"}


def train_cases(ctx):
    x, y, x_val, y_val = digits_split()
    shifted = {"shifted_validation": np.roll(y_val, 1, axis=1)}  # class k -> k + 1 (mod 10)
    seed = int(ctx.rng.integers(0, 2 ** 31))
    return [Case(name, {"x": x, "y": y, "x_val": x_val, "y_val": y_val,
                        "y_val_of_run": {run: shifted[run] for run in runs if run in shifted},
                        "runs": {run: {**SETTINGS, **RUNS[run], "seed": seed} for run in runs}})
            for name, runs in CASES]


def train_judge(case, outputs):
    runs = case.inputs["runs"]
    percent = _logs_percent(outputs["runs"].get("plain"))
    results = {name: _read_run(outputs["runs"].get(name), settings,
                               percent if name == "shifted_validation" else None)
               for name, settings in runs.items()}
    unreadable = [verdict(f"{name} run: returns (weights, history), finite", False, problem)
                  for name, (_, _, problem) in results.items() if problem]
    if unreadable:
        return unreadable
    if "pruning" in runs:
        return _judge_pruning(runs["pruning"], *results["pruning"][:2])
    return _judge_penalties(runs, results)


# ------------------------------------------------------------------ reading a run
def _read_run(returned, settings, percent=None):
    """(weight matrices, (steps, accuracies), None) or (None, None, what is wrong);
    `percent`: whether the accuracies are logged in percent (None: judge by their values)."""
    if not isinstance(returned, (list, tuple)) or len(returned) != 2:
        return None, None, ("train must return (weights, history); it returned "
                            f"{describe_value(returned)}")
    weights, problem = weight_matrices(returned[0], settings["hidden"])
    if problem:
        return None, None, problem
    logged, problem = logged_accuracies(returned[1], percent)
    if problem:
        return None, None, problem
    return weights, logged, None


def _logs_percent(returned):
    """Whether a run's history logs accuracies in percent (None when it cannot be read)."""
    if not isinstance(returned, (list, tuple)) or len(returned) != 2:
        return None
    _, problem = logged_accuracies(returned[1])
    if problem:
        return None
    return bool(to_array(_entries(returned[1]))[:, 2].max() > 1)


def weight_matrices(returned, hidden, features=64, classes=10):
    """The three weight matrices, picked by shape from what train returned (biases and
    other arrays are ignored; `W.T` shapes are accepted): (matrices, None) or
    (None, what is wrong)."""
    values = list(returned.values()) if isinstance(returned, dict) else returned
    if not isinstance(values, (list, tuple)):
        return None, f"weights must be a list of arrays; got {describe_value(returned)}"
    arrays = [a for a in (to_array(v) for v in values) if a is not None and a.ndim == 2]
    wanted = [(features, hidden), (hidden, hidden), (hidden, classes)]
    found = []
    for shape in wanted:
        match = next((a for a in arrays if a.shape in (shape, shape[::-1])
                      and not any(a is f for f in found)), None)
        if match is None:
            shapes = [a.shape for a in arrays] or "none"
            return None, (f"weights must hold the matrices of shapes {wanted}; "
                          f"2-D arrays returned: {shapes}")
        found.append(match)
    if not all(np.isfinite(a).all() for a in found):
        return None, ("the returned weights hold NaN or infinite values: the training "
                      "diverged (a softmax that overflows, a gradient that grows without "
                      "bound, a 0 / 0 such as W / |W| at a zero weight?)")
    return found, None


def _entries(history):
    """The history, with entries that are dicts keyed step and val_accuracy as triples."""
    if (isinstance(history, (list, tuple)) and history
            and all(isinstance(entry, dict) and {"step", "val_accuracy"} <= entry.keys()
                    for entry in history)):
        return [(entry["step"], 0.0, entry["val_accuracy"])  # the loss is never read
                for entry in history]
    return history


def logged_accuracies(history, percent=None):
    """(steps, validation accuracies as fractions) from (step, loss, val_accuracy) entries
    (tuples, lists, rows of an array, or dicts with those keys), or (None, what is wrong).
    Accuracies are read as percent when `percent`, or (None) when one is above 1."""
    history = _entries(history)
    rows = None if isinstance(history, dict) else to_array(history)
    if rows is None or rows.ndim != 2 or rows.shape[1] < 3 or not len(rows):
        first = (f", the first {describe_value(history[0])}"
                 if isinstance(history, (list, tuple)) and history else "")
        return None, ("history must list (step, loss, val_accuracy) entries; got "
                      f"{describe_value(history)}{first}")
    steps, accuracies = rows[:, 0], rows[:, 2]
    if not np.isfinite(accuracies).all() or accuracies.min() < 0 or accuracies.max() > 100:
        return None, "history's val_accuracy values are not accuracies (0 to 1, or percent)"
    if percent is None:
        percent = accuracies.max() > 1
    return (steps, accuracies / 100 if percent else accuracies), None


def reached_accuracy(logged, steps):
    """The best validation accuracy logged at a step >= (1 - LATE_SHARE) * steps (None if
    no entry is that late)."""
    logged_steps, accuracies = logged
    late = logged_steps >= (1 - LATE_SHARE) * steps
    return float(accuracies[late].max()) if late.any() else None


def sum_squares(weights):
    return float(sum(np.sum(w ** 2) for w in weights))


def sum_abs(weights):
    return float(sum(np.sum(np.abs(w)) for w in weights))


def stay_zero_share(weights, rate):
    """The share of entries with |W| < rate * std(W) that are exactly zero."""
    small = [np.abs(w) < rate * np.std(w) for w in weights]
    count = sum(int(s.sum()) for s in small)
    zeros = sum(int((w[s] == 0).sum()) for w, s in zip(weights, small))
    return zeros / count if count else 1.0


def sparsity(weights):
    """The smallest share of exact zeros among the matrices."""
    return min(float(np.mean(w == 0)) for w in weights)


# ------------------------------------------------------------------ judging
def _accuracy_check(name, logged, settings):
    steps = settings["steps"]
    reached = reached_accuracy(logged, steps)
    title = f"{name}: reaches validation accuracy >= {ACCURACY_BAR}"
    if reached is None:
        return verdict(title, False, (
            f"the history has no entry at step {int((1 - LATE_SHARE) * steps)} or later "
            f"(steps logged: {_steps_list(logged[0])}); log at least every 100 steps and "
            "once at the end"))
    return verdict(title, reached >= ACCURACY_BAR, (
        f"the best validation accuracy logged in the last {LATE_SHARE:.0%} of the "
        f"{steps} steps is {reached:.3f}; correct code reaches {CORRECT['accuracy']} "
        f"with these settings (hidden={settings['hidden']}, learning_rate="
        f"{settings['learning_rate']}) and the bar is {ACCURACY_BAR}. The network is not "
        "learning: check the backward pass (ReLU derivatives, dz = (p - y) / m, the "
        "update's sign) and that val_accuracy is measured on x_val without dropout"))


def _judge_penalties(runs, results):
    plain, l2, l1 = (results[name][0] for name in ("plain", "l2", "l1"))
    learns = _accuracy_check("without regularization", results["plain"][1], runs["plain"])
    l2_name = f"with L2: sum of W^2 between {L2_RATIO_FLOOR} and {L2_RATIO_BAR} x without"
    l1_name = f"with L1: sum of |W| below {L1_RATIO_BAR} x without"
    shifted_name = (f"learns from x and y only (accuracy against shifted validation labels "
                    f"below {SHIFTED_BAR})")
    if not learns.passed:
        unjudged = ("not judged: the run without regularization does not learn, so the "
                    "penalties' effect cannot be told apart from it")
        return [learns, verdict(l2_name, False, unjudged), verdict(l1_name, False, unjudged),
                verdict(shifted_name, False, "not judged: the run without regularization "
                                             "does not learn")]
    l2_ratio = sum_squares(l2) / sum_squares(plain)
    l1_ratio = sum_abs(l1) / sum_abs(plain)
    # (ratios past 1.3 and 1.18 are beyond a run that ignores both the penalty and `seed`)
    l2_hint = _penalty_hint(l2_ratio, (0.95, 1.3), "lam_l2", "lam_l2 / m * W")
    l1_hint = _penalty_hint(l1_ratio, (0.98, 1.18), "lam_l1", "lam_l1 / m * sign(W)")
    if l2_ratio < L2_RATIO_FLOOR:
        l2_hint = (f" The weights collapse to almost nothing (below {L2_RATIO_FLOOR} x): "
                   "the L2 step is far too strong. Is the penalty's gradient divided by m "
                   "(lam_l2 / m * W, not lam_l2 * W)?")
    return [learns,
            verdict(l2_name, L2_RATIO_FLOOR <= l2_ratio <= L2_RATIO_BAR, (
                f"with lam_l2={runs['l2']['lam_l2']} the sum of squared weights is "
                f"{l2_ratio:.3f} x the run without (both given the same seed); correct code "
                f"gives {CORRECT['l2']} and the check accepts {L2_RATIO_FLOOR} to "
                f"{L2_RATIO_BAR}.{l2_hint}")),
            verdict(l1_name, l1_ratio <= L1_RATIO_BAR, (
                f"with lam_l1={runs['l1']['lam_l1']} the sum of absolute weights is "
                f"{l1_ratio:.3f} x the run without (both given the same seed); correct code "
                f"gives {CORRECT['l1']} and the bar is {L1_RATIO_BAR}.{l1_hint}")),
            _shifted_check(shifted_name, results["shifted_validation"][1],
                           runs["shifted_validation"])]


def _penalty_hint(ratio, thresholds, lam, term):
    """What a ratio near 1 (above `thresholds[0]`) or well above it (`thresholds[1]`)
    says about how the penalty reaches the update."""
    ignored, grows = thresholds
    if ratio > grows:
        return (f" {lam} makes the weights grow: the penalty's gradient is subtracted from "
                f"the weights' gradient (its sign is flipped); add {term}")
    if ratio <= ignored:
        return ""
    hint = (f" {lam} does not shrink the weights: is {term} added to each weight gradient? "
            "(Adding the penalty to the loss alone changes nothing.)")
    if ratio == 1.0:
        hint += (" The weights are exactly those of the run without: the penalty's gradient "
                 "never reaches the update (a loop such as `for g, p in zip(grads, "
                 "penalties): g = g + p` only rebinds the name g; write g += p, or build a "
                 "new list and use it)")
    return hint


def _shifted_check(title, logged, settings):
    reached = reached_accuracy(logged, settings["steps"])
    if reached is None:
        return _accuracy_check("given shifted validation labels", logged, settings)
    return verdict(title, reached < SHIFTED_BAR, (
        f"given validation labels shifted by one class (each sample's label k replaced by "
        f"k + 1, x_val unchanged), the validation accuracy reached {reached:.3f}; code that "
        f"learns only from x and y scores {CORRECT['shifted']} against them. Classic "
        "mistake: training on the held-out split. The updates must use x and y only; "
        "x_val and y_val are only for measuring the validation accuracy"))


def _judge_pruning(settings, weights, logged):
    rate = settings["pruning_rate"]
    share = stay_zero_share(weights, rate)
    least = sparsity(weights)
    return [
        _accuracy_check("with pruning", logged, settings),
        verdict(f"pruned weights stay zero (>= {STAY_ZERO_BAR:.0%} of the entries below "
                f"{rate} x std are exactly 0)", share >= STAY_ZERO_BAR, (
                    f"only {share:.1%} of the final entries with |W| < {rate} * std(W) are "
                    f"exactly zero; correct code leaves {CORRECT['stay_zero']}. Classic "
                    "mistake: pruned weights learn again. The masks must lose the pruned entries "
                    "(prune returns the new masks: keep them) and every later gradient is "
                    "multiplied by them (the seed created the masks but never updated "
                    "them)")),
        verdict(f"every matrix is at least {SPARSITY_BAR:.0%} zeros", least >= SPARSITY_BAR, (
            f"the matrix with the fewest zeros has {least:.1%}; pruning at rate {rate} "
            f"every {settings['prune_period']} steps leaves {CORRECT['sparsity']} with "
            "correct code. "
            "Is prune called at every step > 0 that is a multiple of prune_period, on the "
            "matrices train returns?")),
    ]


def _steps_list(steps):
    shown = [int(s) for s in steps[-6:]]
    return ("..., " if len(steps) > 6 else "") + ", ".join(map(str, shown))
