"""Comparisons explain failures and name classic mistakes; statistics have honest bounds;
an error that comes from NumPy's edition says so."""
from __future__ import annotations

import numpy as np
import pytest

from grader.judging.compare import compare_arrays
from grader.judging.messages import in_student_terms, with_edition_hint
from grader.judging.mistakes import MistakeTable
from grader.judging.stats import binomial_interval, dkw_bound, ks_distance, truncated_normal_cdf
from grader.wire import Opaque


def test_equal_arrays_pass_and_a_small_error_fails_with_its_location():
    expected = np.arange(6.0).reshape(2, 3)
    assert compare_arrays("c", expected + 1e-12, expected, what="A").passed
    got = expected.copy()
    got[1, 2] += 0.5
    result = compare_arrays("c", got, expected, what="A")
    assert not result.passed
    assert "largest error 0.5 at index [1, 2]" in result.message


def test_transposed_none_nan_and_objects_are_explained():
    expected = np.arange(6.0).reshape(2, 3)
    assert "transpose" in compare_arrays("c", expected.T, expected, what="A").message
    assert "return" in compare_arrays("c", None, expected, what="A").message
    nan = expected.copy()
    nan[0, 1] = np.nan
    assert "nan at index [0, 1]" in compare_arrays("c", nan, expected, what="A").message
    assert "type Foo" in compare_arrays("c", Opaque("Foo"), expected, what="A").message


def test_a_classic_mistake_is_named_only_when_it_matches():
    expected = np.ones(4)
    mistake = np.full(4, 2.0)
    named = compare_arrays("c", mistake, expected, what="A", mistakes=[("doubled", mistake)])
    assert "classic mistake: doubled" in named.message
    other = compare_arrays("c", np.full(4, 3.0), expected, what="A",
                           mistakes=[("doubled", mistake)])
    assert "classic mistake" not in other.message


def test_a_mistake_table_computes_variants_only_for_a_wrong_answer_and_in_order():
    computed = []

    def variant(key):
        computed.append(key)
        return np.full(4, {"doubled": 2.0, "tripled": 3.0, "negated": -1.0}[key])
    table = MistakeTable({"doubled": "x2", "tripled": "x3", "negated": "-x"}, variant)
    expected = np.ones(4)
    assert compare_arrays("c", expected, expected, what="A", mistakes=table).passed
    assert computed == []
    result = compare_arrays("c", np.full(4, 3.0), expected, what="A", mistakes=table)
    assert "classic mistake: x3" in result.message
    assert computed == ["doubled", "tripled"]
    assert table.first_match(3.0, lambda got, v: got == v[0]) == "x3"
    assert table.first_match(7.0, lambda got, v: got == v[0]) is None


def test_binomial_interval_holds_for_the_right_rate_and_rejects_the_swapped_one():
    rng = np.random.default_rng(0)
    trials = 100_000
    low, high = binomial_interval(trials, 0.8)
    for _ in range(20):
        assert low <= int((rng.random(trials) < 0.8).sum()) <= high
    assert not low <= int((rng.random(trials) < 0.2).sum()) <= high


def test_ks_accepts_the_right_law_and_rejects_a_wider_one():
    rng = np.random.default_rng(1)
    std = 0.05
    sample = np.clip(rng.normal(0, std, 400_000), -2 * std, 2 * std)
    sample = sample[np.abs(sample) < 2 * std][:200_000]
    bound = dkw_bound(sample.size)
    assert ks_distance(sample, truncated_normal_cdf(std)) <= bound
    assert ks_distance(sample, truncated_normal_cdf(std * 1.2)) > bound


def _raised(statement):
    """(type name, message) of what `statement` raises on the NumPy installed."""
    try:
        statement()
    except Exception as exc:  # noqa: BLE001 - whatever NumPy raises is the point
        return type(exc).__name__, str(exc)
    raise AssertionError("nothing raised")


def _one_element_into_a_scalar_slot():
    theta = np.zeros((3, 1))
    theta[1][0] = theta[1] + 1e-7  # NumPy 1 took the one element out; NumPy 2 refuses


@pytest.mark.parametrize("statement", [_one_element_into_a_scalar_slot,
                                       lambda: float(np.array([0.5]))])
def test_a_numpy_1_habit_refused_by_numpy_2_gains_the_hint_once(statement):
    kind, message = _raised(statement)
    hinted = with_edition_hint(kind, message)
    assert hinted.startswith(message) and "works on NumPy 1.x, not on the NumPy 2" in hinted
    assert with_edition_hint(kind, hinted) == hinted


@pytest.mark.parametrize("kind, message", [
    ("ValueError", "operands could not be broadcast together with shapes (3,1) (4,1)"),
    ("IndexError", "setting an array element with a sequence"),  # the text, not its type
    ("TypeError", "unsupported operand type(s) for +: 'dict' and 'float'"),
])
def test_other_errors_are_left_as_they_are(kind, message):
    assert with_edition_hint(kind, message) == message


def test_a_ragged_list_made_into_an_array_gets_no_numpy_1_hint():
    """Same words as the one-element case, but it fails on every NumPy edition."""
    kind, message = _raised(lambda: np.array([np.zeros(2), np.zeros(3)]))
    assert "setting an array element with a sequence" in message
    assert with_edition_hint(kind, message) == message


@pytest.mark.parametrize("message, shown", [
    ("tf_keras.api._v2.keras.layers.Dense has no attribute 'losses'",
     "tf.keras.layers.Dense has no attribute 'losses'"),
    ("tensorflow.python.framework.ops.SymbolicTensor at 0x7f3a", "Tensor"),
    ("A tf.keras.layers.Dense keeps its loss in layer.losses", None),  # already public
    ("use tf.nn.dropout, not keras.layers.Dropout", "use tf.nn.dropout, not tf.keras.layers.Dropout"),
    ("cannot open /dev/shm/grade-x1/task-0/submission/data.npz", "cannot open data.npz"),
    ("see https://numpy.org/doc/stable/x.html", None),  # a URL is no machine folder
])
def test_internal_names_become_public_once(message, shown):
    shown = message if shown is None else shown
    assert in_student_terms(message) == shown
    assert in_student_terms(in_student_terms(message)) == shown
