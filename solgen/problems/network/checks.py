"""The network problem's self-checks, each starting again from the inputs (X, t, W1, b1, w2,
b2) with arithmetic of its own: a float64 forward pass (Z, H, y, r, L) and a float64
backpropagation (every gradient entry), each within a float64 error bound of the exact
values; central differences of a loss rebuilt from the inputs (Z by FLINT's exact matrix
product), exactly for ReLU and at 60 digits for sigmoid and tanh; and the float64 answers'
rounding decided (ReLU: exact; sigmoid, tanh: by ball arithmetic).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import flint
import mpmath
import numpy as np

from solgen.base.certified import fmpq_of
from solgen.base.messages import plural
from solgen.problems.checking import TINY, UNIT, fractions, ratio, short, tex_float
from solgen.problems.network.derive import NetworkResult
from solgen.problems.problem import Check, CheckRun

MAX_PARAMETERS = 200  # gradient entries checked by central differences (evenly spread)
MAX_SMOOTH_PARAMETERS = 48  # each costs 2N exponentials at 60 digits
SMOOTH_DIGITS = 60
SMOOTH_STEP = mpmath.mpf(10) ** -18
SMOOTH_TOLERANCE = 1e-20  # of max(1, |g|): the central difference's own error is about step^2


# --- problem 1: the inputs, independently -------------------------------------------------------


def _exact_pre_activations(result: NetworkResult) -> list[list[Fraction]]:
    """Z = X W1^T + b1 from the inputs, in FLINT's exact rational matrices."""
    inp = result.inp
    X = flint.fmpq_mat([[fmpq_of(v) for v in row] for row in inp.X])
    W1t = flint.fmpq_mat(
        [[fmpq_of(inp.W1[j][i]) for j in range(len(inp.W1))] for i in range(len(inp.X[0]))]
    )
    product = X * W1t
    b1 = [Fraction(v) for v in inp.b1]
    return [
        [_fraction(product[k, j]) + b1[j] for j in range(product.ncols())]
        for k in range(product.nrows())
    ]


def _fraction(value: flint.fmpq) -> Fraction:
    return Fraction(int(value.p), int(value.q))


def _float_activation(name: str) -> tuple[Callable[[Any], Any], Callable[[Any], Any], float]:
    """f and f' in float64 as the check writes them (ReLU'(0) = 0, as PyTorch and JAX), and
    the largest |f''/f'| (how an error in z moves f' relatively)."""
    if name == "relu":
        return (lambda Z: np.maximum(Z, 0.0)), (lambda Z: (Z > 0).astype(float)), 0.0
    if name == "sigmoid":

        def sigmoid_prime(Z: Any) -> Any:
            e = np.exp(-np.abs(Z))
            return e / (1 + e) ** 2

        return (lambda Z: 1 / (1 + np.exp(-Z))), sigmoid_prime, 1.0

    def tanh_prime(Z: Any) -> Any:
        e = np.exp(-2 * np.abs(Z))
        return 4 * e / (1 + e) ** 2

    return np.tanh, tanh_prime, 2.0


class _Float64Pass:
    """Problem 1 in float64 from the inputs, each quantity with a bound on its error."""

    def __init__(self, result: NetworkResult, signs: np.ndarray) -> None:
        inp = result.inp
        f, fprime, curvature = _float_activation(result.activation)
        X = np.array(inp.X, dtype=float)
        W1 = np.array(inp.W1, dtype=float)
        b1 = np.array(inp.b1, dtype=float)
        w2 = np.array(inp.w2, dtype=float)
        t = np.array(inp.t, dtype=float)
        b2 = float(inp.b2)
        N, d = X.shape
        gamma = (d + 4) * UNIT * 1.01
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            Z = X @ W1.T + b1
            # The sign of an exactly-zero or tiny pre-activation from exact arithmetic: ReLU's
            # mask must not flip on a rounding residue of 1e-17.
            Z = np.where(signs == 0, 0.0, np.where(np.sign(Z) == signs, Z, signs * TINY))
            self.Z_bound = gamma * (np.abs(X) @ np.abs(W1).T + np.abs(b1)) + TINY
            H = f(Z)
            self.H_bound = self.Z_bound + 4 * UNIT * np.abs(H) + TINY  # |f'| <= 1
            y = H @ w2 + b2
            h = len(w2)
            self.y_bound = (
                np.abs(w2) @ self.H_bound.T
                + (h + 3) * UNIT * (np.abs(H) @ np.abs(w2) + abs(b2))
                + h * TINY
            )
            r = y - t
            self.r_bound = self.y_bound + 2 * UNIT * (np.abs(y) + np.abs(t))
            self.loss = float(r @ r / 2)
            self.loss_bound = float(
                np.sum((np.abs(r) + self.r_bound) * self.r_bound)
                + (N + 2) * UNIT * self.loss
                + TINY
            )
            Fp = fprime(Z)
            Fp_bound = np.abs(Fp) * (8 * UNIT + 1.01 * curvature * self.Z_bound) + 4 * TINY
            Delta = (r[:, None] * w2[None, :]) * Fp
            Delta_bound = (
                np.abs(w2)[None, :]
                * (self.r_bound[:, None] * (np.abs(Fp) + Fp_bound) + np.abs(r)[:, None] * Fp_bound)
                + 4 * UNIT * np.abs(Delta)
                + 4 * TINY
            )
            sum_bound = (N + 2) * UNIT
            self.grad = {
                "W1": Delta.T @ X,
                "b1": Delta.sum(axis=0),
                "w2": H.T @ r,
                "b2": float(r.sum()),
            }
            self.grad_bound = {
                "W1": Delta_bound.T @ np.abs(X)
                + sum_bound * (np.abs(Delta).T @ np.abs(X))
                + N * TINY,
                "b1": Delta_bound.sum(axis=0) + sum_bound * np.abs(Delta).sum(axis=0) + N * TINY,
                "w2": self.H_bound.T @ (np.abs(r) + self.r_bound)
                + np.abs(H).T @ self.r_bound
                + sum_bound * (np.abs(H).T @ np.abs(r))
                + N * TINY,
                "b2": float(self.r_bound.sum() + sum_bound * np.abs(r).sum() + N * TINY),
            }
        self.Z, self.H, self.y, self.r = Z, H, y, r


def forward_check(result: NetworkResult, run: _Float64Pass) -> Check:
    """Z, H, y, r and L recomputed from the inputs in float64, against the exact values."""
    p1, ex = result, result.exact
    worst = max(
        ratio(run.Z, ex.Z, run.Z_bound),
        ratio(run.H, ex.H, run.H_bound),
        ratio(run.y, ex.y, run.y_bound),
        ratio(run.r, ex.r, run.r_bound),
        ratio(np.array(run.loss), ex.loss, np.array(run.loss_bound)),
    )
    what = (
        f"Z, f(Z), y, r and L recomputed from X, W1, b1, w2, b2 and t in float64 agree with the "
        f"exact values ({p1.N * p1.h} pre-activations); the largest error is "
        f"{worst:.2g} of its float64 bound"
    )
    tex = (
        r"$Z$, $f(Z)$, $\mathbf{y}$, $\mathbf{r}$ and $L$ recomputed from the inputs in float64 "
        rf"agree with the exact values, the largest error being ${worst:.2g}$ of its float64 bound"
    )
    return Check("forward_pass_float64", what, worst, worst <= 1, tex)


def backprop_check(result: NetworkResult, run: _Float64Pass) -> Check:
    """Every gradient entry by a float64 backpropagation of the check's own, against exact."""
    p1, ex = result, result.exact
    worst = max(ratio(run.grad[n], ex.grad[n], np.asarray(run.grad_bound[n])) for n in run.grad)
    count = p1.h * p1.d + 2 * p1.h + 1
    what = (
        f"all {count} gradient entries recomputed from the inputs by backpropagation in float64 "
        f"(ReLU'(0) = 0) agree with the exact gradient; the largest error is {worst:.2g} of its "
        f"float64 bound"
    )
    tex = (
        rf"all ${count}$ gradient entries recomputed from the inputs by backpropagation in "
        rf"float64 agree with the exact gradient, the largest error being ${worst:.2g}$ of its "
        r"float64 bound"
    )
    return Check("gradient_float64", what, worst, worst <= 1, tex)


def _parameters(h: int, d: int, limit: int) -> list[tuple[str, int, int]]:
    """(name, j, i) of every parameter, evenly thinned to at most limit."""
    every = [("W1", j, i) for j in range(h) for i in range(d)]
    every += [("b1", j, 0) for j in range(h)] + [("w2", j, 0) for j in range(h)] + [("b2", 0, 0)]
    if len(every) <= limit:
        return every
    step = len(every) / limit
    return [every[int(k * step)] for k in range(limit)]


def _exact_activation(name: str) -> Callable[[Any], Any]:
    if name == "relu":
        return lambda z: z if z > 0 else 0 * z
    if name == "sigmoid":
        return lambda z: 1 / (1 + mpmath.exp(-z))
    tanh: Callable[[Any], Any] = mpmath.tanh
    return tanh


def _relu_step(Z: list[list[Fraction]], X: list[list[Fraction]]) -> Fraction:
    """A step small enough that no pre-activation crosses 0: the loss stays one quadratic."""
    nonzero = [abs(z) for row in Z for z in row if z != 0]
    largest = max([abs(x) for row in X for x in row] + [Fraction(1)])
    if not nonzero:
        return Fraction(1, 10**12)
    return min(Fraction(1, 10**9), min(nonzero) / (4 * largest))


def gradient_check(result: NetworkResult, Z_exact: list[list[Fraction]]) -> Check:
    """The exact gradient against central differences of a loss rebuilt from the inputs."""
    p1 = result
    inp, ex = p1.inp, p1.exact
    relu = p1.activation == "relu"
    f = _exact_activation(p1.activation)
    magnitude = int(math.log10(1 + abs(float(ex.loss))))  # rounding scales with the loss
    with mpmath.workdps(SMOOTH_DIGITS + magnitude):
        # FLINT's rationals for ReLU, mpmath numbers otherwise
        convert: Callable[[Fraction], Any] = fmpq_of if relu else _mp
        X = fractions(inp.X)
        Xc = [[convert(v) for v in row] for row in X]
        t = [convert(Fraction(v)) for v in inp.t]
        w2 = [convert(Fraction(v)) for v in inp.w2]
        b2 = convert(Fraction(inp.b2))
        Z = [[convert(z) for z in row] for row in Z_exact]
        H = [[f(z) for z in row] for row in Z]
        N, h = len(Z), len(w2)
        y = [sum((w2[j] * H[k][j] for j in range(h)), b2) for k in range(N)]
        step = fmpq_of(_relu_step(Z_exact, X)) if relu else SMOOTH_STEP

        def loss(y_new: list[Any]) -> Any:
            return sum((yk - tk) ** 2 for yk, tk in zip(y_new, t, strict=True)) / 2

        def moved(name: str, j: int, i: int, e: Any) -> list[Any]:
            if name == "b2":
                return [yk + e for yk in y]
            if name == "w2":
                return [y[k] + e * H[k][j] for k in range(N)]
            direction = [Xc[k][i] for k in range(N)] if name == "W1" else [1] * N
            return [y[k] + w2[j] * (f(Z[k][j] + e * direction[k]) - H[k][j]) for k in range(N)]

        worst = 0.0
        chosen = _parameters(h, len(X[0]), MAX_PARAMETERS if relu else MAX_SMOOTH_PARAMETERS)
        # A unit with a pre-activation exactly 0 sits on ReLU's kink: the loss has no
        # derivative there (solgen takes f'(0) = 0, checked in float64), so no difference
        # quotient can confirm it.
        kinks = {j for row in Z_exact for j, z in enumerate(row) if relu and z == 0}
        chosen = [(n, j, i) for n, j, i in chosen if not (n in ("W1", "b1") and j in kinks)]
        for name, j, i in chosen:
            difference = (loss(moved(name, j, i, step)) - loss(moved(name, j, i, -step))) / (
                2 * step
            )
            grad = ex.grad[name]
            exact = grad if name == "b2" else grad[j, i] if name == "W1" else grad[j]
            value = fmpq_of(exact) if relu else _mp_any(exact)
            error = abs(difference - value)
            scale = max(1.0, abs(float(exact)))
            worst = max(worst, float(error) / scale)
    count = len(chosen)
    exactly = (
        "exactly, in fractions"
        if relu
        else f"at {SMOOTH_DIGITS} digits, within 1e-20 of max(1, |g|)"
    )
    passed = worst == 0 if relu else worst < SMOOTH_TOLERANCE
    what = (
        f"{count} gradient entries agree with central differences of the loss rebuilt from the "
        f"inputs ({exactly})"
    )
    if kinks:
        units = plural(len(kinks), "unit")
        what += f"; the entries of {units} with a pre-activation exactly 0 left out"
    largest = "every difference exactly 0" if relu else "every difference within $10^{-20}$"
    if not passed:
        largest = f"the largest relative difference being ${tex_float(worst)}$"
    tex = f"{what}, {largest}"
    return Check(
        "gradient_central_differences", f"{what}; largest {short(worst)}", worst, passed, tex
    )


def _mp(value: Fraction) -> Any:
    return mpmath.mpf(value.numerator) / value.denominator


def _mp_any(value: Any) -> Any:
    return _mp(value) if isinstance(value, Fraction) else mpmath.mpf(value)


def rounding_check(result: NetworkResult) -> Check:
    """Every float of y, L and the gradient is its exact value correctly rounded."""
    p1 = result
    answers = p1.answers
    count = p1.N + 1 + p1.h * p1.d + 2 * p1.h + 1
    if p1.activation == "relu":
        how = "rounded once from exact rationals"
    else:
        how = f"decided by ball arithmetic at {answers.bits} bits"
    undecided = len(answers.undecided)
    what = f"the {count} floats of y, L and the gradient are correctly rounded ({how})"
    if undecided:
        what = (
            f"{plural(undecided, 'float')} of y, L and the gradient could not be decided at "
            f"{answers.bits} bits: {', '.join(answers.undecided[:5])}"
        )
    tex = what.replace("of y, L and", r"of $\mathbf{y}$, $L$ and")
    return Check("float64_rounding", what, float(undecided), undecided == 0, tex)


# --- problem 2 ----------------------------------------------------------------------------------


def checks(result: NetworkResult) -> list[tuple[str, CheckRun]]:
    """The network's checks, in order; the two float64 checks share one float64 pass."""

    @functools.cache
    def exact_Z() -> list[list[Fraction]]:
        return _exact_pre_activations(result)

    @functools.cache
    def float_pass() -> _Float64Pass:
        """One float64 pass for both float64 checks, with the ReLU mask's signs from exact Z."""
        values = [[(z > 0) - (z < 0) for z in row] for row in exact_Z()]
        return _Float64Pass(result, np.array(values, dtype=float).reshape(result.N, result.h))

    return [
        ("forward_pass_float64", lambda: forward_check(result, float_pass())),
        ("gradient_float64", lambda: backprop_check(result, float_pass())),
        ("gradient_central_differences", lambda: gradient_check(result, exact_Z())),
        ("float64_rounding", lambda: rounding_check(result)),
    ]
