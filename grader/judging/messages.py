"""Messages in the student's terms: what a student never wrote is taken out.

Exception texts and type names name TensorFlow's and Keras's private module
paths (`tf_keras.api._v2.keras.losses`), the grading machine's folders
(`/dev/shm/grade-x/task-0/submission/0-l2_reg_cost.py`) and object addresses.
The verdict passes every message through `in_student_terms`, so that no pack
and no probe has to; and the message of an exception the student's code raised
through `with_edition_hint`, which says when the cause is the edition of a library
(code written for NumPy 1 on the grader's NumPy 2), not the student's logic.
"""
from __future__ import annotations

import re

# Not after a dot: `tf.keras.layers` is already in public terms.
_MODULE_PATH = re.compile(r"(?<![\w.])(?:tensorflow|tf_keras|keras)(?:\.[A-Za-z_]\w*)+")
# Not after a word, a dot, `~`, `/` or `:`: a URL (`http://host/p.png`) is no folder.
_ABSOLUTE_PATH = re.compile(r"(?<![\w.~/:])/(?:[\w.@+-]+/)+([\w.@+-]*)")
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")

_ONE_ELEMENT_ARRAY = (
    "If the array there holds one element (as in `a[i][0] = a[i] + eps`), this line works "
    "on NumPy 1.x, not on the NumPy 2 this grader runs: take the element out first "
    "(`a[i][0] = a[i][0] + eps`, or `a[i] = a[i] + eps`, or `float(a[0])` for a number).")
# Errors that come from the library's edition, not the student's logic: (exception type,
# a fragment of its message, a fragment that rules it out, what to tell the student).
# A ragged list made into an array fails with the same words on every NumPy edition.
EDITION_ERRORS = (
    ("ValueError", "setting an array element with a sequence", "inhomogeneous",
     _ONE_ELEMENT_ARRAY),
    ("TypeError", "only 0-dimensional arrays can be converted to Python scalars", None,
     _ONE_ELEMENT_ARRAY),
)


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


def with_edition_hint(kind: str, message: str) -> str:
    """`message` of an exception of type `kind`, with the hint of the edition error it
    is (said once); any other message as it is."""
    for error_kind, fragment, unless, hint in EDITION_ERRORS:
        if (kind == error_kind and fragment in message and hint not in message
                and not (unless and unless in message)):
            return f"{message} {hint}"
    return message
