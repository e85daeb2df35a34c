"""Tasks sgd, adagrad, rmsprop and adam: several steps on two layers with given gradients,
judged against the reference optimizer's trajectory.

Each step is the book's: pre_update_params (learning-rate decay), update_params on each
layer, post_update_params. The gradients are fixed in advance, so the trajectory of every
weight and bias is determined by the update rule alone. Classic mistakes are replayed by
`simulate`, which follows the same rules with one of them changed.
"""
from types import SimpleNamespace

import numpy as np

from grader.authoring import Case, MistakeTable, close, verdict

from .common import CLASSIC, as_list, raised, teaching

REFERENCE_CLASS = {"sgd": "Optimizer_SGD", "adagrad": "Optimizer_Adagrad",
                   "rmsprop": "Optimizer_RMSprop", "adam": "Optimizer_Adam"}
# Two cases per optimizer: with decay (and the optimizer's own settings away from the
# book's defaults), and without decay (defaults), which a constructor lacking a setting
# can still run.
SETTINGS = {
    "sgd": [{"learning_rate": 0.8, "decay": 0.1, "momentum": 0.9},
            {"learning_rate": 0.5, "decay": 0.0, "momentum": 0.0}],
    "adagrad": [{"learning_rate": 0.5, "decay": 0.1, "epsilon": 1e-7},
                {"learning_rate": 1.0, "decay": 0.0, "epsilon": 1e-7}],
    "rmsprop": [{"learning_rate": 0.02, "decay": 0.1, "epsilon": 1e-7, "rho": 0.8},
                {"learning_rate": 0.001, "decay": 0.0, "epsilon": 1e-7, "rho": 0.9}],
    "adam": [{"learning_rate": 0.05, "decay": 0.1, "epsilon": 1e-7, "beta_1": 0.8,
              "beta_2": 0.95},
             {"learning_rate": 0.001, "decay": 0.0, "epsilon": 1e-7, "beta_1": 0.9,
              "beta_2": 0.999}],
}
STEPS = 6
SHAPES = [(3, 4), (4, 2)]
DECAY_MISTAKES = {
    "decay_in_post": "the learning rate is decayed in post_update_params, after the step: "
                     "every step uses the previous step's rate (decay it in "
                     "pre_update_params)",
    "decay_compounds": "the decay compounds: the current rate is divided by "
                       "(1 + decay * iterations) again at every step; compute it from the "
                       "initial rate, learning_rate / (1 + decay * iterations)",
    "no_decay": "the learning rate never decays",
}
READS_DINPUTS = ("the update reads layer.dinputs: the weights are updated from "
                 "layer.dweights and the biases from layer.dbiases (dinputs is the gradient "
                 "passed back to the previous layer)")
MISTAKES = {
    "sgd": {"no_momentum": "momentum is ignored: the update must be momentum * "
                           "previous_update - learning_rate * gradient, kept on the layer",
            **DECAY_MISTAKES},
    "adagrad": {"not_squared": "the cache sums the gradients instead of their squares",
                **DECAY_MISTAKES},
    "rmsprop": {"no_rho": "RMSprop without rho: cache += gradient**2 is Adagrad's cache; "
                          "RMSprop keeps cache = rho * cache + (1 - rho) * gradient**2",
                "cache_plus_equals": "cache += rho * cache + (1 - rho) * gradient**2 adds "
                                     "the decayed cache to the old one: it must be "
                                     "cache = rho * cache + (1 - rho) * gradient**2",
                **DECAY_MISTAKES},
    "adam": {"iterations": "Adam's bias correction uses iterations instead of "
                           "iterations + 1: at the first step 1 - beta**0 = 0 divides by "
                           "zero",
             "cache_multiplied": "Adam's corrected cache is multiplied by (1 - beta_2 ** "
                                 "(iterations + 1)) instead of divided by it",
             **DECAY_MISTAKES},
}


def optimizer_cases(kind):
    def cases(ctx):
        rng = ctx.rng
        made = []
        for settings in SETTINGS[kind]:
            inputs = {"settings": settings,
                      "weights": [rng.standard_normal(shape) for shape in SHAPES],
                      "biases": [rng.standard_normal((1, shape[1])) for shape in SHAPES],
                      "gradients": [[(rng.standard_normal(shape),
                                      rng.standard_normal((1, shape[1]))) for shape in SHAPES]
                                    for _ in range(STEPS)]}
            trajectory, rates = _reference_trajectory(ctx, kind, inputs)
            shown = ", ".join(f"{k}={v:g}" for k, v in settings.items())
            made.append(Case(f"{STEPS} steps on two layers, {shown}", inputs,
                             context={"trajectory": trajectory, "rates": rates,
                                      "kind": kind, "noun": "optimizer"}))
        return made
    return cases


def _reference_trajectory(ctx, kind, inputs):
    optimizer = ctx.reference(REFERENCE_CLASS[kind])(**inputs["settings"])
    layers = [SimpleNamespace(weights=np.array(w), biases=np.array(b))
              for w, b in zip(inputs["weights"], inputs["biases"])]
    trajectory, rates = [], []
    for gradients in inputs["gradients"]:
        for layer, (dw, db) in zip(layers, gradients):
            layer.dweights, layer.dbiases = np.array(dw), np.array(db)
        optimizer.pre_update_params()
        rates.append(optimizer.current_learning_rate)
        for layer in layers:
            optimizer.update_params(layer)
        optimizer.post_update_params()
        trajectory.append(_flat([[layer.weights, layer.biases] for layer in layers]))
    return np.array(trajectory), np.array(rates, dtype=np.float64)


def _flat(step):
    return np.concatenate([np.ravel(part) for layer in step for part in layer])


def simulate(kind, inputs, mistake=None):
    """The trajectory and learning rates of the book's optimizer with one mistake."""
    settings = inputs["settings"]
    initial, decay = settings["learning_rate"], settings["decay"]
    params = [[np.array(w, dtype=np.float64), np.array(b, dtype=np.float64)]
              for w, b in zip(inputs["weights"], inputs["biases"])]
    state = [[{}, {}] for _ in params]
    rate, iterations = initial, 0
    trajectory, rates = [], []
    with np.errstate(all="ignore"):
        for gradients in inputs["gradients"]:
            if mistake == "decay_compounds":
                rate = rate / (1 + decay * iterations)
            elif mistake not in ("decay_in_post", "no_decay"):
                rate = initial / (1 + decay * iterations)
            rates.append(rate)
            for layer, grads in zip(range(len(params)), gradients):
                for part in (0, 1):
                    params[layer][part] = _updated(kind, settings, params[layer][part],
                                                   np.asarray(grads[part]), state[layer][part],
                                                   rate, iterations, mistake)
            if mistake == "decay_in_post":
                rate = initial / (1 + decay * iterations)
            iterations += 1
            trajectory.append(_flat(params))
    return np.array(trajectory), np.array(rates)


def _updated(kind, settings, x, g, state, rate, iterations, mistake):
    """One parameter array after one update (state: its momentums and caches)."""
    if kind == "sgd":
        if settings["momentum"] and mistake != "no_momentum":
            state["m"] = settings["momentum"] * state.get("m", 0.0) - rate * g
            return x + state["m"]
        return x - rate * g
    eps = settings["epsilon"]
    cache = state.get("c", np.zeros_like(x))
    if kind == "adagrad":
        state["c"] = cache + (g if mistake == "not_squared" else g ** 2)
        return x - rate * g / (np.sqrt(state["c"]) + eps)
    if kind == "rmsprop":
        rho = settings["rho"]
        state["c"] = (cache + g ** 2 if mistake == "no_rho" else
                      cache + rho * cache + (1 - rho) * g ** 2
                      if mistake == "cache_plus_equals" else rho * cache + (1 - rho) * g ** 2)
        return x - rate * g / (np.sqrt(state["c"]) + eps)
    beta_1, beta_2 = settings["beta_1"], settings["beta_2"]
    state["m"] = beta_1 * state.get("m", 0.0) + (1 - beta_1) * g
    state["c"] = beta_2 * cache + (1 - beta_2) * g ** 2
    t = iterations if mistake == "iterations" else iterations + 1
    corrected_m = state["m"] / (1 - beta_1 ** t)
    correction_2 = 1 - beta_2 ** t
    corrected_c = state["c"] * correction_2 if mistake == "cache_multiplied" else \
        state["c"] / correction_2
    return x - rate * corrected_m / (np.sqrt(corrected_c) + eps)


def _same(got, variant):
    """Equal trajectories, non-finite values included (a division by zero is a match)."""
    variant = np.asarray(variant, dtype=np.float64)
    if got.shape != variant.shape:
        return False
    finite = np.isfinite(got)
    return bool(np.array_equal(finite, np.isfinite(variant))) and close(
        got[finite], variant[finite], rtol=1e-7, atol=1e-10)


def _student_trajectory(steps):
    """The probe's steps ([[weights, biases] per layer] per step) as one float64 array, or
    None when they are not arrays of numbers."""
    try:
        return np.array([_flat(step) for step in steps], dtype=np.float64).reshape(
            len(steps), -1)
    except (TypeError, ValueError):
        return None


def _where(index):
    """'layer 2 biases[0, 1]' for a position in a flattened step."""
    for layer, shape in enumerate(SHAPES, start=1):
        for part, part_shape in (("weights", shape), ("biases", (1, shape[1]))):
            size = part_shape[0] * part_shape[1]
            if index < size:
                entry = [int(i) for i in np.unravel_index(index, part_shape)]
                return f"layer {layer} {part}{entry}"
            index -= size
    return "?"


@teaching
def optimizer_judge(case, outputs):
    kind, settings = case.context["kind"], case.inputs["settings"]
    expected = case.context["trajectory"]
    checks = [_judge_trajectory(case, outputs, kind, expected)]
    rates = as_list(outputs.get("rates"))
    if settings["decay"] and rates and all(isinstance(r, float) for r in rates):
        checks.append(_judge_rates(case, np.array(rates)))
    return checks


def _judge_trajectory(case, outputs, kind, expected):
    name = f"weights and biases after each of {STEPS} steps match the reference"
    steps = as_list(outputs.get("trajectory"))
    error = raised(outputs)
    if error and len(steps) < STEPS:
        hint = f" {CLASSIC}{READS_DINPUTS}." if "'dinputs'" in error else ""
        return verdict(name, False, f"step {len(steps) + 1} raised {error}{hint}")
    got = _student_trajectory(steps)
    if got is None or got.shape != expected.shape:
        shown = "values that are not arrays of numbers" if got is None else f"shape {got.shape}"
        return verdict(name, False, f"expected {STEPS} steps of {expected.shape[1]} values, "
                                    f"got {shown}")
    if _same(got, expected):
        return verdict(name, True)
    differs = ~np.isclose(got, expected, rtol=1e-7, atol=1e-10) | ~np.isfinite(got)
    step, index = [int(i) for i in np.argwhere(differs)[0]]
    message = (f"after step {step + 1}, {_where(index)} is {got[step, index]:.8g} (expected "
               f"{expected[step, index]:.8g}).")
    mistakes = MistakeTable(MISTAKES[kind], lambda k: simulate(kind, case.inputs, k)[0])
    named = mistakes.first_match(got, _same)
    if named:
        message += f" {CLASSIC}{named}."
    return verdict(name, False, message)


def _judge_rates(case, rates):
    kind = case.context["kind"]
    expected = case.context["rates"]
    name = "the learning rate of each step is learning_rate / (1 + decay * iterations)"
    if rates.shape == expected.shape and close(rates, expected, rtol=1e-9, atol=1e-12):
        return verdict(name, True)
    message = (f"your current learning rate at steps 1..{len(rates)} was "
               f"{', '.join(f'{r:.6g}' for r in rates)}; expected "
               f"{', '.join(f'{r:.6g}' for r in expected)}.")
    table = MistakeTable(DECAY_MISTAKES, lambda k: simulate(kind, case.inputs, k)[1])
    named = table.first_match(rates, lambda got, variant: got.shape == variant.shape and close(
        got, variant, rtol=1e-9, atol=1e-12))
    return verdict(name, False, message + (f" {CLASSIC}{named}." if named else ""))
