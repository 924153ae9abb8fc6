"""A grading policy (TOML, written by an instructor): points, tolerances and column names.

    [points]                 # an item (dW1_12) or a group (dW1): each problem declares its
    loss = 2                 # groups (Problem.groups); a group's points are split evenly over
    dW1 = 6                  # its items, and what the policy does not name keeps its points
    [tolerance]              # for every number: rounded to `digits` significant digits, or
    digits = 3               # within `relative` or `absolute` error, whichever allows most
    [tolerance.eta_max]      # for one group or item
    relative = 0.01
    [columns]                # the answers file's column -> id, name or an item
    "Student number" = "id"
    "Q1: the loss L" = "loss"

Items are named as answers.csv names them (solgen/answerids.py; the ids above are the default
assignment's). It is input like any other: every mistake is reported (exit status 2) with its
key. What is a problem's own (its groups, a tolerance it keeps, its ids spelled another way,
its answers.csv columns that are not items) its problem says, through its hooks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from solgen.base.errors import InvalidInput
from solgen.base.messages import describe, did_you_mean
from solgen.base.tomlinput import read_variant_file
from solgen.course.answerkey import Item, StudentKey, Tolerance, with_points
from solgen.document.context import how_to_answer
from solgen.problems.answering import plain
from solgen.problems.problem import Problem
from solgen.problems.registry import DEFAULT, Assignment

SECTIONS = ("points", "tolerance", "columns")
TOLERANCE_FIELDS = ("digits", "relative", "absolute")
SPECIAL_COLUMNS = ("id", "name")  # then each problem's answer_aliases, then the items
MAX_POINTS = 1000


def problems_of(assignments: Sequence[Assignment]) -> list[Problem]:
    """The problems of a class's assignments, each once, in order."""
    found: dict[str, Problem] = {}
    for assignment in assignments:
        for placed in assignment:
            found.setdefault(placed.problem.name, placed.problem)
    return list(found.values())


def id_hint(problems: Sequence[Problem], name: str, item_ids: set[str]) -> str:
    """The first problem's hint for a name that is no item id but one of its ids spelled
    another way; '' when no problem has one."""
    return next((hint for p in problems if (hint := p.id_hint(name, item_ids))), "")


@dataclass(frozen=True)
class Policy:
    """Points per group or item (over the assignment's), tolerances, and the answers file's
    column names."""

    points: dict[str, Fraction] = field(default_factory=dict)
    tolerance: Tolerance = field(default_factory=Tolerance)
    tolerances: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> fields
    columns: dict[str, str] = field(default_factory=dict)  # header (lower case) -> id

    def apply(self, items: list[Item], assignment: Assignment = DEFAULT) -> list[Item]:
        """A student's items (of this assignment) with this policy's points and tolerances."""
        problems = {placed.number: placed.problem for placed in assignment}
        result = []
        for item in with_points(items, self.points):
            keeps = problems[item.problem].keeps_tolerance(item)
            base = item.tolerance if keeps else self.tolerance
            for key in (item.group, item.id):  # an item's own setting wins over its group's
                if key in self.tolerances:
                    base = replace(base, **self.tolerances[key])
            result.append(replace(item, tolerance=base))
        return result


def read_policy(
    path: Path | None, item_ids: set[str], assignments: Sequence[Assignment] = (DEFAULT,)
) -> Policy:
    """The policy of a TOML file (None: the defaults); item_ids: the items it may name, of a
    class of these assignments."""
    if path is None:
        return Policy()
    try:
        data = read_variant_file(path)  # TOML with exact decimals, and the same file checks
    except InvalidInput as exc:
        raise InvalidInput([p.replace("--variant", "--policy") for p in exc.problems]) from None
    where = f"--policy {path}"
    errors: list[str] = []
    problems = problems_of(assignments)
    groups = {group for problem in problems for group in problem.groups}
    names = sorted(groups | item_ids)
    for section in data:
        if section not in SECTIONS:
            hint = did_you_mean(section, SECTIONS)
            errors.append(
                f"{where}: {section}: unknown section{hint}; known: {', '.join(SECTIONS)}"
            )
    points: dict[str, Fraction] = {}
    for name, value in _table(data, "points", where, errors).items():
        if name not in names:
            hint = id_hint(problems, name, item_ids) or did_you_mean(name, names)
            errors.append(f"{where}: points.{name}: unknown item or group{hint}")
            continue
        number = _nonnegative(value, f"{where}: points.{name}", errors, MAX_POINTS)
        if number is not None:
            points[name] = number
    tolerance, tolerances = _tolerances(
        _table(data, "tolerance", where, errors), names, item_ids, problems, where, errors
    )
    columns = {}
    # items as this class's answers.csv names them, for the message
    examples = next((e for p in problems if (e := p.id_examples(item_ids))), ())
    such = f" such as {' or '.join(examples)}" if examples else ""
    aliases = [alias for problem in problems for alias in problem.answer_aliases]
    allowed = [*SPECIAL_COLUMNS, *dict.fromkeys(aliases), *sorted(item_ids)]
    for header, target in _table(data, "columns", where, errors).items():
        if not isinstance(target, str) or target not in allowed:
            hint = (
                id_hint(problems, target, item_ids) or did_you_mean(target, allowed)
                if isinstance(target, str)
                else ""
            )
            errors.append(
                f"{where}: columns.{header}: expected id, name or an item{such}, "
                f"found {describe(target)}{hint}"
            )
            continue
        columns[header.strip().lower()] = target
    if errors:
        raise InvalidInput(errors)  # every one: the command line prints 20 and a count
    return Policy(points=points, tolerance=tolerance, tolerances=tolerances, columns=columns)


def _table(data: dict[str, Any], name: str, where: str, errors: list[str]) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        errors.append(f"{where}: {name}: expected a table [{name}], found {describe(value)}")
        return {}
    return value


def _nonnegative(value: Any, field_name: str, errors: list[str], limit: float) -> Fraction | None:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        errors.append(f"{field_name}: expected a number, found {describe(value)}")
        return None
    if not math.isfinite(value) or not 0 <= value <= limit:
        errors.append(
            f"{field_name}: expected a number from 0 to {limit:g}, found {describe(value)}"
        )
        return None
    return Fraction(value)


def _tolerance_fields(table: dict[str, Any], prefix: str, errors: list[str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, value in table.items():
        if name not in TOLERANCE_FIELDS:
            hint = did_you_mean(name, TOLERANCE_FIELDS)
            errors.append(
                f"{prefix}.{name}: unknown field{hint}; known: digits, relative, absolute"
            )
        elif name == "digits":
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 15:
                found = describe(value)
                errors.append(
                    f"{prefix}.digits: expected a whole number from 0 to 15, found {found}"
                )
            else:
                fields["digits"] = value
        else:
            number = _nonnegative(value, f"{prefix}.{name}", errors, 1e12)
            if number is not None:
                fields[name] = float(number)
    return fields


def _tolerances(
    table: dict[str, Any],
    names: list[str],
    item_ids: set[str],
    problems: Sequence[Problem],
    where: str,
    errors: list[str],
) -> tuple[Tolerance, dict[str, dict[str, Any]]]:
    defaults = {k: v for k, v in table.items() if not isinstance(v, dict)}
    tolerance = replace(Tolerance(), **_tolerance_fields(defaults, f"{where}: tolerance", errors))
    own: dict[str, dict[str, Any]] = {}
    for name, value in table.items():
        if not isinstance(value, dict):
            continue
        if name not in names:
            hint = id_hint(problems, name, item_ids) or did_you_mean(name, names)
            errors.append(f"{where}: tolerance.{name}: unknown item or group{hint}")
            continue
        own[name] = _tolerance_fields(value, f"{where}: tolerance.{name}", errors)
    return tolerance, own


def _sheet(student: StudentKey, items: Sequence[Item]) -> list[str]:
    """The lines of a student's "How to answer" for these items, as plain text."""
    rule, lines = how_to_answer(student.variant, items)
    shown = [plain(rule)]
    for number, answer in lines:
        shown.append(f"problem {number}, {', '.join(answer.columns)}: {plain(answer.how)}")
    return shown


def changed_rules(policy: Policy, students: Sequence[StudentKey], where: str) -> list[str]:
    """Where a policy grades by other rules than the sheets print (a batch builds the sheets
    without a policy, so they say the default's): each sentence it changes, once, with the one
    it grades by; [] when it changes none."""
    found: dict[tuple[str, str], None] = {}
    for student in students:
        applied = policy.apply(list(student.items), student.variant.assignment)
        said, graded = _sheet(student, student.items), _sheet(student, applied)
        for before, after in zip(said, graded, strict=True):
            if before != after:
                found.setdefault((before, after), None)
    return [
        f"{where}: the sheets say {before!r}, this policy grades by {after!r}: tell the class"
        for before, after in found
    ]
