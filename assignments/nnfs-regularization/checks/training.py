"""Task training: an outcome check. The student's own classes train the book's 2-64-3
network (L2 5e-4 on the hidden layer's weights and biases, Adam with learning rate 0.02
and decay 5e-7) on freshly drawn spiral data, from initial weights drawn here; the
accuracy on a held-out spiral set must reach a bar set from the reference's own runs.

It complements the unit checks and does not replace them: several real bugs (the L2
gradient without its 2, for one) still train to accuracies inside the spread of correct
code. It catches what breaks learning as a whole.

The bar and its false-fail bound (solutions/nnfs-regularization/calibrate_training.py
reproduces the numbers):
- A run is shorter than the book's (EPOCHS epochs on SAMPLES points per class instead of
  10 000 on 1 000), so the bar is lower than the book's ~0.87.
- The reference ran CALIBRATION_RUNS times, each run drawn as a graded run is
  (`run_inputs`, seeds 0..CALIBRATION_RUNS-1); its validation accuracy was never below
  CALIBRATION_MINIMUM, and BAR is below that. With no run below BAR in n runs, the
  probability p that one correct run falls below it is at most
  1 - CONFIDENCE_MISS ** (1 / n) (exact binomial bound, which holds except with
  probability CONFIDENCE_MISS over the calibration).
- A submission trains RUNS independent runs and passes when at least NEEDED of them reach
  BAR: a correct one fails only if MISSES = RUNS - NEEDED + 1 runs miss, with probability
  at most C(RUNS, MISSES) * p ** MISSES = FALSE_FAIL_BOUND (3.6e-5: about once in 28 000
  correct submissions).
"""
import math

import numpy as np

from grader.authoring import Case, to_array, verdict

from .common import as_dict, as_list, compare, raised, teaching
from .data import softmax, spiral

SAMPLES = 100  # per class, training
VALIDATION_SAMPLES = 100  # per class, held out
EPOCHS = 1000
HIDDEN = 64
L2 = 5e-4
ADAM = {"learning_rate": 0.02, "decay": 5e-7}
RUNS, NEEDED = 3, 2
CALIBRATION_RUNS = 2000
# calibrate_training.py 2000: mean 0.7725, sd 0.0319, quantiles 0.1% 0.6667, 1% 0.6933,
# smallest 0.6433 (193 of 300 points).
CALIBRATION_MINIMUM = 193 / 300
BAR = 0.62  # below the smallest, with room for correct code that is not bit-identical
CONFIDENCE_MISS = 1e-3
P_SINGLE_RUN = 1 - CONFIDENCE_MISS ** (1 / CALIBRATION_RUNS)  # 3.45e-3
MISSES = RUNS - NEEDED + 1
FALSE_FAIL_BOUND = math.comb(RUNS, MISSES) * P_SINGLE_RUN ** MISSES  # 3.6e-5


def run_inputs(rng):
    """One run: training and validation spirals, and the book's initial weights
    (0.01 * randn, zero biases), all drawn from `rng`."""
    x, y = spiral(rng, SAMPLES)
    x_val, y_val = spiral(rng, VALIDATION_SAMPLES)
    return {"X": x, "y": y, "X_val": x_val, "y_val": y_val,
            "W1": 0.01 * rng.standard_normal((2, HIDDEN)), "b1": np.zeros((1, HIDDEN)),
            "W2": 0.01 * rng.standard_normal((HIDDEN, 3)), "b2": np.zeros((1, 3))}


def training_cases(ctx):
    runs = [run_inputs(ctx.rng) for _ in range(RUNS)]
    labels = [run.pop("y_val") for run in runs]  # the grader's answer: never sent
    settings = {"factors": {"weight_l2": L2, "bias_l2": L2}, "adam": ADAM}
    return [Case(f"{RUNS} runs of {EPOCHS} epochs on {3 * SAMPLES} spiral points",
                 {"runs": runs, "epochs": EPOCHS, "settings": settings},
                 context={"labels": labels, "noun": "network"})]


def reference_accuracy(reference, run, y_val):
    """Validation accuracy of one run of the reference's classes (the calibration)."""
    hidden = reference("Layer_Dense")(2, HIDDEN, weight_regularizer_l2=L2, bias_regularizer_l2=L2)
    output = reference("Layer_Dense")(HIDDEN, 3)
    hidden.weights, hidden.biases = run["W1"].copy(), run["b1"].copy()
    output.weights, output.biases = run["W2"].copy(), run["b2"].copy()
    relu = reference("Activation_ReLU")()
    head = reference("Activation_Softmax_Loss_CategoricalCrossentropy")()
    optimizer = reference("Optimizer_Adam")(**ADAM)
    for _ in range(EPOCHS):
        hidden.forward(run["X"])
        relu.forward(hidden.output)
        output.forward(relu.output)
        head.forward(output.output, run["y"])
        head.backward(head.output, run["y"])
        output.backward(head.dinputs)
        relu.backward(output.dinputs)
        hidden.backward(relu.dinputs)
        optimizer.pre_update_params()
        optimizer.update_params(hidden)
        optimizer.update_params(output)
        optimizer.post_update_params()
    hidden.forward(run["X_val"])
    relu.forward(hidden.output)
    output.forward(relu.output)
    return float(np.mean(np.argmax(output.output, axis=1) == y_val))


def _accuracy(result, labels):
    """(validation accuracy or None, how the run is shown in a message)."""
    if raised(result):
        return None, "crashed"
    logits = to_array(result.get("validation_logits")) if isinstance(result, dict) else None
    if logits is None or logits.shape != (len(labels), 3):
        return None, f"no output of shape ({len(labels)}, 3)"
    if not np.all(np.isfinite(logits)):
        return None, "non-finite outputs (nan or inf)"
    accuracy = float(np.mean(np.argmax(logits, axis=1) == labels))
    return accuracy, f"{accuracy:.3f}"


@teaching
def training_judge(case, outputs):
    runs = as_list(outputs.get("runs"))
    judged = [_accuracy(r, y) for r, y in zip(runs, case.context["labels"])]
    reached = sum(1 for accuracy, _ in judged if accuracy is not None and accuracy >= BAR)
    shown = ", ".join(text for _, text in judged) or "none"
    checks = [verdict(
        f"validation accuracy reaches {BAR:.2f} in at least {NEEDED} of {RUNS} runs",
        reached >= NEEDED, (
            f"your classes trained the 2-64-3 network to validation accuracies {shown}; "
            f"correct code reaches {BAR:.2f} in at least {NEEDED} of {RUNS} runs, but for at "
            f"most 1 submission in {round(1 / FALSE_FAIL_BOUND, -3):,.0f}. "
            + _first_crash(runs)).strip(), weight=2)]
    first = next((i for i, r in enumerate(runs) if isinstance(r, dict) and not raised(r)), None)
    if first is None:
        return checks + [verdict("the loss is reported as data + regularization loss", False,
                                 "no run finished")]
    return checks + [_judge_reported_loss(case.inputs["runs"][first], runs[first])]


def _first_crash(runs):
    error = next((raised(r) for r in runs if raised(r)), None)
    return f"The first crash: {error}" if error else ""


def _expected_losses(run, parameters):
    """Data and regularization loss of the trained network, from its final parameters."""
    (w1, b1), (w2, b2) = [[np.asarray(p, dtype=np.float64) for p in layer]
                          for layer in parameters]
    hidden = np.maximum(run["X"] @ w1 + b1, 0.0)
    probabilities = np.clip(softmax(hidden @ w2 + b2), 1e-7, 1 - 1e-7)
    data = float(np.mean(-np.log(probabilities[range(len(run["y"])), run["y"]])))
    return data, float(L2 * (np.sum(w1 * w1) + np.sum(b1 * b1)))


def _judge_reported_loss(run, result):
    name = "the loss is reported as data + regularization loss"
    try:
        data, regularization = _expected_losses(run, result["parameters"])
    except (KeyError, TypeError, ValueError, IndexError):
        return verdict(name, False, "the trained layers' weights could not be read")
    reported = result.get("reported")
    error = raised(reported)
    if error:
        return verdict(name, False, f"computing the regularization loss raised {error}")
    reported = as_dict(reported)
    parts = [compare(name, result.get("data_loss"), data, what="the data loss your classes "
                     "report after training", rtol=1e-6, atol=1e-9),
             compare(name, reported.get("regularization"), regularization,
                     what="the regularization loss of the trained layers", rtol=1e-6,
                     atol=1e-12)]
    if "with_regularization" in reported:
        total = reported["with_regularization"]
        if isinstance(total, list):
            parts.append(compare(name, total, [data, regularization], what="calculate(..., "
                                 "include_regularization=True), as (data, regularization)",
                                 rtol=1e-6, atol=1e-9))
        else:
            parts.append(compare(name, total, data + regularization, what="calculate(..., "
                                 "include_regularization=True)", rtol=1e-6, atol=1e-9,
                                 mistakes=[("the regularization loss is computed but not "
                                            "added to the data loss", data)]))
    failed = [p for p in parts if not p.passed]
    return failed[0] if failed else verdict(name, True)
