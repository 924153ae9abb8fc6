"""Validated variant fields: numbers, vectors, matrices, text and small integers, each read
exactly (Fractions from TOML's decimals) with a message naming the field, what was expected
and what was found. Every problem's parse builds on these.

May import: the standard library and solgen's base modules (charset, messages).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from solgen.base.charset import NAME_LETTERS, unprintable_in_name, unsettable_characters
from solgen.base.messages import describe, shown

Matrix = tuple[tuple[Fraction, ...], ...]
Vector = tuple[Fraction, ...]

# Bigger numbers are not an exercise any more, and squares of them overflow float64 sooner or later.
MAX_MAGNITUDE = Decimal(10) ** 6
MAX_SIZE = 4096
MAX_PLACES = 30
MAX_TEXT = 500


def too_big(value: int | Decimal) -> bool:
    """|value| > 1e6, decided from digits and exponent: no arithmetic that could overflow."""
    if isinstance(value, int):
        return abs(value) > MAX_MAGNITUDE
    if value.is_zero():
        return False
    return value.adjusted() > 6 or (value.adjusted() == 6 and abs(value) > MAX_MAGNITUDE)


def decimal_places(value: Decimal) -> int:
    """Decimal places after dropping trailing zeros (0.50 -> 1, 1e-7 -> 7), without normalize()."""
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite: checked before
    if not any(digits):
        return 0  # 0.000...: zero has no decimal places
    trailing = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(exponent + trailing))


def number(value: Any, field: str, errors: list[str]) -> Fraction | None:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        errors.append(f"{field}: expected a number, found {describe(value)}")
        return None
    if isinstance(value, Decimal) and not value.is_finite():
        errors.append(f"{field}: expected a finite number, found {shown(value)}")
        return None
    if too_big(value):
        errors.append(f"{field}: expected a number of magnitude at most 1e6, found {shown(value)}")
        return None
    if isinstance(value, Decimal) and decimal_places(value) > MAX_PLACES:
        # 1e-100000 would make a fraction with a 100000-digit denominator
        errors.append(
            f"{field}: expected at most {MAX_PLACES} decimal places, found {shown(value)}"
        )
        return None
    return Fraction(value)


def vector(value: Any, field: str, errors: list[str]) -> Vector | None:
    if not isinstance(value, list):
        errors.append(f"{field}: expected a list of numbers, found {describe(value)}")
        return None
    if not value:
        errors.append(f"{field}: expected a non-empty list of numbers, found an empty list")
        return None
    if len(value) > MAX_SIZE:
        errors.append(f"{field}: expected at most {MAX_SIZE} entries, found {len(value)}")
        return None
    entries = [number(v, f"{field}[{i}]", errors) for i, v in enumerate(value)]
    if any(e is None for e in entries):
        return None
    return tuple(e for e in entries if e is not None)


def matrix(value: Any, field: str, errors: list[str]) -> Matrix | None:
    if not isinstance(value, list) or (value and not all(isinstance(r, list) for r in value)):
        errors.append(
            f"{field}: expected a matrix (a list of rows of numbers), found {describe(value)}"
        )
        return None
    if not value or not value[0]:
        errors.append(f"{field}: expected a non-empty matrix, found an empty one")
        return None
    widths = [len(row) for row in value]
    if len(set(widths)) != 1:
        errors.append(
            f"{field}: rows have different lengths {widths}; "
            f"expected every row of length {widths[0]}"
        )
        return None
    rows = [vector(row, f"{field}[{i}]", errors) for i, row in enumerate(value)]
    if any(r is None for r in rows):
        return None
    return tuple(r for r in rows if r is not None)


def text(value: Any, field: str, errors: list[str], name: bool = False) -> str | None:
    """A string that pdflatex can set (name: a person's name, which may also be written in
    the scripts that charset.name_encoding lists)."""
    if not isinstance(value, str):
        errors.append(f"{field}: expected a string, found {describe(value)}")
        return None
    unsettable = unprintable_in_name(value) if name else unsettable_characters(value)
    if unsettable:
        listed = ", ".join(f"{c} (U+{ord(c):04X})" for c in unsettable[:5])
        expected = NAME_LETTERS if name else "Latin letters"
        errors.append(
            f"{field}: pdflatex cannot set {listed}; expected {expected}, digits and punctuation"
        )
        return None
    if len(value) > MAX_TEXT:
        errors.append(f"{field}: expected at most {MAX_TEXT} characters, found {len(value)}")
        return None
    return value


def shape_text(m: Matrix) -> str:
    return f"{len(m)} x {len(m[0])}"


def positive_int(value: Any, field: str, errors: list[str], limit: int = MAX_SIZE) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        errors.append(f"{field}: expected a positive integer, found {describe(value)}")
        return None
    if not 1 <= value <= limit:
        errors.append(f"{field}: expected a positive integer at most {limit}, found {value}")
        return None
    return value


def int_list(
    value: Any, field: str, errors: list[str], length: int | None = None
) -> tuple[int, ...] | None:
    if not isinstance(value, list) or not value:
        errors.append(
            f"{field}: expected a non-empty list of positive integers, found {describe(value)}"
        )
        return None
    if length is not None and len(value) != length:
        errors.append(
            f"{field}: expected {length} integers (height, width, channels), found {len(value)}"
        )
        return None
    items = [positive_int(v, f"{field}[{i}]", errors) for i, v in enumerate(value)]
    if any(i is None for i in items):
        return None
    return tuple(i for i in items if i is not None)
