"""The softmax problem's templates' context: every number and formula as TeX, no prose.

The problem template (softmax.tex.j2) reads context(); the statement (softmax-statement.tex.j2)
reads statement_context(), whose keys context() holds too, so that the problem template can
include the statement; the key line (softmax-key.tex.j2) reads key_context().
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import sympy as sp

from solgen.markup.latex import Tex, approx_or_eq, bmatrix, column, num, sym
from solgen_softmax.solve import SoftmaxResult
from solgen_softmax.variant import SoftmaxInput

BAR_WIDTH = Fraction(3, 5)  # the chart's bars, in class steps


def _formula(expr: sp.Expr) -> Tex:
    """A derived formula in textbook order: p_i - delta_ic, log(S) - z_c."""
    return sym(expr, order="rev-lex")


def statement_context(inp: SoftmaxInput) -> dict[str, Any]:
    """The statement's numbers: sizes, the label, W, b and x (exact)."""
    return {
        "C": inp.C,
        "d": inp.d,
        "label": inp.label,
        "W": bmatrix(inp.W),
        "b": column(inp.b),
        "x": column(inp.x),
    }


def _coordinate(value: Fraction | float) -> str:
    """A TikZ coordinate: at most four decimals, no exponent."""
    text = f"{float(value):.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _point(x: Fraction | float, y: Fraction | float) -> Tex:
    return Tex(f"({_coordinate(x)}, {_coordinate(y)})")


def _bars(probabilities: Sequence[Any], label: int) -> list[dict[str, Any]]:
    """The bar chart of p against e_c: one bar a class, the label's target dashed."""
    bars = []
    for i, value in enumerate(probabilities, start=1):
        left, right = i - BAR_WIDTH / 2, i + BAR_WIDTH / 2
        bars.append(
            {
                "i": i,
                "label": i == label,
                "lower_left": _point(left, 0),
                "upper_right": _point(right, float(value)),
                "target_corner": _point(right, 1),
                "below": _point(i, 0),
            }
        )
    return bars


def context(result: SoftmaxResult) -> dict[str, Any]:
    """Every number and formula of the solution, as TeX."""
    inp, deriv, values = result.inp, result.derivation, result.values
    c = inp.label - 1
    z = result.z
    top = max(z)
    shifted = [v - top for v in z]
    onehot = [int(i == c) for i in range(inp.C)]
    margin = top - z[c]
    total = sp.Add(*(sp.exp(sp.Rational(v.numerator, v.denominator)) for v in z), evaluate=False)
    loss_exact = sp.Add(
        sp.log(total, evaluate=False),
        -sp.Rational(z[c].numerator, z[c].denominator),
        evaluate=False,
    )
    rows = [
        {
            "i": i + 1,
            "label": i == c,
            "z": num(z[i]),
            "p": num(values.probabilities[i]),
            "onehot": onehot[i],
            "dz": num(values.dz[i]),
        }
        for i in range(inp.C)
    ]
    return {
        **statement_context(inp),
        "formula": {
            "loss": _formula(deriv.loss),
            "softmax": _formula(deriv.softmax),
            "dlogS": _formula(deriv.dlogS),
            "dz_other": _formula(deriv.dz_other),
            "dz_label": _formula(deriv.dz_label),
            "dz": _formula(deriv.dz),
            "dz_dW": _formula(deriv.dz_dW),
            "dz_db": _formula(deriv.dz_db),
            "dW": _formula(deriv.dW),
            "db": _formula(deriv.db),
        },
        "z": column(z),
        "z_rel": approx_or_eq(z),
        "m": num(top),
        "m_rel": approx_or_eq([top]),
        "max_index": z.index(top) + 1,
        "shifted": column(shifted),
        "shifted_rel": approx_or_eq(shifted),
        "scaled_sum": num(result.shifted_sum),
        "margin": num(margin),
        "log_sum": num(result.log_shifted_sum),
        "loss": num(values.loss),
        "loss_exact": sym(loss_exact, order="none"),
        "p": column(values.probabilities),
        "onehot": column(onehot),
        "dz": column(values.dz),
        "dz_row": bmatrix([values.dz]),
        "dW": bmatrix(values.dW),
        "db": column(values.db),
        "rows": rows,
        "bars": _bars(values.probabilities, inp.label),
        "axis_end": _point(inp.C + Fraction(7, 10), 0),
        "bits": result.bits,
    }


def cell_tex(value: float) -> Tex:
    r"""answers.csv's cell (12 significant digits) as TeX: 1.5e-52 as 1.5 \cdot 10^{-52}."""
    cell = f"{value:.12g}"
    if "e" in cell:
        mantissa, exponent = cell.split("e")
        return Tex(f"{mantissa} \\cdot 10^{{{int(exponent)}}}")
    return Tex(cell)


_RATIONAL = re.compile(r"-?\d{1,40}(/\d{1,40})?")


def _relation(exact: Any, value: float) -> str:
    """'=' when the exact form is a rational that the cell writes in full, else '\\approx'."""
    rational = isinstance(exact, str) and _RATIONAL.fullmatch(exact) is not None
    if rational and Fraction(exact) == Fraction(f"{value:.12g}"):
        return "="
    return r"\approx"


def key_context(section: dict[str, Any]) -> dict[str, Any]:
    """The heading of its part of a key block: the classes, the inputs and the sample's class
    (the answers themselves are listed by the stage, as answers.csv holds them)."""
    return {
        "C": int(section["shape"]["C"]),
        "d": int(section["shape"]["d"]),
        "label": int(section["label"]),
    }
