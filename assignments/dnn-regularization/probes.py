"""Child side of the dnn-regularization pack: call the student's functions, return raw outputs.

Each probe gets the student's notebook as a `subject` (grader/sandbox/child.py);
`subject.main` is the graded function. This module runs next to student code: it
holds no expected value. The global NumPy generator is seeded before each call,
so that a function that draws masks of its own is reproducible.
"""
import numpy as np


def compute_cost_with_regularization(subject, inputs):
    return {"returned": subject.main(inputs["A3"], inputs["Y"], inputs["parameters"],
                                     inputs["lambd"])}


def backward_propagation_with_regularization(subject, inputs):
    return {"returned": subject.main(inputs["X"], inputs["Y"], tuple(inputs["cache"]),
                                     inputs["lambd"])}


def forward_propagation_with_dropout(subject, inputs):
    np.random.seed(inputs["np_seed"])
    return {"returned": subject.main(inputs["X"], inputs["parameters"],
                                     inputs["keep_prob"])}


def backward_propagation_with_dropout(subject, inputs):
    np.random.seed(inputs["np_seed"])
    return {"returned": subject.main(inputs["X"], inputs["Y"], tuple(inputs["cache"]),
                                     inputs["keep_prob"])}


PROBES = {
    "compute_cost_with_regularization": compute_cost_with_regularization,
    "backward_propagation_with_regularization": backward_propagation_with_regularization,
    "forward_propagation_with_dropout": forward_propagation_with_dropout,
    "backward_propagation_with_dropout": backward_propagation_with_dropout,
}
