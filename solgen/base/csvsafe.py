"""Cells for the CSV files solgen writes: no cell starts a spreadsheet formula.

A spreadsheet runs a cell that begins with =, +, - or @ as a formula (=HYPERLINK(...), DDE's
=cmd|' /C calc'!A0), and a tab or carriage return may hide such a start (OWASP, "CSV
Injection"). Roster ids and names are students' text, so every cell of answers.csv and
grades.csv goes through safe_cell: such a cell gets a leading single quote, which spreadsheets
show as text. A plain number (-0.5, -1.2e-5, +3) is left as it is, so that it still reads as a
number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

TRIGGERS = frozenset("=+-@\t\r")
# A number as spreadsheets and float() read it: sign, digits, one point, an exponent; ASCII only.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def safe_cell(value: object) -> str:
    """The cell as written: '' for None, a leading ' when it would start a formula."""
    text = "" if value is None else str(value)
    if text[:1] in TRIGGERS and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def safe_row(values: Iterable[object]) -> list[str]:
    """safe_cell of every value of a row."""
    return [safe_cell(value) for value in values]
