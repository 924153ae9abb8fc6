"""Correctly rounded float64 values: of exact numbers, and of certified balls (FLINT's arb).

A ball [m +/- r] holds the true value; when both ends round to the same float64, that float
is the correctly rounded true value (rounding to nearest is monotone). Base layer: imports
nothing of solgen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import flint
import sympy as sp


def float_of_exact(value: Fraction | int) -> float:
    """The correctly rounded float64 of an exact rational (subnormals included).

    CPython's int / int division rounds correctly, so float(Fraction) does too.
    """
    return float(Fraction(value))


def _exact_float(point: flint.arb) -> float:
    """An exact arb point (a binary rational m * 2^e) rounded correctly to float64."""
    mantissa, exponent = (int(v) for v in point.man_exp())
    if exponent >= 0:
        return float_of_exact(mantissa * 2**exponent) if exponent < 4096 else math.inf
    if exponent < -4096 and mantissa.bit_length() + exponent < -1080:
        return -0.0 if mantissa < 0 else 0.0  # below half the smallest subnormal
    return float_of_exact(Fraction(mantissa, 2**-exponent))


def float_of_ball(ball: flint.arb) -> float | None:
    """The float64 every point of the ball rounds to, or None when two floats are possible.

    A ball whose points all round to zero gives 0.0: a value below half the smallest
    subnormal is written 0.0 whatever its sign.
    """
    if not ball.is_finite():
        return None
    low, high = _exact_float(ball.lower()), _exact_float(ball.upper())
    if low == 0 and high == 0:
        return 0.0
    return low if low == high else None


def fmpq_of(value: Any) -> flint.fmpq:
    """An exact rational (Fraction, int) as FLINT's exact rational."""
    fraction = Fraction(value)
    return flint.fmpq(fraction.numerator, fraction.denominator)


def ball_of(value: Any) -> flint.arb:
    """An exact rational (Fraction, int) as an arb ball at the current precision."""
    return flint.arb(fmpq_of(value))


def _interval_float(low: Fraction, high: Fraction) -> float | None:
    first, second = float_of_exact(low), float_of_exact(high)
    return first if first == second else None


def _root_intervals(poly: sp.Poly, eps: Fraction) -> list[tuple[Fraction, Fraction]]:
    """Isolating intervals of the real roots, ascending, one per root counted with multiplicity."""
    found = poly.intervals(eps=sp.Rational(eps.numerator, eps.denominator))
    return [
        (Fraction(str(low)), Fraction(str(high)))
        for (low, high), count in found
        for _ in range(count)
    ]


def floats_of_real_roots(poly: sp.Poly, roots: Sequence[sp.Expr]) -> tuple[float, ...]:
    """The correctly rounded float64 of each real root (ascending, with multiplicity).

    A rational root is rounded from its exact value; an irrational one from an isolating
    interval with rational ends (SymPy's real-root isolation), narrowed until both ends round
    to the same float64. An irrational root never sits on a rounding boundary (a dyadic
    rational), so the narrowing ends.
    """
    eps = Fraction(1, 2**64)
    while True:
        intervals = _root_intervals(poly, eps)
        if len(intervals) != len(roots):
            raise ValueError(f"{len(roots)} roots, {len(intervals)} real root intervals")
        floats = [
            float_of_exact(Fraction(str(root))) if root.is_Rational else _interval_float(*ends)
            for root, ends in zip(roots, intervals, strict=True)
        ]
        if all(v is not None for v in floats):
            return tuple(v for v in floats if v is not None)
        eps = eps * eps


def float_of_algebraic(expr: sp.Expr) -> float:
    """The correctly rounded float64 of a real algebraic number (radicals, CRootOf).

    Rational: rounded from its exact value. Otherwise: the root of its minimal polynomial
    whose isolating interval holds a 60-digit value of expr, narrowed until both ends round to
    the same float64 (an irrational number is never a rounding boundary).
    """
    if expr.is_Rational:
        return float_of_exact(Fraction(str(expr)))
    x = sp.Dummy("x")
    poly = sp.Poly(sp.minimal_polynomial(expr, x), x)
    approx = Fraction(str(sp.N(expr, 60)))
    eps = Fraction(1, 2**64)
    while True:
        intervals = _root_intervals(poly, eps)
        nearest = min(intervals, key=lambda ends: max(ends[0] - approx, approx - ends[1], 0))
        value = _interval_float(*nearest)
        if value is not None:
            return value
        eps = eps * eps
