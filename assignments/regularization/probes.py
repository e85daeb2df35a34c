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
    """A trusted network with the given per-layer L2 factors; the student adds the cost."""
    tf = _tf()
    tf.reset_default_graph()
    tf.set_random_seed(inputs["tf_seed"])
    x = tf.placeholder(tf.float32, (None, inputs["X"].shape[1]))
    y = tf.placeholder(tf.float32, (None, inputs["Y"].shape[1]))
    out, kernels = x, []
    for units, lambtha, activation in zip(inputs["units"], inputs["lambthas"],
                                          inputs["activations"]):
        regularizer = tf.keras.regularizers.L2(lambtha) if lambtha is not None else None
        layer = tf.layers.Dense(units, activation=_activation(activation),
                                kernel_initializer=_initializer(),
                                kernel_regularizer=regularizer)
        out = layer(out)
        kernels.append(layer.kernel)
    cost = tf.losses.softmax_cross_entropy(y, out)
    result = function(cost)
    with tf.Session() as session:
        session.run(tf.global_variables_initializer())
        values = session.run({"result": result, "cost": cost, "kernels": kernels},
                             {x: inputs["X"], y: inputs["Y"]})
    return values


def create_layer(function, inputs):
    """One call of a layer-creating function on a placeholder; what its graph holds."""
    tf = _tf()
    tf.reset_default_graph()
    tf.set_random_seed(inputs["tf_seed"])
    x = tf.placeholder(tf.float32, (None, inputs["X"].shape[1]))
    args = [x, inputs["n"], _activation(inputs["activation"])] + inputs["extra_args"]
    output = function(*args, **inputs["kwargs"])
    variables = tf.global_variables()
    with tf.Session() as session:
        session.run(tf.global_variables_initializer())
        values = session.run({"output": output, "variables": variables,
                              "reg_losses": tf.losses.get_regularization_losses()},
                             {x: inputs["X"]})
    values["variable_names"] = [v.name for v in variables]
    return values


def warm_up():
    """Build (never run) a throwaway graph so that TensorFlow's lazy imports happen once,
    in the warm worker, instead of in every child. No Session: its thread pools would
    not survive a fork."""
    tf = _tf()
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, (None, 4))
        y = tf.placeholder(tf.float32, (None, 2))
        layer = tf.layers.Dense(3, activation=tf.nn.tanh, kernel_initializer=_initializer(),
                                kernel_regularizer=tf.keras.regularizers.L2(0.1))
        out = tf.layers.Dropout(rate=0.5)(layer(x), training=True)
        out = tf.layers.dense(out, 2)
        cost = tf.losses.softmax_cross_entropy(y, out)
        _ = cost + tf.losses.get_regularization_losses()
        tf.global_variables_initializer()


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
