"""Marking one answer: a student's cell read exactly as a number and compared with its key item.

The base of grading, shared by grade (the stage) and the problems' own grading (a problem's
`grade` hook). Every number is read exactly (numparse: decimals, fractions, surds; never
evaluated as code) and compared with the exact key within the item's tolerance. A cell saying
there is no value (none, None, n/a, -) is an answer, and wrong for a number.

May import: the standard library, SymPy and solgen's base modules (numparse, messages, problem).
"""

from __future__ import annotations

import re

import sympy as sp

from solgen.base.messages import abbreviated
from solgen.base.numparse import NumberError, parse_number
from solgen.problems.problem import Item, Unreadable

MAX_SHOWN = 60  # characters of a cell quoted in a message: a 100 kB cell is not printed back
# Written where a number is expected: "there is none". Wrong (no points, the file still graded)
# for a number; a problem may take it as right (a bound that does not exist).
_NO_BOUND = {"none", "no", "-", "—", "∅", "no bound", "null", "n/a", "na"}
_FRACTION = re.compile(r"-?\d+(/\d+)?")


# What students write around a number: a name and '=' or ':' before it (L = 1.158,
# eta_max: 1/6), a unit after a count (1068 params, 15,296 parameters).
_NAMED = re.compile(r"[A-Za-z_][\w^{}()\[\],/\\ ]{0,40}?\s*[=:]\s*(?P<number>.+)", re.S)
_UNIT = re.compile(r"(?P<number>.+?)\s*(?:learnable\s+)?(?:params?|parameters?|weights)\.?", re.I)
# 56.320 where a whole number is expected: 56,320 written with a dot, or a wrong 56.32?
_DOT_THOUSANDS = re.compile(r"[+-]?\d{1,3}(\.\d{3})+")


def _number_text(text: str, integer: bool) -> str:
    """Spreadsheet spellings: 0,131 (a decimal comma), 15,296 or 15 296 (thousands); a name
    before the number or a unit after a count is dropped. A count written 56.320 is flagged
    (Unreadable): it may be 56,320 with a dot for the thousands, or a wrong 56.32."""
    text = text.strip()
    named = _NAMED.fullmatch(text)
    if named is not None and not named.group("number").lstrip().startswith("="):
        text = named.group("number").strip()
    unit = _UNIT.fullmatch(text) if integer else None
    if unit is not None:
        text = unit.group("number").strip()
    if integer and _DOT_THOUSANDS.fullmatch(text):
        whole = text.replace(".", "")
        raise Unreadable(
            f"{shown(text)} is ambiguous for a count: {whole} with a dot between the thousands, "
            f"or the decimal {text}? Write {whole}"
        )
    if integer and re.fullmatch(r"[+-]?\d{1,3}([, \u202f\u00a0]\d{3})+", text):
        return re.sub(r"[, \u202f\u00a0]", "", text)
    if re.fullmatch(r"[+-]?\d+,\d+", text):
        return text.replace(",", ".")
    return text


def shown(text: str) -> str:
    """A cell quoted for a message, shortened to MAX_SHOWN characters."""
    return repr(abbreviated(text, MAX_SHOWN))


def read_number(text: str, integer: bool = False) -> sp.Expr:
    """A cell's number exactly; Unreadable when it is not one."""
    try:
        return parse_number(_number_text(text, integer))
    except NumberError as exc:
        raise Unreadable(f"{shown(text)} is not a number ({exc})") from None


def _key_value(item: Item) -> sp.Expr:
    """The key's value exactly: its exact form, else its float's own value (sigmoid and tanh
    give the correctly rounded float; nsimplify would turn 6.9e-88 into 0)."""
    assert item.value is not None
    if item.exact is not None:
        try:
            return parse_number(item.exact)
        except NumberError:  # longer than a student's answer may be: solgen's own fraction
            if _FRACTION.fullmatch(item.exact):
                return sp.Rational(item.exact)
    return sp.Rational(*float(item.value).as_integer_ratio())


def close(answer: sp.Expr, item: Item) -> bool:
    """Whether an exact answer is the item's value within its tolerance."""
    assert item.value is not None
    width = item.tolerance.width(float(item.value))
    return bool(abs(sp.N(answer - _key_value(item), 30)) <= width)


def fmt(value: float | int | None) -> str:
    """A key's value in a message: six significant digits, or none."""
    return "none" if value is None else f"{value:.6g}"


def says_none(text: str) -> bool:
    """Whether an answer says there is no value: none, None, n/a, -, ..."""
    return text.strip().lower() in _NO_BOUND


def grade_number(item: Item, text: str) -> tuple[bool, str]:
    """Whether a number is right, and the feedback; 'none' is a wrong answer, not an
    unreadable one."""
    if says_none(text):
        return False, f"{item.label}: {text} is wrong; expected {fmt(item.value)}"
    answer = read_number(text, integer=isinstance(item.value, int))
    if close(answer, item):
        return True, f"{item.label}: {text} is right"
    return False, f"{item.label}: {text} is wrong; expected {fmt(item.value)}"
