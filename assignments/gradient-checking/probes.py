"""Child side of the gradient-checking pack: call the student's functions, return raw outputs.

Each probe gets the student's notebook as a `subject` (grader/sandbox/child.py):
`subject.main` is the graded function, `subject.module` the notebook's namespace.
This module runs next to student code: it holds no expected value. A gradient
check is judged on the gradients it is given, so the probes put the notebook's
given code (J = theta * x, forward_propagation_n) and the case's gradient
function into the student's namespace, where the graded function looks them up,
before calling it.
"""
import numpy as np


def scalar_pairs(subject, inputs):
    """forward_propagation and backward_propagation: one call per (x, theta)."""
    return {"returned": [subject.main(x, theta) for x, theta in inputs["pairs"]]}


# ------------------------------------------------------------ the notebook's given code
def _linear_cost(x, theta):
    """The notebook's J(theta) = theta * x."""
    return theta * x


def _gradient(spec):
    """backward_propagation for a case: the right one (None), or scale * x + shift."""
    if spec is None:
        return lambda x, theta: x
    scale, shift = spec
    return lambda x, theta: scale * x + shift


def forward_propagation_n(X, Y, parameters):
    """The notebook's given forward pass and cost (4-5-3-1 network, sigmoid output)."""
    m = X.shape[1]
    Z1 = np.dot(parameters["W1"], X) + parameters["b1"]
    A1 = np.maximum(0, Z1)
    Z2 = np.dot(parameters["W2"], A1) + parameters["b2"]
    A2 = np.maximum(0, Z2)
    Z3 = np.dot(parameters["W3"], A2) + parameters["b3"]
    A3 = 1 / (1 + np.exp(-Z3))
    logprobs = np.multiply(-np.log(A3), Y) + np.multiply(-np.log(1 - A3), 1 - Y)
    cost = 1. / m * np.sum(logprobs)
    cache = (Z1, A1, parameters["W1"], parameters["b1"], Z2, A2, parameters["W2"],
             parameters["b2"], Z3, A3, parameters["W3"], parameters["b3"])
    return cost, cache


def gradient_check(subject, inputs):
    """One call per (x, theta, epsilon, gradient); epsilon None: the default is used."""
    namespace = subject.module
    namespace.forward_propagation = _linear_cost
    returned = []
    for call in inputs["calls"]:
        namespace.backward_propagation = _gradient(call["gradient"])
        args = [call["x"], call["theta"]] + ([] if call["epsilon"] is None else [call["epsilon"]])
        returned.append(subject.main(*args))
    return {"returned": returned}


def gradient_check_n(subject, inputs):
    """One call per (gradients, epsilon), each on fresh copies of the caller's arrays."""
    subject.module.forward_propagation_n = forward_propagation_n
    returned = []
    for call in inputs["calls"]:
        parameters = {key: np.array(value) for key, value in inputs["parameters"].items()}
        gradients = {key: np.array(value) for key, value in call["gradients"].items()}
        args = [parameters, gradients, np.array(inputs["X"]), np.array(inputs["Y"])]
        args += [] if call["epsilon"] is None else [call["epsilon"]]
        returned.append(subject.main(*args))
    return {"returned": returned}


PROBES = {
    "forward_propagation": scalar_pairs,
    "backward_propagation": scalar_pairs,
    "gradient_check": gradient_check,
    "gradient_check_n": gradient_check_n,
}
