"""gradient_check_n: the gradient check of the notebook's 4-5-3-1 network.

Judged against the reference's difference on the same inputs and epsilon, never
against a fixed threshold (the course's correct answer is 1.19e-7 at epsilon
1e-7): with the right gradients, within floating-point noise of it; with the
notebook's planted mistakes, equal to it within 1e-6 relative (on the course's
example: the published 0.2850931567761623). At epsilon 1e-3 a one-sided
difference, invisible at 1e-7, is plain; at a coarse epsilon (0.1) the
reference's difference is large, so a loop that ignores its epsilon argument
shows. Each classic mistake is a variant of the
trusted loop below, computed only for a wrong answer.
"""
from dataclasses import dataclass

import numpy as np

from grader.authoring import Case, MistakeTable, to_array, verdict

from .common import NOISE, as_number, not_a_number, number_check
from .network import course_example, given_backward_propagation_n, random_network

PUBLISHED = 0.2850931567761623  # the course's example with the given backward pass
LARGE_EPSILON = 1e-3
COURSE_EPSILON = 1e-7  # the notebook's default
COARSE_EPSILON = 0.1  # the reference's difference is far from its 1e-7 one here

ONE_SIDED = ("a one-sided difference, (J_plus - J) / epsilon or (J - J_minus) / epsilon: "
             "invisible at epsilon 1e-7, plain at 1e-3; use (J_plus - J_minus) / (2 * epsilon)")
MISTAKES = {
    "swapped": "J_plus and J_minus are swapped: gradapprox has the wrong sign",
    "all_components": "epsilon is added to every parameter at once (theta + epsilon) instead "
                      "of to parameter i only",
    "no_copy": "the shared vector is perturbed in place: theta_plus = parameters_values does "
               "not copy it (use np.copy), so each perturbation lands in parameters_values",
    "forward_one_sided": ONE_SIDED,
    "backward_one_sided": ONE_SIDED,
    "last_component": "only the last parameter is compared: the difference is computed from "
                      "grad[i] and gradapprox[i] inside the loop; compare the whole vectors "
                      "after it",
    "norm_of_sum": "the denominator is ||grad + gradapprox|| instead of ||grad|| + "
                   "||gradapprox||",
    "sum_numerator": "the numerator is ||grad + gradapprox||, the norm of the sum, instead of "
                     "||grad - gradapprox||, the norm of the difference",
    "fixed_epsilon": "the epsilon argument is not used: the parameters are perturbed by a fixed "
                     "1e-7 whatever epsilon the caller passes (use epsilon in theta_plus[i], "
                     "theta_minus[i] and the division)",
    "fixed_divisor": "gradapprox is divided by 2 * 1e-7 whatever epsilon is: divide by "
                     "2 * epsilon, the step the parameters were perturbed by",
    "grad_norm_only": "the denominator is ||grad|| alone instead of ||grad|| + ||gradapprox||",
    "approx_norm_only": "the denominator is ||gradapprox|| alone instead of ||grad|| + "
                        "||gradapprox||",
    "flat_approx": "gradapprox has shape (n,) while grad has shape (n, 1): grad - gradapprox "
                   "broadcasts to an (n, n) matrix; keep gradapprox a column, "
                   "np.zeros((num_parameters, 1)), or reshape it to (n, 1)",
    "no_denominator": "the numerator ||grad - gradapprox|| is returned without dividing by "
                      "||grad|| + ||gradapprox||",
    "right_gradients": "the gradients compared are not the `gradients` argument (recomputed "
                       "with a fixed backward_propagation_n, or a global variable): a gradient "
                       "check must judge the gradients it is given",
    "planted_gradients": "the gradients compared are not the `gradients` argument (the "
                         "notebook's backward_propagation_n with its planted mistakes is "
                         "called instead): a gradient check must judge the gradients it is "
                         "given",
}
VECTOR = ("It is a vector with one value per parameter: the norms must be taken over the "
          "whole vectors (np.linalg.norm(grad - gradapprox)), which gives one number.")


class _Network:
    """The trusted network for one case: cost of a parameter vector, right and planted
    gradients, and the reference's gradient check."""

    def __init__(self, ctx, X, Y, parameters):
        self.X, self.Y, self.parameters = X, Y, parameters
        self.helpers = ctx.support("gc_utils")
        self.forward = ctx.reference("forward_propagation_n")
        self.check = ctx.reference("gradient_check_n")
        _, cache = self.forward(X, Y, parameters)
        self.right = ctx.reference("backward_propagation_n")(X, Y, cache)
        self.planted = given_backward_propagation_n(X, Y, cache)

    def cost(self, theta):
        return self.forward(self.X, self.Y, self.helpers.vector_to_dictionary(theta))[0]

    def reference_difference(self, gradients, epsilon):
        return float(self.check(self.parameters, gradients, self.X, self.Y, epsilon))

    def mistaken_difference(self, gradients, epsilon, key):
        """What the loop with mistake `key` returns for these gradients."""
        theta, _ = self.helpers.dictionary_to_vector(self.parameters)
        grad = self.helpers.gradients_to_vector({"right_gradients": self.right,
                                                 "planted_gradients": self.planted
                                                 }.get(key, gradients))
        approx = self._approximation(theta, COURSE_EPSILON if key == "fixed_epsilon" else epsilon,
                                     key)
        if key == "fixed_divisor":
            approx = approx * epsilon / COURSE_EPSILON
        if key == "last_component":
            grad, approx = grad[-1:], approx[-1:]
        numerator = np.linalg.norm(grad + approx if key == "sum_numerator" else
                                   grad - (approx.ravel() if key == "flat_approx" else approx))
        denominator = {"norm_of_sum": np.linalg.norm(grad + approx),
                       "grad_norm_only": np.linalg.norm(grad),
                       "approx_norm_only": np.linalg.norm(approx), "no_denominator": 1.0
                       }.get(key, np.linalg.norm(grad) + np.linalg.norm(approx))
        return float(numerator / denominator) if denominator else None

    def _approximation(self, theta, epsilon, key):
        approx = np.zeros_like(theta)
        shared = np.copy(theta)
        centre = self.cost(theta)
        for i in range(theta.shape[0]):
            if key == "no_copy":
                plus = shared
                plus[i][0] = plus[i][0] + epsilon
                j_plus = self.cost(plus)
                minus = shared
                minus[i][0] = minus[i][0] - epsilon
                j_minus = self.cost(minus)
            elif key == "all_components":
                j_plus, j_minus = self.cost(theta + epsilon), self.cost(theta - epsilon)
            else:
                plus, minus = np.copy(theta), np.copy(theta)
                plus[i] += epsilon
                minus[i] -= epsilon
                j_plus, j_minus = self.cost(plus), self.cost(minus)
            approx[i] = {"swapped": (j_minus - j_plus) / (2 * epsilon),
                         "forward_one_sided": (j_plus - centre) / epsilon,
                         "backward_one_sided": (centre - j_minus) / epsilon
                         }.get(key, (j_plus - j_minus) / (2 * epsilon))
        return approx


@dataclass(frozen=True)
class _Call:
    """One call of the student's function on a case's inputs, and the check judging it."""

    check: str
    gradients: str  # "right" or "planted"
    epsilon: float | None  # None: the function's default (1e-7)
    published: float | None = None  # the expected value, when the course publishes it


OFFICIAL_CALLS = [
    _Call("official example: with the given backward pass (dW2 and db1 wrong) the "
          f"difference is the published {PUBLISHED}", "planted", None, PUBLISHED),
    _Call("official example, backward pass fixed: the difference is as small as the "
          f"reference's (within {NOISE:g})", "right", None)]
GENERATED_CALLS = [
    _Call("right gradients, epsilon 1e-7: the difference is as small as the reference's "
          f"(within {NOISE:g})", "right", 1e-7),
    _Call(f"right gradients, epsilon {LARGE_EPSILON:g}: the same difference as the "
          "reference's (a one-sided difference shows here)", "right", LARGE_EPSILON),
    _Call(f"right gradients, epsilon {COARSE_EPSILON:g}: the same difference as the "
          "reference's (an epsilon argument that is not used shows here)", "right",
          COARSE_EPSILON),
    _Call("the notebook's planted mistakes are detected: the same difference as the "
          "reference's (within 1e-6 relative)", "planted", 1e-7)]


def gradient_check_n_cases(ctx):
    rng = ctx.rng
    cases = [_case(_Network(ctx, *course_example(ctx)), "official example: the course's test "
                   "case, the given backward pass and the fixed one", OFFICIAL_CALLS,
                   public=True)]
    for m in (int(rng.integers(3, 7)), int(rng.integers(7, 11))):
        cases.append(_case(_discriminating_network(ctx, rng, m),
                           f"a generated network, {m} examples", GENERATED_CALLS))
    return cases


def _discriminating_network(ctx, rng, m, attempts=20):
    """A generated network on which a one-sided difference at the large epsilon, and an
    epsilon left unused at the coarse one, are far (100 x the noise) from the reference's:
    drawn again in the rare case they are not."""
    for _ in range(attempts):
        network = _Network(ctx, *random_network(rng, m))
        shown = [(LARGE_EPSILON, "forward_one_sided"), (COARSE_EPSILON, "fixed_epsilon")]
        if all(abs(network.mistaken_difference(network.right, epsilon, key)
                   - network.reference_difference(network.right, epsilon)) > 100 * NOISE
               for epsilon, key in shown):
            break
    return network


def _case(network, name, calls, public=False):
    gradients = {"right": network.right, "planted": network.planted}
    inputs = {"X": network.X, "Y": network.Y, "parameters": network.parameters,
              "calls": [{"gradients": gradients[call.gradients], "epsilon": call.epsilon}
                        for call in calls]}
    expected = [call.published if call.published is not None else
                network.reference_difference(gradients[call.gradients],
                                             call.epsilon or COURSE_EPSILON)
                for call in calls]
    return Case(name, inputs, public=public,
                context={"calls": calls, "expected": expected, "network": network})


def gradient_check_n_judge(case, outputs):
    context, calls = case.context, case.inputs["calls"]
    returned = outputs["returned"]
    values = [as_number(got) for got in returned]
    if None in values:
        got = returned[values.index(None)]
        array = to_array(got)
        hint = VECTOR if array is not None and 47 in array.shape else ""
        return [not_a_number("returns one number: the relative difference", got,
                             "gradient_check_n's result", hint)]
    checks = [verdict("returns one number: the relative difference", True)]
    for call, given, value, expected in zip(context["calls"], calls, values,
                                            context["expected"]):
        epsilon = call.epsilon or COURSE_EPSILON
        mistakes = MistakeTable(MISTAKES, lambda key, given=given, epsilon=epsilon:
                                context["network"].mistaken_difference(
                                    given["gradients"], epsilon, key))
        tolerance = 1e-6 * abs(expected) if call.gradients == "planted" else NOISE
        checks.append(number_check(call.check, value, expected, tolerance,
                                   f"at epsilon {epsilon:g}", mistakes))
    return checks
