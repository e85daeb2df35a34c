"""forward_propagation, backward_propagation and gradient_check: the 1-D model J = theta * x.

The functions are called with scalars, as the notebook calls them (many students
write np.dot(theta, x), which is right for scalars). A gradient check is judged
by what it says about a gradient: with the right one, its difference is as small
as the reference's; with a wrong `backward_propagation` put in its place, it must
return the reference's difference for that wrong gradient (a check that never
calls backward_propagation cannot).
"""
from grader.authoring import Case, MistakeTable, verdict

from .common import NOISE, as_number, not_a_number, number_check, with_globals

OFFICIAL_PAIR = (2, 4)  # x, theta of the notebook's examples
PUBLISHED = {"forward_propagation": 8, "backward_propagation": 2}
# The notebook's expected difference for x = 2, theta = 4 is floating-point noise: the same
# code printed 2.91933588329e-10 in the seed's run. It is judged within NOISE.
PUBLISHED_DIFFERENCE = 2.9193358103083e-10

SCALAR_MISTAKES = {
    "forward_propagation": {
        "J = theta + x (a sum instead of the product)": lambda x, theta: theta + x,
        "J = x: that is the derivative dJ/dtheta, not J": lambda x, theta: x,
    },
    "backward_propagation": {
        "dtheta = theta: that is the derivative with respect to x": lambda x, theta: theta,
        "dtheta = theta * x: that is J, not its derivative": lambda x, theta: theta * x,
    },
}
FORMULA = {"forward_propagation": "J = theta * x", "backward_propagation": "dtheta = x"}


def _scalars(rng, count):
    """(x, theta) pairs of ints and floats, either sign, never x = 0."""
    pairs = []
    for index in range(count):
        if index % 2:
            x, theta = (round(float(v), 3) for v in rng.uniform(-5, 5, 2))
        else:
            x, theta = (int(v) for v in rng.integers(-9, 10, 2))
        pairs.append([x if x else 3, theta])
    return pairs


# ------------------------------------------------------------ forward and backward
def scalar_cases(ctx):
    task = ctx.task.function
    function = ctx.reference(task)
    pairs = _scalars(ctx.rng, 6)
    return [Case(f"official example: x = 2, theta = 4 (published {PUBLISHED[task]})",
                 {"pairs": [list(OFFICIAL_PAIR)]}, public=True,
                 context={"task": task, "expected": [float(PUBLISHED[task])]}),
            Case("integers and floats", {"pairs": pairs}, context={
                "task": task, "expected": [float(function(x, theta)) for x, theta in pairs]})]


def scalar_judge(case, outputs):
    task, formula = case.context["task"], FORMULA[case.context["task"]]
    for (x, theta), got, expected in zip(case.inputs["pairs"], outputs["returned"],
                                         case.context["expected"]):
        value = as_number(got)
        if value is None:
            return [not_a_number(formula, got, f"for x = {x}, theta = {theta} the result")]
        mistakes = [(why, float(wrong(x, theta))) for why, wrong in SCALAR_MISTAKES[task].items()]
        check = number_check(formula, value, expected, 1e-9 * max(1.0, abs(expected)),
                             f"for x = {x}, theta = {theta}", mistakes)
        if not check.passed:
            return [check]
    return [verdict(formula, True)]


# ------------------------------------------------------------ gradient_check
NO_NORMS = ("the norms are missing: (grad - gradapprox) / (grad + gradapprox) can be negative "
            "or far from the relative difference; use np.linalg.norm(grad - gradapprox) / "
            "(np.linalg.norm(grad) + np.linalg.norm(gradapprox))")
GRADIENT_CHECK_MISTAKES = {
    "hard_coded": "grad is not taken from backward_propagation(x, theta) (e.g. `grad = x`): "
                  "a gradient check that never calls backward_propagation cannot detect a "
                  "wrong gradient",
    "swapped": "J_plus and J_minus are swapped: gradapprox has the wrong sign",
    "not_two": "gradapprox is divided by epsilon instead of 2 * epsilon",
    "norm_of_sum": "the denominator is ||grad + gradapprox|| instead of ||grad|| + "
                   "||gradapprox||",
    "sum_numerator": "the numerator is ||grad + gradapprox||, the norm of the sum, instead of "
                     "||grad - gradapprox||, the norm of the difference",
    "grad_norm_only": "the denominator is ||grad|| alone instead of ||grad|| + ||gradapprox||",
    "approx_norm_only": "the denominator is ||gradapprox|| alone instead of ||grad|| + "
                        "||gradapprox||",
    "no_denominator": "the numerator ||grad - gradapprox|| is returned without dividing by "
                      "||grad|| + ||gradapprox||",
    "no_norms": NO_NORMS,
    "no_norm_in_denominator": NO_NORMS,
}


def _mistaken_difference(x, gradient, key):
    """What a mistaken check returns for J = theta * x (gradapprox = x) when
    backward_propagation returns `gradient`."""
    approx = {"swapped": -x, "not_two": 2 * x}.get(key, x)
    if key == "hard_coded":
        gradient = x
    numerator = {"no_norms": gradient - approx, "sum_numerator": abs(gradient + approx)
                 }.get(key, abs(gradient - approx))
    denominator = {"norm_of_sum": abs(gradient + approx), "grad_norm_only": abs(gradient),
                   "approx_norm_only": abs(approx), "no_denominator": 1.0,
                   "no_norms": gradient + approx, "no_norm_in_denominator": gradient + approx,
                   }.get(key, abs(gradient) + abs(approx))
    return numerator / denominator if denominator else None


def gradient_check_cases(ctx):
    rng = ctx.rng
    check = ctx.reference("gradient_check")
    x, theta = OFFICIAL_PAIR
    official = [{"x": x, "theta": theta, "epsilon": None, "gradient": None}]
    right = [{"x": x, "theta": theta, "epsilon": epsilon, "gradient": None}
             for (x, theta), epsilon in zip(_scalars(rng, 4), [None, 1e-3, 1e-5, None])]
    wrong = [{"x": x, "theta": theta, "epsilon": None, "gradient": _wrong_gradient(rng, x)}
             for x, theta in _scalars(rng, 3)]
    return [
        Case(f"official example: x = 2, theta = 4 (published difference "
             f"{PUBLISHED_DIFFERENCE})", {"calls": official}, public=True, context={
                 "check": "official example: the published difference, within "
                          f"floating-point noise ({NOISE:g})",
                 "expected": [PUBLISHED_DIFFERENCE]}),
        Case("the right gradient, several x, theta and epsilon", {"calls": right}, context={
            "check": "with the right gradient, the difference is as small as the reference's "
                     f"(within {NOISE:g})",
            "expected": [_reference_difference(check, call) for call in right]}),
        Case("a wrong backward_propagation (scale * x + shift)", {"calls": wrong}, context={
            "check": "a wrong gradient is detected: the difference is the reference's for "
                     "that gradient",
            "expected": [_reference_difference(check, call) for call in wrong]}),
    ]


def _wrong_gradient(rng, x):
    """(scale, shift) of a gradient scale * x + shift at least 10 % away from the right x."""
    while True:
        scale = float(rng.choice([-1.0, 0.5, 1.5, 2.0]))
        shift = round(float(rng.uniform(0.2, 1.0)), 3)
        if abs(scale * x + shift - x) > 0.1 * max(1.0, abs(x)):
            return [scale, shift]


def _gradient(call):
    if call["gradient"] is None:
        return lambda x, theta: x
    scale, shift = call["gradient"]
    return lambda x, theta: scale * x + shift


def _reference_difference(check, call):
    """The reference's gradient check, with the call's backward_propagation in place."""
    function = with_globals(check, backward_propagation=_gradient(call))
    args = [call["x"], call["theta"]] + ([] if call["epsilon"] is None else [call["epsilon"]])
    return float(function(*args))


def gradient_check_judge(case, outputs):
    name = case.context["check"]
    for call, got, expected in zip(case.inputs["calls"], outputs["returned"],
                                   case.context["expected"]):
        where = (f"for x = {call['x']}, theta = {call['theta']}"
                 + (f", epsilon = {call['epsilon']:g}" if call["epsilon"] is not None else "")
                 + ("" if call["gradient"] is None else
                    f", backward_propagation returning {call['gradient'][0]:g} * x + "
                    f"{call['gradient'][1]:g}"))
        value = as_number(got)
        if value is None:
            return [not_a_number(name, got, f"{where}, the difference")]
        gradient = _gradient(call)(call["x"], call["theta"])
        mistakes = MistakeTable(GRADIENT_CHECK_MISTAKES, lambda key: _mistaken_difference(
            call["x"], gradient, key))
        tolerance = NOISE if call["gradient"] is None else 1e-6 * abs(expected)
        check = number_check(name, value, expected, tolerance, where, mistakes)
        if not check.passed:
            return [check]
    return [verdict(name, True)]
