"""Quadratic surds as a reader writes them: (7 + sqrt 5)/2 over one denominator, not
sqrt(5)/2 + 7/2 as sympy.latex orders the terms."""

from __future__ import annotations

import math
from dataclasses import dataclass

import sympy as sp

from solgen.markup.latex import Tex


@dataclass(frozen=True)
class Surd:
    """(a + b sqrt(c)) / d in lowest terms: d > 0, c > 1 square-free (c = 1 when b = 0)."""

    a: int
    b: int
    c: int
    d: int


def surd(expr: sp.Expr) -> Surd | None:
    """expr as (a + b sqrt c)/d, or None when it has another form (cube roots, CRootOf, ...)."""
    if expr.has(sp.CRootOf):
        return None
    rational, coeff, radicand = sp.Rational(0), sp.Rational(0), 1
    # radsimp rationalises 2/(7 + sqrt 5) into (7 - sqrt 5)/22; expand splits it into terms
    for term in sp.Add.make_args(sp.expand(sp.radsimp(expr))):
        k, rest = term.as_coeff_Mul()
        if not k.is_Rational:
            return None
        if rest == 1:
            rational += k
        elif _is_root(rest) and radicand in (1, int(rest.base)):
            radicand, coeff = int(rest.base), coeff + k
        else:
            return None
    d = math.lcm(int(rational.q), int(coeff.q))
    b = int(coeff * d)
    return Surd(int(rational * d), b, radicand if b else 1, d)


def _is_root(expr: sp.Expr) -> bool:
    """sqrt(c) of an integer c > 1 (SymPy has already taken out square factors)."""
    return bool(expr.is_Pow and expr.exp == sp.S.Half and expr.base.is_Integer and expr.base > 1)


def _root(b: int, c: int) -> str:
    """|b| sqrt(c), with no coefficient 1."""
    return rf"\sqrt{{{c}}}" if abs(b) == 1 else rf"{abs(b)} \sqrt{{{c}}}"


def _numerator(s: Surd) -> tuple[str, bool, bool]:
    """The numerator without its overall sign, whether the value is negative, whether a sum.

    A reader leads with the positive term: 7 - sqrt 5, sqrt 5 - 1, and -(1 + sqrt 5).
    """
    if s.b == 0:
        return str(abs(s.a)), s.a < 0, False
    if s.a == 0:
        return _root(s.b, s.c), s.b < 0, False
    if s.a > 0:
        return f"{s.a} {'+' if s.b > 0 else '-'} {_root(s.b, s.c)}", False, True
    if s.b > 0:
        return f"{_root(s.b, s.c)} - {-s.a}", False, True
    return f"{-s.a} + {_root(s.b, s.c)}", True, True


def surd_tex(expr: sp.Expr, inline: bool = False) -> Tex | None:
    """'\\frac{7 + \\sqrt{5}}{2}' (inline: '(7 + \\sqrt{5})/2'), or None if expr is no surd."""
    s = surd(expr)
    if s is None:
        return None
    text, negative, is_sum = _numerator(s)
    sign = "-" if negative else ""
    if s.d == 1 and negative and is_sum:
        return Tex(f"-{text.replace(' + ', ' - ')}")  # -1 - sqrt 5, not -(1 + sqrt 5)
    if s.d == 1:
        return Tex(sign + text)
    if inline:
        return Tex(f"{sign}({text})/{s.d}" if is_sum else f"{sign}{text}/{s.d}")
    return Tex(rf"{sign}\frac{{{text}}}{{{s.d}}}")
