"""Pieces of error messages: plurals, values described and shown as TOML writes them, hints."""

from __future__ import annotations

import difflib
from decimal import Decimal
from typing import Any


def plural(count: int, noun: str) -> str:
    """'1 target', '3 targets', '1 entry', '2 entries'."""
    if count == 1:
        return f"1 {noun}"
    return f"{count} {noun[:-1]}ies" if noun.endswith("y") else f"{count} {noun}s"


def shown(value: int | Decimal) -> str:
    """A number as TOML would write it: 10000000, 0.25, 1e-31, inf (not Decimal's 1E+7)."""
    if isinstance(value, int):
        return str(value)
    if value.is_nan():
        return "nan"
    if value.is_infinite():
        return "-inf" if value < 0 else "inf"
    # Fixed point only when short: 1e+99999999999999999 must not be written out in full.
    exponent = value.as_tuple().exponent
    if -16 < value.adjusted() < 16 and isinstance(exponent, int) and exponent > -20:
        return f"{value:f}"
    return f"{value:e}".replace("e+", "e")


def abbreviated(text: str, limit: int) -> str:
    """text, or its first limit - 3 characters and '...' when it is longer than limit."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe(value: Any) -> str:
    """A short description of a parsed TOML value, for error messages."""
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"the string {abbreviated(value, 40)!r}"
    if isinstance(value, int | Decimal):
        return f"the number {shown(value)}"
    if isinstance(value, list):
        return f"a list of {plural(len(value), 'item')}"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__} ({value})"


def did_you_mean(name: str, choices: tuple[str, ...] | list[str]) -> str:
    """A ' (did you mean X?)' hint, or '' when nothing is close."""
    by_case = [c for c in choices if c.lower() == name.lower()]
    close = by_case or difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def listed(items: list[str], word: str = "and") -> str:
    """'a'; 'a and b'; 'a, b and c' (word: the last joint, e.g. 'or')."""
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def dimensions(sizes: tuple[int, ...]) -> str:
    """A size or shape as messages write it: '32x32', '4x4x64'."""
    return "x".join(str(size) for size in sizes)


MAX_LINES = 20  # more would scroll the first (usually most telling) problems away


def capped(lines: list[str], limit: int = MAX_LINES) -> list[str]:
    """At most limit lines, then 'and N more': the one cap of every list of messages printed."""
    if len(lines) <= limit:
        return list(lines)
    return [*lines[:limit], f"and {len(lines) - limit} more"]
