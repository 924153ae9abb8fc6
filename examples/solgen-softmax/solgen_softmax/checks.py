"""The softmax problem's self-checks: each answer recomputed from the inputs by another route.

- softmax_forward_float64, softmax_gradient_float64: p, L, dL/dz, dL/dW and dL/db in float64
  by NumPy (a stable log-sum-exp, the logits from W, b and x), each within a float64 error
  bound of the certified value; the measure is the largest error as a fraction of its bound.
- softmax_central_differences: dL/dz_i for every class and dL/dW_ij for up to
  MAX_W_ENTRIES entries against central differences of a loss rebuilt from the inputs at
  60 digits (the logits by FLINT's exact matrix product), within 1e-20 of max(1, |g|).
- softmax_sum_to_one: the exact probabilities sum to 1 (SymPy: a rational function of the
  exponentials that cancels to 1), the balls' sum holds 1 and is narrower than an ulp, and
  the floats sum to 1 within their roundings.
- softmax_derivative_symbolic: SymPy differentiates the loss written out for this variant's C
  classes (not the generic derivation) and the result equals p - e_c, for every class.
- softmax_float64_rounding: every float of results.json is its exact value correctly rounded
  (decided by the balls).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import flint
import mpmath
import numpy as np
import sympy as sp

from solgen.base.certified import fmpq_of
from solgen.base.messages import plural
from solgen.problems.checking import TINY, UNIT, ratio, short, tex_float
from solgen.problems.problem import Check
from solgen_softmax.solve import SoftmaxResult

DIGITS = 60
STEP = mpmath.mpf(10) ** -18
TOLERANCE = 1e-20  # of max(1, |g|): the central difference's own error is about step^2
MAX_W_ENTRIES = 12  # dL/dW entries checked by central differences (evenly spread)


class Float64Pass:
    """The softmax problem in float64 from the inputs, each quantity with an error bound.

    The bounds, with u = 2^-53: every input rounded once; z_i = W_i x + b_i within
    (d + 4) u s_i, s_i = sum_j |W_ij x_j| + |b_i|; the shifted logits w_i = z_i - max z within
    e_i = Dz_i + u |w_i|; p_i within a relative 1.01 (e_i + max_j e_j) + (C + 5) u
    (exp and the sum: exp(e) - 1 <= 1.01 e for small e); L = log(sum e^w) + (max z - z_c)
    within the sum's relative error, two roundings and Dz_c; dL/dz_i = p_i - [i = c] within
    p_i's bound and one rounding; dL/dW_ij = dL/dz_i x_j within |x_j| times that and two
    roundings.
    """

    def __init__(self, result: SoftmaxResult) -> None:
        inp = result.inp
        W = np.array([[float(v) for v in row] for row in inp.W])
        b = np.array([float(v) for v in inp.b])
        x = np.array([float(v) for v in inp.x])
        C, d, c = inp.C, inp.d, inp.label - 1
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            z = W @ x + b
            z_bound = 1.01 * (d + 4) * UNIT * (np.abs(W) @ np.abs(x) + np.abs(b)) + TINY
            m = float(np.max(z))
            w = z - m
            e = z_bound + UNIT * np.abs(w)
            exps = np.exp(w)
            total = float(np.sum(exps))
            p = exps / total
            p_relative = 1.01 * (e + np.max(e)) + (C + 5) * UNIT
            self.p_bound = np.abs(p) * p_relative * 1.01 + 4 * TINY
            shift = m - z[c]
            log_total = math.log(total)
            self.loss = log_total + shift
            sum_relative = 1.01 * float(np.max(e)) + (C + 3) * UNIT
            self.loss_bound = (
                1.01 * sum_relative
                + UNIT * abs(log_total)
                + UNIT * (abs(m) + abs(z[c]))
                + float(z_bound[c])
                + 2 * UNIT * (abs(shift) + abs(self.loss))
                + TINY
            )
            onehot = np.zeros(C)
            onehot[c] = 1.0
            dz = p - onehot
            self.dz_bound = self.p_bound + UNIT * np.abs(dz) + TINY
            dW = np.outer(dz, x)
            self.dW_bound = np.outer(self.dz_bound, np.abs(x)) + 2 * UNIT * np.abs(dW) + TINY
        self.z, self.p, self.dz, self.dW = z, p, dz, dW


def forward_check(result: SoftmaxResult, run: Float64Pass) -> Check:
    """p and L in float64 (a stable log-sum-exp from W, b, x) against the certified floats."""
    f = result.floats
    worst = max(
        ratio(run.p, f.probabilities, run.p_bound),
        ratio(run.loss, f.loss, run.loss_bound),
    )
    what = (
        f"p and L recomputed from W, b and x in float64 by NumPy (a stable log-sum-exp) agree "
        f"with the certified values; the largest error is {worst:.2g} of its float64 bound"
    )
    tex = (
        r"$\mathbf{p}$ and $L$ recomputed from $W$, $\mathbf{b}$ and $\mathbf{x}$ in float64 "
        r"by NumPy (a stable log-sum-exp) agree with the certified values, the largest error "
        rf"being ${worst:.2g}$ of its float64 bound"
    )
    return Check("softmax_forward_float64", what, worst, worst <= 1, tex)


def gradient_check(result: SoftmaxResult, run: Float64Pass) -> Check:
    """dL/dz, dL/dW and dL/db in float64 (p - e_c, its outer product with x) against the
    certified floats."""
    f = result.floats
    worst = max(
        ratio(run.dz, f.dz, run.dz_bound),
        ratio(run.dz, f.db, run.dz_bound),
        ratio(run.dW, f.dW, run.dW_bound),
    )
    count = result.C * result.d + 2 * result.C
    what = (
        f"all {count} gradient entries recomputed in float64 (p - e_c and its outer product "
        f"with x) agree with the certified values; the largest error is {worst:.2g} of its "
        "float64 bound"
    )
    tex = (
        rf"all ${count}$ gradient entries recomputed in float64 "
        r"($\mathbf{p} - \mathbf{e}_c$ and its outer product with $\mathbf{x}$) agree with the "
        rf"certified values, the largest error being ${worst:.2g}$ of its float64 bound"
    )
    return Check("softmax_gradient_float64", what, worst, worst <= 1, tex)


def _spread(count: int, limit: int) -> list[int]:
    """At most limit of range(count), evenly spread."""
    if count <= limit:
        return list(range(count))
    return [int(k * count / limit) for k in range(limit)]


def _mp(value: Fraction | flint.fmpq) -> Any:
    return mpmath.mpf(int(value.numerator)) / int(value.denominator)


def central_difference_check(result: SoftmaxResult) -> Check:
    """dL/dz and some dL/dW against central differences of the loss rebuilt from the inputs."""
    inp = result.inp
    C, d, c = inp.C, inp.d, inp.label - 1
    W = flint.fmpq_mat([[fmpq_of(v) for v in row] for row in inp.W])
    x = flint.fmpq_mat([[fmpq_of(v)] for v in inp.x])
    Wx = W * x  # exact
    magnitude = int(math.log10(1 + abs(float(result.floats.loss))))
    with mpmath.workdps(DIGITS + magnitude):
        z = [_mp(Wx[i, 0]) + _mp(inp.b[i]) for i in range(C)]
        Wm = [[_mp(v) for v in row] for row in inp.W]
        xs = [_mp(v) for v in inp.x]
        bs = [_mp(v) for v in inp.b]

        def loss(logit: list[Any]) -> Any:
            top = max(logit)
            return mpmath.log(mpmath.fsum(mpmath.exp(v - top) for v in logit)) + top - logit[c]

        def moved(i: int, by: Any) -> list[Any]:
            return [v + by if k == i else v for k, v in enumerate(z)]

        worst = mpmath.mpf(0)
        for i in range(C):
            difference = (loss(moved(i, STEP)) - loss(moved(i, -STEP))) / (2 * STEP)
            g = result.values.dz[i]
            worst = max(worst, abs(difference - g) / max(1, abs(g)))
        entries = [(k // d, k % d) for k in _spread(C * d, MAX_W_ENTRIES)]

        def logits_at(i: int, j: int, by: Any) -> list[Any]:
            """z = (W + by E_ij) x + b, at the working precision."""
            rows = [
                [w + by if (k, m) == (i, j) else w for m, w in enumerate(row)]
                for k, row in enumerate(Wm)
            ]
            return [
                mpmath.fsum(w * v for w, v in zip(row, xs, strict=True)) + bias
                for row, bias in zip(rows, bs, strict=True)
            ]

        for i, j in entries:
            difference = (loss(logits_at(i, j, STEP)) - loss(logits_at(i, j, -STEP))) / (2 * STEP)
            g = result.values.dW[i][j]
            worst = max(worst, abs(difference - g) / max(1, abs(g)))
    error = float(worst)
    passed = error < TOLERANCE
    what = (
        f"dL/dz ({plural(C, 'entry')}) and {plural(len(entries), 'entry')} of dL/dW agree "
        f"with central differences of the loss rebuilt from W, b and x at {DIGITS} digits, "
        f"within 1e-20 of max(1, |g|); largest {short(error)}"
    )
    within = "every difference within $10^{-20}$"
    if not passed:
        within = f"the largest relative difference being ${tex_float(error)}$"
    tex = (
        rf"$\partial L/\partial \mathbf{{z}}$ (${C}$ entries) and ${len(entries)}$ entries of "
        r"$\partial L/\partial W$ agree with central differences of the loss rebuilt from the "
        rf"inputs at {DIGITS} digits, {within}"
    )
    return Check("softmax_central_differences", what, error, passed, tex)


def sum_check(result: SoftmaxResult) -> Check:
    """The probabilities sum to 1: exactly (SymPy), in the balls, and in the floats."""
    p = result.exact.probabilities
    exps = sorted(
        {a for expr in p for a in sp.preorder_traversal(expr) if isinstance(a, sp.exp)},
        key=sp.default_sort_key,
    )
    symbols = sp.symbols(f"u0:{len(exps)}", positive=True)
    rational = [expr.xreplace(dict(zip(exps, symbols, strict=True))) for expr in p]
    identity = sp.cancel(sp.together(sp.Add(*rational))) == 1
    with flint.ctx.workprec(result.bits):
        total = sum(result.balls.probabilities, flint.arb(0))
        in_ball = bool(total.contains(1)) and float(total.rad()) < UNIT
    floats = result.floats.probabilities
    # Exactly, in fractions: each float is within half an ulp of its probability.
    deviation = float(abs(sum((Fraction(v) for v in floats), Fraction(0)) - 1))
    allowed = sum(math.ulp(v) / 2 for v in floats)
    passed = identity and in_ball and deviation <= allowed
    error = deviation if identity and in_ball else max(deviation, 1.0)
    what = (
        f"the {len(p)} exact probabilities sum to 1 (SymPy cancels the sum of the exponentials' "
        f"rational function to 1), their balls' sum holds 1 within less than an ulp, and the "
        f"floats sum to 1 within their roundings (off by {short(deviation)})"
    )
    tex = (
        rf"the ${len(p)}$ exact probabilities sum to $1$ (SymPy), their balls' sum holds $1$ "
        r"within less than an ulp, and the floats sum to $1$ within their roundings"
    )
    return Check("softmax_sum_to_one", what, error, passed, tex)


def wrong_derivatives(C: int, c: int, stated: Callable[[int, Any, Any], Any]) -> int:
    """How many of the C derivatives of the loss written out for C classes (label c, from 0)
    differ from stated(i, e^{z_i}, S), by SymPy; stated gives the formula p_i - [i = c]."""
    z = sp.symbols(f"z1:{C + 1}", real=True)
    u = sp.symbols(f"u1:{C + 1}", positive=True)
    # z_k = log u_k: every exponential of the derivative (e^{2 z_c}, e^{-z_c}, ...) becomes
    # a power of the u's, and the difference a rational function that cancels to 0.
    as_u = {v: sp.log(w) for v, w in zip(z, u, strict=True)}
    total = sp.Add(*(sp.exp(v) for v in z))
    loss = -sp.log(sp.exp(z[c]) / total)
    wrong = 0
    for i in range(C):
        difference = (sp.diff(loss, z[i]) - stated(i, sp.exp(z[i]), total)).subs(as_u)
        if sp.cancel(sp.together(difference)) != 0:
            wrong += 1
    return wrong


def symbolic_check(result: SoftmaxResult) -> Check:
    """SymPy's derivative of the loss written out for this C equals p - e_c, every class."""
    C, c = result.C, result.label - 1
    wrong = wrong_derivatives(C, c, lambda i, e, total: e / total - (1 if i == c else 0))
    what = (
        f"SymPy differentiates L = -log(e^(z_c) / sum_j e^(z_j)) written out for the {C} "
        f"classes in each z_i, and every derivative equals p_i - [i = c]"
    )
    tex = (
        r"SymPy differentiates $L = -\log(e^{z_c} / \sum_j e^{z_j})$ written out for the "
        rf"${C}$ classes in each $z_i$, and every derivative equals $p_i - \delta_{{ic}}$"
    )
    if wrong:
        what = f"{plural(wrong, 'derivative')} of the written-out loss differ from p_i - [i = c]"
        tex = what.replace("p_i - [i = c]", r"$p_i - \delta_{ic}$")
    return Check("softmax_derivative_symbolic", what, float(wrong), wrong == 0, tex)


def rounding_check(result: SoftmaxResult) -> Check:
    """Every float of results.json is its exact value correctly rounded."""
    count = 2 * result.C + 1 + result.C * result.d + result.C
    undecided = len(result.undecided)
    what = (
        f"the {count} floats of p, L and the gradient are correctly rounded (decided by ball "
        f"arithmetic at {result.bits} bits)"
    )
    if undecided:
        what = (
            f"{plural(undecided, 'float')} of p, L and the gradient could not be decided at "
            f"{result.bits} bits: {', '.join(result.undecided[:5])}"
        )
    tex = what.replace("of p, L and", r"of $\mathbf{p}$, $L$ and")
    return Check("softmax_float64_rounding", what, float(undecided), undecided == 0, tex)


def checks(result: SoftmaxResult) -> list[tuple[str, Callable[[], Check]]]:
    """The checks by name, each run when called (the float64 pass shared by two)."""
    shared: list[Float64Pass] = []

    def run() -> Float64Pass:
        if not shared:
            shared.append(Float64Pass(result))
        return shared[0]

    return [
        ("softmax_forward_float64", lambda: forward_check(result, run())),
        ("softmax_gradient_float64", lambda: gradient_check(result, run())),
        ("softmax_central_differences", lambda: central_difference_check(result)),
        ("softmax_sum_to_one", lambda: sum_check(result)),
        ("softmax_derivative_symbolic", lambda: symbolic_check(result)),
        ("softmax_float64_rounding", lambda: rounding_check(result)),
    ]
