"""A variant's solution: each problem's result, in its assignment's order, and the build's
checks of them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from solgen.problems.problem import Check as Check  # re-exported: a check belongs to a solution
from solgen.problems.registry import DEFAULT, Assignment, Placed


@dataclass(frozen=True)
class Solution:
    """Each problem's result for one variant, and the build's checks of them."""

    results: tuple[Any, ...]
    assignment: Assignment = DEFAULT
    checks: tuple[Check, ...] = ()

    def __iter__(self) -> Iterator[tuple[Placed, Any]]:
        """Each problem of the assignment with its result."""
        return zip(self.assignment, self.results, strict=True)

    def result_of(self, section: str) -> Any:
        """The result of the problem whose table is `section` (its number after 'problem')."""
        for placed, result in self:
            if placed.section == section:
                return result
        raise KeyError(section)
