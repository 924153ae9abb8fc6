"""A build's own verification: each answer re-derived by an independent route.

- Problem 1: every gradient entry (up to MAX_PARAMETERS of them) against a central
  difference of the loss, in exact fractions for ReLU (a central difference of a piecewise
  quadratic is exact while no pre-activation crosses 0) and at 60 digits for sigmoid and
  tanh. Only the perturbed column is recomputed, so the check costs O(N) per parameter.
- Problem 2: each exact eigenvalue is a root of the characteristic polynomial of S (at 50
  digits), and the float eigenpairs of S have small residuals.
- Problem 3: a forward pass of random data through the layers (NumPy convolutions and
  pooling) reaches the target shape, and the weight arrays hold exactly total_params numbers.

A failed check stops the build before anything is written (build.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import gmpy2
import mpmath
import numpy as np
import sympy as sp

from solgen.latex import fmt_int
from solgen.messages import plural
from solgen.solution import Check, Solution

MAX_PARAMETERS = 200  # gradient entries checked (evenly spread when there are more)
MAX_SMOOTH_PARAMETERS = 48  # each costs 2N exponentials at 60 digits
SMOOTH_DIGITS = 60
SMOOTH_STEP = mpmath.mpf(10) ** -18
SMOOTH_TOLERANCE = 1e-20  # relative: the central difference's own error is about step^2
RESIDUAL_TOLERANCE = 1e-9


# --- problem 1: central differences ---------------------------------------------------------------


def _activation(name: str) -> Callable[[Any], Any]:
    if name == "relu":
        return lambda z: z if z > 0 else 0 * z
    if name == "sigmoid":
        return lambda z: 1 / (1 + mpmath.exp(-z))
    tanh: Callable[[Any], Any] = mpmath.tanh
    return tanh


def _parameters(h: int, d: int, limit: int) -> list[tuple[str, int, int]]:
    """(name, j, i) of every parameter, evenly thinned to at most limit."""
    every = [("W1", j, i) for j in range(h) for i in range(d)]
    every += [("b1", j, 0) for j in range(h)] + [("w2", j, 0) for j in range(h)] + [("b2", 0, 0)]
    if len(every) <= limit:
        return every
    step = len(every) / limit
    return [every[int(k * step)] for k in range(limit)]


def gradient_check(solution: Solution) -> Check:
    """The exact gradient against central differences of the loss, entry by entry."""
    p1 = solution.problem1
    inp, ex = p1.inp, p1.exact
    relu = p1.activation == "relu"
    f = _activation(p1.activation)
    magnitude = int(math.log10(1 + abs(float(ex.loss))))  # rounding scales with the loss
    with mpmath.workdps(SMOOTH_DIGITS + magnitude):
        # gmpy2's rationals: the same exact arithmetic as Fraction, about ten times faster
        convert: Callable[[Any], Any] = gmpy2.mpq if relu else _mp
        X = [[convert(v) for v in row] for row in inp.X]
        t = [convert(v) for v in inp.t]
        w2 = [convert(v) for v in inp.w2]
        b2 = convert(inp.b2)
        Z = [[convert(v) if relu else _mp(v) for v in row] for row in ex.Z]
        H = [[f(z) for z in row] for row in Z]
        N, h = len(Z), len(w2)
        y = [sum(w2[j] * H[k][j] for j in range(h)) + b2 for k in range(N)]
        step = gmpy2.mpq(_relu_step(Z, X)) if relu else SMOOTH_STEP

        def loss(y_new: list[Any]) -> Any:
            return sum((yk - tk) ** 2 for yk, tk in zip(y_new, t, strict=True)) / 2

        def moved(name: str, j: int, i: int, e: Any) -> list[Any]:
            if name == "b2":
                return [yk + e for yk in y]
            if name == "w2":
                return [y[k] + e * H[k][j] for k in range(N)]
            direction = [X[k][i] for k in range(N)] if name == "W1" else [1] * N
            return [y[k] + w2[j] * (f(Z[k][j] + e * direction[k]) - H[k][j]) for k in range(N)]

        worst = 0.0
        chosen = _parameters(h, len(inp.X[0]), MAX_PARAMETERS if relu else MAX_SMOOTH_PARAMETERS)
        # A unit with a pre-activation exactly 0 sits on ReLU's kink: the loss has no
        # derivative there (solgen takes f'(0) = 0), so no difference quotient can confirm it.
        kinks = {j for row in Z for j, z in enumerate(row) if relu and z == 0}
        chosen = [(n, j, i) for n, j, i in chosen if not (n in ("W1", "b1") and j in kinks)]
        for name, j, i in chosen:
            difference = (loss(moved(name, j, i, step)) - loss(moved(name, j, i, -step))) / (
                2 * step
            )
            grad = ex.grad[name]
            exact = grad if name == "b2" else grad[j, i] if name == "W1" else grad[j]
            error = abs(difference - convert(exact))
            scale = max(1, abs(float(exact)))
            worst = max(worst, float(error) / scale)
    count = len(chosen)
    exactly = "exactly, in fractions" if relu else f"at {SMOOTH_DIGITS} digits"
    passed = worst == 0 if relu else worst < SMOOTH_TOLERANCE
    what = f"{count} gradient entries agree with central differences of the loss ({exactly})"
    if kinks:
        units = plural(len(kinks), "unit")
        what += f"; the entries of {units} with a pre-activation exactly 0 left out"
    largest = "0" if worst == 0 else f"{worst:.1e}"
    tex = f"{what}, the largest relative difference being ${_tex_float(worst)}$"
    return Check("gradient_central_differences", f"{what}; largest {largest}", worst, passed, tex)


def _tex_float(value: float) -> str:
    if value == 0:
        return "0"
    mantissa, exponent = f"{value:.1e}".split("e")
    return rf"{mantissa} \cdot 10^{{{int(exponent)}}}"


def _mp(value: Any) -> Any:
    if isinstance(value, Fraction):
        return mpmath.mpf(value.numerator) / value.denominator
    return mpmath.mpf(value)


def _relu_step(Z: list[list[Any]], X: list[list[Any]]) -> Fraction:
    """A step small enough that no pre-activation crosses 0: the loss stays one quadratic."""
    nonzero = [abs(z) for row in Z for z in row if z != 0]
    largest = max([abs(x) for row in X for x in row] + [Fraction(1)])
    if not nonzero:
        return Fraction(1, 10**12)
    return min(Fraction(1, 10**9), Fraction(min(nonzero)) / (4 * Fraction(largest)))


# --- problem 2: eigenvalues ----------------------------------------------------------------------


def eigen_check(solution: Solution) -> Check:
    """Exact eigenvalues are roots of det(lambda I - S); float eigenpairs have small residuals."""
    p2 = solution.problem2
    lam = sp.Symbol("lambda")
    worst = 0.0
    for value in p2.eigenvalues:
        at = sp.N(p2.char_poly.subs(lam, value), 50)
        worst = max(worst, float(abs(at)))
    S = np.array(p2.S.tolist(), dtype=float)
    values, vectors = np.linalg.eigh(S)
    scale = max(1.0, float(np.max(np.abs(S))))
    for k in range(len(values)):
        exact = float(sp.N(p2.eigenvalues[k], 30))
        residual = np.linalg.norm(S @ vectors[:, k] - exact * vectors[:, k]) / scale
        worst = max(worst, float(residual))
    what = (
        f"the {p2.n} eigenvalues are roots of det(lambda I - S), and S v = lambda v holds "
        f"for their eigenvectors; largest residual {worst:.1e}"
    )
    tex = (
        rf"the {p2.n} eigenvalues are roots of $\det(\lambda I - S)$ and satisfy "
        rf"$S\mathbf{{v}} = \lambda\mathbf{{v}}$ with their eigenvectors, the largest residual "
        rf"being ${_tex_float(worst)}$"
    )
    return Check("eigenpair_residuals", what, worst, worst < RESIDUAL_TOLERANCE, tex)


# --- problem 3: a forward pass -------------------------------------------------------------------


FORWARD_BUDGET = 300_000_000  # multiply-adds of a real forward pass (about a second)


def _forward_cost(p3: Any) -> int:
    return sum(
        layer.out_shape[0]
        * layer.out_shape[1]
        * layer.kernel**2
        * layer.in_shape[2]
        * layer.out_shape[2]
        for layer in p3.layers
        if layer.kind == "conv"
    )


def forward_check(solution: Solution) -> Check:
    """Random data through real convolutions and poolings: the target shape, and the count.

    A network too large to run here (a 4096 x 4096 input with 4096 filters is valid input)
    runs with one channel a layer instead: the same spatial sizes, and the weight arrays'
    sizes counted as the full network's.
    """
    p3 = solution.problem3
    full = _forward_cost(p3) <= FORWARD_BUDGET
    rng = np.random.default_rng(0)
    shape = p3.input if full else (p3.input[0], p3.input[1], 1)
    data = rng.standard_normal(shape).astype(np.float32)
    count, channels = 0, p3.input[2]
    for layer in p3.layers:
        if layer.kind == "pool":
            height, width, depth = data.shape
            data = data.reshape(height // 2, 2, width // 2, 2, depth).max(axis=(1, 3))
            continue
        k, out = layer.kernel, layer.out_shape[2]
        weights = rng.standard_normal((k, k, data.shape[2], out if full else 1)).astype(np.float32)
        windows = np.lib.stride_tricks.sliding_window_view(data, (k, k), axis=(0, 1))
        # windows: (H', W', C, k, k); weights: (k, k, C, F)
        data = np.einsum("hwcij,ijcf->hwf", windows, weights, optimize=True)
        # the arrays' own sizes when they are the full network's, else k^2 C_in C_out + C_out
        count += (weights.size if full else k * k * channels * out) + out
        channels = out
    result = (*data.shape[:2], channels)
    error = 0.0 if result == tuple(p3.target) and count == p3.total_params else 1.0
    how = "" if full else " (one channel a layer: the network is too large to run here)"
    size = "x".join(map(str, result))
    what = (
        f"a forward pass of random data through the layers gives {size} with {count:,} "
        f"parameters{how}"
    )
    tex_size = r" \times ".join(map(str, result))
    tex = (
        f"a forward pass of random data through the layers gives ${tex_size}$ with "
        f"${fmt_int(count)}$ parameters{how}"
    )
    return Check("architecture_forward_pass", what, error, error == 0, tex)


def run_checks(solution: Solution) -> tuple[Check, ...]:
    """Every check of one solution."""
    return (gradient_check(solution), eigen_check(solution), forward_check(solution))


def failed(checks: tuple[Check, ...]) -> list[Check]:
    """The checks that did not pass."""
    return [c for c in checks if not c.passed or math.isnan(c.max_error)]
