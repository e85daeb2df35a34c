"""The classic mistakes a check message names, read back from its text.

Judges name a mistake in one of two ways (grader/judging/compare.py and the
packs' `checks`): "... This matches a classic mistake: NAME." inside a
message, or "Classic mistake: NAME." (or "Classic mistakes: A; B.") leading
it. The name runs to the end of its line, or to the end of its sentence (a
period followed by a space and a capital letter).
"""
from __future__ import annotations

import re

_MARKER = re.compile(r"(?:[Tt]his matches a classic mistake|Classic (mistakes?))\s*:\s*")
_SENTENCE_END = re.compile(r"\.\s+(?=[A-Z])")


def named_mistakes(message: str) -> list[str]:
    """Every classic mistake `message` names, in order, each once."""
    found: list[str] = []
    for marker in _MARKER.finditer(message or ""):
        rest = message[marker.end():].split("\n", 1)[0]
        name = _SENTENCE_END.split(rest, 1)[0].strip().rstrip(".").strip()
        names = name.split("; ") if marker.group(1) == "mistakes" else [name]
        found += [n.strip() for n in names if n.strip() and n.strip() not in found]
    return found
