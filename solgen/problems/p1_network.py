"""Problem 1: loss and gradients of a two-layer network, derived by SymPy, evaluated twice.

The derivation works on one sample and one generic entry of each parameter; everything the
entry does not touch is lumped into a symbol, so the result holds for any N, d and h. The
data enter only at evaluation time: once exactly (Fractions, or 50-digit mpmath numbers for
transcendental activations; this decides the ReLU mask) and once in float64 (results.json).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from solgen import cache
from solgen.cache import source_key
from solgen.exprdata import NotAnExpression, from_srepr, to_srepr
from solgen.variant import Matrix, Problem1Input

EXACT_DIGITS = 50

# Display names double as SymPy symbol names, so sympy.latex prints textbook notation.
z = sp.Symbol("z", real=True)
r_k = sp.Symbol("r_{k}", real=True)
t_k = sp.Symbol("t_{k}", real=True)
y_k = sp.Symbol("y_{k}", real=True)
x_ki = sp.Symbol("x_{ki}", real=True)
z_kj = sp.Symbol("z_{kj}", real=True)
W_ji = sp.Symbol("W^{(1)}_{ji}", real=True)
b_j = sp.Symbol("b^{(1)}_{j}", real=True)
w_j = sp.Symbol("w^{(2)}_{j}", real=True)
b2 = sp.Symbol("b^{(2)}", real=True)
# The terms of z_kj and y_k that do not involve the entry being differentiated.
rest_z = sp.Symbol("c_{kj}", real=True)
rest_y = sp.Symbol("c_{k}", real=True)

F = sp.Function("f")
Fprime = sp.Function("f'")

PARAMETERS = ("W1", "b1", "w2", "b2")


def activation_expr(name: str) -> sp.Expr:
    """The activation f(z) as a SymPy expression."""
    if name == "relu":
        return sp.Max(0, z)
    if name == "sigmoid":
        return 1 / (1 + sp.exp(-z))
    if name == "tanh":
        return sp.tanh(z)
    raise ValueError(f"unknown activation {name!r}")


@dataclass(frozen=True)
class Derivation:
    """What SymPy derived for one activation: f', and each per-sample gradient entry."""

    activation: str
    f: sp.Expr  # f(z)
    fprime: sp.Expr  # f'(z), from sp.diff; ReLU'(0) = 0
    fprime_in_f: sp.Expr | None  # f'(z) written with f itself (sigmoid, tanh), verified equal
    stable_fprime: sp.Expr  # the form of f' that is evaluated
    display: dict[str, sp.Expr]  # the entries with f and f' by name, for the document
    local: dict[str, sp.Expr]  # each operation's local derivative, f and f' by name
    entry: dict[str, sp.Expr]  # dl_k/d(theta) for a generic entry, in r_k, w_j, z_kj, x_ki
    delta: sp.Expr  # delta_kj: the factor of dl_k/dW_ji that does not involve x_ki


@functools.cache
def derive(activation: str) -> Derivation:
    """The derivation for one activation: from memory, from the disk cache, or from SymPy.

    The disk cache is keyed by the activation, the SymPy version and this module's source, so
    a second build with the same structure does no symbolic differentiation at all.
    """
    key = f"derive-{activation}-" + source_key(sp.__version__, Path(__file__))
    cached = derivation_from_data(cache.load(key), activation)
    if cached is not None:
        return cached
    derivation = derive_uncached(activation)
    cache.store(key, derivation_to_data(derivation))
    return derivation


_EXPRESSIONS = ("f", "fprime", "fprime_in_f", "stable_fprime", "delta")
_TABLES = ("display", "local", "entry")


def derivation_to_data(derivation: Derivation) -> dict[str, Any]:
    """The derivation as JSON-able data: every expression as srepr text."""
    data: dict[str, Any] = {"activation": derivation.activation}
    for name in _EXPRESSIONS:
        expr = getattr(derivation, name)
        data[name] = None if expr is None else to_srepr(expr)
    for name in _TABLES:
        data[name] = {key: to_srepr(expr) for key, expr in getattr(derivation, name).items()}
    return data


def derivation_from_data(data: Any, activation: str) -> Derivation | None:
    """The derivation that derivation_to_data wrote, or None for anything else (a miss)."""
    try:
        if data["activation"] != activation:
            return None
        fields: dict[str, Any] = {"activation": activation}
        for name in _EXPRESSIONS:
            fields[name] = None if data[name] is None else from_srepr(data[name])
        for name in _TABLES:
            fields[name] = {str(k): from_srepr(v) for k, v in data[name].items()}
        derivation = Derivation(**fields)
    except (NotAnExpression, KeyError, TypeError, AttributeError):
        return None
    if derivation.fprime_in_f is None and activation != "relu":
        return None
    if set(derivation.entry) != set(PARAMETERS) or set(derivation.display) != set(PARAMETERS):
        return None
    return derivation


def derive_uncached(activation: str) -> Derivation:
    """Differentiate one sample's loss with respect to a generic entry of every parameter."""
    f = activation_expr(activation)
    fprime = _relu_convention(sp.diff(f, z))
    z_expr = W_ji * x_ki + b_j + rest_z
    y_expr = w_j * f.subs(z, z_expr) + b2 + rest_y
    loss = (y_expr - t_k) ** 2 / 2
    # Name the forward quantities again: y_k - t_k is r_k and W x + b + rest is z_kj.
    # (Substituting into the sums cancels exactly; no simplification is needed.)
    named_z = {rest_z: z_kj - W_ji * x_ki - b_j}
    named_r = {rest_y: r_k + t_k - b2 - w_j * f.subs(z, z_kj)}

    def entry_of(param: sp.Symbol) -> sp.Expr:
        expr = _relu_convention(sp.diff(loss, param))
        return sp.factor_terms(expr.subs(named_z).subs(named_r))

    derived = {"W1": entry_of(W_ji), "b1": entry_of(b_j), "w2": entry_of(w_j), "b2": entry_of(b2)}
    fprime_in_f = _fprime_in_f(activation, f, fprime)
    # For evaluation, f' in terms of f: sigma(1 - sigma) does not overflow where exp(-z) does.
    stable = fprime if fprime_in_f is None else fprime_in_f.subs(F(z), f)
    to_stable = {fprime.subs(z, z_kj): stable.subs(z, z_kj)}
    entry = {name: expr.subs(to_stable) for name, expr in derived.items()}
    # For display, f and f' by name: r_k w_j f'(z_kj) x_ki.
    by_name = {fprime.subs(z, z_kj): Fprime(z_kj), f.subs(z, z_kj): F(z_kj)}
    display = {name: expr.subs(by_name) for name, expr in derived.items()}
    # The local derivatives of each operation (micrograd-style), f kept by name.
    z_generic = W_ji * x_ki + b_j + rest_z
    y_generic = w_j * F(z_kj) + b2 + rest_y
    f_named = {sp.Derivative(F(z_kj), z_kj): Fprime(z_kj)}
    local = {
        "dl_dy": sp.diff((y_k - t_k) ** 2 / 2, y_k).subs(y_k, r_k + t_k),
        "dy_db2": sp.diff(y_generic, b2),
        "dy_dw2": sp.diff(y_generic, w_j),
        "dy_dz": sp.diff(y_generic, z_kj).subs(f_named),
        "dz_dW1": sp.diff(z_generic, W_ji),
        "dz_db1": sp.diff(z_generic, b_j),
    }
    delta, rest = entry["W1"].as_independent(x_ki, as_Add=False)
    if rest != x_ki:
        raise AssertionError(f"dl/dW is not delta * x: {entry['W1']}")
    return Derivation(
        activation=activation,
        f=f,
        fprime=fprime,
        fprime_in_f=fprime_in_f,
        stable_fprime=stable,
        display=display,
        local=local,
        entry=entry,
        delta=delta,
    )


def _relu_convention(expr: sp.Expr) -> sp.Expr:
    """ReLU'(0) = 0, as PyTorch and JAX take it: Heaviside with H(0) = 0."""
    return expr.replace(sp.Heaviside, lambda arg, *_: sp.Heaviside(arg, 0))


def _fprime_in_f(activation: str, f: sp.Expr, fprime: sp.Expr) -> sp.Expr | None:
    """f' as a polynomial in f (sigma(1 - sigma), 1 - tanh^2), checked by SymPy."""
    if activation == "relu":
        return None
    fz = F(z)
    candidate = {"sigmoid": fz * (1 - fz), "tanh": 1 - fz**2}[activation]
    if sp.simplify(candidate.subs(fz, f) - fprime) != 0:
        raise AssertionError(f"{activation}: f' is not {candidate}")
    return candidate


@dataclass(frozen=True)
class Evaluation:
    """One evaluation of the forward and backward pass (exact objects or float64)."""

    Z: np.ndarray  # N x h pre-activations
    H: np.ndarray  # N x h activations f(Z)
    Fp: np.ndarray  # N x h f'(Z)
    y: np.ndarray  # N outputs
    r: np.ndarray  # N residuals y - t
    loss: Any
    delta: np.ndarray  # N x h
    grad: dict[str, Any]  # W1 (h x d), b1 (h), w2 (h), b2 (scalar)


@dataclass(frozen=True)
class Cost:
    """Multiplication counts of the ways to accumulate the gradient, for one network size."""

    N: int
    d: int
    h: int
    params: int
    forward_pass: int
    backward_pass: int
    tangent_pass: int  # one forward-mode sweep with a dense tangent, as jax.jvp runs it
    one_hot_sweeps: int  # all P sweeps together, each skipping the tangent's zeros
    reverse_total: int
    forward_total: int  # forward pass + P dense sweeps
    one_hot_total: int  # forward pass + the one-hot sweeps


@dataclass(frozen=True)
class Problem1Result:
    """Everything problem 1's solution states: derivation, exact and float evaluations, costs."""

    inp: Problem1Input
    activation: str
    N: int
    d: int
    h: int
    derivation: Derivation
    exact: Evaluation
    numeric: Evaluation
    zero_preactivations: tuple[tuple[int, int], ...]  # (k, j), 0-based, where z_kj == 0 exactly
    cost: Cost
    cost_scaled: Cost  # the same network with SCALED_INPUTS inputs


SCALED_INPUTS = 1000  # part (b) also counts for the same network with this many inputs
_N, _d, _h = sp.symbols("N d h", positive=True, integer=True)
COUNT_SYMBOLS = (_N, _d, _h)
COUNT_FORMULAS: dict[str, sp.Expr] = {
    "params": _h * _d + 2 * _h + 1,
    # Z = X W1^T + 1 b1^T, y = H w2 + b2 1, L = r^T r / 2
    "forward_pass": _N * _h * _d + _N * _h + _N,
    # H^T r, r w2^T, (r w2^T) o f'(Z), Delta^T X
    "backward_pass": _N * _h * _d + 3 * _N * _h,
    # Zdot = X Wdot^T, Hdot = f'(Z) o Zdot, ydot = Hdot w2 + H w2dot, Ldot = r^T ydot
    "tangent_pass": _N * _h * _d + 3 * _N * _h + _N,
    # One-hot tangents: W1_ji touches column j only (f'(z_j) o x_i, times w2_j, then r^T):
    # 3N each; b1_j 2N; w2_j N (r^T H_j); b2 none (the sum of r).
    "one_hot_sweeps": 3 * _N * _h * _d + 3 * _N * _h,
}


def costs(N: int, d: int, h: int) -> Cost:
    """Multiplications of forward-mode and reverse-mode accumulation of dL/d(theta)."""
    at = dict(zip(COUNT_SYMBOLS, (N, d, h), strict=True))
    count = {name: int(formula.subs(at)) for name, formula in COUNT_FORMULAS.items()}
    return Cost(
        N=N,
        d=d,
        h=h,
        **count,
        reverse_total=count["forward_pass"] + count["backward_pass"],
        forward_total=count["forward_pass"] + count["params"] * count["tangent_pass"],
        one_hot_total=count["forward_pass"] + count["one_hot_sweeps"],
    )


def _exact_modules(activation: str) -> list[Any]:
    """lambdify modules that work elementwise on object arrays of Fractions or mpf."""
    if activation == "relu":
        funcs: dict[str, Callable[..., Any]] = {
            "Max": np.frompyfunc(lambda a, b: a if a >= b else b, 2, 1),
            "Heaviside": np.frompyfunc(lambda a, h0=0: 1 if a > 0 else (h0 if a == 0 else 0), 2, 1),
        }
    else:
        funcs = {
            "exp": np.frompyfunc(mpmath.exp, 1, 1),
            "tanh": np.frompyfunc(mpmath.tanh, 1, 1),
        }
    return [funcs, math]


def _float_modules() -> list[Any]:
    # The module itself, not "numpy": lambdify would run "from numpy import *", which loads
    # numpy's lazy submodules (testing, ...) and costs more than all of problem 1.
    return [{"Heaviside": np.heaviside, "Max": np.maximum}, np]


def _evaluate(
    inp: Problem1Input,
    deriv: Derivation,
    modules: list[Any],
    to_number: Callable[[Fraction], Any],
    Z_fix: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Evaluation:
    """Forward pass in matrix form, backward pass from the derived per-entry formulas."""
    as_array = np.frompyfunc(to_number, 1, 1)

    def arr(values: Any) -> np.ndarray:
        out = as_array(np.array(values, dtype=object))
        return np.asarray(out, dtype=float) if modules[-1] is np else out

    X, t, W1, b1, w2 = arr(inp.X), arr(inp.t), arr(inp.W1), arr(inp.b1), arr(inp.w2)
    b2v = arr([inp.b2])[0]
    f = sp.lambdify(z, deriv.f, modules=modules)
    fprime = sp.lambdify(z, deriv.stable_fprime, modules=modules)
    Z = matmul(X, W1.T) + b1
    if Z_fix is not None:
        Z = Z_fix(Z)
    H = _as_matrix(f(Z), Z)
    Fp = _as_matrix(fprime(Z), Z)
    y = H @ w2 + b2v
    r = y - t
    loss = (r @ r) / 2
    args = (r_k, w_j, z_kj, x_ki)
    per_entry = {
        name: sp.lambdify(args, expr, modules=modules) for name, expr in deriv.entry.items()
    }
    delta_fn = sp.lambdify(args, deriv.delta, modules=modules)
    rk, wj, zkj = r[:, None], w2[None, :], Z
    delta = _as_matrix(delta_fn(rk, wj, zkj, None), Z)
    grad = {
        "W1": matmul(delta.T, X),  # sum_k delta_kj x_ki, the derived entry delta * x_ki
        "b1": _as_matrix(per_entry["b1"](rk, wj, zkj, None), Z).sum(axis=0),
        "w2": _as_matrix(per_entry["w2"](rk, wj, zkj, None), Z).sum(axis=0),
        "b2": _broadcast(per_entry["b2"](r, None, None, None), r).sum(),
    }
    return Evaluation(Z=Z, H=H, Fp=Fp, y=y, r=r, loss=loss, delta=delta, grad=grad)


INT64_SAFE = 2**62
MAX_DIGITS = 800  # a transcendental value never lies exactly on a boundary; 800 digits suffice


def _rounding_certain(value: Any, bound: float, unit: Any) -> bool:
    """Whether float(value) is the correctly rounded float64 of the true value, which lies
    within unit * bound of value: no float64 rounding boundary in that interval."""
    nearest = float(value)
    if not math.isfinite(nearest) or value == 0:
        return True  # an exact 0 comes from exact zero terms (w2_j = 0, say), not from rounding
    below = math.nextafter(nearest, -math.inf)
    above = math.nextafter(nearest, math.inf)
    low = (mpmath.mpf(nearest) + mpmath.mpf(below)) / 2
    high = (mpmath.mpf(nearest) + mpmath.mpf(above)) / 2
    margin = unit * mpmath.mpf(bound)
    return bool(low + margin < value < high - margin)


def _roundings_certain(ex: Evaluation, digits: int, inputs: Matrix) -> bool:
    """Every answer of a smooth network (y, loss, gradients) rounds to float64 for certain.

    Each value was computed at `digits` digits; its error is at most 10^(10 - digits) times
    the sum of the magnitudes of its terms (ten digits of margin for the accumulation).
    """
    unit = mpmath.mpf(10) ** (10 - digits)
    mag = np.frompyfunc(lambda v: abs(float(v)), 1, 1)
    H, Delta, r = (np.asarray(mag(a), dtype=float) for a in (ex.H, ex.delta, ex.r))
    y_bound = H.sum(axis=1) * max(1.0, float(np.max(np.abs(np.asarray(mag(ex.y), dtype=float)))))
    bounds: list[tuple[Any, float]] = [(ex.loss, float(np.sum(r * r)) + 1.0)]
    bounds += list(zip(ex.y, y_bound + 1.0, strict=True))
    scale = max(abs(float(v)) for row in inputs for v in row) + 1.0  # sum_k |delta_kj x_ki|
    for j in range(Delta.shape[1]):
        column = float(np.sum(Delta[:, j])) * scale + 1.0
        bounds += [(v, column) for v in ex.grad["W1"][j]]
        bounds.append((ex.grad["b1"][j], column))
        bounds.append((ex.grad["w2"][j], float(np.sum(H[:, j] * np.abs(r))) + 1.0))
    bounds.append((ex.grad["b2"], float(np.sum(np.abs(r))) + 1.0))
    return all(_rounding_certain(v, b, unit) for v, b in bounds)


def matmul(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """A @ B; for Fractions, exactly in integers over a common denominator (much faster).

    Fraction arithmetic normalises (a gcd) after every product and sum; scaling each matrix
    to integers once and dividing the result once gives the same exact values.
    """
    if A.dtype != object or not all(isinstance(v, Fraction | int) for v in A.flat):
        return np.asarray(A @ B)
    if not all(isinstance(v, Fraction | int) for v in B.flat):
        return np.asarray(A @ B)
    An, Ad = _integers(A)
    Bn, Bd = _integers(B)
    largest_a = max((abs(int(v)) for v in An.flat), default=0)
    largest_b = max((abs(int(v)) for v in Bn.flat), default=0)
    # Each factor must fit int64 on its own too: a zero matrix makes the product bound 0
    # while the other factor's integers may still be far beyond int64.
    fits = largest_a < INT64_SAFE and largest_b < INT64_SAFE
    if fits and largest_a * largest_b * max(A.shape[-1], 1) < INT64_SAFE:
        product = (An.astype(np.int64) @ Bn.astype(np.int64)).astype(object)
    else:
        product = An @ Bn  # Python integers: exact at any size
    scale = Ad * Bd
    out = np.empty(product.shape, dtype=object)
    for index, value in np.ndenumerate(product):
        out[index] = Fraction(int(value), scale)
    return out


def _integers(M: np.ndarray) -> tuple[np.ndarray, int]:
    """Integer numerators over one common denominator."""
    denominator = 1
    for v in M.flat:
        d = v.denominator if isinstance(v, Fraction) else 1
        denominator = denominator * d // math.gcd(denominator, d)
    numerators = np.empty(M.shape, dtype=object)
    for index, v in np.ndenumerate(M):
        numerators[index] = int(v * denominator)
    return numerators, denominator


def _as_matrix(value: Any, like: np.ndarray) -> np.ndarray:
    """lambdify returns a scalar for constant expressions (e.g. f' = 1): broadcast it."""
    return _broadcast(value, like)


def _broadcast(value: Any, like: np.ndarray) -> np.ndarray:
    if isinstance(value, np.ndarray) and value.shape == like.shape:
        return value
    out = np.empty(like.shape, dtype=like.dtype)
    out[...] = value
    return out


def solve(inp: Problem1Input) -> Problem1Result:
    """Loss, gradients and their intermediate quantities, exactly and in float64."""
    deriv = derive(inp.activation)
    # Fractions throughout; a transcendental activation turns its results into 50-digit mpf.
    digits = EXACT_DIGITS
    while True:
        with mpmath.workdps(digits):
            exact = _evaluate(inp, deriv, _exact_modules(inp.activation), lambda v: v)
            smooth = inp.activation != "relu"
            if not smooth or digits >= MAX_DIGITS or _roundings_certain(exact, digits, inp.X):
                break
        digits *= 2  # some answer lies too close to a float64 rounding boundary: more digits
    zero = tuple(
        (k, j)
        for k in range(exact.Z.shape[0])
        for j in range(exact.Z.shape[1])
        if exact.Z[k, j] == 0
    )

    def decide_signs(Z: np.ndarray) -> np.ndarray:
        # A pre-activation that is exactly 0 (or tiny) may come out as +-1e-17 in float64 and
        # flip the ReLU mask: take the sign from the exact value, the magnitude from float64.
        exact_float = np.array([[float(v) for v in row_] for row_ in exact.Z])
        return np.where(np.sign(Z) == np.sign(exact_float), Z, exact_float)

    with np.errstate(over="ignore"):
        numeric = _evaluate(inp, deriv, _float_modules(), float, Z_fix=decide_signs)
    N, d, h = len(inp.X), len(inp.X[0]), len(inp.W1)
    return Problem1Result(
        inp=inp,
        activation=inp.activation,
        N=N,
        d=d,
        h=h,
        derivation=deriv,
        exact=exact,
        numeric=numeric,
        zero_preactivations=zero,
        cost=costs(N, d, h),
        cost_scaled=costs(N, SCALED_INPUTS, h),
    )


def matrix_forms(N: int, d: int, h: int) -> dict[str, Any]:
    """The forward and backward pass in matrix form (samples as rows), as SymPy matrix expressions.

    These are what the document shows; tests check them against differentiating the whole
    loss entry by entry. H stands for f(Z) and f'(Z) for the elementwise derivative.
    """
    X = sp.MatrixSymbol("X", N, d)
    W1 = sp.MatrixSymbol("W^{(1)}", h, d)
    b1 = sp.MatrixSymbol(r"\mathbf{b}^{(1)}", h, 1)
    w2 = sp.MatrixSymbol(r"\mathbf{w}^{(2)}", h, 1)
    one = sp.MatrixSymbol(r"\mathbf{1}", N, 1)
    t = sp.MatrixSymbol(r"\mathbf{t}", N, 1)
    y = sp.MatrixSymbol(r"\mathbf{y}", N, 1)
    r = sp.MatrixSymbol(r"\mathbf{r}", N, 1)
    H = sp.MatrixSymbol("H", N, h)
    Fp = sp.MatrixSymbol("f'(Z)", N, h)
    Delta = sp.MatrixSymbol(r"\Delta", N, h)
    return {
        "Z": sp.MatAdd(X * W1.T, one * b1.T, evaluate=False),
        "y": sp.MatAdd(H * w2, b2 * one, evaluate=False),
        "r": sp.MatAdd(y, -t, evaluate=False),
        "loss": (r.T * r) / 2,
        "Delta": sp.HadamardProduct(r * w2.T, Fp),
        "W1": Delta.T * X,
        "b1": Delta.T * one,
        "w2": H.T * r,
        "b2": one.T * r,
        "symbols": {
            "X": X,
            "W1": W1,
            "b1": b1,
            "w2": w2,
            "one": one,
            "t": t,
            "y": y,
            "r": r,
            "H": H,
            "Fp": Fp,
            "Delta": Delta,
            "b2": b2,
        },
    }
