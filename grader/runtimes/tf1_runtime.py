"""The `tf1` runtime: TensorFlow's v1 graph API (`tensorflow.compat.v1`) on TensorFlow 2.

`tf.layers` needs legacy Keras (`TF_USE_LEGACY_KERAS=1`, set before the
import). A Session's thread pools end when it closes
(`TF_OVERRIDE_GLOBAL_THREADPOOL=1`), so a warm worker that ran one can still
fork safely; the probes' `warm_up()` runs a throwaway graph so that
TensorFlow's lazy set-up is paid once per worker, not once per child.

Editions. Many students wrote for TensorFlow 1.x, where `import tensorflow as
tf` *was* the graph API. In the student's code (only there: its module's
`__import__`), `tensorflow` means `tensorflow.compat.v1`, which is what it
meant then; the imports requirement still says it is not the allowed form.
`tf.contrib` is gone from TensorFlow 2; the few calls these courses used are
given back with TensorFlow 1.x's own semantics (see `_contrib`), so such code
is judged for what it computes: e.g. `l2_regularizer` halves the loss, and the
pack's judge can say that this is TF 1.x's formula, not the one asked. Students
of TensorFlow 2 write `import tensorflow as tf` too: a name that only TensorFlow
2 has (`tf.random.set_seed`, `tf.initializers.VarianceScaling`) is TensorFlow
2's (see `_Edition`), not an AttributeError.
"""
import builtins
from types import ModuleType, SimpleNamespace

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


def student_builtins() -> dict:
    """The builtins of the student's module: `import tensorflow` gives the v1 API."""
    import tensorflow as v2
    import tensorflow.compat.v1 as v1
    if not hasattr(v1, "contrib"):
        v1.contrib = _contrib(v1)
    edition = _Edition(v1.__name__, v1, v2)
    real_import = builtins.__import__

    def edition_import(name, globals=None, locals=None, fromlist=(), level=0):
        if name == "tensorflow" and level == 0:
            return edition
        return real_import(name, globals, locals, fromlist, level)
    return {**vars(builtins), "__import__": edition_import}


class _Edition(ModuleType):
    """A module of the v1 API whose names missing from v1 are TensorFlow 2's, at every
    level: `tf.random.set_seed` is v2's, `tf.layers` and `tf.random.uniform` are v1's."""

    def __init__(self, name, first, fallback):
        super().__init__(name)
        self.__dict__.update(_first=first, _fallback=fallback)

    def __getattr__(self, attribute):
        first, fallback = self.__dict__["_first"], self.__dict__["_fallback"]
        if not hasattr(first, attribute) and hasattr(fallback, attribute):
            return getattr(fallback, attribute)
        found = getattr(first, attribute)  # missing from both: v1's own AttributeError
        other = getattr(fallback, attribute, None)
        if isinstance(found, ModuleType) and isinstance(other, ModuleType) and found is not other:
            found = _Edition(getattr(found, "__name__", attribute), found, other)
        self.__dict__[attribute] = found
        return found


def _contrib(tf) -> SimpleNamespace:
    """`tf.contrib.layers` as TensorFlow 1.x defined the calls these courses use."""

    def l2_regularizer(scale, scope=None):
        return lambda weights: tf.multiply(scale, tf.nn.l2_loss(weights), name=scope)  # /2

    def l1_regularizer(scale, scope=None):
        return lambda weights: tf.multiply(scale, tf.reduce_sum(tf.abs(weights)), name=scope)

    def variance_scaling_initializer(factor=2.0, mode="FAN_IN", uniform=False, seed=None,
                                     dtype=tf.float32):
        # TF 1.x: truncated normal with stddev sqrt(1.3 * factor / n), uniform with
        # limit sqrt(3 * factor / n); TF 2's VarianceScaling matches both up to its
        # 0.8796 truncation correction (1.2923 instead of 1.3).
        return tf.keras.initializers.VarianceScaling(
            scale=factor, mode=mode.lower(), seed=seed,
            distribution="uniform" if uniform else "truncated_normal")

    def xavier_initializer(uniform=True, seed=None, dtype=tf.float32):
        kind = tf.keras.initializers.glorot_uniform if uniform else \
            tf.keras.initializers.glorot_normal
        return kind(seed=seed)

    layers = SimpleNamespace(l2_regularizer=l2_regularizer, l1_regularizer=l1_regularizer,
                             variance_scaling_initializer=variance_scaling_initializer,
                             xavier_initializer=xavier_initializer)
    return SimpleNamespace(layers=layers)
