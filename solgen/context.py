"""Problem results -> the templates' context: every number and formula as TeX, no prose."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

from solgen.datafiles import PROBLEM1_FILES
from solgen.figures import (
    ABOVE_STEP,
    LONG_ELLIPSE,
    NEAR_STEP,
    PATH_STEPS,
    Node,
    Point,
    descent_figure,
    feature_maps,
    network_diagram,
    saddle_figure,
)
from solgen.latex import (
    SIGNIFICANT,
    Tex,
    approx_or_eq,
    bmatrix,
    column,
    data_blocks,
    elides,
    fmt_int,
    fmt_number,
    is_exact,
    num,
    sym,
    vector_blocks,
)
from solgen.problems import p1_network
from solgen.problems.p1_network import Cost, Problem1Result
from solgen.problems.p2_descent import Eigenspace, Problem2Result
from solgen.problems.p3_convnet import Problem3Result
from solgen.problems.p3_design import Design
from solgen.solution import Solution
from solgen.surd import surd_tex
from solgen.variant import Variant

# More samples than this and the loss is shown as a sum, not term by term.
TERMWISE_LIMIT = 6
# Larger than this and Z = X W^T + 1 b^T is shown without its factors written out.
EXPAND_ROWS = 6
# The per-sample table of intermediate values is drawn for at most this many hidden units.
SAMPLE_TABLE_UNITS = 3
EXPAND_COLUMNS = 10


def _flat(values: Any) -> list[Any]:
    return list(np.asarray(values, dtype=object).ravel())


def _rel(values: Any) -> Tex:
    """'=' or '\\approx' for a displayed array."""
    return approx_or_eq(_flat(values))


def _cost(c: Cost) -> dict[str, Tex]:
    counts = ("params", "forward_pass", "backward_pass", "tangent_pass", "one_hot_sweeps")
    totals = ("reverse_total", "forward_total", "one_hot_total")
    return {
        **{name: fmt_int(getattr(c, name)) for name in ("N", "d", "h", *counts, *totals)},
        "ratio": Tex(f"{c.forward_total / c.reverse_total:.1f}"),
        "one_hot_ratio": Tex(f"{c.one_hot_total / c.reverse_total:.1f}"),
        "W1_entries": fmt_int(c.h * c.d),
    }


def _cost_formulas() -> dict[str, Tex]:
    """The counts as formulas in N, d, h, printed from the very expressions that count."""
    return {name: sym(formula) for name, formula in p1_network.COUNT_FORMULAS.items()}


WIDE_COLUMNS = 7  # columns of a matrix of rounded numbers shown in the text (the rest: dots)
READ_BACK_UNITS = 4  # units read back one by one; a larger network gets none


def _read_back(p1: Problem1Result) -> list[dict[str, Any]]:
    """ReLU units a reader can check with one multiplication a row: a unit active for one
    sample k has dL/dW1 row j = delta_kj x_k^T; a unit active for none has row j = 0."""
    if p1.activation != "relu" or p1.h > READ_BACK_UNITS:
        return []
    ex, found = p1.exact, []
    for j in range(p1.h):
        active = [k for k in range(p1.N) if ex.Z[k, j] > 0]
        if len(active) > 1:
            continue
        item: dict[str, Any] = {"j": j + 1, "samples": len(active)}
        if active:
            k = active[0]
            item |= {
                "k": k + 1,
                "delta": num(ex.delta[k, j]),
                "x": Tex("(" + ", ".join(fmt_number(v) for v in p1.inp.X[k]) + ")"),
                "row": Tex("(" + ", ".join(fmt_number(v) for v in ex.grad["W1"][j]) + ")"),
            }
        found.append(item)
    return found


def problem1_context(p1: Problem1Result) -> dict[str, Any]:
    """Problem 1's numbers and formulas."""
    deriv = p1.derivation
    ex = p1.exact
    inp = p1.inp
    rw = np.outer(ex.r, np.array(inp.w2, dtype=object))
    forms = p1_network.matrix_forms(p1.N, p1.d, p1.h)
    residual_terms = [f"({fmt_number(v)})^2" if v < 0 else f"{fmt_number(v)}^2" for v in ex.r]
    squares = [v * v for v in ex.r]
    total = sum(squares)
    return {
        "activation": p1.activation,
        "read_back": _read_back(p1),
        # a small network's W1, b1, w2, b2 share one line of the statement (the sheet fits a page)
        "parameters_one_line": p1.h <= 4 and p1.d <= 5,
        "N": p1.N,
        "d": p1.d,
        "h": p1.h,
        "termwise": p1.N <= TERMWISE_LIMIT and all(is_exact(v) for v in ex.r),
        # Show the factors of the products only while they fit on a line.
        "expand_products": p1.N <= EXPAND_ROWS and p1.d + 2 * p1.h <= EXPAND_COLUMNS,
        # the data
        "X": bmatrix(inp.X),
        "t": column(inp.t),
        "W1": bmatrix(inp.W1),
        "W1T": bmatrix(list(zip(*inp.W1, strict=True))),
        "b1": column(inp.b1),
        "ones_b1": bmatrix([inp.b1] * p1.N),
        "w2": column(inp.w2),
        "b2": num(inp.b2),
        # the derivation
        "f": sym(deriv.f),
        "fprime": sym(deriv.fprime),
        "fprime_in_f": sym(deriv.fprime_in_f) if deriv.fprime_in_f is not None else None,
        "local": {name: sym(expr) for name, expr in deriv.local.items()},
        "entry": {name: sym(expr) for name, expr in deriv.display.items()},
        "delta_entry": sym(deriv.display["b1"]),
        "form": {name: sym(expr) for name, expr in forms.items() if name != "symbols"},
        # the numbers
        "Z": bmatrix(ex.Z.tolist()),
        "Z_rel": _rel(ex.Z),
        "H": bmatrix(ex.H.tolist()),
        "H_rel": _rel(ex.H),
        "Fp": bmatrix(ex.Fp.tolist()),
        "Fp_rel": _rel(ex.Fp),
        "y": column(list(ex.y)),
        "y_rel": _rel(ex.y),
        "r": column(list(ex.r)),
        "r_rel": _rel(ex.r),
        "residual_sum": Tex(" + ".join(residual_terms)),
        "squares_sum": Tex(" + ".join(fmt_number(v) for v in squares)),
        "squares_rel": approx_or_eq(squares),
        "sum_squares": num(total),
        "loss": num(ex.loss),
        "loss_rel": approx_or_eq([ex.loss, total]),
        "rw": bmatrix(rw.tolist(), max_cols=WIDE_COLUMNS),
        "rw_Fp_rel": approx_or_eq([*_flat(rw), *_flat(ex.Fp)]),
        # rounded six-digit entries: at most WIDE_COLUMNS columns, or they shrink to 7 pt
        "Delta": bmatrix(ex.delta.tolist(), max_cols=WIDE_COLUMNS),
        "Delta_rel": _rel(ex.delta),
        "grad_W1": bmatrix(ex.grad["W1"].tolist(), max_cols=WIDE_COLUMNS),
        "grad_W1_rel": _rel(ex.grad["W1"]),
        "grad_b1": column(list(ex.grad["b1"])),
        "grad_b1_rel": _rel(ex.grad["b1"]),
        "grad_w2": column(list(ex.grad["w2"])),
        "grad_w2_rel": _rel(ex.grad["w2"]),
        "grad_b2": num(ex.grad["b2"]),
        "grad_b2_rel": approx_or_eq([ex.grad["b2"]]),
        "zero_preactivations": len(p1.zero_preactivations),
        "zero_list": Tex(", ".join(f"z_{{{k + 1},{j + 1}}}" for k, j in p1.zero_preactivations)),
        "diagram": diagram_context(p1),
        "appendix": _appendix(p1),
        "grad_appendix": data_blocks(r"\partial L / \partial W^{(1)}", ex.grad["W1"].tolist())
        if elides(p1.h, p1.d)
        else [],
        "samples": sample_table(p1),
        "cost": _cost(p1.cost),
        "cost_scaled": _cost(p1.cost_scaled),
        "cost_formula": _cost_formulas(),
        "data_files": [Tex(rf"\texttt{{{name}}}") for name in PROBLEM1_FILES],
    }


def _appendix(p1: Problem1Result) -> list[dict[str, Tex | None]]:
    """The full data of a network too large to print whole in the statement (else [])."""
    inp = p1.inp
    if not (elides(p1.N, p1.d) or elides(p1.h, p1.d)):
        return []
    blocks = data_blocks("X", inp.X) + vector_blocks(r"\mathbf{t}", inp.t)
    blocks += data_blocks("W^{(1)}", inp.W1)
    blocks += vector_blocks(r"\mathbf{b}^{(1)}", inp.b1)
    blocks += vector_blocks(r"\mathbf{w}^{(2)}", inp.w2)
    return blocks


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


def _decimal(expr: sp.Expr) -> tuple[Tex, Tex]:
    """('=', '0.25') for a value whose decimal ends; ('\\approx', '0.166667') otherwise."""
    if isinstance(expr, sp.Rational):
        exact = Fraction(int(expr.p), int(expr.q))
        if is_exact(exact):
            return Tex("="), num(exact)
    return Tex(r"\approx"), num(float(sp.N(expr, 30)))


def _legend_value(expr: sp.Expr) -> tuple[Tex, Tex]:
    """A step in a legend, short and exact where it can be: ('=', '0.175'), ('=', '1/7')
    (not 0.142857 beside the 1/7 of the text), ('\\approx', '0.216542') for a surd."""
    rel, value = _decimal(expr)
    if rel == "=" or not expr.is_Rational:
        return rel, value
    return Tex("="), _exact(expr, inline=True)


def _inline_eq(expr: sp.Expr) -> Tex:
    """A value for running text after its symbol: '= 6', '= 5/2 = 2.5',
    '= (7 + \\sqrt{5})/2 \\approx 4.61803', '\\approx 4.61803' (no closed form)."""
    return _inline(expr) if expr.has(sp.CRootOf) else Tex(f"= {_inline(expr)}")


def _inline(expr: sp.Expr, unnamed: str = "") -> Tex:
    """A value for running text: '1/6 \\approx 0.166667', '1/4 = 0.25', '1' (not '1 = 1');
    with no closed form (CRootOf), 'unnamed \\approx 0.183133', unnamed naming the value."""
    if expr.is_Integer:
        return sym(expr)
    rel, value = _decimal(expr)
    if expr.has(sp.CRootOf):
        return Tex(f"{unnamed} {rel} {value}".lstrip())
    return Tex(rf"{_exact(expr, inline=True)} {rel} {value}")


def _factor_count(expr: sp.Expr) -> int:
    """Non-constant factors (with multiplicity) of a factored polynomial."""
    _, factors = sp.factor_list(expr)
    return sum(multiplicity for _, multiplicity in factors)


def problem2_context(p2: Problem2Result) -> dict[str, Any]:
    """Problem 2's numbers and formulas."""
    eig_exact = p2.eigenvalues_exact_printable
    eigen = [
        _exact(e) if eig_exact else Tex(fmt_number(float(v)))
        for e, v in zip(p2.eigenvalues, p2.eigenvalues_float, strict=True)
    ]
    eig_rel = "=" if eig_exact else r"\approx"
    lam_max, lam_min = p2.eigenvalues[-1], p2.eigenvalues[0]
    ls = p2.line_search
    return {
        "n": p2.n,
        "A": sym(p2.A),
        "S": sym(p2.S),
        "symmetric": p2.symmetric,
        # plain parentheses: a \top on \bigr) rose almost into the line above
        "u_inline": Tex("(" + ", ".join(sym(c) for c in p2.coords) + r")^{\top}"),
        "coords": Tex(", ".join(sym(c) for c in p2.coords)),
        "f": sym(p2.f),
        "f_zero": p2.f == 0,
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
        "definiteness": p2.definiteness,
        "zero_eigenvalues": p2.zero_eigenvalues,
        "negative_eigenvalues": p2.negative_eigenvalues,
        "lambda_max_eq": _eq(lam_max),
        "eta_max_eq": None if p2.eta_max is None else _eq(p2.eta_max),
        "eta_max_inline": None if p2.eta_max is None else _inline(p2.eta_max, r"1/\lambda_{\max}"),
        "optimal_step_eq": None if p2.optimal_step is None else _eq(p2.optimal_step),
        "optimal_rate_eq": None if p2.optimal_rate is None else _eq(p2.optimal_rate),
        "figure": descent_context(p2),
        "coords_first": sym(p2.coords[0]),
        "coords_second": sym(p2.coords[1]) if p2.n > 1 else None,
        "optimal_rate_inline": None
        if p2.optimal_rate is None
        else _inline(p2.optimal_rate, r"(\kappa - 1)/(\kappa + 1)"),
        "ls_matrix_form": Tex(rf"\frac{{{sym(ls.numerator)}}}{{{sym(ls.denominator)}}}"),
        "ls_explicit": None if ls.explicit is None else sym(ls.explicit),
        "ls_low": None if p2.eta_max is None else _eq(sp.radsimp(1 / (2 * lam_max))),
        "ls_can_exceed": p2.definiteness == "positive definite"
        # 1/(2 lambda_min) > 1/lambda_max, for positive eigenvalues: decided exactly
        and bool(lam_max > 2 * lam_min),
        "ls_high": None
        if p2.definiteness != "positive definite"
        else _eq(sp.radsimp(1 / (2 * lam_min))),
        **_line_search_constant(p2),
        **_stable_context(p2),
        "saddle": saddle_context(p2),
        "contraction": contraction_context(p2),
    }


def _nonzero_eigenvalues(p2: Problem2Result) -> list[sp.Expr]:
    return [e for e in p2.eigenvalues if e != 0]


def _vector(v: sp.Matrix) -> Tex:
    """An exact direction in running text: (1, 1), (\\frac{1 + \\sqrt{5}}{2}, 1)."""
    return Tex("(" + ", ".join(_exact(e) for e in v) + ")")


def _space(spaces: tuple[Eigenspace, ...] | None, keep: Any) -> list[Tex] | None:
    """The basis vectors of the eigenspaces whose eigenvalue passes keep, or None (not derived)."""
    if spaces is None:
        return None
    return [_vector(v) for space in spaces if keep(space.value) for v in space.vectors]


def _line_search_constant(p2: Problem2Result) -> dict[str, Any]:
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


def _stable_context(p2: Problem2Result) -> dict[str, Any]:
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
        "stable_eta_eq": _eq(sp.radsimp(1 / lam_max)) if negative and positive else None,
    }


def _space_values(p2: Problem2Result, keep: Any) -> Tex | None:
    """'\\lambda = 3' or '\\lambda = 0, 1': the eigenvalues whose eigenvectors are listed."""
    if p2.eigenspaces is None:
        return None
    values = [_exact(space.value) for space in p2.eigenspaces if keep(space.value)]
    return Tex(r"\lambda = " + ", ".join(values)) if values else None


def problem3_context(p3: Problem3Result) -> dict[str, Any]:
    """Problem 3's table rows and totals."""
    layers = []
    conv_index = pool_index = 0
    for layer in p3.layers:
        if layer.kind == "conv":
            conv_index += 1
            index = conv_index
        else:
            pool_index += 1
            index = pool_index
        h_in, w_in, c_in = layer.in_shape
        h_out, w_out, c_out = layer.out_shape
        layers.append(
            {
                "kind": layer.kind,
                "index": index,
                "kernel": Tex(f"{layer.kernel} \\times {layer.kernel}"),
                "k": layer.kernel,
                "in_size": Tex(f"{h_in} \\times {w_in}"),
                "in_h": h_in,
                "in_w": w_in,
                "in_channels": c_in,
                "out_size": Tex(f"{h_out} \\times {w_out}"),
                "out_h": h_out,
                "out_w": w_out,
                "out_channels": c_out,
                "weights": fmt_int(layer.weights),
                "biases": fmt_int(layer.biases),
                "params": fmt_int(layer.params),
                "square": h_in == w_in,
            }
        )
    conv_params = [fmt_int(layer.params) for layer in p3.layers if layer.kind == "conv"]
    sizes = [f"{k} \\times {k}" for k in p3.kernel_sizes]
    kernel_list = sizes[0]
    if len(sizes) > 1:
        kernel_list = ", ".join(sizes[:-1]) + r" \text{ or } " + sizes[-1]
    return {
        "input": Tex(f"{p3.input[0]} \\times {p3.input[1]}"),
        "input_channels": p3.input[2],
        "target": Tex(f"{p3.target[0]} \\times {p3.target[1]}"),
        "target_channels": p3.target[2],
        "layers": layers,
        "conv_sum": Tex(" + ".join(conv_params))
        if len(conv_params) > 1
        else Tex("\\text{parameters}"),
        "total": fmt_int(p3.total_params),
        **_heaviest_context(p3),
        # the design in one line, for the answer: conv 5x5, 8 filters -> pool -> ...
        "design_line": Tex(
            r" \to ".join(
                rf"\text{{conv }} {layer.kernel} \times {layer.kernel}\ ({layer.out_shape[2]})"
                if layer.kind == "conv"
                else r"\text{pool}"
                for layer in p3.layers
            )
        ),
        "designed": p3.designed,
        "maps": feature_map_context(p3),
        "kernel_list": Tex(kernel_list),
        **(_designs_context(p3) if p3.designed else {}),
    }


def _heaviest_context(p3: Problem3Result) -> dict[str, Any]:
    """Where the parameters are: the convolution that holds most of them, and its share."""
    convs = [(i + 1, layer) for i, layer in enumerate(p3.layers) if layer.kind == "conv"]
    if len(convs) < 2 or p3.total_params == 0:
        return {"heaviest": None}
    index, layer = max(convs, key=lambda pair: pair[1].params)
    conv_number = [i for i, _ in convs].index(index) + 1
    share = Fraction(layer.params, p3.total_params)
    return {
        "heaviest": {
            "conv": conv_number,
            "params": fmt_int(layer.params),
            "percent": Tex(str(round(share * 100))),
            "last": index == convs[-1][0],
        }
    }


# The document lists every alternative design when there are at most this many, else the best.
ALTERNATIVES_SHOWN = 10


def _why(best: Design, runner_up: Design) -> str:
    """Which rule of the ranking puts the best design first."""
    if best.params != runner_up.params:
        return "params"
    return "layers" if best.depth != runner_up.depth else "kernels"


def _designs_context(p3: Problem3Result) -> dict[str, Any]:
    ranked = p3.designs
    rows = [
        {
            "rank": i + 1,
            "kernels": Tex(", ".join(str(k) for k in d.kernels)),
            "filters": Tex(", ".join(str(f) for f in d.filters)),
            "last": "pool" if d.final_pool else "conv",
            "depth": d.depth,
            "params": fmt_int(d.params),
        }
        for i, d in enumerate(ranked[:ALTERNATIVES_SHOWN])
    ]
    best = ranked[0]
    runner_up = ranked[1] if len(ranked) > 1 else None
    return {
        "designs_total": len(ranked),
        "designs_all_shown": len(ranked) <= ALTERNATIVES_SHOWN,
        "alternatives": rows,
        "why": "only" if runner_up is None else _why(best, runner_up),
        "best_params": fmt_int(best.params),
        "best_depth": best.depth,
        "runner_up_params": fmt_int(runner_up.params) if runner_up else None,
        "runner_up_depth": runner_up.depth if runner_up else None,
        "margin": fmt_int(runner_up.params - best.params) if runner_up else None,
        "filters_fixed": p3.fixed_filters,
        "best_filters": Tex(", ".join(str(f) for f in best.filters)),
    }


HAND_STEP = Fraction(1, 1000)  # the change of b2 in the check a reader redoes by hand


def _hand_check(p1: Problem1Result) -> dict[str, Tex]:
    """A check a reader can redo with a calculator: move b2 by h = 0.001 both ways. Every y_k
    moves by h, so L(b2 +- h) = L +- h sum_k r_k + N h^2 / 2, and the central difference
    [L(b2 + h) - L(b2 - h)] / (2h) is sum_k r_k = dL/db2 exactly."""
    ex, h = p1.exact, HAND_STEP
    up = sum((r + h) * (r + h) for r in ex.r) / 2
    down = sum((r - h) * (r - h) for r in ex.r) / 2
    quotient = (up - down) / (2 * h)
    return {
        "h": num(h),
        "up": num(up),
        "up_rel": approx_or_eq([up]),
        "down": num(down),
        "down_rel": approx_or_eq([down]),
        "quotient": num(quotient),
        "quotient_rel": approx_or_eq([quotient]),
        "grad": num(ex.grad["b2"]),
    }


def build_context(variant: Variant, solution: Solution, solutions: bool) -> dict[str, Any]:
    """The whole context for one document (solutions=False: the problem sheet)."""
    return {
        "meta": variant.meta,
        "solutions": solutions,
        "p1": problem1_context(solution.problem1),
        "p2": problem2_context(solution.problem2),
        "p3": problem3_context(solution.problem3),
        "checks": [{"what": Tex(c.tex[:1].upper() + c.tex[1:])} for c in solution.checks],
        "hand_check": _hand_check(solution.problem1),
        "significant": SIGNIFICANT,
    }


# --- figures -------------------------------------------------------------------------------------


def _cm(value: float) -> str:
    """A coordinate for TikZ/pgfplots: four significant digits, never 1e-05 notation."""
    text = f"{value:.4g}"
    return _fixed(value, 6) if "e" in text else text  # -1e-17 from rounding: 0, not -0.000000


def _points(points: Sequence[tuple[float, float]]) -> Tex:
    return Tex(" ".join(f"({_cm(x)},{_cm(y)})" for x, y in points))


def _samples(ks: Sequence[int]) -> Tex:
    return Tex(", ".join(str(k) for k in ks))


def diagram_context(p1: Problem1Result) -> dict[str, Any] | None:
    """Nodes and weighted edges of the network diagram."""
    diagram = network_diagram(p1)
    if diagram is None:
        return None
    inp = p1.inp

    def node(n: Node) -> dict[str, Any]:
        return {
            "index": n.index,
            "at": Tex(f"({_cm(n.x)},{_cm(n.y)})"),
            "active": _samples(n.active_for),
            "active_count": len(n.active_for),
        }

    biggest = max(abs(w) for row in inp.W1 for w in row) or 1
    edges_in = [
        {
            "i": i + 1,
            "j": j + 1,
            "width": Tex(_cm(0.25 + 1.6 * float(abs(inp.W1[j][i]) / biggest))),
            "negative": inp.W1[j][i] < 0,
        }
        for j in range(p1.h)
        for i in range(p1.d)
        if inp.W1[j][i] != 0  # a zero weight is no connection: the caption says so
    ]
    edges_out = [{"j": j + 1, "label": num(inp.w2[j])} for j in range(p1.h)]
    return {
        "inputs": [node(n) for n in diagram.inputs],
        "hidden": [{**node(n), "bias": num(inp.b1[n.index - 1])} for n in diagram.hidden],
        "output": node(diagram.output),
        "edges_in": edges_in,
        "zero_edges": p1.h * p1.d - len(edges_in),
        "edges_out": edges_out,
        "W1": bmatrix(inp.W1, max_rows=6, max_cols=8),
        "matrix_at": Tex(f"({_cm(diagram.matrix_at[0])},{_cm(diagram.matrix_at[1])})"),
        "b2": num(inp.b2),
        "N": p1.N,
        "relu": p1.activation == "relu",  # "on" and "off" are ReLU's words
    }


def sample_table(p1: Problem1Result) -> list[dict[str, Any]] | None:
    """One row a sample: z, f(z), y, t, r, delta, for following the chain with a finger."""
    if p1.h > SAMPLE_TABLE_UNITS:
        return None
    ex = p1.exact
    return [
        {
            "k": k + 1,
            "z": [num(v) for v in ex.Z[k]],
            "h": [num(v) for v in ex.H[k]],
            "y": num(ex.y[k]),
            "t": num(p1.inp.t[k]),
            "r": num(ex.r[k]),
            "delta": [num(v) for v in ex.delta[k]],
        }
        for k in range(p1.N)
    ]


# Problem 2's paths: a line style and a mark each, so that paths along one line stay apart.
LOOKS = {
    "optimal": "black, thick, mark=*, mark size=1pt",
    "near": "black!70, dashed, mark=square, mark size=1.3pt",
    "above": "black!60, densely dotted, thick, mark=triangle, mark size=1.6pt",
    "stable": "black, thick, mark=*, mark size=1pt",
    "diverging": "black!70, dashed, mark=square, mark size=1.3pt",
}
PLANE_DIGITS = 4  # significant digits of the plot window: a coordinate resolves window / 1000


def _decimals(window: float) -> int:
    """Decimals for plane coordinates: the window's PLANE_DIGITS digits, and no more."""
    return max(0, PLANE_DIGITS - 1 - math.floor(math.log10(window)))


def _fixed(value: float, decimals: int) -> str:
    """value with at most this many decimals: 0.123456789 -> 0.123, 1.000 -> 1, -0.0001 -> 0."""
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _plane(points: Sequence[Point], decimals: int) -> Tex:
    return Tex(" ".join(f"({_fixed(x, decimals)},{_fixed(y, decimals)})" for x, y in points))


def _log_points(values: Sequence[float]) -> Tex:
    """(n, value) for a log axis: four significant digits, 9.886e-05 where small, never a
    fixed number of decimals (those turned 1e-7 into 0.000000 and the curve into a staircase)."""
    return Tex(" ".join(f"({n},{v:.4g})" for n, v in enumerate(values)))


def _look(label: str) -> Tex:
    return Tex(LOOKS[label])


def descent_context(p2: Problem2Result) -> dict[str, Any] | None:
    """Level sets, trajectories and distance curves of problem 2's figures."""
    figure = descent_figure(p2)
    eta_max = p2.eta_max
    if figure is None or eta_max is None:  # a figure is drawn for positive definite S only
        return None
    near, above = num(NEAR_STEP), num(ABOVE_STEP)
    optimal = p2.optimal_step if p2.optimal_step is not None else eta_max / 2
    exact_eta = {  # the steps exactly, so that the legend writes = where nothing is rounded
        "optimal": optimal,
        "near": sp.Rational(str(NEAR_STEP)) * eta_max,
        "above": sp.Rational(str(ABOVE_STEP)) * eta_max,
    }
    names = {
        "optimal": r"\eta^\ast",
        "near": rf"{near}\,\eta_{{\max}}",
        "above": rf"{above}\,\eta_{{\max}}",
    }
    places = _decimals(figure.window)
    return {
        "plane": p2.n == 2,
        "window": Tex(_fixed(figure.window, places)),
        "levels": [
            {
                "x_radius": Tex(_fixed(e.x_radius, places)),
                "y_radius": Tex(_fixed(e.y_radius, places)),
                "angle": Tex(_fixed(e.angle, 2)),
                "arcs": [_plane(arc, places) for arc in e.arcs(figure.window)]
                if e.x_radius > LONG_ELLIPSE * figure.window
                else [],
            }
            for e in figure.level_sets
        ],
        "trajectories": [
            {
                "label": t.label,
                "look": _look(t.label),
                "name": Tex(names[t.label]),
                "eta_rel": _legend_value(exact_eta[t.label])[0],
                "eta": _legend_value(exact_eta[t.label])[1],
                "path": _plane(t.points, places),
                "distances": _log_points(t.distances),
            }
            for t in figure.trajectories
        ],
        "start": Tex("(" + ", ".join(fmt_number(v) for v in figure.start) + ")"),
        "steps": figure.steps,
        # a curve that ends early (below DISTANCE_FLOOR) is explained in the caption
        "curve_ends": any(len(t.distances) < figure.steps + 1 for t in figure.trajectories),
        "path_steps": PATH_STEPS,
        "near_factor": near,  # the two other steps, as multiples of eta_max
        "above_factor": above,
        # |1 - 2 eta lambda| along q_max and q_min at those steps, exactly
        "near_qmax": _factor_text(exact_eta["near"], p2.eigenvalues[-1]),
        "near_qmin": _factor_text(exact_eta["near"], p2.eigenvalues[0]),
        "above_qmax": _factor_text(exact_eta["above"], p2.eigenvalues[-1]),
    }


def _factor_text(eta: sp.Expr, eigenvalue: sp.Expr) -> Tex:
    """|1 - 2 eta lambda| as a reader checks it: 9/10 = 0.9, or (3 + sqrt 5)/10 ~ 0.523607."""
    factor = sp.radsimp(sp.Abs(sp.expand(1 - 2 * eta * eigenvalue)))
    rel, value = _decimal(factor)
    if factor.is_Rational and factor.q == 1:
        return Tex(str(factor))
    return Tex(f"{_exact(factor, inline=True)} {rel} {value}")


RHO_WINDOW = sp.Rational(5, 4)  # the contraction-factor plot runs to 1.25 eta_max


def contraction_context(p2: Problem2Result) -> dict[str, Any] | None:
    """rho(eta) = max_i |1 - 2 eta lambda_i| for a positive definite S, against eta / eta_max
    (so that any scale of A plots alike): the V with its minimum (kappa - 1)/(kappa + 1) at
    eta* and the value 1 at eta_max. Kinks computed exactly, then plotted."""
    if p2.optimal_step is None or p2.optimal_rate is None or p2.eta_max is None:
        return None
    lmin, lmax, eta_max = p2.eigenvalues[0], p2.eigenvalues[-1], p2.eta_max

    def factor(eta: sp.Expr, eigenvalue: sp.Expr) -> sp.Expr:
        return sp.Abs(1 - 2 * eta * eigenvalue)

    def line(eigenvalue: sp.Expr) -> Tex:
        """|1 - 2 eta lambda| up to the window: straight, with a kink where it touches 0."""
        etas = [sp.Integer(0), RHO_WINDOW * eta_max]
        zero = 1 / (2 * eigenvalue)
        if sp.N(zero / eta_max, 30) < RHO_WINDOW:
            etas.insert(1, zero)
        return _graph([(e / eta_max, factor(e, eigenvalue)) for e in etas])

    kinks = [sp.Integer(0), p2.optimal_step, eta_max, RHO_WINDOW * eta_max]
    kappa = sp.radsimp(lmax / lmin)
    return {
        "rho": _graph([(e / eta_max, sp.Max(factor(e, lmin), factor(e, lmax))) for e in kinks]),
        "low": line(lmin),
        "high": line(lmax),
        "bottom": _graph([(p2.optimal_step / eta_max, p2.optimal_rate)]),
        # the label under the dot, a little lower (axis units)
        "bottom_at": Tex(
            f"{_cm(float(sp.N(p2.optimal_step / eta_max, 30)))},"
            f"{_cm(float(sp.N(p2.optimal_rate, 30)) - 0.06)}"
        ),
        "xmax": Tex(_cm(float(RHO_WINDOW))),
        "one": _graph([(sp.Integer(0), sp.Integer(1)), (RHO_WINDOW, sp.Integer(1))]),
        "kappa_eq": _inline_eq(kappa),
    }


def _graph(points: list[tuple[sp.Expr, sp.Expr]]) -> Tex:
    """Exact points as plot coordinates."""
    return _points([(float(sp.N(x, 30)), float(sp.N(y, 30))) for x, y in points])


def saddle_context(p2: Problem2Result) -> dict[str, Any] | None:
    """Hyperbolas, the stable line and the two paths of an indefinite 2x2 problem's figure."""
    figure = saddle_figure(p2)
    if figure is None:
        return None
    places = _decimals(figure.window)
    stable, diverging = figure.trajectories
    return {
        "window": Tex(_fixed(figure.window, places)),
        "levels": [_plane(branch, places) for h in figure.level_sets for branch in h.branches],
        "stable_line": _plane(figure.stable_line, places),
        "eta": num(figure.eta),
        "eta_fraction": num(figure.eta * float(p2.eigenvalues[-1])),
        "stable": {"look": _look("stable"), "path": _plane(stable.points, places)},
        "diverging": {"look": _look("diverging"), "path": _plane(diverging.points, places)},
        "stable_start": _start(stable.points[0]),
        "stable_start_rel": _start_rel(stable.points[0]),
        "start": _start(diverging.points[0]),
        "start_rel": _start_rel(diverging.points[0]),
        "stable_factor": num(1 - 2 * figure.eta * float(p2.eigenvalues[-1])),
        "growth": num(1 - 2 * figure.eta * float(p2.eigenvalues[0])),
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


def _layer_label(made_by: tuple[str, int] | None) -> Tex:
    """('conv', 5) -> \\text{conv } 5 \\times 5 (math); nothing for the input."""
    if made_by is None:
        return Tex("")
    kind, kernel = made_by
    return Tex(rf"\text{{{kind} }} {kernel} \times {kernel}")


def feature_map_context(p3: Problem3Result) -> list[dict[str, Any]]:
    """Boxes and arrows of the feature-map drawing."""
    return [
        {
            "lower_left": _points([(box.x, -box.height / 2)]),
            "upper_right": _points([(box.x + box.width, box.height / 2)]),
            "below": _points([(box.x + box.width / 2, -box.height / 2)]),
            "left": _points([(box.x, 0.0)]),
            "right": _points([(box.x + box.width, 0.0)]),
            "label": Tex(r" \times ".join(str(n) for n in box.shape)),
            "arrow": _layer_label(box.made_by),
        }
        for box in feature_maps(p3)
    ]
