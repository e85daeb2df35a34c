"""Tasks 2, 3 and 6 (TensorFlow): the L2 cost of a network, layers with L2 and with dropout.

The probe builds the graph and returns plain values (the cost, the layer's
variables, output and regularization losses); everything here is NumPy. Where
the statement leaves freedom (initializers, dropout masks), properties are
judged: kernels against the initializer's law with an exact statistical bound,
kept units against the keep rate.
"""
import numpy as np

from grader.authoring import (Case, binomial_interval, compare_arrays, dkw_bound, ks_distance,
                              normal_cdf, to_array, truncated_normal_cdf, uniform_cdf, verdict)

from .common import ARROW, describe, teaching, with_expected
from .network import one_hot, softmax

F32 = {"rtol": 2e-4, "atol": 2e-5}


# ------------------------------------------------------------------ task 2
def l2_tf_cost_cases(ctx):
    rng = ctx.rng
    cases = []
    for lambthas, activations in (((0.09, 0.03, 0.2), ("tanh", "sigmoid", "none")),
                                  ((0.05, None, 0.02, 0.5), ("tanh", "relu", "sigmoid", "none"))):
        m = int(rng.integers(100, 300))
        sizes = [784] + [int(rng.integers(10, 300)) for _ in lambthas[:-1]] + [10]
        kernels = [(rng.standard_normal((fan_in, fan_out)) * np.sqrt(4.0 / (fan_in + fan_out)))
                   .astype(np.float32) for fan_in, fan_out in zip(sizes, sizes[1:])]
        inputs = {"X": rng.uniform(0, 1, (m, 784)).astype(np.float32),
                  "Y": one_hot(rng, 10, m).T.astype(np.float32), "kernels": kernels,
                  "biases": [(rng.standard_normal(n) * 0.1).astype(np.float32)
                             for n in sizes[1:]],
                  "lambthas": list(lambthas), "activations": list(activations)}
        regularized = sum(lam is not None for lam in lambthas)
        cases.append(Case(f"{ARROW.join(map(str, sizes))}, m={m}, {regularized} regularized "
                          f"layers", inputs))
    return with_expected(cases, _l2_tf_cost_parts)


def _l2_tf_cost_parts(a):
    """The network's cost (mean softmax cross-entropy) and each regularized layer's loss."""
    out = a["X"].astype(np.float64)
    for kernel, bias, activation in zip(a["kernels"], a["biases"], a["activations"]):
        out = _apply(activation, out @ kernel + bias)
    log_softmax = out - out.max(axis=1, keepdims=True)
    log_softmax -= np.log(np.exp(log_softmax).sum(axis=1, keepdims=True))
    cost = -np.mean(np.sum(a["Y"] * log_softmax, axis=1))
    losses = np.array([lam * np.sum(np.square(k, dtype=np.float64))
                       for lam, k in zip(a["lambthas"], a["kernels"]) if lam is not None])
    return {"cost": cost, "losses": losses}


@teaching
def l2_tf_cost_judge(case, outputs):
    if "parameters" in outputs:
        return [verdict("cost + each layer's L2 loss, one entry per regularized layer", False,
                        _two_argument_cost(outputs["parameters"]))]
    if "returned_type" in outputs:
        return [verdict("cost + each layer's L2 loss, one entry per regularized layer", False,
                        f"l2_reg_cost returned a {outputs['returned_type']}, not a tensor: "
                        f"return a tensor of the graph, cost + "
                        f"tf.losses.get_regularization_losses()")]
    cost, losses = case.context["expected"]["cost"], case.context["expected"]["losses"]
    mistakes = [("a single total (tf.losses.get_regularization_loss(), singular): the task "
                 "wants one entry per regularized layer", cost + losses.sum()),
                ("the regularization losses without the cost", losses),
                ("everything summed into one number", np.sum(cost + losses)),
                ("the regularization is added twice: cost + "
                 "tf.losses.get_regularization_loss() + tf.losses.get_regularization_losses()"
                 "; add only the list, get_regularization_losses()", cost + losses.sum() + losses),
                ("each layer's L2 loss is counted twice", cost + 2 * losses)]
    return [compare_arrays("cost + each layer's L2 loss, one entry per regularized layer",
                           outputs.get("result"), cost + losses,
                           what="the returned tensor's value", mistakes=mistakes, **F32)]


def _two_argument_cost(parameters):
    shown = ", ".join(parameters)
    if len(parameters) == 2 and parameters[1].rstrip("=") == "model":
        return (f"l2_reg_cost takes ({shown}): this looks written for the TensorFlow 2/Keras "
                f"edition, whose l2_reg_cost(cost, model) added the model's losses; this "
                f"assignment asks l2_reg_cost(cost) in a TensorFlow 1 graph: return cost + "
                f"tf.losses.get_regularization_losses(), one entry per regularized layer")
    return (f"l2_reg_cost takes ({shown}), but it is called with the cost alone: "
            f"l2_reg_cost(cost)")


# ------------------------------------------------------------ tasks 3 and 6
def _layer_case(rng, n0, n, activation, m, extra_args, kwargs, label):
    inputs = {"X": rng.uniform(0, 1, (m, n0)).astype(np.float32), "n": n,
              "activation": activation, "extra_args": extra_args, "kwargs": kwargs,
              "tf_seed": int(rng.integers(0, 2 ** 31))}
    return Case(f"{n0}{ARROW}{n}, {activation}, m={m}, {label}", inputs)


def _apply(activation, z):
    return {"tanh": np.tanh, "sigmoid": lambda v: 1 / (1 + np.exp(-v)),
            "relu": lambda v: np.maximum(v, 0), "none": lambda v: v,
            "softmax": lambda v: softmax(v, axis=1)}[activation](z)


def _dense_variables(case, outputs):
    """(kernel, bias, failing check or None) from the variables the student's graph made.

    A layer built by hand may keep its kernel as (n, n0) and multiply by its transpose,
    or its bias as a (1, n) row: both compute the same layer, and are returned here as a
    (n0, n) kernel and a (n,) bias."""
    if "output_type" in outputs:
        return None, None, verdict("returns the layer's output tensor", False,
                                   _not_a_tensor(outputs["output_type"]))
    n0, n = case.inputs["X"].shape[1], case.inputs["n"]
    values = outputs.get("variables") or []
    arrays = [to_array(v) for v in values]
    kernels = [a for a in arrays if a is not None and a.shape == (n0, n)]
    kernels += [a.T for a in arrays if a is not None and a.shape == (n, n0) and n != n0]
    biases = [a.reshape(n) for a in arrays if a is not None and a.shape in ((n,), (1, n))]
    names = outputs.get("variable_names") or []
    if len(kernels) != 1 or len(biases) != 1 or len(arrays) != 2:
        return None, None, verdict(
            "creates one dense layer", False,
            f"expected exactly one kernel of shape ({n0}, {n}) and one bias of shape ({n},); "
            f"the graph holds {len(arrays)} variables: "
            + ", ".join(f"{nm} {None if a is None else a.shape}"
                        for nm, a in zip(names, arrays))[:300])
    return kernels[0], biases[0], verdict("creates one dense layer", True)


def _not_a_tensor(kind):
    if kind == "None":
        return ("the function returned None (is there a `return` statement?): return the "
                "layer's output tensor")
    if kind in ("Dense", "Dropout", "Layer") or kind.endswith("Layer"):
        return (f"the function returned the {kind} layer object, not its output: call the "
                f"layer on prev and return the result, e.g. layer = tf.layers.Dense(...); "
                f"return layer(prev)")
    return f"the function returned a {kind}, not a tensor: return the layer's output tensor"


def _initializer_check(kernel):
    """Is the kernel a draw of VarianceScaling(2.0, 'fan_avg'), truncated normal?"""
    fan_in, fan_out = kernel.shape
    base = np.sqrt(2.0 / ((fan_in + fan_out) / 2))
    candidates = {
        "VarianceScaling(scale=2.0, mode='fan_avg'), truncated normal":
            truncated_normal_cdf(base / 0.87962566103423978),
        "glorot uniform (the default when no kernel_initializer is given)":
            uniform_cdf(np.sqrt(6.0 / (fan_in + fan_out))),
        "VarianceScaling(scale=2.0, mode='fan_in') (he_normal)":
            truncated_normal_cdf(np.sqrt(2.0 / fan_in) / 0.87962566103423978),
        "VarianceScaling(scale=2.0, mode='fan_out')":
            truncated_normal_cdf(np.sqrt(2.0 / fan_out) / 0.87962566103423978),
        "VarianceScaling(scale=2.0, mode='fan_avg') with an untruncated normal":
            normal_cdf(base),
        "VarianceScaling(scale=2.0, mode='fan_avg') with a uniform distribution":
            uniform_cdf(np.sqrt(3.0) * base),
        "VarianceScaling with its default scale=1.0 (glorot normal): scale=2.0 is missing":
            truncated_normal_cdf(np.sqrt(1.0 / ((fan_in + fan_out) / 2)) / 0.87962566103423978),
    }
    right = next(iter(candidates))
    bound = dkw_bound(kernel.size)
    name = "kernel initializer is VarianceScaling(scale=2.0, mode='fan_avg')"
    if ks_distance(kernel, candidates[right]) <= bound:
        return verdict(name, True)
    distances = {law: ks_distance(kernel, cdf) for law, cdf in candidates.items()}
    closest = min(distances, key=distances.get)
    message = (f"the kernel's values (std {kernel.std():.4g}, max |w| {np.abs(kernel).max():.4g}"
               f") do not follow VarianceScaling(scale=2.0, mode='fan_avg') (truncated normal, "
               f"std {base:.4g}): KS distance {distances[right]:.4f} > {bound:.4f}.")
    if closest != right:
        message += f" They look like {closest}."
    return verdict(name, False, message)


def _pre_activation(case, kernel, bias):
    return case.inputs["X"].astype(np.float64) @ kernel + bias


# ------------------------------------------------------------------ task 3
def l2_layer_cases(ctx):
    rng = ctx.rng
    return [_layer_case(rng, 784, 256, "tanh", 64, [0.05], {}, "lambtha=0.05"),
            _layer_case(rng, 300, int(rng.integers(20, 80)), "sigmoid", 32,
                        [float(np.round(rng.uniform(0.1, 2.0), 3))], {}, "random lambtha"),
            _layer_case(rng, 128, 512, "relu", 16, [0.0], {}, "lambtha=0"),
            _layer_case(rng, 784, 10, "none", 16, [0.3], {}, "lambtha=0.3")]


@teaching
def l2_layer_judge(case, outputs):
    kernel, bias, layer_check = _dense_variables(case, outputs)
    if kernel is None:
        return [layer_check]
    activation = case.inputs["activation"]
    z = _pre_activation(case, kernel, bias)
    mistakes = [(f"the activation is {other} instead of the one passed in", _apply(other, z))
                for other in ("tanh", "sigmoid", "relu", "none") if other != activation]
    checks = [layer_check,
              compare_arrays("output = activation(prev @ kernel + bias)", outputs.get("output"),
                             _apply(activation, z), what="the layer's output",
                             mistakes=mistakes, **F32)]
    if case.inputs["n"] * case.inputs["X"].shape[1] >= 10_000:
        checks.append(_initializer_check(kernel))
    lambtha = case.inputs["extra_args"][0]
    losses = [to_array(v) for v in outputs.get("reg_losses") or []]
    expected = lambtha * np.sum(kernel ** 2)
    name = "kernel L2 loss lambtha * sum(kernel**2) registered"
    if len(losses) != 1 or losses[0] is None or losses[0].size != 1:
        checks.append(verdict(name, False, f"expected one regularization loss in the graph; "
                                           f"found {len(losses)}"
                                           f"{_losses_hint(losses, expected, bias, lambtha)}"))
    else:
        checks.append(compare_arrays(name, losses[0].reshape(()), expected,
                                     what="the regularization loss",
                                     mistakes=[("half the L2 loss (tf.nn.l2_loss or "
                                                "L2(lambtha / 2))", expected / 2),
                                               ("twice the L2 loss (L2(2 * lambtha))",
                                                expected * 2),
                                               ("the loss is on the bias", lambtha * np.sum(
                                                   bias ** 2))], **F32))
    return checks


def _losses_hint(losses, expected, bias, lambtha):
    """Why the graph holds no loss or several: what each extra loss looks like."""
    if not losses:
        return (" (kernel_regularizer missing? A Keras Dense layer, from tf.keras, keeps its "
                "loss to itself: use tf.layers.Dense)")
    values = [float(np.sum(v)) if v is not None else np.nan for v in losses]
    kernel_like = [np.isclose(v, expected, **F32) for v in values]
    if expected and all(kernel_like):
        return (": each is the kernel's L2 loss, so it is counted several times. The "
                "kernel_regularizer already adds it to the graph's regularization losses; "
                "do not add it again by hand (tf.add_to_collection)")
    bias_loss = lambtha * np.sum(bias ** 2)
    if any(np.isclose(v, bias_loss, **F32) and not k for v, k in zip(values, kernel_like)):
        return " (only the kernel is regularized: no bias_regularizer)"
    return (" (only the kernel's loss is expected: one kernel_regularizer, no "
            "bias_regularizer, no loss added by hand)")


# ------------------------------------------------------------------ task 6
def dropout_layer_cases(ctx):
    rng = ctx.rng
    keep = float(rng.choice([0.6, 0.7, 0.8]))  # never 0.5: keep and drop rates must differ
    return [_layer_case(rng, 784, 256, "tanh", 128, [keep], {"training": True},
                        f"keep_prob={keep}, training=True"),
            _layer_case(rng, 300, 64, "sigmoid", 200, [0.65], {},
                        "keep_prob=0.65, training left to its default"),
            _layer_case(rng, 784, 256, "tanh", 128, [keep], {"training": False},
                        f"keep_prob={keep}, training=False")]


@teaching
def dropout_layer_judge(case, outputs):
    kernel, bias, layer_check = _dense_variables(case, outputs)
    untold = "training" in (outputs.get("ignored_kwargs") or [])
    signature = [verdict("takes the training argument", False, NO_TRAINING)] if untold else []
    if kernel is None:
        return signature + [layer_check]
    keep_prob = case.inputs["extra_args"][0]
    z = _pre_activation(case, kernel, bias)
    dense = _apply(case.inputs["activation"], z)
    checks = signature + [
        layer_check, _initializer_check(kernel),
        verdict("no regularization loss", not outputs.get("reg_losses"),
                "the layer registers a regularization loss; this task asks for none")]
    if untold and not case.inputs["kwargs"]["training"]:
        return checks  # it could not be told training=False: its output says nothing more
    got = to_array(outputs.get("output"))
    name = ("dropout keeps units with probability keep_prob and scales them by 1/keep_prob"
            if case.inputs["kwargs"].get("training", True)
            else "training=False: the output is the dense layer's, untouched")
    if got is None or got.shape != dense.shape:
        checks.append(verdict(name, False, f"expected an output of shape {dense.shape}; got "
                                           f"{describe(outputs.get('output'))}"))
        return checks
    if not case.inputs["kwargs"].get("training", True):
        check = compare_arrays(name, got, dense, what="the output", **F32)
        if not check.passed and np.mean(got == 0) > 0.05:
            check = verdict(name, False, check.message + " Some units are dropped: dropout "
                                                         "must be the identity when training "
                                                         "is False.")
        return checks + [check]
    checks.append(_judge_dropout_output(name, got, z, keep_prob, case))
    return checks


NO_TRAINING = ("dropout_create_layer has no `training` parameter: this looks written for the "
               "TensorFlow 1.x edition, whose dropout_create_layer(prev, n, activation, "
               "keep_prob) always dropped units; this assignment asks "
               "dropout_create_layer(prev, n, activation, keep_prob, training=True), with "
               "dropout only while training is true (e.g. tf.layers.Dropout(rate=1 - "
               "keep_prob)(out, training=training))")


def _judge_dropout_output(name, got, z, keep_prob, case):
    """Dropout's meaning on the output: which units are kept, how they are scaled."""
    dense = _apply(case.inputs["activation"], z)
    if _activation_after_dropout(got, z, case.inputs["activation"], keep_prob):
        return verdict(name, False, f"the output is activation(dropout(prev @ kernel + bias)) "
                                    f"({case.name}): the activation is applied after dropout. "
                                    f"Dropout goes on the activated output: "
                                    f"dropout(activation(prev @ kernel + bias)), e.g. "
                                    f"tf.layers.Dense(n, activation=activation, ...).")
    usable = np.abs(dense) > 1e-3
    kept = usable & (got != 0)
    trials, kept_count = int(usable.sum()), int(kept.sum())
    if kept_count == trials:
        hint = (" Nothing was dropped: is `training` passed on to the dropout layer?"
                if np.allclose(got, dense, **F32) else
                " The output is not activation(prev @ kernel + bias) either: is dropout "
                "applied to prev, before the dense layer? It goes on the dense layer's "
                "output: dropout(dense(prev)).")
        return verdict(name, False, f"no unit of the {trials} was dropped ({case.name}).{hint}")
    scale = got[kept] / dense[kept]
    if not np.allclose(scale, 1 / keep_prob, rtol=F32["rtol"] * 10):
        hint = (" Kept units are not scaled: they must be divided by keep_prob."
                if np.allclose(scale, 1.0, rtol=1e-3) else
                " Kept units are scaled by 1/(1 - keep_prob): keep_prob was used as the drop "
                "rate (rate = 1 - keep_prob). (With tf.nn.dropout: in tf.compat.v1, "
                "tf.nn.dropout's second positional argument is keep_prob, not rate: name it, "
                "rate=1 - keep_prob.)"
                if np.allclose(scale, 1 / (1 - keep_prob), rtol=1e-3) else
                f" Kept units are scaled by about {np.median(scale):.4g} instead of "
                f"1/keep_prob = {1 / keep_prob:.4g}.")
        return verdict(name, False, f"the kept units are not the dense output / keep_prob "
                                    f"({case.name}).{hint}")
    low, high = binomial_interval(trials, keep_prob)
    if not low <= kept_count <= high:
        swapped = binomial_interval(trials, 1 - keep_prob)
        hint = (" It keeps units with probability 1 - keep_prob: rate is the probability to "
                "DROP (rate = 1 - keep_prob)." if swapped[0] <= kept_count <= swapped[1] else "")
        return verdict(name, False, f"{kept_count} of {trials} units kept "
                                    f"({kept_count / trials:.3f}); with keep_prob={keep_prob}"
                                    f" a count in [{low}, {high}] is expected.{hint}")
    return verdict(name, True)


def _activation_after_dropout(got, z, activation, keep_prob):
    """Is every unit activation(z / keep_prob) or activation(0), with some of each, for the
    pre-activation z of the student's own kernel? Then dropout came before the activation."""
    if activation in ("none", "relu"):  # relu(z / keep_prob) is relu(z) / keep_prob
        return False
    kept = np.isclose(got, _apply(activation, z / keep_prob), **F32)
    dropped = np.isclose(got, _apply(activation, np.zeros_like(z)), **F32)
    return bool(np.all(kept | dropped) and np.any(dropped & ~kept) and np.any(kept & ~dropped))
