"""The descent problem's variant field: the matrix A of the quadratic form, validated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from solgen.base.fields import Matrix, matrix, shape_text


@dataclass(frozen=True)
class DescentInput:
    """The matrix A of the quadratic form f(u) = u^T A u, exact."""

    A: Matrix


def parse(table: dict[str, Any], section: str, errors: list[str]) -> DescentInput | None:
    """A from a merged table, or None with every problem in errors."""
    A = matrix(table["A"], f"{section}.A", errors)
    if A is None:
        return None
    if len(A) != len(A[0]):
        errors.append(f"{section}.A: expected a square matrix, found shape {shape_text(A)}")
        return None
    if len(A) > 8:
        errors.append(
            f"{section}.A: expected at most 8 x 8 (exact eigenvalues), found {shape_text(A)}"
        )
        return None
    return DescentInput(A=A)
