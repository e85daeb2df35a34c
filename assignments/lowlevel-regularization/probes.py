"""Child side of the lowlevel-regularization pack: call the student's function on the
parent's inputs and return what came back, as plain data.

Runs next to student code, so it holds no expected value, bar or reference. Every
call gets fresh, writable copies of its arrays: students change arrays in place
(and `prune` must), and one call must not see what an earlier one did.
"""
import numpy as np


def _copies(arrays):
    return [np.array(a) for a in arrays]


def stable_softmax(subject, inputs):
    return {"returned": subject.main(np.array(inputs["a"]))}


def penalty(subject, inputs):
    """l1_penalty and l2_penalty."""
    return {"returned": subject.main(_copies(inputs["weights"]), inputs["lam"], inputs["m"])}


def penalty_gradients(subject, inputs):
    weights = _copies(inputs["weights"])
    returned = subject.main(weights, inputs["lam_l1"], inputs["lam_l2"], inputs["m"])
    return {"returned": returned, "weights_after": weights}


def prune(subject, inputs):
    weights = _copies(inputs["weights"])
    returned = subject.main(weights, _copies(inputs["masks"]), inputs["rate"])
    return {"returned": returned, "weights_after": weights}


def dropout(subject, inputs):
    """Two calls with generators seeded alike (the parent checks they agree)."""
    return {name: subject.main(np.array(inputs["h"]), inputs["rate"],
                               np.random.default_rng(inputs["seed"]))
            for name in ("first", "again")}


def _plain_sequences(value, depth=3):
    """Lists and tuples of the student's own types (a history of namedtuples) as plain
    lists and tuples, which cross to the parent as data; everything else as it is."""
    if depth and isinstance(value, (list, tuple)):
        items = [_plain_sequences(item, depth - 1) for item in value]
        return list(items) if isinstance(value, list) else tuple(items)
    return value


def train(subject, inputs):
    """One training run per entry of `runs`, each on fresh copies of the data (a run named
    in `y_val_of_run` gets those validation labels)."""
    runs = {}
    for name, settings in inputs["runs"].items():
        y_val = inputs.get("y_val_of_run", {}).get(name, inputs["y_val"])
        data = _copies([inputs["x"], inputs["y"], inputs["x_val"], y_val])
        runs[name] = _plain_sequences(subject.main(*data, **settings))
    return {"runs": runs}


PROBES = {
    "stable_softmax": stable_softmax,
    "l1_penalty": penalty,
    "l2_penalty": penalty,
    "penalty_gradients": penalty_gradients,
    "prune": prune,
    "dropout": dropout,
    "train": train,
}
