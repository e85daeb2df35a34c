"""Child side of the regularization pack: call the student's function, return raw outputs.

Each probe gets the student's loaded module as a `subject` (grader/sandbox/child.py);
`subject.main` is the task's function.
This module runs next to student code, so it holds no expected value and no
reference: it builds the graph around a TensorFlow task with trusted code,
calls the student's function once, and returns what came out, with the
caller's arguments as the call left them (the parent compares them with what
it generated: nothing is compared here, where student code could rig it).
"""
import inspect

import numpy as np

ACTIVATIONS = ("tanh", "sigmoid", "relu", "softmax", "none")


def _tf():
    import tensorflow.compat.v1 as tf
    return tf


def _activation(name):
    tf = _tf()
    return {"tanh": tf.nn.tanh, "sigmoid": tf.nn.sigmoid, "relu": tf.nn.relu,
            "softmax": tf.nn.softmax, "none": None}[name]


def _initializer():
    tf = _tf()
    return tf.keras.initializers.VarianceScaling(scale=2.0, mode="fan_avg")


def _session():
    """A Session that owns its threads (they end when it closes, so the warm worker can
    run one and still fork safely) and skips graph rewriting: these graphs are tiny
    and run once, so optimizing them costs more than it saves."""
    tf = _tf()
    config = tf.ConfigProto(use_per_session_threads=True, intra_op_parallelism_threads=1,
                            inter_op_parallelism_threads=1)
    config.graph_options.rewrite_options.disable_meta_optimizer = True
    config.graph_options.optimizer_options.opt_level = tf.OptimizerOptions.L0
    return tf.Session(config=config)


def l2_cost_numpy(subject, inputs):
    returned = subject.main(inputs["cost"], inputs["lambtha"], inputs["weights"],
                     inputs["L"], inputs["m"])
    return {"returned": returned, "weights": dict(inputs["weights"])}


def _gradient_step(subject, inputs, hyperparameter):
    """One step; the caller's weights, cache and Y as the call left them (the judge
    compares cache and Y with what it generated, and the weights with the reference)."""
    weights, cache, labels = inputs["weights"], inputs["cache"], inputs["Y"]
    returned = subject.main(labels, weights, cache, inputs["alpha"],
                     inputs[hyperparameter], inputs["L"])
    return {"weights": dict(weights), "returned": returned, "cache": dict(cache),
            "Y": labels}


def l2_gradient_descent(subject, inputs):
    return _gradient_step(subject, inputs, "lambtha")


def dropout_gradient_descent(subject, inputs):
    return _gradient_step(subject, inputs, "keep_prob")


def dropout_forward(subject, inputs):
    np.random.seed(inputs["np_seed"])
    returned = subject.main(inputs["X"], inputs["weights"], inputs["L"],
                     inputs["keep_prob"])
    return {"returned": returned, "X": inputs["X"], "weights": dict(inputs["weights"])}


def early_stopping(subject, inputs):
    return {"returned": [subject.main(*call) for call in inputs["calls"]]}


def _parameters(function):
    """The function's parameters: names ("name=" with a default), "*" and "**" for its
    catch-alls; None when its signature cannot be read."""
    try:
        found = list(inspect.signature(function).parameters.values())
    except Exception:  # noqa: BLE001 - a builtin or a rigged object: no signature
        return None
    names = []
    for parameter in found:
        if parameter.kind is parameter.VAR_POSITIONAL:
            names.append("*")
        elif parameter.kind is parameter.VAR_KEYWORD:
            names.append("**")
        else:
            names.append(parameter.name + ("" if parameter.default is parameter.empty
                                           else "="))
    return names


def _graph_value(value, tf):
    """Can a Session fetch it: a tensor, or a non-empty list or tuple of them?"""
    if isinstance(value, (list, tuple)):
        return bool(value) and all(_graph_value(v, tf) for v in value)
    return isinstance(value, (tf.Tensor, tf.Variable))


def l2_cost_tensorflow(subject, inputs):
    """A trusted network built from the parent's weights, whose kernels carry the given L2
    factors; the student adds the cost. Built from plain ops: Keras layers cost ~40 ms
    each to build, and what the student's function sees (a scalar cost tensor and the
    regularization losses collection) is the same."""
    tf = _tf()
    tf.reset_default_graph()
    x = tf.placeholder(tf.float32, (None, inputs["X"].shape[1]))
    y = tf.placeholder(tf.float32, (None, inputs["Y"].shape[1]))
    out = x
    layers = zip(inputs["kernels"], inputs["biases"], inputs["lambthas"], inputs["activations"])
    for index, (kernel, bias, lambtha, activation) in enumerate(layers, start=1):
        with tf.variable_scope(f"layer_{index}"):
            weights = tf.Variable(kernel, name="kernel")
            out = tf.matmul(out, weights) + bias
            if _activation(activation) is not None:
                out = _activation(activation)(out)
            if lambtha is not None:
                tf.add_to_collection(tf.GraphKeys.REGULARIZATION_LOSSES, tf.multiply(
                    lambtha, tf.reduce_sum(tf.square(weights)), name="l2_loss"))
    cost = tf.reduce_mean(-tf.reduce_sum(y * tf.nn.log_softmax(out), axis=1))
    parameters = _parameters(subject.main)
    if parameters is not None and "*" not in parameters and len(
            [p for p in parameters if p[-1] != "=" and p != "**"]) > 1:
        return {"parameters": parameters}  # it cannot be called with the cost alone
    result = subject.main(cost)
    if result is None or not _graph_value(result, tf):
        return {"result": None} if result is None else {"returned_type": type(result).__name__}
    with _session() as session:
        session.run(tf.global_variables_initializer())
        return {"result": session.run(result, {x: inputs["X"], y: inputs["Y"]})}


def create_layer(subject, inputs):
    """One call of a layer-creating function on a placeholder; what its graph holds."""
    tf = _tf()
    tf.reset_default_graph()
    tf.set_random_seed(inputs["tf_seed"])
    x = tf.placeholder(tf.float32, (None, inputs["X"].shape[1]))
    args = [x, inputs["n"], _activation(inputs["activation"])] + inputs["extra_args"]
    kwargs, parameters = dict(inputs["kwargs"]), _parameters(subject.main)
    ignored = []
    if parameters is not None and "**" not in parameters:
        ignored = [k for k in kwargs if k not in (p.rstrip("=") for p in parameters)]
        for name in ignored:  # an edition without this argument: call it the way it takes
            del kwargs[name]
    output = subject.main(*args, **kwargs)
    if not isinstance(output, tf.Tensor):
        return {"output_type": "None" if output is None else type(output).__name__,
                "ignored_kwargs": ignored}
    variables = tf.global_variables()
    with _session() as session:
        session.run(tf.global_variables_initializer())
        values = session.run({"output": output, "variables": variables,
                              "reg_losses": tf.losses.get_regularization_losses()},
                             {x: inputs["X"]})
    values["variable_names"] = [v.name for v in variables]
    values["ignored_kwargs"] = ignored
    return values


def warm_up():
    """Build and run a throwaway graph so that TensorFlow's lazy imports and first-run
    set-up happen once, in the warm worker, instead of in every child. The session's
    threads end when it closes (see _session): the worker forks single-threaded."""
    tf = _tf()
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, (None, 4))
        y = tf.placeholder(tf.float32, (None, 2))
        layer = tf.layers.Dense(3, activation=tf.nn.tanh, kernel_initializer=_initializer(),
                                kernel_regularizer=tf.keras.regularizers.L2(0.1))
        out = tf.layers.Dropout(rate=0.5)(layer(x), training=True)
        out = tf.layers.dense(out, 2)
        cost = tf.losses.softmax_cross_entropy(y, out)
        total = cost + tf.losses.get_regularization_losses()
        with _session() as session:
            session.run(tf.global_variables_initializer())
            session.run(total, {x: np.ones((2, 4)), y: np.eye(2)})


PROBES = {
    "0": l2_cost_numpy,
    "1": l2_gradient_descent,
    "2": l2_cost_tensorflow,
    "3": create_layer,
    "4": dropout_forward,
    "5": dropout_gradient_descent,
    "6": create_layer,
    "7": early_stopping,
}
