"""The descent problem's templates' context: every number and formula as TeX, no prose."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sympy as sp

from solgen.markup.latex import (
    Tex,
    fmt_number,
    num,
    sym,
)
from solgen.markup.plotting import cm, coords, fixed
from solgen.markup.surd import surd_tex
from solgen.problems.descent.derive import (
    DescentResult,
    Eigenspace,
    coordinates,
    definiteness_of,
    matrix_of,
    quadratic_form,
    reciprocal,
)
from solgen.problems.descent.fields import DescentInput
from solgen.problems.descent.figures import (
    PATH_KAPPA,
    SADDLE_STEP,
    Point,
    line_search_figure,
    saddle_figure,
)


def _exact(expr: sp.Expr, inline: bool = False) -> Tex:
    """An exact value as a reader writes it: surds over one denominator, \\frac{7 + \\sqrt{5}}{2}
    (inline (7 + \\sqrt{5})/2); anything else as sympy.latex prints it."""
    text = surd_tex(expr, inline)
    if text is not None:
        return text
    return sym(expr, fold_short_frac=True) if inline else sym(expr)


def _eq(expr: sp.Expr) -> Tex:
    """'= 1/6', '= (7 - sqrt 5)/22 \\approx 0.216542', or '\\approx 0.22783' (no closed form)."""
    value = fmt_number(float(sp.N(expr, 30)))
    if expr.has(sp.CRootOf):
        return Tex(rf"\approx {value}")
    if expr.is_Rational:
        return Tex(f"= {_exact(expr)}")
    return Tex(rf"= {_exact(expr)} \approx {value}")


def _inline_eq(expr: sp.Expr) -> Tex:
    """A value for running text after its symbol: '= 6', '= 5/2 = 2.5',
    '= (7 + \\sqrt{5})/2 \\approx 4.61803', '\\approx 4.61803' (no closed form)."""
    return _inline(expr) if expr.has(sp.CRootOf) else Tex(f"= {_inline(expr)}")


def _inline(expr: sp.Expr, unnamed: str = "") -> Tex:
    """A value for running text: '6', '5/7' (a fraction is exact: no decimal beside it),
    '(7 - \\sqrt{5})/22 \\approx 0.216542'; with no closed form (CRootOf),
    'unnamed \\approx 0.183133', unnamed naming the value."""
    if expr.is_Rational:
        return _exact(expr, inline=True)
    value = num(float(sp.N(expr, 30)))
    if expr.has(sp.CRootOf):
        return Tex(rf"{unnamed} \approx {value}".lstrip())
    return Tex(rf"{_exact(expr, inline=True)} \approx {value}")


def _factor_count(expr: sp.Expr) -> int:
    """Non-constant factors (with multiplicity) of a factored polynomial."""
    _, factors = sp.factor_list(expr)
    return sum(multiplicity for _, multiplicity in factors)


def statement_context(inp: DescentInput) -> dict[str, Any]:
    """What the statement (descent-statement.tex.j2) shows, from the input alone: no
    eigenvalue is found, only the signs that decide its last question (derive.signature)."""
    A = matrix_of(inp)
    coords = coordinates(A.rows)
    return _statement(A, coords, quadratic_form(A, coords), definiteness_of(A))


def _statement(
    A: sp.Matrix, coords: tuple[sp.Symbol, ...], f: sp.Expr, definiteness: str
) -> dict[str, Any]:
    return {
        "n": A.rows,
        "A": sym(A),
        # plain parentheses: a \top on \bigr) rose almost into the line above
        "u_inline": Tex("(" + ", ".join(sym(c) for c in coords) + r")^{\top}"),
        "coords": Tex(", ".join(sym(c) for c in coords)),
        "f": sym(f),
        "f_zero": f == 0,
        "definiteness": definiteness,
    }


def context(p2: DescentResult) -> dict[str, Any]:
    """The descent problem's numbers and formulas."""
    eig_exact = p2.eigenvalues_exact_printable
    eigen = [
        _exact(e) if eig_exact else Tex(fmt_number(float(v)))
        for e, v in zip(p2.eigenvalues, p2.eigenvalues_float, strict=True)
    ]
    eig_rel = "=" if eig_exact else r"\approx"
    lam_max, lam_min = p2.eigenvalues[-1], p2.eigenvalues[0]
    ls = p2.line_search
    return {
        **_statement(p2.A, p2.coords, p2.f, p2.definiteness),
        "S": sym(p2.S),
        "symmetric": p2.symmetric,
        "gradient": sym(p2.gradient),
        "hessian": sym(p2.hessian),
        "iteration": sym(p2.iteration),
        "char_matrix": sym(sp.Symbol("lambda") * sp.eye(p2.n) - p2.S),
        "char_poly": sym(p2.char_poly),
        "char_poly_factored": sym(p2.char_poly_factored),
        # lambda^2 factored is lambda^2 again: show the factored form only when it says more
        "factored_differs": _factor_count(p2.char_poly_factored) > 1
        and sym(p2.char_poly_factored) != sym(p2.char_poly),
        "eigenvalues_list": Tex(
            ", \\quad ".join(f"\\lambda_{{{i + 1}}} {eig_rel} {e}" for i, e in enumerate(eigen))
        ),
        "eigenvalues_exact": eig_exact,
        "zero_eigenvalues": p2.zero_eigenvalues,
        "negative_eigenvalues": p2.negative_eigenvalues,
        "lambda_max_eq": _eq(lam_max),
        "eta_max_eq": None if p2.eta_max is None else _eq(p2.eta_max),
        "eta_max_inline": None if p2.eta_max is None else _inline(p2.eta_max, r"1/\lambda_{\max}"),
        "optimal_step_eq": None if p2.optimal_step is None else _eq(p2.optimal_step),
        "optimal_rate_eq": None if p2.optimal_rate is None else _eq(p2.optimal_rate),
        "kappa_eq": _kappa_eq(p2),
        "line_search_figure": line_search_context(p2),
        "coords_first": sym(p2.coords[0]),
        "coords_second": sym(p2.coords[1]) if p2.n > 1 else None,
        "optimal_rate_inline": None
        if p2.optimal_rate is None
        else _inline(p2.optimal_rate, r"(\kappa - 1)/(\kappa + 1)"),
        "ls_matrix_form": Tex(rf"\frac{{{sym(ls.numerator)}}}{{{sym(ls.denominator)}}}"),
        "ls_explicit": None if ls.explicit is None else sym(ls.explicit),
        # the explicit step names x, y only when it depends on them (S = c I: a number)
        "ls_in_coords": ls.explicit is not None and bool(ls.explicit.free_symbols),
        "answers": _answers(p2),
        "ls_low": None if p2.eta_max is None else _eq(reciprocal(2 * lam_max)),
        "ls_can_exceed": p2.definiteness == "positive definite"
        # 1/(2 lambda_min) > 1/lambda_max, for positive eigenvalues: decided exactly
        and bool(lam_max > 2 * lam_min),
        "ls_high": None if p2.definiteness != "positive definite" else _eq(reciprocal(2 * lam_min)),
        **_line_search_constant(p2),
        **_stable_context(p2),
        "saddle": saddle_context(p2),
        "contraction": contraction_context(p2),
    }


def _answers(p2: DescentResult) -> dict[str, Tex | None]:
    """The final answers' values for running text: '= 1/6', '= (7 - \\sqrt{5})/22 \\approx
    0.216542', not the display fractions of the derivation."""

    def short(expr: sp.Expr | None) -> Tex | None:
        return None if expr is None else _inline_eq(expr)

    return {
        "lambda_max": short(p2.eigenvalues[-1]),
        "eta_max": short(p2.eta_max),
        "optimal": short(p2.optimal_step),
        "rate": short(p2.optimal_rate),
    }


def _kappa_eq(p2: DescentResult) -> Tex | None:
    """'= 6', '= (3 + \\sqrt{5})/2 \\approx 2.61803': the condition number after its name."""
    kappa = _kappa(p2)
    return None if kappa is None else _inline_eq(kappa)


def _nonzero_eigenvalues(p2: DescentResult) -> list[sp.Expr]:
    return [e for e in p2.eigenvalues if e != 0]


def _vector(v: sp.Matrix) -> Tex:
    """An exact direction in running text: (1, 1), (\\frac{1 + \\sqrt{5}}{2}, 1)."""
    return Tex("(" + ", ".join(_exact(e) for e in v) + ")")


def _space(spaces: tuple[Eigenspace, ...] | None, keep: Any) -> list[Tex] | None:
    """The basis vectors of the eigenspaces whose eigenvalue passes keep, or None (not derived)."""
    if spaces is None:
        return None
    return [_vector(v) for space in spaces if keep(space.value) for v in space.vectors]


def _line_search_constant(p2: DescentResult) -> dict[str, Any]:
    """Whether the exact line-search step is one number (every nonzero eigenvalue the same):
    then g_n = 2 S u_n lies in the range of S, an eigenspace of lambda_max."""
    nonzero = _nonzero_eigenvalues(p2)
    constant = p2.eta_max is not None and len(set(nonzero)) == 1
    top = _space(p2.eigenspaces, lambda value: value == p2.eigenvalues[-1])
    return {
        "ls_constant": constant,
        "rank": len(nonzero),
        # q_max of a rank-one S, when the eigenvectors were derived
        "q_max": top[0] if constant and top is not None and len(top) == 1 else None,
    }


def _stable_context(p2: DescentResult) -> dict[str, Any]:
    """Which starts converge when some eigenvalue is negative: those with no component along
    an eigenvector of a negative eigenvalue, that is, the span of the others."""
    negative = p2.negative_eigenvalues
    positive = p2.n - negative - p2.zero_eigenvalues
    lam_max = p2.eigenvalues[-1]
    vectors = _space(p2.eigenspaces, lambda value: value >= 0) if negative else None
    return {
        "positive_eigenvalues": positive,
        "stable_dim": p2.n - negative,
        "stable_vectors": vectors,
        "stable_span": Tex(", ".join(vectors)) if vectors else None,
        "stable_values": _space_values(p2, lambda value: value >= 0) if negative else None,
        "stable_eta_eq": _inline_eq(reciprocal(lam_max)) if negative and positive else None,
    }


def _space_values(p2: DescentResult, keep: Any) -> Tex | None:
    """'\\lambda = 3' or '\\lambda = 0, 1': the eigenvalues whose eigenvectors are listed."""
    if p2.eigenspaces is None:
        return None
    values = [_exact(space.value) for space in p2.eigenspaces if keep(space.value)]
    return Tex(r"\lambda = " + ", ".join(values)) if values else None


# The saddle figure's paths: a line style and a mark each, so that they stay apart.
LOOKS = {
    "stable": "black, thick, mark=*, mark size=1pt",
    "diverging": "black!70, dashed, mark=square, mark size=1.3pt",
}


PLANE_DIGITS = 4  # significant digits of the plot window: a coordinate resolves window / 1000


def _decimals(window: float) -> int:
    """Decimals for plane coordinates: the window's PLANE_DIGITS digits, and no more."""
    return max(0, PLANE_DIGITS - 1 - math.floor(math.log10(window)))


def _plane(points: Sequence[Point], decimals: int) -> Tex:
    return Tex(" ".join(f"({fixed(x, decimals)},{fixed(y, decimals)})" for x, y in points))


def _look(label: str) -> Tex:
    return Tex(LOOKS[label])


def _kappa(p2: DescentResult) -> sp.Expr | None:
    """The condition number lambda_max / lambda_min of a positive definite S, exact."""
    if p2.definiteness != "positive definite":
        return None
    return _ratio(p2.eigenvalues[-1], p2.eigenvalues[0])


@functools.lru_cache(maxsize=64)
def _ratio(high: sp.Expr, low: sp.Expr) -> sp.Expr:
    """high / low with its surds simplified (three parts of the context ask for kappa)."""
    return sp.radsimp(high / low)


def line_search_context(p2: DescentResult) -> dict[str, Any] | None:
    """The exact line search's path and level sets (figures.line_search_figure), or why it is
    not drawn: {'drawn': False} when kappa is too large to show the zig-zag; None otherwise."""
    kappa = _kappa(p2)
    if kappa is None or p2.n != 2 or kappa == 1:
        return None
    figure = line_search_figure(p2)
    if figure is None:  # kappa > PATH_KAPPA
        return {"drawn": False, "limit": num(PATH_KAPPA)}
    xmin, xmax, ymin, ymax = figure.box
    places = _decimals(max(xmax - xmin, ymax - ymin))
    bound = sp.radsimp(p2.optimal_rate**2) if p2.optimal_rate is not None else None
    return {
        "drawn": True,
        "box": Tex(
            f"xmin={fixed(xmin, places)}, xmax={fixed(xmax, places)}, "
            f"ymin={fixed(ymin, places)}, ymax={fixed(ymax, places)}"
        ),
        "levels": [
            {
                "x_radius": Tex(fixed(e.x_radius, places)),
                "y_radius": Tex(fixed(e.y_radius, places)),
                "angle": Tex(fixed(e.angle, 2)),
            }
            for e in figure.level_sets
        ],
        "path": _plane(figure.points, places),
        "steps": len(figure.points) - 1,
        "start": _start(figure.start),
        "start_rel": _start_rel(figure.start),
        "ratio": num(figure.ratio),
        "bound": None if bound is None else _inline_eq(bound),
    }


def _factor(eta: sp.Expr, eigenvalue: sp.Expr) -> sp.Expr:
    """1 - 2 eta lambda, signed, exact: what a step multiplies that eigenvector's coordinate by."""
    return sp.radsimp(sp.expand(1 - 2 * eta * eigenvalue))


RHO_WINDOW = sp.Rational(5, 4)  # the contraction-factor plot runs to 1.25 eta_max
NEAR_STEP = sp.Rational(19, 20)  # a step just inside the bound: 0.95 eta_max
ABOVE_STEP = sp.Rational(21, 20)  # and one just above it: 1.05 eta_max
# 0.95 eta_max = eta* = kappa / (kappa + 1) eta_max exactly when kappa = 19: below it the steep
# direction q_max decides rho(0.95 eta_max), above it the flat one q_min
NEAR_KAPPA = NEAR_STEP / (1 - NEAR_STEP)


def _rho(eta: sp.Expr, lmin: sp.Expr, lmax: sp.Expr) -> sp.Expr:
    """max(|1 - 2 eta lambda_min|, |1 - 2 eta lambda_max|), exact: the larger one itself
    (11/10), decided exactly, not a Max that prints as a surd."""
    low, high = (sp.radsimp(sp.Abs(sp.expand(1 - 2 * eta * lam))) for lam in (lmin, lmax))
    return high if bool(high >= low) else low


def contraction_context(p2: DescentResult) -> dict[str, Any] | None:
    """rho(eta) = max_i |1 - 2 eta lambda_i| for a positive definite S, against eta / eta_max
    (so that any scale of A plots alike): the V with its minimum (kappa - 1)/(kappa + 1) at
    eta* and the value 1 at eta_max, with two steps near the bound marked. Kinks computed
    exactly, then plotted."""
    kappa = _kappa(p2)
    if kappa is None or p2.optimal_step is None or p2.optimal_rate is None:
        return None
    lmin, lmax, eta_max = p2.eigenvalues[0], p2.eigenvalues[-1], p2.eta_max
    assert eta_max is not None  # positive definite

    def line(eigenvalue: sp.Expr) -> Tex:
        """|1 - 2 eta lambda| up to the window: straight, with a kink where it touches 0."""
        etas = [sp.Integer(0), RHO_WINDOW * eta_max]
        zero = 1 / (2 * eigenvalue)
        if sp.N(zero / eta_max, 30) < RHO_WINDOW:
            etas.insert(1, zero)
        return _plotted([(e / eta_max, [1 - 2 * e * eigenvalue]) for e in etas])

    def mark(multiple: sp.Expr) -> dict[str, Tex]:
        eta = multiple * eta_max
        rho = _rho(eta, lmin, lmax)
        return {
            "at": _graph([(multiple, rho)]),
            "eta": _inline_eq(sp.radsimp(eta)),
            "rho": _inline_eq(rho),
            "rho_value": _inline(rho),
            "qmax": _inline(_factor(eta, lmax)),  # 1 - 1.9 = -9/10: always a fraction
            "qmin": _inline_eq(_factor(eta, lmin)),
        }

    kinks = [sp.Integer(0), p2.optimal_step, eta_max, RHO_WINDOW * eta_max]
    where = p2.optimal_step / eta_max  # kappa / (kappa + 1), only plotted
    return {
        "rho": _plotted([(e / eta_max, [1 - 2 * e * lam for lam in (lmin, lmax)]) for e in kinks]),
        "low": line(lmin),
        "high": line(lmax),
        "bottom": _graph([(where, p2.optimal_rate)]),
        "bottom_x": Tex(cm(float(sp.N(where, 30)))),
        "bottom_y": Tex(cm(float(sp.N(p2.optimal_rate, 30)))),
        "xmax": Tex(cm(float(RHO_WINDOW))),
        "one": _graph([(sp.Integer(0), sp.Integer(1)), (RHO_WINDOW, sp.Integer(1))]),
        "kappa_one": kappa == 1,
        "eta_max": _inline_eq(eta_max),
        "optimal": _inline_eq(p2.optimal_step),
        "rate": _inline_eq(p2.optimal_rate),
        "near": mark(NEAR_STEP),
        "above": mark(ABOVE_STEP),
        "near_factor": num(float(NEAR_STEP)),
        "above_factor": num(float(ABOVE_STEP)),
        "near_kappa": num(int(NEAR_KAPPA)),
        # which arm of the V 0.95 eta_max lies on: "qmax" (kappa < 19), "qmin" (kappa > 19),
        # "optimal" (kappa = 19: it is eta*)
        "near_side": "qmin"
        if bool(kappa > NEAR_KAPPA)
        else ("qmax" if bool(kappa < NEAR_KAPPA) else "optimal"),
    }


def _graph(points: list[tuple[sp.Expr, sp.Expr]]) -> Tex:
    """Exact points as plot coordinates."""
    return coords([(float(sp.N(x, 30)), float(sp.N(y, 30))) for x, y in points])


def _plotted(points: list[tuple[sp.Expr, list[sp.Expr]]]) -> Tex:
    """Plot coordinates (x, max_i |y_i|) of exact x and y_i, each evaluated to 30 digits: the
    largest magnitude taken of the values, not decided on surds by SymPy's Abs (a fifth of a
    build's time), which only the printed numbers need."""
    return coords(
        [(float(sp.N(x, 30)), max(abs(float(sp.N(y, 30))) for y in ys)) for x, ys in points]
    )


def saddle_context(p2: DescentResult) -> dict[str, Any] | None:
    """Hyperbolas, the stable line and the two paths of an indefinite 2x2 problem's figure."""
    figure = saddle_figure(p2)
    if figure is None:
        return None
    places = _decimals(figure.window)
    stable, diverging = figure.trajectories
    eta = sp.radsimp(sp.Rational(str(SADDLE_STEP)) / p2.eigenvalues[-1])  # figure.eta, exactly
    return {
        "window": Tex(fixed(figure.window, places)),
        "levels": [_plane(branch, places) for h in figure.level_sets for branch in h.branches],
        "stable_line": _plane(figure.stable_line, places),
        "eta": _inline_eq(eta),
        "eta_fraction": num(SADDLE_STEP),
        "stable": {"look": _look("stable"), "path": _plane(stable.points, places)},
        "diverging": {"look": _look("diverging"), "path": _plane(diverging.points, places)},
        "stable_start": _start(stable.points[0]),
        "stable_start_rel": _start_rel(stable.points[0]),
        "start": _start(diverging.points[0]),
        "start_rel": _start_rel(diverging.points[0]),
        "stable_factor": _inline(_factor(eta, p2.eigenvalues[-1])),
        "growth": _inline(_factor(eta, p2.eigenvalues[0])),
        "escape_step": len(diverging.points),  # the first iterate outside the plot
        # the segment from the last iterate inside to the edge of the plot, where the path leaves
        "exit": None
        if diverging.exit is None
        else _plane([diverging.points[-1], diverging.exit], places),
    }


def _start(point: Point) -> Tex:
    return Tex("(" + ", ".join(fmt_number(v) for v in point) + ")")


def _printed(text: str) -> float:
    """The value fmt_number's text stands for: '-0.618034' or '9.62743 \\cdot 10^{-4}'."""
    mantissa, _, exponent = text.partition(r" \cdot 10^{")
    return float(Decimal(mantissa).scaleb(int(exponent.rstrip("}")) if exponent else 0))


def _start_rel(point: Point) -> Tex:
    """'=' when the printed start is the start (-1, -1), '\\approx' when rounded (-0.618034)."""
    printed = [_printed(fmt_number(v)) for v in point]
    close = all(abs(a - b) <= 1e-12 * max(1.0, abs(b)) for a, b in zip(printed, point, strict=True))
    return Tex("=" if close else r"\approx")
