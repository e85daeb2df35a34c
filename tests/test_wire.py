"""The wire format carries plain data only and refuses anything else."""
from __future__ import annotations

import json
import pickle
import struct

import numpy as np
import pytest

from grader import wire


def roundtrip(value):
    frames, cut = wire.decode_frames(wire.encode({"v": value}))
    assert not cut and len(frames) == 1
    return frames[0]["v"]


def test_plain_values_roundtrip():
    value = {"a": [1, 2.5, None, True, "x"], "t": (1, (2, 3)), "nan": float("nan")}
    back = roundtrip(value)
    assert back["a"] == [1, 2.5, None, True, "x"]
    assert back["t"] == (1, (2, 3))
    assert np.isnan(back["nan"])


@pytest.mark.parametrize("dtype", ["f8", "f4", "i8", "i4", "u1", "?"])
def test_arrays_roundtrip_with_dtype_and_shape(dtype):
    array = (np.arange(24).reshape(2, 3, 4) % 2).astype(dtype)
    back = roundtrip(array)
    assert back.dtype == array.dtype and back.shape == array.shape
    assert np.array_equal(back, array)


def test_zero_d_arrays_and_numpy_scalars_keep_their_shape():
    assert roundtrip(np.float64(2.5)).shape == ()
    assert roundtrip(np.array(3.0)).shape == ()
    assert isinstance(roundtrip(np.bool_(True)), np.bool_)


def test_non_contiguous_and_subclass_arrays_become_plain_arrays():
    base = np.arange(12.0).reshape(3, 4)
    assert np.array_equal(roundtrip(base.T), base.T)
    back = roundtrip(np.ma.masked_array(base))
    assert type(back) is np.ndarray and np.array_equal(back, base)


def test_objects_are_described_never_serialized():
    class Sneaky:
        def __reduce__(self):
            raise AssertionError("must never be pickled")
    assert roundtrip(Sneaky()) == wire.Opaque(f"{__name__}.test_objects_are_described_never_"
                                              f"serialized.<locals>.Sneaky")
    assert isinstance(roundtrip(np.array([object()], dtype=object)), wire.Opaque)


def _frame(header: dict, blob: bytes = b"") -> bytes:
    data = json.dumps(header).encode()
    return struct.pack(">QQ", len(data), len(blob)) + data + blob


@pytest.mark.parametrize("node", [
    {"t": "array", "dtype": "|O", "shape": [1], "offset": 0, "nbytes": 8},
    {"t": "array", "dtype": "<f8", "shape": [4], "offset": 0, "nbytes": 8},
    {"t": "array", "dtype": "<f8", "shape": [-1], "offset": 0, "nbytes": 8},
    {"t": "pickle", "v": "gASV"},
    {"t": "float", "v": "1e999999"},
    {"t": "dict", "items": [[1, {"t": "none"}]]},
])
def test_malformed_or_forbidden_nodes_are_refused(node):
    with pytest.raises(wire.WireError):
        wire.decode_frames(_frame({"t": "dict", "items": [["v", node]]}, b"\0" * 8))


def test_pickle_bytes_are_not_a_frame():
    with pytest.raises(wire.WireError):
        wire.decode_frames(pickle.dumps({"x": 1}) + b"\0" * 32)


def test_a_cut_stream_is_reported_and_complete_frames_kept():
    data = wire.encode({"a": 1}) + wire.encode({"b": np.zeros(100)})
    frames, cut = wire.decode_frames(data[:-10])
    assert frames == [{"a": 1}] and cut


def test_oversized_frames_are_refused_before_reading():
    with pytest.raises(wire.WireError):
        wire.decode_frames(struct.pack(">QQ", wire.MAX_HEADER_BYTES + 1, 0))
