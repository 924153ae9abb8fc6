"""Problem results -> the templates' context: every number and formula as TeX, no prose."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import sympy as sp

from solgen.figures import LONG_ELLIPSE, Node, descent_figure, feature_maps, network_diagram
from solgen.latex import (
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
    row,
    sym,
    vector_blocks,
)
from solgen.problems import p1_network
from solgen.problems.p1_network import Cost, Problem1Result
from solgen.problems.p2_descent import Problem2Result
from solgen.problems.p3_convnet import Problem3Result
from solgen.problems.p3_design import Design
from solgen.results import Solution
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
    return {
        "N": fmt_int(c.N),
        "d": fmt_int(c.d),
        "h": fmt_int(c.h),
        "params": fmt_int(c.params),
        "forward_pass": fmt_int(c.forward_pass),
        "backward_pass": fmt_int(c.backward_pass),
        "tangent_pass": fmt_int(c.tangent_pass),
        "reverse_total": fmt_int(c.reverse_total),
        "forward_total": fmt_int(c.forward_total),
        "ratio": Tex(f"{c.forward_total / c.reverse_total:.1f}"),
    }


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
    mask_rows = [[1 if v > 0 else 0 for v in row_] for row_ in ex.Z]
    return {
        "activation": p1.activation,
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
        "b1_row": row(inp.b1),
        "ones_b1": bmatrix([inp.b1] * p1.N),
        "ones": column([1] * p1.N),
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
        "mask": bmatrix(mask_rows),
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
        "rw": bmatrix(rw.tolist()),
        "rw_rel": _rel(rw),
        "Delta": bmatrix(ex.delta.tolist()),
        "Delta_rel": _rel(ex.delta),
        "grad_W1": bmatrix(ex.grad["W1"].tolist()),
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
    }


def _appendix(p1: Problem1Result) -> list[dict[str, Tex]]:
    """The full data of a network too large to print whole in the statement (else [])."""
    inp = p1.inp
    if not (elides(p1.N, p1.d) or elides(p1.h, p1.d)):
        return []
    blocks = data_blocks("X", inp.X) + vector_blocks(r"\mathbf{t}", inp.t)
    blocks += data_blocks("W^{(1)}", inp.W1)
    blocks += vector_blocks(r"\mathbf{b}^{(1)}", inp.b1)
    blocks += vector_blocks(r"\mathbf{w}^{(2)}", inp.w2)
    return blocks


def _eq(expr: sp.Expr) -> Tex:
    """'= 1/6', '= (7 - sqrt 5)/22 \\approx 0.216542', or '\\approx 0.22783' (no closed form)."""
    value = fmt_number(float(sp.N(expr, 30)))
    if expr.has(sp.CRootOf):
        return Tex(rf"\approx {value}")
    if expr.is_Rational:
        return Tex(f"= {sym(expr)}")
    return Tex(rf"= {sym(expr)} \approx {value}")


def _inline(expr: sp.Expr) -> Tex:
    """A bound for running text: '1/6 \\approx 0.166667'."""
    value = fmt_number(float(sp.N(expr, 30)))
    if expr.has(sp.CRootOf):
        return Tex(rf"1/\lambda_{{\max}} \approx {value}")
    return Tex(rf"{sym(expr, fold_short_frac=True)} \approx {value}")


def _factor_count(expr: sp.Expr) -> int:
    """Non-constant factors (with multiplicity) of a factored polynomial."""
    _, factors = sp.factor_list(expr)
    return sum(multiplicity for _, multiplicity in factors)


def problem2_context(p2: Problem2Result) -> dict[str, Any]:
    """Problem 2's numbers and formulas."""
    u = sp.Matrix(p2.coords)
    eig_exact = p2.eigenvalues_exact_printable
    eigen = [
        sym(e) if eig_exact else Tex(fmt_number(float(v)))
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
        "u": sym(u),
        "u_inline": Tex(r"\bigl(" + ", ".join(sym(c) for c in p2.coords) + r"\bigr)^{\top}"),
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
        "factors": [sym(f) for f in p2.factors],
        "definiteness": p2.definiteness,
        "zero_eigenvalues": p2.zero_eigenvalues,
        "negative_eigenvalues": p2.negative_eigenvalues,
        "lambda_max_eq": _eq(lam_max),
        "eta_max_eq": None if p2.eta_max is None else _eq(p2.eta_max),
        "eta_max_inline": None if p2.eta_max is None else _inline(p2.eta_max),
        "optimal_step_eq": None if p2.optimal_step is None else _eq(p2.optimal_step),
        "optimal_rate_eq": None if p2.optimal_rate is None else _eq(p2.optimal_rate),
        "figure": descent_context(p2),
        "coords_first": sym(p2.coords[0]),
        "coords_second": sym(p2.coords[1]) if p2.n > 1 else None,
        "optimal_rate_inline": None
        if p2.optimal_rate is None
        else Tex(fmt_number(float(sp.N(p2.optimal_rate, 30)))),
        "ls_matrix_form": Tex(rf"\frac{{{sym(ls.numerator)}}}{{{sym(ls.denominator)}}}"),
        "ls_explicit": None if ls.explicit is None else sym(ls.explicit),
        "ls_low": None if p2.eta_max is None else _eq(sp.radsimp(1 / (2 * lam_max))),
        "ls_can_exceed": p2.definiteness == "positive definite"
        # 1/(2 lambda_min) > 1/lambda_max, for positive eigenvalues: decided exactly
        and bool(lam_max > 2 * lam_min),
        "ls_high": None
        if p2.definiteness != "positive definite"
        else _eq(sp.radsimp(1 / (2 * lam_min))),
    }


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
        "designed": p3.designed,
        "maps": feature_map_context(p3),
        "kernel_list": Tex(kernel_list),
        **(_designs_context(p3) if p3.designed else {}),
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


def build_context(variant: Variant, solution: Solution, solutions: bool) -> dict[str, Any]:
    """The whole context for one document (solutions=False: the problem sheet)."""
    return {
        "meta": variant.meta,
        "solutions": solutions,
        "p1": problem1_context(solution.problem1),
        "p2": problem2_context(solution.problem2),
        "p3": problem3_context(solution.problem3),
        "checks": [{"what": Tex(c.tex), "passed": c.passed} for c in solution.checks],
    }


# --- figures -------------------------------------------------------------------------------------


def _cm(value: float) -> str:
    """A coordinate for TikZ/pgfplots: four significant digits, never 1e-05 notation."""
    text = f"{value:.4g}"
    return f"{value:.6f}" if "e" in text else text


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
    ]
    edges_out = [{"j": j + 1, "label": num(inp.w2[j])} for j in range(p1.h)]
    return {
        "inputs": [node(n) for n in diagram.inputs],
        "hidden": [{**node(n), "bias": num(inp.b1[n.index - 1])} for n in diagram.hidden],
        "output": node(diagram.output),
        "edges_in": edges_in,
        "edges_out": edges_out,
        "W1": bmatrix(inp.W1, max_rows=6, max_cols=8),
        "matrix_shift": Tex(_cm(diagram.hidden[0].x / 2)),
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


def descent_context(p2: Problem2Result) -> dict[str, Any] | None:
    """Level sets, trajectories and distance curves of problem 2's figures."""
    figure = descent_figure(p2)
    if figure is None:
        return None
    names = {"optimal": r"\eta^\ast", "near": r"0.95\,\eta_{\max}", "above": r"1.05\,\eta_{\max}"}
    return {
        "plane": p2.n == 2,
        "window": Tex(_cm(figure.window)),
        "levels": [
            {
                "x_radius": Tex(_cm(e.x_radius)),
                "y_radius": Tex(_cm(e.y_radius)),
                "angle": Tex(_cm(e.angle)),
                "arcs": [_points(arc) for arc in e.arcs(figure.window)]
                if e.x_radius > LONG_ELLIPSE * figure.window
                else [],
            }
            for e in figure.level_sets
        ],
        "trajectories": [
            {
                "label": t.label,
                "name": Tex(names[t.label]),
                "eta": num(t.eta),
                "path": _points(t.points),
                "distances": Tex(
                    " ".join(f"({n},{d:.5e})" for n, d in enumerate(t.distances))
                ),  # pgfplots reads 1.23450e-07: a log axis needs the digits, not 0.000000
            }
            for t in figure.trajectories
        ],
        "start": Tex("(" + ", ".join(fmt_number(v) for v in figure.start) + ")"),
        "steps": figure.steps,
    }


def _layer_label(arrow: str) -> Tex:
    """'conv 5x5' -> \\text{conv } 5 \\times 5 (math)."""
    if not arrow:
        return Tex("")
    kind, size = arrow.split(" ")
    a, b = size.split("x")
    return Tex(rf"\text{{{kind} }} {a} \times {b}")


def feature_map_context(p3: Problem3Result) -> list[dict[str, Any]]:
    """Boxes and arrows of the feature-map drawing."""
    return [
        {
            "lower_left": _points([(box.x, -box.height / 2)]),
            "upper_right": _points([(box.x + box.width, box.height / 2)]),
            "below": _points([(box.x + box.width / 2, -box.height / 2)]),
            "left": _points([(box.x, 0.0)]),
            "right": _points([(box.x + box.width, 0.0)]),
            "label": Tex(box.label.replace("x", r" \times ")),
            "arrow": _layer_label(box.arrow),
        }
        for box in feature_maps(p3)
    ]
