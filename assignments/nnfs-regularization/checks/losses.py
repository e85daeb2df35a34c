"""Tasks cross_entropy and softmax_cross_entropy, with sparse and one-hot labels."""
import numpy as np

from grader.authoring import Case, MistakeTable, to_array, verdict

from .common import CLASSIC, as_dict, compare, raised, teaching
from .data import one_hot, softmax

LABELS = {"sparse": "sparse labels", "onehot": "one-hot labels"}
CROSS_ENTROPY_FORWARD_MISTAKES = {
    "clip_low_only": "predictions are clipped to [1e-7, 1] only: clip both sides, "
                     "np.clip(y_pred, 1e-7, 1 - 1e-7), so that a confidence of 1 is not "
                     "a free 0",
}
CROSS_ENTROPY_BACKWARD_MISTAKES = {
    "no_samples": "the gradient is not divided by the number of samples",
    "sign": "the gradient's sign is flipped: it is -y_true / dvalues / samples",
}
COMBINED_MISTAKES = {
    "no_samples": "the gradient is not divided by the number of samples",
    "sign": "the gradient's sign is flipped: it is (y_hat - y_true) / samples",
}
ONE_HOT_CRASH = ("one-hot labels crash your code: when y_true has two dimensions, turn it into "
                 "class indices first (y_true = np.argmax(y_true, axis=1)), or use it as a "
                 "mask, as the book does")


def _predictions(rng, samples, classes, labels):
    """Rows of probabilities; one row is certain of its true class (probability 1, which
    only the upper clip changes) and one gives its true class probability 0 (which only
    the lower clip keeps finite)."""
    p = rng.dirichlet(np.ones(classes), samples)
    p[0] = 0.0
    p[0, labels[0]] = 1.0
    p[1] = 1.0 / (classes - 1)
    p[1, labels[1]] = 0.0
    return p


def _losses(p, labels, low=1e-7, high=1 - 1e-7):
    return -np.log(np.clip(p, low, high)[range(len(labels)), labels])


def cross_entropy_cases(ctx):
    rng = ctx.rng
    reference = ctx.reference("Loss_CategoricalCrossentropy")
    samples, classes = int(rng.integers(6, 10)), 3
    labels = rng.integers(0, classes, samples)
    inputs = {"predictions": _predictions(rng, samples, classes, labels),
              "dvalues": rng.dirichlet(np.ones(classes), samples) * 0.9 + 0.1 / classes,
              "sparse": labels, "onehot": one_hot(labels, classes)}
    expected = {}
    for kind in LABELS:
        loss = reference()
        expected[f"forward_{kind}"] = loss.forward(inputs["predictions"].copy(), inputs[kind])
        loss.backward(inputs["dvalues"].copy(), inputs[kind])
        expected[f"backward_{kind}"] = loss.dinputs
    return [Case(f"{samples} samples, 3 classes, confidences of exactly 0 and 1", inputs,
                 context={"expected": expected, "noun": "cross-entropy loss"})]


@teaching
def cross_entropy_judge(case, outputs):
    a, expected = case.inputs, case.context["expected"]
    checks = []
    for kind, label in LABELS.items():
        got = outputs.get(f"forward_{kind}")
        wanted = expected[f"forward_{kind}"]
        array = to_array(got)
        if array is not None and array.size == 1:  # a forward that returns the mean
            wanted = np.float64(np.mean(wanted))
        mistakes = MistakeTable(CROSS_ENTROPY_FORWARD_MISTAKES, lambda k: (
            _losses(a["predictions"], a["sparse"], high=1.0) if array is None or array.size > 1
            else np.mean(_losses(a["predictions"], a["sparse"], high=1.0))))
        check = compare(f"forward with {label}: -log(clip(y_pred, 1e-7, 1 - 1e-7)) of the "
                        f"true class", got, wanted, what="the sample losses", mistakes=mistakes)
        checks.append(_explained(check, got, kind))
        if f"calculate_{kind}" in outputs:
            checks.append(_explained(compare(
                f"calculate with {label}: the mean of the sample losses",
                outputs[f"calculate_{kind}"], np.mean(expected[f"forward_{kind}"]),
                what="the data loss"), outputs[f"calculate_{kind}"], kind))
        backward = MistakeTable(CROSS_ENTROPY_BACKWARD_MISTAKES, lambda k, kind=kind: (
            expected[f"backward_{kind}"] * (len(a["sparse"]) if k == "no_samples" else -1)))
        checks.append(_explained(compare(
            f"backward with {label}: dinputs = -y_true / dvalues / samples",
            outputs.get(f"backward_{kind}"), expected[f"backward_{kind}"], what="dinputs",
            mistakes=backward), outputs.get(f"backward_{kind}"), kind))
    return checks


def _explained(check, got, kind):
    """Name the two crashes and overflows students meet: unclipped logs, one-hot labels."""
    if check.passed:
        return check
    if kind == "onehot" and raised(got):
        return verdict(check.name, False, f"{check.message} {CLASSIC}{ONE_HOT_CRASH}.",
                       check.weight)
    if "non-finite" in check.message and "sample losses" in check.message:
        return verdict(check.name, False, (
            f"{check.message} {CLASSIC}the predictions are not clipped: a true-class "
            f"probability of 0 gives -log(0) = inf; clip them to [1e-7, 1 - 1e-7] first."),
            check.weight)
    return check


def softmax_cross_entropy_cases(ctx):
    rng = ctx.rng
    reference = ctx.reference("Activation_Softmax_Loss_CategoricalCrossentropy")
    samples, classes = int(rng.integers(6, 10)), 3
    labels = rng.integers(0, classes, samples)
    logits = rng.standard_normal((samples, classes)) * 2
    inputs = {"logits": logits, "dvalues": softmax(logits), "sparse": labels,
              "onehot": one_hot(labels, classes)}
    expected = {}
    for kind in LABELS:
        combined = reference()
        expected[f"loss_{kind}"] = combined.forward(logits.copy(), inputs[kind])
        expected["output"] = combined.output
        combined.backward(inputs["dvalues"].copy(), inputs[kind])
        expected[f"backward_{kind}"] = combined.dinputs
    return [Case(f"{samples} samples, 3 classes", inputs,
                 context={"expected": expected, "noun": "softmax + cross-entropy"})]


@teaching
def softmax_cross_entropy_judge(case, outputs):
    a, expected = case.inputs, case.context["expected"]
    checks = []
    for kind, label in LABELS.items():
        if outputs.get("has_forward") is True:
            forward = outputs.get(f"forward_{kind}")
            error = raised(forward)
            loss = forward if error else as_dict(forward).get("loss")
            output = forward if error else as_dict(forward).get("output")
            checks.append(_explained(compare(
                f"forward with {label}: returns the mean cross-entropy", loss,
                expected[f"loss_{kind}"], what="the returned loss"), forward, kind))
            if kind == "sparse":
                checks.append(compare("forward: output = softmax of the inputs", output,
                                      expected["output"], what="the output"))
        mistakes = MistakeTable(COMBINED_MISTAKES, lambda k, kind=kind: (
            expected[f"backward_{kind}"] * (len(a["sparse"]) if k == "no_samples" else -1)))
        got = outputs.get(f"backward_{kind}")
        checks.append(_explained(compare(
            f"backward with {label}: dinputs = (y_hat - y_true) / samples", got,
            expected[f"backward_{kind}"], what="dinputs", mistakes=mistakes), got, kind))
    return checks
