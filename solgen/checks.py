"""A build's own verification: every headline answer recomputed from the inputs by another route.

No check reuses the value it checks: each starts again from the variant's inputs (X, t, W1,
b1, w2, b2; A; the layers) with arithmetic of its own, and compares with the solution.

- Problem 1: a float64 forward pass (Z, H, y, r, L) and a float64 backpropagation (every
  gradient entry), each within a float64 error bound of the exact values; central
  differences of a loss rebuilt from the inputs (Z by FLINT's exact matrix product),
  exactly for ReLU and at 60 digits for sigmoid and tanh; and the float64 answers' rounding
  decided (ReLU: exact; sigmoid, tanh: by ball arithmetic).
- Problem 2: S from A; the characteristic polynomial by another algorithm, the exact
  eigenvalues as its roots and against NumPy's eigensolver, with eigenpair residuals;
  eta_max as the step where the spectral radius of I - 2 eta S reaches 1; the optimal step
  as the minimiser of that radius with its rate; the line-search step as the vertex of
  phi(eta) = f(u - eta grad f(u)) at sample points, within its stated bounds.
- Problem 3: a forward pass of random data through the layers: every layer's shape, the
  target shape, and as many weights and biases as the stated count.

A check that does not apply to a variant says so and passes; a check that cannot run fails
the build with the reason, never with a traceback. A failed check stops the build before
anything is written (build.py).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import flint
import mpmath
import numpy as np
import sympy as sp

from solgen.certified import fmpq_of
from solgen.errors import SolgenError
from solgen.latex import fmt_int, tex_escape
from solgen.messages import plural
from solgen.solution import Check, Solution

MAX_PARAMETERS = 200  # gradient entries checked by central differences (evenly spread)
MAX_SMOOTH_PARAMETERS = 48  # each costs 2N exponentials at 60 digits
SMOOTH_DIGITS = 60
SMOOTH_STEP = mpmath.mpf(10) ** -18
SMOOTH_TOLERANCE = 1e-20  # of max(1, |g|): the central difference's own error is about step^2
RESIDUAL_TOLERANCE = 1e-9
UNIT = 2.0**-53  # float64's unit roundoff
TINY = 2.0**-1074  # float64's smallest subnormal: the absolute error of an underflow


class _Skip(SolgenError):
    """The check does not apply to this variant (the message says why, in text and TeX)."""

    def __init__(self, why: str, tex: str) -> None:
        super().__init__(why)
        self.tex = tex


def _tex_float(value: float) -> str:
    if value == 0:
        return "0"
    mantissa, exponent = f"{value:.1e}".split("e")
    return rf"{mantissa} \cdot 10^{{{int(exponent)}}}"


def _short(value: float) -> str:
    return "0" if value == 0 else f"{value:.1e}"


# --- problem 1: the inputs, independently -------------------------------------------------------


def _fractions(values: Any) -> list[Any]:
    return [_fractions(v) if isinstance(v, list | tuple) else Fraction(v) for v in values]


def _exact_pre_activations(solution: Solution) -> list[list[Fraction]]:
    """Z = X W1^T + b1 from the inputs, in FLINT's exact rational matrices."""
    inp = solution.problem1.inp
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


def _as_floats(values: Any) -> np.ndarray:
    """Exact values (Fractions, mpf) as float64 (each rounded once)."""
    return np.asarray(np.frompyfunc(float, 1, 1)(np.asarray(values, dtype=object)), dtype=float)


def _ratio(computed: np.ndarray, exact: Any, bound: np.ndarray) -> float:
    """The largest |computed - exact| / bound (exact rounded to float64 adds its half ulp)."""
    reference = _as_floats(exact)
    allowed = np.asarray(bound) + UNIT * np.abs(reference) + TINY
    with np.errstate(invalid="ignore", over="ignore"):
        ratio = np.abs(np.asarray(computed) - reference) / allowed
    if not np.all(np.isfinite(ratio)):
        return math.inf
    return float(np.max(ratio, initial=0.0))


class _Float64Pass:
    """Problem 1 in float64 from the inputs, each quantity with a bound on its error."""

    def __init__(self, solution: Solution, signs: np.ndarray) -> None:
        inp = solution.problem1.inp
        f, fprime, curvature = _float_activation(solution.problem1.activation)
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


def forward_check(solution: Solution, run: _Float64Pass) -> Check:
    """Z, H, y, r and L recomputed from the inputs in float64, against the exact values."""
    p1, ex = solution.problem1, solution.problem1.exact
    worst = max(
        _ratio(run.Z, ex.Z, run.Z_bound),
        _ratio(run.H, ex.H, run.H_bound),
        _ratio(run.y, ex.y, run.y_bound),
        _ratio(run.r, ex.r, run.r_bound),
        _ratio(np.array(run.loss), ex.loss, np.array(run.loss_bound)),
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


def backprop_check(solution: Solution, run: _Float64Pass) -> Check:
    """Every gradient entry by a float64 backpropagation of the check's own, against exact."""
    p1, ex = solution.problem1, solution.problem1.exact
    worst = max(_ratio(run.grad[n], ex.grad[n], np.asarray(run.grad_bound[n])) for n in run.grad)
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


def gradient_check(solution: Solution, Z_exact: list[list[Fraction]]) -> Check:
    """The exact gradient against central differences of a loss rebuilt from the inputs."""
    p1 = solution.problem1
    inp, ex = p1.inp, p1.exact
    relu = p1.activation == "relu"
    f = _exact_activation(p1.activation)
    magnitude = int(math.log10(1 + abs(float(ex.loss))))  # rounding scales with the loss
    with mpmath.workdps(SMOOTH_DIGITS + magnitude):
        # FLINT's rationals for ReLU, mpmath numbers otherwise
        convert: Callable[[Fraction], Any] = fmpq_of if relu else _mp
        X = _fractions(inp.X)
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
        largest = f"the largest relative difference being ${_tex_float(worst)}$"
    tex = f"{what}, {largest}"
    return Check(
        "gradient_central_differences", f"{what}; largest {_short(worst)}", worst, passed, tex
    )


def _mp(value: Fraction) -> Any:
    return mpmath.mpf(value.numerator) / value.denominator


def _mp_any(value: Any) -> Any:
    return _mp(value) if isinstance(value, Fraction) else mpmath.mpf(value)


def rounding_check(solution: Solution) -> Check:
    """Every float of y, L and the gradient is its exact value correctly rounded."""
    p1 = solution.problem1
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


def _symmetric_part(solution: Solution) -> list[list[Fraction]]:
    A = _fractions(solution.problem2.A.tolist())
    n = len(A)
    return [[(A[i][j] + A[j][i]) / 2 for j in range(n)] for i in range(n)]


def symmetric_part_check(solution: Solution) -> Check:
    """S = (A + A^T)/2 from A, and det(lambda I - S) by the Berkowitz algorithm."""
    p2 = solution.problem2
    S = _symmetric_part(solution)
    same_S = sp.Matrix(S) == p2.S
    lam = sp.Symbol("lambda")
    poly = sp.Matrix(S).charpoly(lam).as_expr()
    same_poly = sp.expand(poly - p2.char_poly) == 0
    passed = same_S and same_poly
    what = (
        "S = (A + A^T)/2 recomputed from A, and its characteristic polynomial by the Berkowitz "
        "algorithm, equal the solution's exactly"
    )
    tex = (
        r"$S = \frac{1}{2}(A + A^{\top})$ recomputed from $A$, and its characteristic polynomial "
        r"by the Berkowitz algorithm, equal the solution's exactly"
    )
    return Check("symmetric_part", what, 0.0 if passed else 1.0, passed, tex)


def _float_S(solution: Solution) -> np.ndarray:
    return np.array([[float(v) for v in row] for row in _symmetric_part(solution)], dtype=float)


def eigen_check(solution: Solution) -> Check:
    """Exact eigenvalues: roots of the check's own det(lambda I - S), NumPy's eigenvalues of S
    from A, and small residuals S v = lambda v."""
    p2 = solution.problem2
    lam = sp.Symbol("lambda")
    S_exact = sp.Matrix(_symmetric_part(solution))
    poly = S_exact.charpoly(lam).as_expr()
    S = _float_S(solution)
    scale = max(1.0, float(np.max(np.abs(S), initial=0.0)))
    worst = 0.0
    for value in p2.eigenvalues:
        at = sp.N(poly.subs(lam, value), 50)
        worst = max(worst, float(abs(at)) / scale**p2.n)
    values, vectors = np.linalg.eigh(S)
    for k in range(len(values)):
        exact = p2.eigenvalues_float[k]
        worst = max(worst, abs(values[k] - exact) / scale)
        residual = np.linalg.norm(S @ vectors[:, k] - exact * vectors[:, k]) / scale
        worst = max(worst, float(residual))
    what = (
        f"the {p2.n} eigenvalues are roots of det(lambda I - S) (S from A), agree with NumPy's "
        f"eigenvalues of S, and S v = lambda v holds for NumPy's eigenvectors; largest "
        f"relative residual {_short(worst)}"
    )
    tex = (
        rf"the {p2.n} eigenvalues are roots of $\det(\lambda I - S)$, agree with NumPy's "
        rf"eigenvalues of $S$ and satisfy $S\mathbf{{v}} = \lambda\mathbf{{v}}$ with its "
        r"eigenvectors, every relative residual below $10^{-9}$"
    )
    if worst >= RESIDUAL_TOLERANCE:
        tex = tex.replace(
            r"every relative residual below $10^{-9}$", f"a residual ${_tex_float(worst)}$"
        )
    return Check("eigenpair_residuals", what, worst, worst < RESIDUAL_TOLERANCE, tex)


def _radius(S: np.ndarray, eta: float) -> float:
    """The spectral radius of the iteration matrix I - 2 eta S (symmetric)."""
    M = np.eye(len(S)) - 2 * eta * S
    return float(np.max(np.abs(np.linalg.eigvalsh(M))))


STEP_NUDGE = 1e-6  # eta_max (1 -/+ this): just inside converges, just outside does not


def step_bound_check(solution: Solution) -> Check:
    """eta_max is where the spectral radius of I - 2 eta S reaches 1 (S from A, eigensolver of
    NumPy on the iteration matrix); with no bound, no step makes the radius less than 1."""
    p2 = solution.problem2
    S = _float_S(solution)
    if p2.eta_max is None:
        largest = max(1.0, float(np.max(np.abs(S), initial=0.0)))
        steps = np.logspace(-8, 8, 161) / largest
        smallest = min(_radius(S, float(eta)) for eta in steps)
        passed = smallest >= 1 - 1e-12
        error = max(0.0, 1 - smallest)
        what = (
            f"no step size converges from every start: the spectral radius of I - 2 eta S (S "
            f"from A) is at least 1 for 161 steps from 1e-8 to 1e8 (smallest {smallest:.6g})"
        )
        tex = (
            r"no step size converges from every start: the spectral radius of "
            r"$I - 2\eta S$ is at least $1$ for 161 steps from $10^{-8}$ to $10^{8}$"
        )
        return Check("step_size_bound", what, error, passed, tex)
    eta = p2.eta_max_float or 0.0
    at = _radius(S, eta)
    inside = _radius(S, eta * (1 - STEP_NUDGE))
    outside = _radius(S, eta * (1 + STEP_NUDGE))
    error = abs(at - 1)
    passed = error < 1e-9 and inside <= 1 + 1e-12 and outside >= 1 + STEP_NUDGE / 2
    what = (
        f"the spectral radius of I - 2 eta S (S from A) is 1 at eta_max (off by {_short(error)}), "
        f"{inside:.9g} just below it and {outside:.9g} just above it"
    )
    within = "10^{-9}" if error < 1e-9 else _tex_float(error)  # not the rounding noise
    tex = (
        rf"the spectral radius of $I - 2\eta S$ is $1$ at $\eta_{{\max}}$ (to within ${within}$), "
        rf"${inside:.9g}$ just below it and ${outside:.9g}$ just above it"
    )
    return Check("step_size_bound", what, error, passed, tex)


def optimal_step_check(solution: Solution) -> Check:
    """The optimal constant step minimises the spectral radius of I - 2 eta S, with its rate."""
    p2 = solution.problem2
    if p2.optimal_step is None or p2.optimal_rate is None or p2.eta_max_float is None:
        raise _Skip(
            "no optimal constant step (S is not positive definite)",
            r"no optimal constant step ($S$ is not positive definite)",
        )
    S = _float_S(solution)
    step = float(sp.N(p2.optimal_step, 30))
    rate = float(sp.N(p2.optimal_rate, 30))
    at = _radius(S, step)
    grid = np.linspace(0, p2.eta_max_float, 401)[1:]
    nearby = [step * (1 - 1e-3), step * (1 + 1e-3)]
    lowest = min(_radius(S, float(eta)) for eta in [*grid, *nearby])
    error = max(abs(at - rate), max(0.0, at - lowest))
    passed = error < 1e-9
    what = (
        f"the optimal step gives the spectral radius {at:.9g} of I - 2 eta S (S from A), equal to "
        f"the stated rate and no larger than at 402 other steps in (0, eta_max]; "
        f"largest difference {_short(error)}"
    )
    tex = (
        rf"the optimal step gives the spectral radius ${at:.9g}$ of $I - 2\eta S$, equal to the "
        r"stated rate and no larger than at 402 other steps in $(0, \eta_{\max}]$"
    )
    return Check("optimal_step", what, error, passed, tex)


LINE_SEARCH_POINTS = 3


def line_search_check(solution: Solution) -> Check:
    """The stated line-search step is the vertex of phi(eta) = f(u - eta grad f(u)), found from
    three values of phi, at sample points; it lies within the stated bounds."""
    p2 = solution.problem2
    A = _fractions(p2.A.tolist())
    n = len(A)
    if p2.line_search.explicit is None:
        raise _Skip(
            "the line-search step is not stated explicitly (n > 2 or g^T S g = 0)",
            r"the line-search step is not stated explicitly ($n > 2$ or "
            r"$\mathbf{g}^{\top} S \mathbf{g} = 0$)",
        )

    def f(u: list[Fraction]) -> Fraction:
        return sum((u[i] * A[i][j] * u[j] for i in range(n) for j in range(n)), Fraction(0))

    worst = Fraction(0)
    points = [[Fraction(k + i + 1, k + 2) * (-1) ** (i * k) for i in range(n)] for k in range(3)]
    low = high = None
    values = np.linalg.eigvalsh(_float_S(solution))
    if p2.definiteness in ("positive definite", "positive semidefinite"):
        low = 1 / (2 * float(values[-1]))
        high = 1 / (2 * float(values[0])) if p2.definiteness == "positive definite" else None
    inside = True
    for u in points:
        g = [sum((A[i][j] + A[j][i]) * u[j] for j in range(n)) for i in range(n)]
        phi = [f([u[i] - s * g[i] for i in range(n)]) for s in (0, 1, 2)]
        curvature = (phi[2] - 2 * phi[1] + phi[0]) / 2
        if curvature == 0:
            continue
        vertex = -(phi[1] - phi[0] - curvature) / (2 * curvature)
        subs = dict(
            zip(p2.coords, (sp.Rational(v.numerator, v.denominator) for v in u), strict=True)
        )
        stated = p2.line_search.explicit.subs(subs)
        if not stated.is_Rational:
            raise ValueError(f"the stated step at a rational point is not rational: {stated}")
        worst = max(worst, abs(Fraction(int(stated.p), int(stated.q)) - vertex))
        eps = 1e-12 * abs(float(vertex))
        if low is not None and float(vertex) < low - eps:
            inside = False
        if high is not None and float(vertex) > high + eps:
            inside = False
    error = float(worst)
    passed = worst == 0 and inside
    bounds = " and lies within the stated bounds" if low is not None else ""
    what = (
        f"the stated line-search step equals the vertex of phi(eta) = f(u - eta grad f(u)) "
        f"(from three values of phi, exactly) at {LINE_SEARCH_POINTS} points{bounds}"
    )
    tex = (
        r"the stated line-search step equals the vertex of "
        rf"$\varphi(\eta) = f(\mathbf{{u}} - \eta\nabla f(\mathbf{{u}}))$ at {LINE_SEARCH_POINTS} "
        f"points{bounds}"
    )
    return Check("line_search_step", what, error if inside else max(error, 1.0), passed, tex)


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


def architecture_check(solution: Solution) -> Check:
    """Random data through real convolutions and poolings: every shape, and the count.

    A network too large to run here (a 4096 x 4096 input with 4096 filters is valid input)
    runs with one channel a layer instead: the same spatial sizes, and the weight arrays'
    sizes counted as the full network's.
    """
    p3 = solution.problem3
    full = _forward_cost(p3) <= FORWARD_BUDGET
    rng = np.random.default_rng(0)
    shape = p3.input if full else (p3.input[0], p3.input[1], 1)
    data = rng.standard_normal(shape).astype(np.float32)
    count, channels, shapes_agree = 0, p3.input[2], True
    for layer in p3.layers:
        if layer.kind == "pool":
            height, width, depth = data.shape
            data = data.reshape(height // 2, 2, width // 2, 2, depth).max(axis=(1, 3))
        else:
            k, out = layer.kernel, layer.out_shape[2]
            weights = rng.standard_normal((k, k, data.shape[2], out if full else 1))
            windows = np.lib.stride_tricks.sliding_window_view(data, (k, k), axis=(0, 1))
            # windows: (H', W', C, k, k); weights: (k, k, C, F)
            data = np.einsum("hwcij,ijcf->hwf", windows, weights.astype(np.float32), optimize=True)
            # the arrays' own sizes when they are the full network's, else k^2 C_in C_out + C_out
            count += (weights.size if full else k * k * channels * out) + out
            channels = out
        shapes_agree = shapes_agree and (*data.shape[:2], channels) == tuple(layer.out_shape)
    result = (*data.shape[:2], channels)
    agree = shapes_agree and result == tuple(p3.target) and count == p3.total_params
    error = 0.0 if agree else 1.0
    how = "" if full else " (one channel a layer: the network is too large to run here)"
    size = "x".join(map(str, result))
    what = (
        f"a forward pass of random data through the layers gives every layer's stated shape, "
        f"{size} at the end, with {count:,} parameters{how}"
    )
    tex_size = r" \times ".join(map(str, result))
    tex = (
        f"a forward pass of random data through the layers gives every layer's stated shape, "
        f"${tex_size}$ at the end, with ${fmt_int(count)}$ parameters{how}"
    )
    return Check("architecture_forward_pass", what, error, error == 0, tex)


# --- running them --------------------------------------------------------------------------------


_CANNOT_RUN = (ArithmeticError, ValueError, TypeError, IndexError, KeyError, AttributeError)


def _guarded(name: str, check: Callable[[Solution], Check], solution: Solution) -> Check:
    """The check's verdict; one that does not apply passes saying why, one that cannot run
    fails saying why (never a traceback)."""
    try:
        verdict = check(solution)
    except _Skip as skip:
        what = f"not applicable: {skip}"
        return Check(name, what, 0.0, True, f"not applicable: {skip.tex}")
    except _CANNOT_RUN as exc:  # LinAlgError is a ValueError
        what = f"could not run: {type(exc).__name__}: {exc}"
        return Check(name, what, math.nan, False, tex_escape(what))
    # Plain Python numbers (NumPy's bool_ is not JSON)
    return dataclasses.replace(
        verdict, max_error=float(verdict.max_error), passed=bool(verdict.passed)
    )


def run_checks(solution: Solution) -> tuple[Check, ...]:
    """Every check of one solution, in order: problem 1, 2, 3."""

    @functools.cache
    def exact_Z() -> list[list[Fraction]]:
        return _exact_pre_activations(solution)

    @functools.cache
    def float_pass() -> _Float64Pass:
        """One float64 pass for both float64 checks, with the ReLU mask's signs from exact Z."""
        p1 = solution.problem1
        values = [[(z > 0) - (z < 0) for z in row] for row in exact_Z()]
        return _Float64Pass(solution, np.array(values, dtype=float).reshape(p1.N, p1.h))

    steps: list[tuple[str, Callable[[Solution], Check]]] = [
        ("forward_pass_float64", lambda s: forward_check(s, float_pass())),
        ("gradient_float64", lambda s: backprop_check(s, float_pass())),
        ("gradient_central_differences", lambda s: gradient_check(s, exact_Z())),
        ("float64_rounding", rounding_check),
        ("symmetric_part", symmetric_part_check),
        ("eigenpair_residuals", eigen_check),
        ("step_size_bound", step_bound_check),
        ("optimal_step", optimal_step_check),
        ("line_search_step", line_search_check),
        ("architecture_forward_pass", architecture_check),
    ]
    out: list[Check] = []
    for name, check in steps:
        out.append(_guarded(name, check, solution))
    return tuple(out)


def failed(checks: tuple[Check, ...]) -> list[Check]:
    """The checks that did not pass."""
    return [c for c in checks if not c.passed or math.isnan(c.max_error)]
