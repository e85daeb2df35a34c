"""Messages in the student's terms: what a student never wrote is taken out.

Exception texts and type names name TensorFlow's and Keras's private module
paths (`tf_keras.api._v2.keras.losses`), the grading machine's folders
(`/dev/shm/grade-x/task-0/submission/0-l2_reg_cost.py`) and object addresses.
The verdict passes every message through `in_student_terms`, so that no pack
and no probe has to.
"""
from __future__ import annotations

import re

_MODULE_PATH = re.compile(r"\b(?:tensorflow|tf_keras|keras)(?:\.[A-Za-z_]\w*)+")
_ABSOLUTE_PATH = re.compile(r"(?<![\w.~])/(?:[\w.@+-]+/)+([\w.@+-]*)")
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def public_name(path: str) -> str:
    """`tf_keras.api._v2.keras.losses` -> `tf.keras.losses`; private classes -> their name."""
    parts = path.split(".")
    if parts[-1] in ("SymbolicTensor", "EagerTensor"):
        return "Tensor"
    if "keras" in parts[1:] or parts[0] in ("tf_keras", "keras"):
        if "src" in parts or "python" in parts:
            return parts[-1]
        rest = parts[len(parts) - parts[::-1].index("keras"):] if "keras" in parts[1:] else \
            [p for p in parts[1:] if not p.startswith("_") and p != "api"]
        return ".".join(["tf.keras"] + rest)
    if "python" in parts or "src" in parts:
        return parts[-1]
    rest = parts[1:]
    for prefix in (["_api", "v2", "compat", "v1"], ["compat", "v1"], ["_api", "v2"]):
        if rest[:len(prefix)] == prefix:
            rest = rest[len(prefix):]
            break
    return ".".join(["tf"] + rest)


def in_student_terms(message: str, folders: tuple[str, ...] = ()) -> str:
    """`message` without internal module paths, machine folders or object addresses;
    paths inside `folders` (the task's scratch copy) become relative."""
    if not message:
        return message
    for folder in sorted(folders, key=len, reverse=True):
        if len(folder) > 1:
            message = message.replace(folder.rstrip("/") + "/", "").replace(folder, ".")
    message = _MODULE_PATH.sub(lambda m: public_name(m.group(0)), message)
    message = _ABSOLUTE_PATH.sub(lambda m: m.group(1) or ".", message)
    return _ADDRESS.sub("", message)
