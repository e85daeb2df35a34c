"""The `tf1` runtime: TensorFlow's v1 graph API (`tensorflow.compat.v1`) on TensorFlow 2.

`tf.layers` needs legacy Keras (`TF_USE_LEGACY_KERAS=1`, set before the
import). A Session's thread pools end when it closes
(`TF_OVERRIDE_GLOBAL_THREADPOOL=1`), so a warm worker that ran one can still
fork safely; the probes' `warm_up()` runs a throwaway graph so that
TensorFlow's lazy set-up is paid once per worker, not once per child.
"""

ENV = {
    "TF_USE_LEGACY_KERAS": "1",
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "TF_NUM_INTRAOP_THREADS": "1",
    "TF_NUM_INTEROP_THREADS": "1",
    "TF_OVERRIDE_GLOBAL_THREADPOOL": "1",
}
PROVIDES = ("numpy", "tensorflow")


def prepare() -> None:
    import numpy  # noqa: F401
    import tensorflow.compat.v1 as tf
    tf.disable_eager_execution()
    tf.logging.set_verbosity(tf.logging.ERROR)


def warm_up(probes) -> None:
    warm = getattr(probes, "warm_up", None)
    if callable(warm):
        warm()
