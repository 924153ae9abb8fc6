"""The network problem's templates' context: every number and formula as TeX, no prose."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from solgen.markup.latex import (
    Tex,
    approx_or_eq,
    bmatrix,
    column,
    data_blocks,
    elides,
    fmt_alike,
    fmt_exact,
    fmt_int,
    fmt_number,
    is_exact,
    num,
    sym,
    vector_blocks,
)
from solgen.markup.plotting import cm
from solgen.problems.network import derive as p1_network
from solgen.problems.network.derive import Cost, NetworkResult
from solgen.problems.network.fields import DATA_FILES, NetworkInput
from solgen.problems.network.figures import Node, network_diagram

# More samples than this and the loss is shown as a sum, not term by term.
TERMWISE_LIMIT = 6


# Larger than this and Z = X W^T + 1 b^T is shown without its factors written out.
EXPAND_ROWS = 6


# The per-sample table of intermediate values is drawn for at most this many hidden units.
SAMPLE_TABLE_UNITS = 3
SAMPLE_TABLE_ONE_LINE = 2  # units whose table fits one line of 3h + 4 columns at full size


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
READ_BACK_SAMPLES = 3  # a unit active for more samples than this is not read back
READ_BACK_INPUTS = 6  # nor is a network whose samples have more inputs (a row too long to read)


def _tuple(values: Sequence[Any]) -> Tex:
    return Tex("(" + ", ".join(fmt_number(v) for v in values) + ")")


def _read_back(p1: NetworkResult) -> list[dict[str, Any]]:
    """ReLU units a reader checks by hand: row j of dL/dW1 is the sum of delta_kj x_k^T over
    the samples k that switch unit j on (z_kj > 0), so a unit active for one sample has a row
    that is one number times that sample, and a unit active for none a zero row."""
    if p1.activation != "relu" or p1.h > READ_BACK_UNITS or p1.d > READ_BACK_INPUTS:
        return []
    found = []
    for j in range(p1.h):
        active = [k for k in range(p1.N) if p1.exact.Z[k, j] > 0]
        if len(active) > READ_BACK_SAMPLES or (p1.N > 1 and len(active) == p1.N):
            continue  # too long to read, or the whole of Delta^T X over again
        found.append(_read_back_unit(p1, j, active))
    return found


def _read_back_unit(p1: NetworkResult, j: int, active: list[int]) -> dict[str, Any]:
    """Unit j (0-based) read back from its active samples (0-based): the sums and their terms."""
    item: dict[str, Any] = {"j": j + 1, "samples": len(active)}
    if not active:
        return item
    ex, row = p1.exact, list(p1.exact.grad["W1"][j])
    deltas = [rf"\delta_{{{k + 1}{j + 1}}}" for k in active]
    return item | {
        "k": active[0] + 1,
        "ks": _and_list([k + 1 for k in active]),
        "terms": [
            {"k": k + 1, "delta": num(ex.delta[k, j]), "x": _tuple(p1.inp.X[k])} for k in active
        ],
        "row_sum": Tex(
            " + ".join(
                rf"{d}\,\mathbf{{x}}_{{{k + 1}}}^\top" for d, k in zip(deltas, active, strict=True)
            )
        ),
        "delta_sum": Tex(" + ".join(deltas)),
        "delta_terms": Tex(" + ".join(rf"\bigl( {num(ex.delta[k, j])} \bigr)" for k in active)),
        "row": _tuple(row),
        "row_rel": approx_or_eq(row),
        "b1": num(ex.grad["b1"][j]),
        "b1_rel": approx_or_eq([ex.grad["b1"][j]]),
    }


def statement_context(inp: NetworkInput, whole: bool = False) -> dict[str, Any]:
    """What the statement (network-statement.tex.j2) shows, from the input alone: the data as
    the PDF prints them (large matrices elided, the appendix and data/ hold every entry), or
    whole and exact (an LMS page, which has neither)."""
    n, d, h = len(inp.X), len(inp.X[0]), len(inp.W1)
    number = fmt_exact if whole else fmt_number
    rows: dict[str, int] = {"max_rows": max(n, h)} if whole else {}  # no dots when whole
    columns: dict[str, int] = {"max_cols": d} if whole else {}
    return {
        "activation": inp.activation,
        # a small network's W1, b1, w2, b2 share one line of the statement (the sheet fits a page)
        "parameters_one_line": h <= 4 and d <= 5,
        "N": n,
        "d": d,
        "h": h,
        "f": _activation_tex(inp.activation),
        "X": bmatrix(inp.X, number=number, **rows, **columns),
        "t": column(inp.t, number=number, **rows),
        "W1": bmatrix(inp.W1, number=number, **rows, **columns),
        "b1": column(inp.b1, number=number, **rows),
        "w2": column(inp.w2, number=number, **rows),
        "b2": Tex(number(inp.b2)),
        "appendix": [] if whole else _appendix(inp),
        "data_files": [Tex(rf"\texttt{{data/{name}}}") for name in DATA_FILES],
    }


@functools.cache
def _activation_tex(activation: str) -> Tex:
    """f(z) as TeX: the derivation's f, which derive checks is activation_expr's."""
    return sym(p1_network.activation_expr(activation))


def context(p1: NetworkResult) -> dict[str, Any]:
    """The network problem's numbers and formulas."""
    deriv = p1.derivation
    ex = p1.exact
    inp = p1.inp
    rw = np.outer(ex.r, np.array(inp.w2, dtype=object))
    forms = p1_network.matrix_forms(p1.N, p1.d, p1.h)
    squares = [v * v for v in ex.r]
    total = sum(squares)
    return {
        **statement_context(inp),
        "read_back": _read_back(p1),
        "termwise": p1.N <= TERMWISE_LIMIT and all(is_exact(v) for v in ex.r),
        # Show the factors of the products only while they fit on a line.
        "expand_products": p1.N <= EXPAND_ROWS and p1.d + 2 * p1.h <= EXPAND_COLUMNS,
        # the data the solution shows besides the statement's
        "W1T": bmatrix(list(zip(*inp.W1, strict=True))),
        "ones_b1": bmatrix([inp.b1] * p1.N),
        # the derivation
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
        "residual_sum": _squares(list(ex.r)),
        "squares_sum": Tex(" + ".join(fmt_number(v) for v in squares)),
        "squares_rel": approx_or_eq(squares),
        "sum_squares": num(total),
        "sum_squares_rel": approx_or_eq([total]),
        "loss": num(ex.loss),
        "loss_rel": approx_or_eq([ex.loss]),
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
        "grad_appendix": data_blocks(r"\partial L / \partial W^{(1)}", ex.grad["W1"].tolist())
        if elides(p1.h, p1.d)
        else [],
        "samples": sample_table(p1),
        # more units than this: the table's forward and backward halves stand one above the other
        "samples_split": p1.h > SAMPLE_TABLE_ONE_LINE,
        "cost": _cost(p1.cost),
        "cost_scaled": _cost(p1.cost_scaled),
        "cost_formula": _cost_formulas(),
        "hand_check": _hand_check(p1),
    }


def _appendix(inp: NetworkInput) -> list[dict[str, Tex | None]]:
    """The full data of a network too large to print whole in the statement (else [])."""
    n, d, h = len(inp.X), len(inp.X[0]), len(inp.W1)
    if not (elides(n, d) or elides(h, d)):
        return []
    blocks = data_blocks("X", inp.X) + vector_blocks(r"\mathbf{t}", inp.t)
    blocks += data_blocks("W^{(1)}", inp.W1)
    blocks += vector_blocks(r"\mathbf{b}^{(1)}", inp.b1)
    blocks += vector_blocks(r"\mathbf{w}^{(2)}", inp.w2)
    return blocks


# The change of b2 in the check a reader redoes by hand. L is quadratic in b2, so the central
# difference is exact for every h; a large one keeps it readable from L's rounded values (with
# h = 0.001 the six digits of L(b2 +- h) left two digits of the quotient).
HAND_STEP = Fraction(1, 10)


def _squares(values: Sequence[Any]) -> Tex:
    """(v_1)^2 + (v_2)^2 + ...: each value in parentheses when negative."""
    return Tex(
        " + ".join(f"({fmt_number(v)})^2" if v < 0 else f"{fmt_number(v)}^2" for v in values)
    )


def _hand_check(p1: NetworkResult) -> dict[str, Any]:
    """A check a reader can redo with a calculator: move b2 by h both ways. Every y_k moves by
    h, so L(b2 +- h) = L +- h sum_k r_k + N h^2 / 2, and the central difference
    [L(b2 + h) - L(b2 - h)] / (2h) is sum_k r_k = dL/db2 exactly. With few exact residuals
    L(b2 +- h) is also written out from the moved residuals, for the reader to recompute."""
    ex, h = p1.exact, HAND_STEP
    up_r, down_r = [r + h for r in ex.r], [r - h for r in ex.r]
    up = sum(r * r for r in up_r) / 2
    down = sum(r * r for r in down_r) / 2
    quotient = (up - down) / (2 * h)
    written = p1.N <= TERMWISE_LIMIT and all(is_exact(v) for v in (*up_r, *down_r))
    return {
        "h": num(h),
        "N": p1.N,
        "up": num(up),
        "up_rel": approx_or_eq([up]),
        "down": num(down),
        "down_rel": approx_or_eq([down]),
        "up_squares": _squares(up_r) if written else None,
        "down_squares": _squares(down_r) if written else None,
        "quotient": num(quotient),
        "quotient_rel": approx_or_eq([quotient]),
        "grad": num(ex.grad["b2"]),
    }


def _and_list(ks: Sequence[int]) -> Tex:
    """Sample numbers as running text: '$1$ and $3$', '$1$, $2$ and $3$'."""
    items = [f"${k}$" for k in ks]
    return Tex(", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else items[0])


def _samples(ks: Sequence[int]) -> Tex:
    return Tex(", ".join(str(k) for k in ks))


def diagram_context(p1: NetworkResult) -> dict[str, Any] | None:
    """Nodes and weighted edges of the network diagram."""
    diagram = network_diagram(p1)
    if diagram is None:
        return None
    inp = p1.inp

    def node(n: Node) -> dict[str, Any]:
        return {
            "index": n.index,
            "at": Tex(f"({cm(n.x)},{cm(n.y)})"),
            "active": _samples(n.active_for),
            "active_count": len(n.active_for),
        }

    biggest = max(abs(w) for row in inp.W1 for w in row) or 1
    edges_in = [
        {
            "i": i + 1,
            "j": j + 1,
            "width": Tex(cm(0.25 + 1.6 * float(abs(inp.W1[j][i]) / biggest))),
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
        "matrix_at": Tex(f"({cm(diagram.matrix_at[0])},{cm(diagram.matrix_at[1])})"),
        "b2": num(inp.b2),
        "N": p1.N,
        "relu": p1.activation == "relu",  # "on" and "off" are ReLU's words
    }


def sample_table(p1: NetworkResult) -> list[dict[str, Any]] | None:
    """One row per sample: z, f(z), y, t, r, delta, for following the chain with a finger;
    each column printed alike (fmt_alike: one precision, its zeros kept), so that its d
    column aligns it on the decimal point."""
    if p1.h > SAMPLE_TABLE_UNITS:
        return None
    ex, rows = p1.exact, range(p1.N)

    def alike(values: list[Any]) -> list[Tex]:
        return [Tex(text) for text in fmt_alike(values)]

    z = [alike([ex.Z[k][j] for k in rows]) for j in range(p1.h)]
    h = [alike([ex.H[k][j] for k in rows]) for j in range(p1.h)]
    delta = [alike([ex.delta[k][j] for k in rows]) for j in range(p1.h)]
    y, t, r = alike(list(ex.y)), alike(list(p1.inp.t)), alike(list(ex.r))
    return [
        {
            "k": k + 1,
            "z": [column[k] for column in z],
            "h": [column[k] for column in h],
            "y": y[k],
            "t": t[k],
            "r": r[k],
            "delta": [column[k] for column in delta],
        }
        for k in rows
    ]
