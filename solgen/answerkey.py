"""The answer key of a batch: one model, read by grade and by every export.

Each student's key is a list of items. An item has an id (the answers.csv column: loss, y1,
dW1_11, db1_1, dw2_1, db2, lambda1, eta_max, layers, total_params, as answerids names them;
dW1_1_11 on a network with 10 or more inputs or hidden units), a kind (number, interval,
design), the exact value (SymPy syntax, read back with numparse, never evaluated as code)
and its float, a tolerance and points. The points add up to the assignment's 20/15/15 unless
a grading policy says otherwise (policy.py). Nothing here recomputes an answer: the values
come from the builds' results.json, the problem-3 set-up from the variant file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from solgen import manifest as mf
from solgen.answerids import (
    DB2,
    ETA_MAX,
    LAYERS,
    LOSS,
    TOTAL_PARAMS,
    eigenvalue_id,
    gradient_id,
    output_id,
)
from solgen.classfiles import collect_answers
from solgen.errors import InvalidInput
from solgen.tomlinput import read_variant_file
from solgen.variant import Variant, build_variant

# Default points: the assignment's 20 / 15 / 15, split over groups of items, then evenly
# over a group's entries.
DEFAULT_POINTS: dict[str, Fraction] = {
    "loss": Fraction(2),
    "y": Fraction(2),
    "dW1": Fraction(4),
    "db1": Fraction(4),
    "dw2": Fraction(4),
    "db2": Fraction(4),
    "lambda": Fraction(5),
    "eta_max": Fraction(10),
    "layers": Fraction(7),
    "total_params": Fraction(8),
}
GROUPS = tuple(DEFAULT_POINTS)


@dataclass(frozen=True)
class Tolerance:
    """How far an answer may be from the value: rounded to `digits` significant digits, or
    within `relative` or `absolute` error (whichever allows most)."""

    digits: int = 3
    relative: float = 0.0
    absolute: float = 0.0

    def width(self, value: float) -> float:
        """The largest accepted |answer - value|."""
        rounding = 0.0
        if value != 0 and self.digits > 0:
            exponent = math.floor(math.log10(abs(value)))
            rounding = 0.5 * 10.0 ** (exponent - self.digits + 1)
        allowed = max(rounding, self.relative * abs(value), self.absolute)
        return allowed * (1 + 1e-9)  # the value itself is a float: leave room for its last bit


@dataclass(frozen=True)
class Item:
    """One gradable answer of one student."""

    id: str  # the answers.csv column
    group: str  # one of GROUPS: points and tolerances may be set per group
    problem: int
    kind: str  # "number", "interval" (the exact value is its upper bound) or "design"
    label: str  # plain text: "dL/dW1[1,2]"
    tex: str  # for MathJax: \frac{\partial L}{\partial W^{(1)}_{12}}
    exact: str | None  # SymPy syntax; None for a design or when there is no bound
    value: float | int | None  # the exact value's float (int for counts)
    tolerance: Tolerance
    points: Fraction


@dataclass(frozen=True)
class StudentKey:
    """One student's (or practice variant's) key, with the variant it was built from."""

    id: str
    name: str
    folder: str
    variant: Variant
    items: tuple[Item, ...]

    def item(self, item_id: str) -> Item:
        """The item with this id (KeyError if there is none)."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)


@dataclass(frozen=True)
class ClassKey:
    """Every student's key, in id order."""

    kind: str  # "roster" or "seeded"
    students: tuple[StudentKey, ...]


def _number(
    item_id: str, group: str, problem: int, label: str, tex: str, exact: Any, value: Any
) -> Item:
    return Item(
        item_id, group, problem, "number", label, tex, exact, value, Tolerance(), Fraction(0)
    )


def _problem1_items(p1: dict[str, Any]) -> list[Item]:
    exact = p1.get("exact")  # ReLU: exact fractions; sigmoid/tanh: the float is the value

    def ex(*path: Any) -> str | None:
        node: Any = exact
        for step in path:
            if node is None:
                return None
            node = node[step]
        return node if isinstance(node, str) else None

    items = [_number(LOSS, "loss", 1, "L", "L", ex("loss"), p1["loss"])]
    for k, y in enumerate(p1["y"]):
        name = output_id(k + 1)
        items.append(_number(name, "y", 1, name, f"y_{{{k + 1}}}", ex("y", k), y))
    grad = p1["grad"]
    shape = (len(grad["W1"]), len(grad["W1"][0]))
    for j, row in enumerate(grad["W1"]):
        for i, v in enumerate(row):
            items.append(
                _number(
                    gradient_id("W1", j + 1, i + 1, shape=shape),
                    "dW1",
                    1,
                    f"dL/dW1[{j + 1},{i + 1}]",
                    rf"\partial L/\partial W^{{(1)}}_{{{j + 1},{i + 1}}}",
                    ex("grad", "W1", j, i),
                    v,
                )
            )
    for name, tex in (("b1", r"\mathbf{b}^{(1)}"), ("w2", r"\mathbf{w}^{(2)}")):
        for j, v in enumerate(grad[name]):
            items.append(
                _number(
                    gradient_id(name, j + 1),
                    f"d{name}",
                    1,
                    f"dL/d{name}[{j + 1}]",
                    rf"\partial L/\partial {tex}_{{{j + 1}}}",
                    ex("grad", name, j),
                    v,
                )
            )
    items.append(
        _number(
            DB2, "db2", 1, "dL/db2", r"\partial L/\partial b^{(2)}", ex("grad", "b2"), grad["b2"]
        )
    )
    return items


def _problem2_items(p2: dict[str, Any]) -> list[Item]:
    items = []
    exact_eigen = p2.get("eigenvalues_exact") or []
    for i, v in enumerate(p2["eigenvalues"]):
        exact = exact_eigen[i] if i < len(exact_eigen) and "CRootOf" not in exact_eigen[i] else None
        name = eigenvalue_id(i + 1)
        items.append(_number(name, "lambda", 2, name, rf"\lambda_{{{i + 1}}}", exact, v))
    eta = Item(
        ETA_MAX,
        "eta_max",
        2,
        "interval",
        "eta_max (the step sizes 0 < eta < eta_max converge)",
        r"\eta_{\max}",
        p2["eta_max_exact"],
        p2["eta_max"],
        Tolerance(),
        Fraction(0),
    )
    return [*items, eta]


def _problem3_items(p3: dict[str, Any]) -> list[Item]:
    layers = " ".join(
        f"conv{layer['kernel']}:{layer['out_channels']}" if layer["type"] == "conv" else "pool"
        for layer in p3["layers"]
    )
    design = Item(
        LAYERS,
        "layers",
        3,
        "design",
        "layers (any valid architecture)",
        r"\text{layers}",
        layers,
        None,
        Tolerance(),
        Fraction(0),
    )
    total = Item(
        TOTAL_PARAMS,
        "total_params",
        3,
        "number",
        "total_params (of the student's own design)",
        r"\text{parameters}",
        str(p3["total_params"]),
        int(p3["total_params"]),
        Tolerance(digits=0),
        Fraction(0),
    )
    return [design, total]


def items_of(results: dict[str, Any]) -> list[Item]:
    """The items of one results.json, with the default points split over each group."""
    items = [
        *_problem1_items(results["problem1"]),
        *_problem2_items(results["problem2"]),
        *_problem3_items(results["problem3"]),
    ]
    return with_points(items, DEFAULT_POINTS)


def with_points(items: list[Item], points: dict[str, Fraction]) -> list[Item]:
    """Items with points from a table of group or item ids (an item id wins over its group);
    a group's points are split evenly over its items."""
    sizes: dict[str, int] = {}
    for item in items:
        sizes[item.group] = sizes.get(item.group, 0) + 1
    result = []
    for item in items:
        if item.id in points and item.id != item.group:
            given = points[item.id]
        else:
            given = points.get(item.group, Fraction(0)) / sizes[item.group]
        result.append(replace(item, points=given))
    return result


def load_key(directory: Path) -> ClassKey:
    """The answer key of a batch directory (solgen batch, or merge); InvalidInput naming what
    is missing or damaged."""
    if not directory.is_dir():
        raise InvalidInput([f"--key: {directory} is not a directory (expected a batch directory)"])
    found = mf.load(directory)
    if found is None:
        raise InvalidInput(
            [f"--key: {directory} has no {mf.MANIFEST}; expected a directory made by solgen batch"]
        )
    answers = collect_answers(directory, found)
    damaged = sorted(set(found.records) - set(answers))
    if damaged:
        raise InvalidInput(
            [
                f"--key: {directory}: results.json of {', '.join(damaged[:10])} is missing or "
                "differs from the manifest; rerun the batch to repair it"
            ]
        )
    students = []
    for student_id, record in sorted(found.records.items()):
        path = directory / record.folder / "variant.toml"
        if mf.file_sha(path) != record.variant:
            raise InvalidInput([f"--key: {path} differs from {mf.MANIFEST}; rerun the batch"])
        variant = build_variant(read_variant_file(path))
        items = tuple(items_of(answers[student_id]))
        students.append(StudentKey(student_id, record.name, record.folder, variant, items))
    return ClassKey(kind=found.kind, students=tuple(students))
