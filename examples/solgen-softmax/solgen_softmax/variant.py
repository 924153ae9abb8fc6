"""The softmax problem's variant: its input, validated field by field, and its random draw.

The fields (a table of a variant file, such as [problem4]): W (a C x d matrix), b (C
entries), x (d entries) and label (the sample's class, 1 to C). Numbers are exact: TOML's
decimals and integers become Fractions. Every problem found is reported, each naming its
field as "{section}.FIELD: expected ..., found ...", in solgen's words (solgen.base.fields checks
the numbers, the lists and the matrices; this module the sizes and the label).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Any

from solgen.base.fields import Matrix, Vector, matrix, shape_text, vector
from solgen.base.messages import describe, plural, shown
from solgen.base.stream import Stream

FIELDS = ("W", "b", "x", "label")
MAX_CLASSES = 10  # C: rows of W
MAX_INPUTS = 10  # d: columns of W
MAX_ENTRY = 1000  # |every entry|: z stays within 1e7, far inside what the balls handle at once

# The draw: integer tenths in [-1, 1]; x has no zero entry (a zero input gives a zero column
# of dL/dW, a part of the exercise with nothing to compute).
DEFAULT_CLASSES = 3
DEFAULT_INPUTS = 2
GRID = Fraction(1, 10)
MAX_ATTEMPTS = 1000


@dataclass(frozen=True)
class SoftmaxInput:
    """A linear classifier z = W x + b with C classes and d inputs, and one sample x of class
    label (1 to C), all exact."""

    W: Matrix
    b: Vector
    x: Vector
    label: int  # 1-based, as the variant file writes it

    @property
    def C(self) -> int:
        """The number of classes (rows of W)."""
        return len(self.W)

    @property
    def d(self) -> int:
        """The number of inputs (columns of W)."""
        return len(self.W[0])


def _as_toml(value: Any) -> Any:
    """A drawn value as TOML reads it: a terminating Fraction as its exact Decimal, lists
    entry by entry (so that a drawn table validates like the file that writes it)."""
    if isinstance(value, list | tuple):
        return [_as_toml(v) for v in value]
    if isinstance(value, Fraction):
        twos_and_fives = value.denominator
        for prime in (2, 5):
            while twos_and_fives % prime == 0:
                twos_and_fives //= prime
        if twos_and_fives != 1:
            return value  # no decimal form: reported as not a number
        with localcontext() as context:
            context.prec = 200
            return Decimal(value.numerator) / Decimal(value.denominator)
    return value


def _shown(value: Any) -> str:
    return shown(value) if isinstance(value, int | Decimal) else str(value)


def _too_large(raw: Any, field: str, errors: list[str]) -> bool:
    """Report every entry of a (nested) list whose magnitude exceeds MAX_ENTRY."""
    found = False
    if isinstance(raw, list):
        for index, value in enumerate(raw):
            found = _too_large(value, f"{field}[{index}]", errors) or found
    elif abs(Fraction(raw)) > MAX_ENTRY:
        errors.append(f"{field}: expected a number of magnitude at most 1e3, found {_shown(raw)}")
        found = True
    return found


def _label(value: Any, section: str, classes: int | None, errors: list[str]) -> int | None:
    field, top = f"{section}.label", MAX_CLASSES if classes is None else classes
    if isinstance(value, bool) or not isinstance(value, int):
        errors.append(
            f"{field}: expected the sample's class, a whole number from 1 to {top}, "
            f"found {describe(value)}"
        )
        return None
    if not 1 <= value <= top:
        where = "" if classes is None else f" (one per row of {section}.W)"
        errors.append(
            f"{field}: expected the sample's class, a whole number from 1 to {top}{where}, "
            f"found {value}"
        )
        return None
    return value


def _rows_message(section: str, rows: int) -> str:
    return f"{section}.W: expected 2 to {MAX_CLASSES} rows (one per class), found {rows}"


def _small(W: Any, section: str, errors: list[str]) -> bool:
    """Whether W has at most MAX_CLASSES rows of at most MAX_INPUTS entries (checked before
    its entries: a 4096 x 4096 matrix is not read number by number to be refused)."""
    if not isinstance(W, list):
        return True  # _matrix says what it is
    if len(W) > MAX_CLASSES:
        errors.append(_rows_message(section, len(W)))
        return False
    widths = [len(row) for row in W if isinstance(row, list)]
    if widths and max(widths) > MAX_INPUTS:
        errors.append(
            f"{section}.W: expected at most {MAX_INPUTS} columns (one per input), "
            f"found {max(widths)}"
        )
        return False
    return True


def parse(table: Mapping[str, Any], section: str, errors: list[str]) -> SoftmaxInput | None:
    """The input from a merged table, or None after appending every problem to errors."""
    before = len(errors)
    small = _small(table.get("W"), section, errors)
    raw = {name: _as_toml(table.get(name)) if small or name != "W" else None for name in FIELDS}
    W = matrix(raw["W"], f"{section}.W", errors) if small else None
    b = vector(raw["b"], f"{section}.b", errors)
    x = vector(raw["x"], f"{section}.x", errors)
    for name, parsed in (("W", W), ("b", b), ("x", x)):
        if parsed is not None:
            _too_large(raw[name], f"{section}.{name}", errors)
    classes = None
    if W is not None:
        C, d = len(W), len(W[0])
        if C < 2:
            errors.append(_rows_message(section, C))
        else:
            classes = C
        if b is not None and len(b) != C:
            errors.append(
                f"{section}.b: expected {plural(C, 'entry')}, one per class (rows of "
                f"{section}.W, {shape_text(W)}), found {len(b)}"
            )
        if x is not None and len(x) != d:
            errors.append(
                f"{section}.x: expected {plural(d, 'entry')}, one per column of {section}.W "
                f"({shape_text(W)}), found {len(x)}"
            )
    label = _label(raw["label"], section, classes, errors)
    if len(errors) > before or W is None or b is None or x is None or label is None:
        return None
    return SoftmaxInput(W=W, b=b, x=x, label=label)


def draw_problems(options: Mapping[str, int]) -> list[str]:
    """Why --classes and --features cannot make a valid variant ([] when they can)."""
    problems = []
    classes = options.get("classes", DEFAULT_CLASSES)
    inputs = options.get("features", DEFAULT_INPUTS)
    if not 2 <= classes <= MAX_CLASSES:
        problems.append(f"--classes: expected 2 to {MAX_CLASSES}, found {classes}")
    if not 1 <= inputs <= MAX_INPUTS:
        problems.append(f"--features: expected 1 to {MAX_INPUTS}, found {inputs}")
    return problems


def logits(W: Matrix, b: Vector, x: Vector) -> tuple[Fraction, ...]:
    """z = W x + b, exactly."""
    return tuple(
        sum((w * v for w, v in zip(row, x, strict=True)), bias)
        for row, bias in zip(W, b, strict=True)
    )


def draw(seed: int, section: str, options: Mapping[str, int]) -> dict[str, object]:
    """A random exercise: integer tenths in [-1, 1], x without zeros, pairwise different
    logits (so that every probability differs: a swapped index is a wrong answer)."""
    problems = draw_problems(options)
    if problems:
        raise ValueError("; ".join(problems))
    classes = options.get("classes", DEFAULT_CLASSES)
    inputs = options.get("features", DEFAULT_INPUTS)
    stream = Stream(seed, section)
    nonzero = [v for v in range(-10, 11) if v != 0]
    for _ in range(MAX_ATTEMPTS):
        W = [[stream.integer(-10, 10) * GRID for _ in range(inputs)] for _ in range(classes)]
        b = [stream.integer(-10, 10) * GRID for _ in range(classes)]
        x = [stream.choice(nonzero) * GRID for _ in range(inputs)]
        label = stream.integer(1, classes)
        z = logits(tuple(map(tuple, W)), tuple(b), tuple(x))
        if len(set(z)) == len(z):
            return {"W": W, "b": b, "x": x, "label": label}
    raise AssertionError("no draw with different logits")  # pragma: no cover
