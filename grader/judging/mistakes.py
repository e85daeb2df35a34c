"""Named-mistake tables: say which classic mistake a wrong answer is.

A table pairs each mistake's key with the sentence students read, and a
`variant(key)` function that computes what the mistaken code would have
returned on the same inputs. Variants are computed lazily, in the table's
order, and only while looking for a match: a right answer costs nothing, a
wrong one costs only the variants tried before the first match.

    table = MistakeTable(EXPLANATIONS, lambda key: cost_variant(inputs, key))
    compare_arrays(..., mistakes=table)               # arrays: compared within tolerance
    table.first_match(got, same=lambda got, variant: ...)   # anything else
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Mapping


def first_match(mistakes: Iterable[tuple[str, Any]], got: Any,
                same: Callable[[Any, Any], bool]) -> str | None:
    """The explanation of the first (explanation, variant output) pair that `same(got,
    variant)` accepts, or None. Pairs are drawn one at a time, so a lazy iterable only
    computes the variants it reaches."""
    for explanation, variant in mistakes:
        if same(got, variant):
            return explanation
    return None


@dataclass(frozen=True)
class MistakeTable:
    """Classic mistakes of one computation on one set of inputs.

    `explanations`: {key: what the student did wrong}, in the order to try them.
    `variant(key)`: the output the mistaken computation gives on these inputs.
    Iterating yields (explanation, variant output) pairs, each variant computed
    when reached, so a table can be passed wherever pairs are expected (the
    `mistakes` of `compare_arrays`).
    """

    explanations: Mapping[str, str]
    variant: Callable[[str], Any]

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        for key, explanation in self.explanations.items():
            yield explanation, self.variant(key)

    def first_match(self, got: Any, same: Callable[[Any, Any], bool]) -> str | None:
        """The explanation of the first mistake whose output `same(got, output)` accepts."""
        return first_match(self, got, same)
