"""The only format that crosses the boundary to and from student processes.

A message is a JSON header plus one blob of raw array bytes. Values are tagged
trees of plain data: None, bool, int, float, str, list, tuple, dict with string
keys, numpy arrays and numpy scalars of numeric or bool dtype. Anything else is
described by its type name only. No pickle, ever: decoding builds arrays with
`np.frombuffer` from a dtype in a fixed allowlist, so no byte of a message can
become code in the reader.

Frame: 8-byte big-endian header length, 8-byte blob length, header, blob.
A job sent to a warm worker is preceded by its frame's length (`LENGTH`).

The two messages of a task run are typed: the `Job` the parent sends, and
the `Summary` the trusted supervisor sends back (the child's own frames are
inside it as raw bytes, decoded and validated by the parent).
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import struct
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np

MAX_HEADER_BYTES = 8 * 1024 * 1024
MAX_BLOB_BYTES = 512 * 1024 * 1024
MAX_DEPTH = 12
MAX_ITEMS = 100_000
MAX_STR = 100_000
_PREFIX = struct.Struct(">QQ")
LENGTH = struct.Struct(">Q")  # the length of a job frame on a warm worker's channel
ALLOWED_DTYPES = frozenset(
    np.dtype(t).str
    for t in ("?", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8")
)


class WireError(ValueError):
    """A message broke the format or its bounds."""


class Opaque:
    """A value the other side held that is not plain data (we know its type name only)."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<{self.type_name}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Opaque) and other.type_name == self.type_name


def _type_name(value: Any) -> str:
    cls = type(value)
    module = getattr(cls, "__module__", "") or ""
    name = getattr(cls, "__qualname__", "?")
    return name if module == "builtins" else f"{module}.{name}"


class _Encoder:
    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.size = 0
        self.items = 0

    def array(self, arr: np.ndarray, tag: str, note: str | None = None) -> dict:
        if not arr.flags.c_contiguous:
            arr = arr.copy(order="C")  # (np.ascontiguousarray would make 0-d arrays 1-d)
        if arr.dtype.str not in ALLOWED_DTYPES:
            if arr.dtype.kind == "f":  # float128 and the like
                arr = arr.astype(np.float64)
            elif arr.dtype.kind in "iu":
                arr = arr.astype(np.int64)
            else:
                return {"t": "opaque", "type": f"ndarray of dtype {arr.dtype}"}
        data = arr.tobytes()
        if self.size + len(data) > MAX_BLOB_BYTES:
            raise WireError("arrays too large to send")
        node = {"t": tag, "dtype": arr.dtype.str, "shape": list(arr.shape),
                "offset": self.size, "nbytes": len(data)}
        if note:
            node["note"] = note
        self.chunks.append(data)
        self.size += len(data)
        return node

    def value(self, value: Any, depth: int = 0) -> dict:
        self.items += 1
        if depth > MAX_DEPTH or self.items > MAX_ITEMS:
            raise WireError("value nested too deep or too large to send")
        if value is None:
            return {"t": "none"}
        if type(value) is bool:
            return {"t": "bool", "v": value}
        if type(value) is int:
            if abs(value) >= 2 ** 63:
                return {"t": "float", "v": _float_out(float(value))}
            return {"t": "int", "v": value}
        if type(value) is float:
            return {"t": "float", "v": _float_out(value)}
        if type(value) is str:
            return {"t": "str", "v": value[:MAX_STR]}
        if isinstance(value, np.generic) and not isinstance(value, (np.str_, np.bytes_, np.void)):
            return self.array(np.asarray(value), "scalar")
        if isinstance(value, np.ndarray):
            note = None if type(value) is np.ndarray else _type_name(value)
            return self.array(np.asarray(value).view(np.ndarray), "array", note)
        if type(value) in (list, tuple):
            return {"t": type(value).__name__,
                    "items": [self.value(v, depth + 1) for v in value]}
        if isinstance(value, dict) and all(type(k) is str for k in value):
            return {"t": "dict", "items": [[k, self.value(v, depth + 1)] for k, v in value.items()]}
        return {"t": "opaque", "type": _type_name(value)}


def _float_out(x: float) -> Any:
    return x if math.isfinite(x) else repr(x)


def _float_in(v: Any) -> float:
    if isinstance(v, str):
        if v not in ("nan", "inf", "-inf"):
            raise WireError("bad float")
        return float(v)
    if type(v) not in (int, float):
        raise WireError("bad float")
    return float(v)


class _Decoder:
    def __init__(self, blob: bytes) -> None:
        self.blob = blob
        self.items = 0

    def array(self, node: dict) -> np.ndarray:
        dtype, shape = node.get("dtype"), node.get("shape")
        offset, nbytes = node.get("offset"), node.get("nbytes")
        if dtype not in ALLOWED_DTYPES:
            raise WireError(f"dtype {dtype!r} not allowed")
        if (not isinstance(shape, list) or len(shape) > 32
                or not all(type(n) is int and n >= 0 for n in shape)):
            raise WireError("bad shape")
        if type(offset) is not int or type(nbytes) is not int or offset < 0:
            raise WireError("bad array extent")
        dt = np.dtype(dtype)
        if math.prod(shape) * dt.itemsize != nbytes or offset + nbytes > len(self.blob):
            raise WireError("array extent does not match its shape")
        data = np.frombuffer(self.blob, dtype=dt, count=math.prod(shape), offset=offset)
        return data.reshape(shape).copy()

    def value(self, node: Any, depth: int = 0) -> Any:
        self.items += 1
        if depth > MAX_DEPTH + 1 or self.items > MAX_ITEMS or not isinstance(node, dict):
            raise WireError("malformed value")
        tag = node.get("t")
        if tag == "none":
            return None
        if tag == "bool" and type(node.get("v")) is bool:
            return node["v"]
        if tag == "int" and type(node.get("v")) is int:
            return node["v"]
        if tag == "float":
            return _float_in(node.get("v"))
        if tag == "str" and type(node.get("v")) is str:
            return node["v"]
        if tag == "array":
            return self.array(node)
        if tag == "scalar":
            return self.array(node)[()]
        if tag in ("list", "tuple") and isinstance(node.get("items"), list):
            items = [self.value(v, depth + 1) for v in node["items"]]
            return items if tag == "list" else tuple(items)
        if tag == "dict" and isinstance(node.get("items"), list):
            out = {}
            for pair in node["items"]:
                if not (isinstance(pair, list) and len(pair) == 2 and type(pair[0]) is str):
                    raise WireError("malformed dict")
                out[pair[0]] = self.value(pair[1], depth + 1)
            return out
        if tag == "opaque" and type(node.get("type")) is str:
            return Opaque(node["type"][:200])
        raise WireError(f"unknown or malformed tag {tag!r}")


def encode(message: dict[str, Any]) -> bytes:
    """One frame: `message` is a dict of plain values (see module docstring)."""
    enc = _Encoder()
    header = json.dumps(enc.value(message), separators=(",", ":")).encode()
    if len(header) > MAX_HEADER_BYTES:
        raise WireError("header too large")
    return _PREFIX.pack(len(header), enc.size) + header + b"".join(enc.chunks)


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of `data` (frames) to the file descriptor `fd`."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def decode_frames(data: bytes) -> tuple[list[dict[str, Any]], bool]:
    """Every complete frame in `data`, and whether bytes were left over (a cut stream)."""
    frames, pos = [], 0
    while len(data) - pos >= _PREFIX.size:
        header_len, blob_len = _PREFIX.unpack_from(data, pos)
        if header_len > MAX_HEADER_BYTES or blob_len > MAX_BLOB_BYTES:
            raise WireError("frame exceeds bounds")
        start = pos + _PREFIX.size
        end = start + header_len + blob_len
        if end > len(data):
            break
        try:
            tree = json.loads(data[start:start + header_len])
        except (ValueError, RecursionError) as exc:
            raise WireError("header is not JSON") from exc
        message = _Decoder(data[start + header_len:end]).value(tree)
        if not isinstance(message, dict):
            raise WireError("a frame must hold a dict")
        frames.append(message)
        pos = end
    return frames, pos != len(data)


def read_frame(stream: BinaryIO) -> dict[str, Any] | None:
    """The next frame of a stream, or None at a clean end of stream."""
    prefix = _read_exact(stream, _PREFIX.size)
    if prefix is None:
        return None
    header_len, blob_len = _PREFIX.unpack(prefix)
    if header_len > MAX_HEADER_BYTES or blob_len > MAX_BLOB_BYTES:
        raise WireError("frame exceeds bounds")
    body = _read_exact(stream, header_len + blob_len)
    if body is None:
        raise WireError("stream ended inside a frame")
    frames, leftover = decode_frames(prefix + body)
    if leftover or len(frames) != 1:
        raise WireError("malformed frame")
    return frames[0]


def _read_exact(stream: BinaryIO, n: int) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        chunk = stream.read(n - got)
        if not chunk:
            if got == 0:
                return None
            raise WireError("stream ended inside a frame")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


@dataclass
class Job:
    """One task run, as sent to a worker: where the student's code is, how to load it,
    which objects to find, the runtime, the bounds, and the cases' inputs (never an
    expected value). `cases` is None when the warm worker kept them (see case_memory)."""

    task_id: str
    kind: str  # function | class | objects
    names: list[str]
    roles: list[dict[str, Any]]  # Role fields: name, kind, aliases, behaviour
    student_file: str  # the module to load, inside the task's scratch copy
    load: str  # "module": run the file as a module; "definitions": definitions only
    search_path: list[str]  # appended to sys.path before loading (support files first)
    readable: list[str]  # extra read-only folders (the pack's support files)
    scratch: str
    probes_path: str
    runtime: dict[str, Any]  # grader.runtimes.Runtime.to_message()
    sandbox_mode: str
    limits: dict[str, Any]
    env: dict[str, str]
    cases: list[dict[str, Any]] | None
    cases_key: str | None = None

    def to_message(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> "Job":
        names = {f.name for f in dataclasses.fields(cls)}
        missing = names - set(message) - {"cases_key"}
        if missing or set(message) - names:
            raise WireError(f"malformed job (fields {sorted(missing or set(message) - names)})")
        return cls(**message)


@dataclass
class Summary:
    """What the supervisor reports of one child: how it ended, capped output, raw results.

    `result` holds the child's frames as raw bytes (uint8); the parent decodes
    them. `grader_fault` is set instead when the trusted side itself failed."""

    seconds: float = 0.0
    timed_out: bool = False
    killed_for: str | None = None
    exit_code: int | None = None
    signal: int | None = None
    cpu_seconds: float = 0.0
    max_rss_kb: int = 0
    stray_processes_killed: int = 0
    stdout: str = ""
    stderr: str = ""
    stdout_bytes: int = 0
    stderr_bytes: int = 0
    result_truncated: bool = False
    result: Any = None
    grader_fault: str | None = None

    def to_message(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}

    @classmethod
    def from_message(cls, message: Any) -> "Summary":
        """Typed and checked: a field of the wrong type is a grader fault, not a crash."""
        if not isinstance(message, dict):
            return cls(grader_fault="the sandbox supervisor sent no summary")
        if message.get("grader_fault"):
            return cls(grader_fault=str(message["grader_fault"])[:500])
        try:
            summary = cls(
                seconds=float(message.get("seconds", 0.0)),
                timed_out=bool(message.get("timed_out")),
                killed_for=str(message["killed_for"]) if message.get("killed_for") else None,
                exit_code=_optional_int(message.get("exit_code")),
                signal=_optional_int(message.get("signal")),
                cpu_seconds=float(message.get("cpu_seconds", 0.0)),
                max_rss_kb=int(message.get("max_rss_kb", 0)),
                stray_processes_killed=int(message.get("stray_processes_killed", 0)),
                stdout=str(message.get("stdout", "")),
                stderr=str(message.get("stderr", "")),
                stdout_bytes=int(message.get("stdout_bytes", 0)),
                stderr_bytes=int(message.get("stderr_bytes", 0)),
                result_truncated=bool(message.get("result_truncated")),
                result=message.get("result"))
        except (TypeError, ValueError) as exc:
            return cls(grader_fault=f"the sandbox supervisor's summary was malformed ({exc})")
        return summary


def _optional_int(value: Any) -> int | None:
    if value is None:
        return None
    if type(value) is not int:
        raise TypeError("expected an integer")
    return value
