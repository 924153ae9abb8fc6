"""The variant's given numbers as CSV files in data/, so that nobody retypes a large variant."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from solgen.base.decimals import exact_decimal
from solgen.base.errors import InvalidInput
from solgen.problems.registry import DEFAULT, Assignment

if TYPE_CHECKING:  # manifest.py reads data_file_names on reruns, which must stay light
    from solgen.document.variant import Variant

DATA_DIR = "data"


def data_file_names(assignment: Assignment = DEFAULT) -> tuple[str, ...]:
    """data/'s files of an assignment, in the order of its problems."""
    return tuple(
        f"{DATA_DIR}/{name}" for placed in assignment for name in placed.problem.data_file_names()
    )


def decimal_text(value: Fraction) -> str:
    """The shortest decimal equal to value, fixed point: -2/5 -> '-0.4', 3 -> '3'.

    Every number of a variant is a terminating decimal (read from TOML as an exact Decimal),
    so Fraction(decimal_text(v)) == v: the file holds exactly what solgen computed with.
    """
    return exact_decimal(value)


def csv_text(rows: Sequence[Sequence[Fraction]]) -> str:
    """Rows of numbers as CSV: comma-separated, no header, '\\n' after every row.

    No header row: the file's name names the quantity, and without one numpy.loadtxt and a
    spreadsheet read the numbers as they are (no skiprows, no text cell in a column).
    """
    return "".join(",".join(decimal_text(v) for v in row) + "\n" for row in rows)


def data_files(variant: Variant) -> dict[str, str]:
    """data/'s files -> text: each problem's tables, a row a line (a vector a value a line)."""
    return {
        f"{DATA_DIR}/{name}": csv_text(rows)
        for placed, inp in variant
        for name, rows in placed.problem.data_files(inp).items()
    }


def check_data_dir(out: Path) -> None:
    """InvalidInput when out/data exists and is not a directory (data/ is replaced whole)."""
    path = out / DATA_DIR
    if path.exists() and not path.is_dir():
        raise InvalidInput(
            [
                f"--out: {path} exists and is not a directory; solgen writes the data files "
                f"into {path}/ (move or rename that file)"
            ]
        )
