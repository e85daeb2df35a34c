"""Child side of the regularization pack: call the student's function, return raw outputs.

This module runs next to student code, so it holds no expected value and no
reference: it builds the graph around a TensorFlow task with trusted code,
calls the student's function once, and returns what came out.
"""
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


def l2_cost_numpy(function, inputs):
    returned = function(inputs["cost"], inputs["lambtha"], inputs["weights"],
                        inputs["L"], inputs["m"])
    return {"returned": returned}


def l2_gradient_descent(function, inputs):
    weights = inputs["weights"]
    returned = function(inputs["Y"], weights, inputs["cache"], inputs["alpha"],
                        inputs["lambtha"], inputs["L"])
    return {"weights": dict(weights), "returned": returned}


def dropout_gradient_descent(function, inputs):
    weights = inputs["weights"]
    returned = function(inputs["Y"], weights, inputs["cache"], inputs["alpha"],
                        inputs["keep_prob"], inputs["L"])
    return {"weights": dict(weights), "returned": returned}


def dropout_forward(function, inputs):
    np.random.seed(inputs["np_seed"])
    return {"returned": function(inputs["X"], inputs["weights"], inputs["L"],
                                 inputs["keep_prob"])}


def early_stopping(function, inputs):
    return {"returned": [function(*call) for call in inputs["calls"]]}


def l2_cost_tensorflow(function, inputs):
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
    result = function(cost)
    with _session() as session:
        session.run(tf.global_variables_initializer())
        return {"result": session.run(result, {x: inputs["X"], y: inputs["Y"]})}


def create_layer(function, inputs):
    """One call of a layer-creating function on a placeholder; what its graph holds."""
    tf = _tf()
    tf.reset_default_graph()
    tf.set_random_seed(inputs["tf_seed"])
    x = tf.placeholder(tf.float32, (None, inputs["X"].shape[1]))
    args = [x, inputs["n"], _activation(inputs["activation"])] + inputs["extra_args"]
    output = function(*args, **inputs["kwargs"])
    variables = tf.global_variables()
    with _session() as session:
        session.run(tf.global_variables_initializer())
        values = session.run({"output": output, "variables": variables,
                              "reg_losses": tf.losses.get_regularization_losses()},
                             {x: inputs["X"]})
    values["variable_names"] = [v.name for v in variables]
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
