"""What every problem's self-checks share: a check that does not apply, the float64 error
terms, running a check without a traceback, and the verdict.

A check recomputes an answer from the inputs by another route; one that does not apply to a
variant raises NotApplicable and passes saying why; one that cannot run fails the build
with the reason, never with a traceback.

May import: the standard library, numpy, and solgen's base modules (problem, latex).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np

from solgen.base.errors import SolgenError
from solgen.markup.latex import tex_escape
from solgen.problems.problem import Check

UNIT = 2.0**-53  # float64's unit roundoff
TINY = 2.0**-1074  # float64's smallest subnormal: the absolute error of an underflow


class NotApplicable(SolgenError):
    """The check does not apply to this variant (the message says why, in text and TeX)."""

    def __init__(self, why: str, tex: str) -> None:
        super().__init__(why)
        self.tex = tex


def tex_float(value: float) -> str:
    if value == 0:
        return "0"
    mantissa, exponent = f"{value:.1e}".split("e")
    return rf"{mantissa} \cdot 10^{{{int(exponent)}}}"


def short(value: float) -> str:
    return "0" if value == 0 else f"{value:.1e}"


def as_floats(values: Any) -> np.ndarray:
    """Exact values (Fractions, mpf) as float64 (each rounded once)."""
    return np.asarray(np.frompyfunc(float, 1, 1)(np.asarray(values, dtype=object)), dtype=float)


def ratio(computed: np.ndarray, exact: Any, bound: np.ndarray) -> float:
    """The largest |computed - exact| / bound (exact rounded to float64 adds its half ulp)."""
    reference = as_floats(exact)
    allowed = np.asarray(bound) + UNIT * np.abs(reference) + TINY
    with np.errstate(invalid="ignore", over="ignore"):
        ratio = np.abs(np.asarray(computed) - reference) / allowed
    if not np.all(np.isfinite(ratio)):
        return math.inf
    return float(np.max(ratio, initial=0.0))


def fractions(values: Any) -> list[Any]:
    return [fractions(v) if isinstance(v, list | tuple) else Fraction(v) for v in values]


_CANNOT_RUN = (ArithmeticError, ValueError, TypeError, IndexError, KeyError, AttributeError)


def guarded(name: str, check: Callable[[], Check]) -> Check:
    """The check's verdict; one that does not apply passes saying why, one that cannot run
    fails saying why (never a traceback)."""
    try:
        verdict = check()
    except NotApplicable as skip:
        what = f"not applicable: {skip}"
        return Check(name, what, 0.0, True, f"not applicable: {skip.tex}")
    except _CANNOT_RUN as exc:  # LinAlgError is a ValueError
        what = f"could not run: {type(exc).__name__}: {exc}"
        return Check(name, what, math.nan, False, tex_escape(what))
    # Plain Python numbers (NumPy's bool_ is not JSON)
    return dataclasses.replace(
        verdict, max_error=float(verdict.max_error), passed=bool(verdict.passed)
    )


def failed(checks: tuple[Check, ...] | list[Check]) -> list[Check]:
    """The checks that did not pass."""
    return [c for c in checks if not c.passed or math.isnan(c.max_error)]
