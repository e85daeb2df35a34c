"""What the task families share: tolerances, the network's shapes, random weights, and a
comparison that also names a mistake whose output holds NaN (an overflowing softmax)."""
import numpy as np

from grader.authoring import compare_arrays, describe_value, to_array, verdict

FEATURES, CLASSES = 64, 10  # the digits: 8x8 pixels, 10 classes
F64 = {"rtol": 1e-7, "atol": 1e-9}
# A student may compute in float32 (as GPU frameworks do): its answers are judged to float32
# precision. A logit of 600 holds only 6e-5 of absolute precision in float32, so the softmax
# of the +-600 rows is off by up to about 1e-4 relative; every named mistake is far coarser.
F32 = {"rtol": 3e-4, "atol": 1e-6}


def tolerance(got):
    """F32 for a float32 answer (an array or a NumPy scalar), else F64."""
    return F32 if getattr(got, "dtype", None) == np.float32 else F64


def network_shapes(hidden):
    """The weight matrices' shapes of the seed's network, samples in rows (x @ W)."""
    return [(FEATURES, hidden), (hidden, hidden), (hidden, CLASSES)]


def random_weights(rng, shapes, scales):
    """Normal matrices with a different scale each, so that a mistake that treats one
    matrix differently from the others changes the result."""
    return [scale * rng.standard_normal(shape) for shape, scale in zip(shapes, scales)]


def same_with_nan(got, variant):
    """Equal within tolerance, NaN and infinities where the variant has them."""
    variant = np.asarray(variant, dtype=np.float64)
    return got.shape == variant.shape and bool(
        np.allclose(got, variant, equal_nan=True, **F64)
        and np.array_equal(np.isfinite(got), np.isfinite(variant)))


def compare_naming(name, got, expected, *, what, mistakes):
    """compare_arrays, and when the answer holds NaN or infinities, the mistake whose
    output holds them at the same places (compare_arrays names only finite ones)."""
    check = compare_arrays(name, got, expected, what=what, mistakes=mistakes, **tolerance(got))
    array = to_array(got)
    if check.passed or array is None or np.isfinite(array).all():
        return check
    with np.errstate(all="ignore"):
        named = mistakes.first_match(array, same_with_nan)
    if named:
        return verdict(name, False, f"{check.message}. This matches a classic mistake: {named}.")
    return check


def matrix_list(returned, count, what):
    """(arrays, None) when `returned` is a list or tuple of `count` numeric arrays, else
    (None, a failing check's message)."""
    if not isinstance(returned, (list, tuple)) or len(returned) != count:
        return None, f"{what}: expected a list of {count} arrays, got {describe_value(returned)}"
    arrays = [to_array(item) for item in returned]
    if any(a is None for a in arrays):
        return None, (f"{what}: expected {count} numeric arrays, got "
                      f"[{', '.join(describe_value(item) for item in returned)}]")
    return arrays, None


def first_failure(name, checks):
    """One check named `name` for several matrices: the first failing one's message (its
    matrix is named there), or a pass."""
    failed = next((c for c in checks if not c.passed), None)
    return verdict(name, failed is None, failed.message if failed else "")
