"""Tasks dense, relu and softmax: forward values and gradients against the reference, and
the dense layer's gradients against central differences of its own network's loss."""
import numpy as np

from grader.authoring import Case, MistakeTable, to_array, verdict

from .common import CLASSIC, as_dict, as_list, compare, describe, raised, teaching
from .data import away_from_zero, factors, reference_layer, softmax

# ------------------------------------------------------------------ dense
DENSE_CONFIGURATIONS = [
    ("no regularization", ()),
    ("L1 on weights", ("weight_l1",)),
    ("L2 on weights", ("weight_l2",)),
    ("L1 on biases", ("bias_l1",)),
    ("L2 on biases", ("bias_l2",)),
    ("L1 and L2 on weights and biases", ("weight_l1", "weight_l2", "bias_l1", "bias_l2")),
]
WEIGHT_MISTAKES = {
    "l2_no_2": "the L2 gradient is written lambda * W: the derivative of lambda * sum(W**2) "
               "is 2 * lambda * W",
    "l1_gradient_sign": "the L1 gradient takes the sign of the gradient (dweights) instead of "
                        "the sign of the weights",
    "none": "the regularization terms are missing from dweights: never added, or added "
            "before `self.dweights = np.dot(...)` replaces them",
    "subtracted": "the regularization terms are subtracted from dweights: the penalty's "
                  "derivative is added (dweights += ...), the optimizer does the subtracting",
    "l1_ones": "the L1 derivative is np.ones_like(weights) everywhere: set it to -1 where the "
               "weights are negative (dL1[weights < 0] = -1)",
    "l2_abs": "the L2 gradient is written 2 * lambda * |W|: the derivative of "
              "lambda * sum(W**2) is 2 * lambda * W, negative where W is",
}
BIAS_MISTAKES = {
    "none": "the regularization of the biases is forgotten in backward: dbiases gets no "
            "L1/L2 term (or gets them before `self.dbiases = np.sum(...)` replaces them)",
    "l2_no_2": "the L2 gradient is written lambda * b: the derivative of lambda * sum(b**2) "
               "is 2 * lambda * b",
    "l1_gradient_sign": "the L1 gradient takes the sign of the gradient (dbiases) instead of "
                        "the sign of the biases",
    "l1_from_weights": "the bias L1 term is built from the weights (np.ones_like(weights), "
                       "weights < 0): build it from the biases",
    "subtracted": "the regularization terms are subtracted from dbiases: the penalty's "
                  "derivative is added (dbiases += ...), the optimizer does the subtracting",
    "l1_ones": "the L1 derivative is np.ones_like(biases) everywhere: set it to -1 where the "
               "biases are negative (dL1[biases < 0] = -1)",
    "l2_abs": "the L2 gradient is written 2 * lambda * |b|: the derivative of "
              "lambda * sum(b**2) is 2 * lambda * b, negative where b is",
}
ACCUMULATES = ("the gradients accumulate across calls: `+=` on dweights/dbiases before they "
               "are reset. Each backward must start from np.dot(inputs.T, dvalues) (an "
               "assignment), then add the regularization terms")


def _layer_case(rng, label, which):
    n_inputs, n_neurons = int(rng.integers(4, 7)), int(rng.integers(2, 4))
    samples = int(rng.integers(5, 9))
    inputs = {"kind": "layer", "weights": away_from_zero(rng, (n_inputs, n_neurons)),
              "biases": away_from_zero(rng, (1, n_neurons)), "factors": factors(rng, which),
              "inputs": rng.standard_normal((samples, n_inputs)),
              "dvalues": rng.standard_normal((samples, n_neurons)),
              "inputs_2": rng.standard_normal((samples + 2, n_inputs)),
              "dvalues_2": rng.standard_normal((samples + 2, n_neurons))}
    return Case(f"{label}, {n_inputs}\u2192{n_neurons}", inputs)


def _network_case(rng):
    """Two layers 3-4-3 with every factor set on both, five samples, and the gradient of
    the mean cross-entropy with respect to the logits (the reference's: it starts the
    student's backward pass). No hidden pre-activation is near ReLU's kink."""
    while True:
        labels = rng.integers(0, 3, 5)
        inputs = {"kind": "network", "inputs": rng.standard_normal((5, 3)), "h": 1e-6}
        for index, shape in ((1, (3, 4)), (2, (4, 3))):
            inputs[f"W{index}"] = away_from_zero(rng, shape)
            inputs[f"b{index}"] = away_from_zero(rng, (1, shape[1]))
            inputs[f"factors{index}"] = factors(rng, ("weight_l1", "weight_l2", "bias_l1",
                                                      "bias_l2"))
        hidden = inputs["inputs"] @ inputs["W1"] + inputs["b1"]
        if np.min(np.abs(hidden)) > 1e-3:
            return Case("3\u21924\u21923 network, every factor set", inputs,
                        context={"labels": labels})


def dense_cases(ctx):
    rng = ctx.rng
    cases = [_layer_case(rng, label, which) for label, which in DENSE_CONFIGURATIONS]
    cases.append(_network_case(rng))
    return [_with_dense_reference(ctx, case) for case in cases]


def _with_dense_reference(ctx, case):
    a = case.inputs
    if a["kind"] == "layer":
        layer = reference_layer(ctx, a["weights"], a["biases"], a["factors"])
        expected = {}
        for call, (x, dvalues) in enumerate([(a["inputs"], a["dvalues"]),
                                             (a["inputs_2"], a["dvalues_2"])]):
            layer.forward(np.array(x))
            if call == 0:
                expected["output"] = layer.output.copy()
            layer.backward(np.array(dvalues))
            expected[f"call{call}"] = {"dweights": layer.dweights.copy(),
                                       "dbiases": layer.dbiases.copy(),
                                       "dinputs": layer.dinputs.copy()}
        return Case(case.name, a, context={"expected": expected, "noun": "dense layer"})
    layers = [reference_layer(ctx, a[f"W{i}"], a[f"b{i}"], a[f"factors{i}"]) for i in (1, 2)]
    relu = ctx.reference("Activation_ReLU")()
    head = ctx.reference("Activation_Softmax_Loss_CategoricalCrossentropy")()
    layers[0].forward(np.array(a["inputs"]))
    relu.forward(layers[0].output)
    layers[1].forward(relu.output)
    labels = case.context["labels"]
    head.forward(layers[1].output, labels)
    head.backward(head.output, labels)
    layers[1].backward(head.dinputs)
    relu.backward(layers[1].dinputs)
    layers[0].backward(relu.dinputs)
    inputs = {**a, "dlogits": head.dinputs.copy()}
    expected = [np.concatenate([layer.dweights.ravel(), layer.dbiases.ravel()])
                for layer in layers]
    return Case(case.name, inputs, context={"expected": np.concatenate(expected),
                                            "labels": labels, "noun": "dense layer",
                                            "logits_shape": layers[1].output.shape})


def _regularization_terms(parameters, gradient, layer_factors, kind, mistake=None):
    """What L1 and L2 add to the gradient of `parameters` (weights or biases)."""
    l1, l2 = layer_factors[f"{kind}_l1"], layer_factors[f"{kind}_l2"]
    if mistake == "none":
        return 0.0
    sign_of = gradient if mistake == "l1_gradient_sign" else parameters
    terms = 0.0
    if l1 > 0:
        terms = terms + l1 * (1.0 if mistake == "l1_ones" else np.where(sign_of < 0, -1.0, 1.0))
    if l2 > 0:
        magnitude = np.abs(parameters) if mistake == "l2_abs" else parameters
        terms = terms + (1 if mistake == "l2_no_2" else 2) * l2 * magnitude
    return -terms if mistake == "subtracted" else terms


def _weight_variant(a, x, dvalues, mistake):
    data = x.T @ dvalues
    return data + _regularization_terms(a["weights"], data, a["factors"], "weight", mistake)


def _bias_variant(a, dvalues, mistake):
    data = np.sum(dvalues, axis=0, keepdims=True)
    if mistake == "l1_from_weights":
        l1 = a["factors"]["bias_l1"]
        return data + l1 * np.where(a["weights"] < 0, -1.0, 1.0) + \
            _regularization_terms(a["biases"], data, {**a["factors"], "bias_l1": 0}, "bias")
    return data + _regularization_terms(a["biases"], data, a["factors"], "bias", mistake)


def _relevant(explanations, a, kind):
    """Only the mistakes that change this case's answer (no L1 mistake without L1)."""
    l1, l2 = a["factors"][f"{kind}_l1"], a["factors"][f"{kind}_l2"]
    keep = {"l2_no_2": l2 > 0, "l2_abs": l2 > 0, "l1_gradient_sign": l1 > 0,
            "l1_from_weights": l1 > 0,
            "l1_ones": l1 > 0, "none": l1 > 0 or l2 > 0, "subtracted": l1 > 0 or l2 > 0}
    return {k: v for k, v in explanations.items() if keep[k]}


BIAS_FROM_WEIGHTS = {"l1": "L1 term is built from the weights (np.ones_like(weights), "
                            "weights < 0)",
                     "l2": "L2 term is built from the weights (2 * lambda * weights)"}
READ_BEFORE_SET = ("the regularization terms are added to {0} before {0} is computed: "
                   "assign it first (self.{0} = ...), then add the terms")


def _crash_hint(error, a):
    """The classic mistake behind a crash in backward: a bias term built from the weights
    (named by the bias factors this case sets), or terms added to a gradient not yet
    computed."""
    for gradient in ("dweights", "dbiases"):
        if f"has no attribute '{gradient}'" in error:
            return f" {CLASSIC}{READ_BEFORE_SET.format(gradient)}."
    orders = [order for order in ("l1", "l2") if a["factors"][f"bias_{order}"] > 0]
    if not orders or not any(s in error for s in ("broadcast", "boolean index")):
        return ""
    if len(orders) == 2:  # either term can be the one: say both
        term = "L1 or L2 term is built from the weights (np.ones_like(weights), 2 * weights)"
    else:
        term = BIAS_FROM_WEIGHTS[orders[0]]
    return f" {CLASSIC}the bias {term}, whose shape is not the biases': build it from the biases."


@teaching
def dense_judge(case, outputs):
    if case.inputs["kind"] == "network":
        return _judge_network(case, outputs)
    a, expected = case.inputs, case.context["expected"]
    checks = [compare("forward: output = inputs @ weights + biases", outputs.get("output"),
                      expected["output"], what="the output")]
    first = outputs.get("first")
    error = raised(first)
    if error:
        return checks + [verdict("backward runs", False, f"backward raised {error}"
                                 f"{_crash_hint(error, a)}")]
    first = as_dict(first)
    weights = MistakeTable(_relevant(WEIGHT_MISTAKES, a, "weight"),
                           lambda k: _weight_variant(a, a["inputs"], a["dvalues"], k))
    biases = MistakeTable(_relevant(BIAS_MISTAKES, a, "bias"),
                          lambda k: _bias_variant(a, a["dvalues"], k))
    checks += [
        compare("backward: dweights = inputs.T @ dvalues + regularization terms",
                first.get("dweights"), expected["call0"]["dweights"], what="dweights",
                mistakes=weights),
        compare("backward: dbiases = sum of dvalues + regularization terms",
                first.get("dbiases"), expected["call0"]["dbiases"], what="dbiases",
                mistakes=biases),
        compare("backward: dinputs = dvalues @ weights.T", first.get("dinputs"),
                expected["call0"]["dinputs"], what="dinputs"),
    ]
    return checks + [_judge_second_call(first, outputs.get("second"), expected)]


def _judge_second_call(first, second, expected):
    """A second forward/backward on new data changes the gradients by exactly what the
    reference's change by: judged on the difference, so that a mistake in the terms both
    calls share is not counted twice, and gradients that pile up across calls are."""
    name = "a second backward gives that call's gradients (nothing accumulates)"
    error = raised(second)
    if error:
        return verdict(name, False, f"the second backward raised {error}")
    second = as_dict(second)
    for kind in ("dweights", "dbiases"):
        before, after = to_array(first.get(kind)), to_array(second.get(kind))
        if before is None or after is None or before.shape != after.shape:
            return verdict(name, False, f"{kind} of the two calls cannot be compared "
                                        f"({describe(first.get(kind))}, then "
                                        f"{describe(second.get(kind))})")
        wanted = expected["call1"][kind] - expected["call0"][kind]
        check = compare(name, after - before, wanted,
                        what=f"the change of {kind} from the first call to the second",
                        mistakes=[(ACCUMULATES, expected["call1"][kind])])
        if not check.passed:
            return check
    return verdict(name, True)


NETWORK_TOLERANCE = {"rtol": 1e-5, "atol": 1e-7}  # central differences with h = 1e-6


def _numerical_gradient(case, perturbed):
    """Central differences of (mean cross-entropy + regularization loss of both layers),
    the loss computed from the student's own network outputs at each moved parameter."""
    a = case.inputs
    labels, h = case.context["labels"], a["h"]
    gradient = []
    position = 0
    for index in (1, 2):
        for kind, values in (("weights", a[f"W{index}"]), ("biases", a[f"b{index}"])):
            for entry in np.ndindex(values.shape):
                losses = []
                for side, step in enumerate((h, -h)):
                    moved = np.array(values, dtype=np.float64)
                    moved[entry] += step
                    losses.append(_cross_entropy(perturbed[position, side], labels)
                                  + _penalty(a, index, kind, moved))
                gradient.append((losses[0] - losses[1]) / (2 * h))
                position += 1
    return np.array(gradient)


def _cross_entropy(logits, labels):
    probabilities = np.clip(softmax(logits), 1e-7, 1 - 1e-7)
    return float(np.mean(-np.log(probabilities[range(len(labels)), labels])))


def _penalty(a, index, moved_kind, moved):
    """The regularization loss of both layers, with one parameter array replaced."""
    total = 0.0
    for layer in (1, 2):
        for kind, key in (("weights", "W"), ("biases", "b")):
            values = moved if (layer, kind) == (index, moved_kind) else a[f"{key}{layer}"]
            prefix = "weight" if kind == "weights" else "bias"
            layer_factors = a[f"factors{layer}"]
            total += layer_factors[f"{prefix}_l1"] * np.sum(np.abs(values))
            total += layer_factors[f"{prefix}_l2"] * np.sum(np.square(values))
    return total


def _flat_gradients(analytic):
    parts = []
    for layer in ("layer1", "layer2"):
        for kind in ("dweights", "dbiases"):
            value = as_dict(as_dict(analytic).get(layer)).get(kind)
            if not isinstance(value, np.ndarray):
                return None, f"{layer}'s {kind} is {value!r}"
            parts.append(value.ravel())
    return np.concatenate(parts), ""


def _judge_network(case, outputs):
    central = "gradients = central differences of (data loss + regularization loss)"
    versus_reference = "gradients of the network match the reference"
    analytic, perturbed = outputs.get("analytic"), outputs.get("perturbed")
    error = raised(analytic) or raised(perturbed)
    if error:
        return [verdict(central, False, f"your layers raised {error}", weight=2),
                verdict(versus_reference, False, f"your layers raised {error}", weight=2)]
    flat, problem = _flat_gradients(analytic)
    expected = case.context["expected"]
    if flat is None or flat.shape != expected.shape:
        message = problem or f"expected {expected.size} gradient values, got {flat.size}"
        return [verdict(central, False, message, weight=2),
                verdict(versus_reference, False, message, weight=2)]
    perturbed = to_array(perturbed)
    shape = (expected.size, 2) + case.context["logits_shape"]
    if perturbed is None or perturbed.shape != shape:
        message = (f"the network's outputs with moved parameters should form an array of "
                   f"shape {shape}; got {describe(outputs.get('perturbed'))}")
        return [verdict(central, False, message, weight=2),
                verdict(versus_reference, False, message, weight=2)]
    numerical = _numerical_gradient(case, perturbed)
    where = _parameter_names(case.inputs)
    return [_gradient_check(central, flat, numerical, where, "the central differences"),
            _gradient_check(versus_reference, flat, expected, where, "the reference")]


def _parameter_names(a):
    names = []
    for index in (1, 2):
        for key, kind in (("W", "dweights"), ("b", "dbiases")):
            names += [f"layer {index} {kind}{list(entry)}"
                      for entry in np.ndindex(a[f"{key}{index}"].shape)]
    return names


def _gradient_check(name, got, wanted, where, against):
    if np.allclose(got, wanted, **NETWORK_TOLERANCE):
        return verdict(name, True, weight=2)
    error = np.abs(got - wanted)
    worst = int(np.argmax(error))
    differing = sorted({where[i].split("[")[0] for i in np.flatnonzero(
        ~np.isclose(got, wanted, **NETWORK_TOLERANCE))})
    return verdict(name, False, (
        f"in a 3\u21924\u21923 network built from your dense layers (ReLU between them, every "
        f"L1/L2 factor set, nonzero biases), your backward pass disagrees with {against} "
        f"for {', '.join(differing)}: largest error at {where[worst]} (expected "
        f"{wanted[worst]:.8g}, got {got[worst]:.8g}). Each gradient must be the derivative "
        f"of data loss + regularization loss."), weight=2)


# ------------------------------------------------------------------ relu
RELU_MISTAKES = {
    "unmasked": "the gradient is not zeroed where the inputs are <= 0 (were the inputs "
                "zeroed instead of the gradient?)",
    "mask_from_gradient": "the gradient is zeroed where the gradient is negative: the mask "
                          "comes from the inputs (self.inputs <= 0)",
    "inputs_instead": "dinputs is computed from the inputs instead of from dvalues",
    "inverted": "the gradient is kept where the inputs are <= 0 and zeroed elsewhere",
}


def _relu_variant(x, dvalues, mistake):
    return {"unmasked": dvalues, "mask_from_gradient": np.where(dvalues > 0, dvalues, 0.0),
            "inputs_instead": np.maximum(x, 0.0), "inverted": np.where(x > 0, 0.0, dvalues)
            }[mistake]


def relu_cases(ctx):
    rng = ctx.rng
    reference = ctx.reference("Activation_ReLU")
    cases = []
    for samples, width in ((4, 5), (int(rng.integers(20, 40)), int(rng.integers(8, 16)))):
        x = away_from_zero(rng, (samples, width), 0.01, 3.0)
        dvalues = away_from_zero(rng, (samples, width), 0.01, 2.0)
        relu = reference()
        relu.forward(x.copy())
        relu.backward(dvalues.copy())
        cases.append(Case(f"{samples}\u00d7{width} inputs of both signs",
                          {"inputs": x, "dvalues": dvalues},
                          context={"expected": {"output": relu.output,
                                                "dinputs": relu.dinputs},
                                   "noun": "ReLU"}))
    return cases


@teaching
def relu_judge(case, outputs):
    a, expected = case.inputs, case.context["expected"]
    mistakes = MistakeTable(RELU_MISTAKES, lambda k: _relu_variant(a["inputs"], a["dvalues"], k))
    checks = [compare("forward: output = max(0, inputs)", outputs.get("output"),
                      expected["output"], what="the output"),
              compare("backward: dinputs = dvalues where inputs > 0, else 0",
                      outputs.get("dinputs"), expected["dinputs"], what="dinputs",
                      mistakes=mistakes)]
    after = to_array(outputs.get("inputs_after"))
    same = after is not None and after.shape == a["inputs"].shape
    changed = int(np.sum(after != a["inputs"])) if same else a["inputs"].size
    checks.append(verdict("the caller's inputs are left unchanged", same and not changed, (
        f"your ReLU wrote into the array it was given as inputs ({changed} values "
        f"changed): zero a copy of the gradient (dinputs = dvalues.copy(); "
        f"dinputs[self.inputs <= 0] = 0), never the inputs")))
    return checks


# ------------------------------------------------------------------ softmax
SOFTMAX_MISTAKES = {
    "axis0": "softmax is taken over each column (axis=0) instead of each sample's row "
             "(axis=1, keepdims=True)",
}


def softmax_cases(ctx):
    rng = ctx.rng
    reference = ctx.reference("Activation_Softmax")
    samples, classes = int(rng.integers(4, 8)), 3
    logits = [rng.standard_normal((samples, classes)) * 2,
              1000.0 + rng.standard_normal((samples, classes)),
              -1000.0 + rng.standard_normal((samples, classes))]
    expected = []
    for x in logits:
        layer = reference()
        layer.forward(x.copy())
        expected.append(layer.output)
    layer = reference()
    layer.forward(logits[0].copy())
    dvalues = rng.standard_normal((samples, classes))
    layer.backward(dvalues.copy())
    return [Case(f"{samples} samples: ordinary logits, logits near +1000 and near -1000",
                 {"inputs": logits, "dvalues": dvalues},
                 context={"expected": expected, "dinputs": layer.dinputs, "noun": "softmax"})]


@teaching
def softmax_judge(case, outputs):
    checks = []
    got_all = as_list(outputs.get("outputs"))
    for label, x, got, expected in zip(("ordinary logits", "logits near +1000",
                                        "logits near -1000"), case.inputs["inputs"], got_all,
                                       case.context["expected"]):
        check = compare(f"forward on {label}", got, expected, what="the output",
                        mistakes=MistakeTable(SOFTMAX_MISTAKES,
                                              lambda k, x=x: softmax(x, axis=0)))
        if not check.passed and "1000" in label and "non-finite" in check.message:
            check = verdict(check.name, False, (
                f"{check.message} {CLASSIC}np.exp overflows for inputs near 1000: subtract "
                f"each row's maximum first (np.exp(inputs - np.max(inputs, axis=1, "
                f"keepdims=True)))."))
        checks.append(check)
    if outputs.get("has_backward") is True:
        checks.append(compare("backward: each sample's Jacobian times its dvalues",
                              outputs.get("dinputs"), case.context["dinputs"],
                              what="dinputs"))
    return checks
