"""The registry of problems, and the assignment: which problems, in which order, for how many
points.

solgen's own problems are registered here by module; an installed package adds its own
through the entry-point group ``solgen.problems`` (name = "module:attribute", the attribute
a Problem instance). The default assignment is the seed's: network, descent, convnet, for
20, 15 and 15 points. A variant file may list other problems (``[assignment] problems``).

May import: problem (the interface) and, by name only, the problem packages.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import entry_points

from solgen.base.errors import InvalidInput
from solgen.problems.problem import Problem

ENTRY_POINTS = "solgen.problems"
BUILTIN = {
    "network": "solgen.problems.network:PROBLEM",
    "descent": "solgen.problems.descent:PROBLEM",
    "convnet": "solgen.problems.convnet:PROBLEM",
}
DEFAULT_PROBLEMS = ("network", "descent", "convnet")
_NAME = re.compile(r"[a-z][a-z0-9-]{0,39}")


def _load(target: str) -> Problem:
    module, _, attribute = target.partition(":")
    found = getattr(importlib.import_module(module), attribute)
    if not isinstance(found, Problem):
        raise TypeError(f"{target} is a {type(found).__name__}, not a solgen Problem")
    return found


@functools.cache
def registered() -> dict[str, str]:
    """Every problem's name and where it is (module:attribute): solgen's, then installed ones."""
    found = dict(BUILTIN)
    for point in entry_points(group=ENTRY_POINTS):
        if point.name not in found and _NAME.fullmatch(point.name):
            found[point.name] = point.value
    return found


@functools.cache
def problem(name: str) -> Problem:
    """The registered problem of this name (KeyError if none)."""
    loaded = _load(registered()[name])
    misnamed = [
        t
        for t in loaded.templates.values()
        if t != f"{name}.tex.j2" and not t.startswith(f"{name}-")
    ]
    if misnamed:
        where = registered()[name]
        raise TypeError(
            f"{where}: template {misnamed[0]!r} must be named {name}.tex.j2 or {name}-PART.tex.j2"
        )
    if loaded.name != name:
        where = registered()[name]
        raise TypeError(f"{where} calls itself {loaded.name!r}, registered as {name!r}")
    return loaded


@dataclass(frozen=True)
class Placed:
    """A problem in an assignment: its number (from 1), its section name and its points."""

    number: int
    problem: Problem
    points: int

    @property
    def section(self) -> str:
        """Its table in a variant file and its key in results.json: problem1, problem2, ..."""
        return f"problem{self.number}"


@dataclass(frozen=True)
class Assignment:
    """The problems of an assignment, in order."""

    names: tuple[str, ...] = DEFAULT_PROBLEMS
    points: tuple[int, ...] | None = None  # None: each problem's own

    def __iter__(self) -> Iterator[Placed]:
        for number, name in enumerate(self.names, start=1):
            found = problem(name)
            points = found.points if self.points is None else self.points[number - 1]
            yield Placed(number, found, points)

    @property
    def sections(self) -> tuple[str, ...]:
        """The variant file's problem tables, in order."""
        return tuple(placed.section for placed in self)


DEFAULT = Assignment()


def assignment_of(table: object) -> Assignment:
    """The assignment a variant file's [assignment] table lists (InvalidInput naming what is
    wrong): problems = ["network", "descent", "convnet", "softmax"], points = [20, 15, 15, 10]."""
    if table is None:
        return DEFAULT
    if not isinstance(table, dict):
        raise InvalidInput(["assignment: expected a table [assignment]"])
    errors: list[str] = []
    unknown = sorted(set(table) - {"problems", "points"})
    if unknown:
        errors.append(f"assignment.{unknown[0]}: unknown field; known fields: problems, points")
    names = table.get("problems", list(DEFAULT_PROBLEMS))
    known = ", ".join(sorted(registered()))
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        errors.append(f"assignment.problems: expected a non-empty list of problem names ({known})")
        raise InvalidInput(errors)
    for index, name in enumerate(names):
        if name not in registered():
            errors.append(
                f"assignment.problems[{index}]: expected a registered problem ({known}), "
                f"found {name!r}"
            )
    if len(set(names)) != len(names):
        errors.append("assignment.problems: a problem is listed twice")
    points = table.get("points")
    if points is not None and (
        not isinstance(points, list)
        or len(points) != len(names)
        or not all(isinstance(p, int) and not isinstance(p, bool) and 0 < p <= 1000 for p in points)
    ):
        errors.append(
            f"assignment.points: expected {len(names)} whole numbers from 1 to 1000, "
            "one per problem"
        )
    if errors:
        raise InvalidInput(errors)
    return Assignment(tuple(names), None if points is None else tuple(points))
