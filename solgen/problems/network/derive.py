"""Problem 1: loss and gradients of a two-layer network, derived by SymPy, evaluated twice.

The derivation works on one sample and one generic entry of each parameter; everything the
entry does not touch is lumped into a symbol, so the result holds for any N, d and h. The
data enter only at evaluation time: once exactly (Fractions for ReLU, which decide its mask;
FLINT's arb balls for sigmoid and tanh, at more bits until every answer's float64 rounding is
decided) and once in float64.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import flint
import mpmath
import numpy as np
import sympy as sp

from solgen.base import cache
from solgen.base.cache import source_key
from solgen.base.certified import ball_of, float_of_ball, float_of_exact
from solgen.base.errors import DerivationError
from solgen.base.exprdata import NotAnExpression, from_srepr, to_srepr
from solgen.problems.network.fields import NetworkInput

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
    stable_fprime: sp.Expr  # the form of f' evaluated in float64
    saturation_free_fprime: sp.Expr  # f' without cancellation (e^-|z| ...), verified equal
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
    data = cache.load(key)  # None: no entry, or a damaged one (which load reports)
    cached = None if data is None else derivation_from_data(data, activation)
    if cached is not None:
        return cached
    if data is not None:
        cache.warn(
            f"the cached derivation {cache.path_of(key)} is not what solgen derives; "
            "it was derived again and replaced"
        )
    derivation = derive_uncached(activation)
    cache.store(key, derivation_to_data(derivation))
    return derivation


_EXPRESSIONS = ("f", "fprime", "fprime_in_f", "stable_fprime", "saturation_free_fprime", "delta")
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
    """The derivation that derivation_to_data wrote, checked, or None for anything else (a
    miss): a cache entry is data that anyone who can write the cache could have written.

    The check rebuilds every expression the cheap way and requires equality: f and the two
    forms of f' from the source (derive_uncached proves them equal to f' with sp.simplify),
    f' by differentiating f, the local derivatives by differentiating the generic z and y,
    each gradient entry as their product (the chain rule), with f and f' by name and then
    written out. That takes about 12 ms; derive_uncached differentiates the whole loss and
    runs sp.simplify (relu 26 ms, sigmoid 145 ms, tanh 230 ms). Symbols and functions must
    be solgen's own, so no entry can put TeX of its own into a document.
    """
    names = {s.name for s in (z, r_k, t_k, y_k, x_ki, z_kj, W_ji, b_j, w_j, b2, rest_z, rest_y)}
    names |= {F.__name__, Fprime.__name__}
    try:
        if data["activation"] != activation or activation not in ("relu", "sigmoid", "tanh"):
            return None
        fields: dict[str, Any] = {"activation": activation}
        for name in _EXPRESSIONS:
            fields[name] = None if data[name] is None else from_srepr(data[name], names)
        for name in _TABLES:
            fields[name] = {str(k): from_srepr(v, names) for k, v in data[name].items()}
        derivation = Derivation(**fields)
    except (NotAnExpression, KeyError, TypeError, AttributeError):
        return None
    # The expected derivation, rebuilt without differentiating the whole loss.
    f = activation_expr(activation)
    fprime = _relu_convention(sp.diff(f, z))
    in_f = fprime_in_f_form(activation)
    free = saturation_free_form(activation) or fprime
    stable = fprime if in_f is None else in_f.subs(F(z), f)
    z_generic = W_ji * x_ki + b_j + rest_z
    y_generic = w_j * F(z_kj) + b2 + rest_y
    local = {
        "dl_dy": sp.diff(sample_loss(y_k, t_k), y_k).subs(y_k, r_k + t_k),
        "dy_db2": sp.diff(y_generic, b2),
        "dy_dw2": sp.diff(y_generic, w_j),
        "dy_dz": sp.diff(y_generic, z_kj).subs({sp.Derivative(F(z_kj), z_kj): Fprime(z_kj)}),
        "dz_dW1": sp.diff(z_generic, W_ji),
        "dz_db1": sp.diff(z_generic, b_j),
    }
    chain = {
        "W1": ("dy_dz", "dz_dW1"),
        "b1": ("dy_dz", "dz_db1"),
        "w2": ("dy_dw2",),
        "b2": ("dy_db2",),
    }
    display = {p: sp.Mul(local["dl_dy"], *(local[d] for d in chain[p])) for p in PARAMETERS}
    written = {Fprime(z_kj): stable.subs(z, z_kj), F(z_kj): f.subs(z, z_kj)}
    entry = {name: expr.subs(written) for name, expr in display.items()}
    expected = Derivation(
        activation=activation,
        f=f,
        fprime=fprime,
        fprime_in_f=in_f,
        stable_fprime=stable,
        saturation_free_fprime=free,
        display=display,
        local=local,
        entry=entry,
        delta=entry["W1"].as_independent(x_ki, as_Add=False)[0],
    )
    return derivation if derivation == expected else None


def sample_loss(y: sp.Expr, t: sp.Expr) -> sp.Expr:
    """One sample's loss l_k = (y_k - t_k)^2 / 2; L is their sum."""
    return (y - t) ** 2 / 2


def total_loss(r: np.ndarray) -> Any:
    """L = r^T r / 2 from the residuals (any kind of number)."""
    return (r @ r) / 2


def derive_uncached(activation: str) -> Derivation:
    """Differentiate one sample's loss with respect to a generic entry of every parameter."""
    f = activation_expr(activation)
    fprime = _relu_convention(sp.diff(f, z))
    z_expr = W_ji * x_ki + b_j + rest_z
    y_expr = w_j * f.subs(z, z_expr) + b2 + rest_y
    loss = sample_loss(y_expr, t_k)
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
    saturation_free = _saturation_free(activation, fprime)
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
        "dl_dy": sp.diff(sample_loss(y_k, t_k), y_k).subs(y_k, r_k + t_k),
        "dy_db2": sp.diff(y_generic, b2),
        "dy_dw2": sp.diff(y_generic, w_j),
        "dy_dz": sp.diff(y_generic, z_kj).subs(f_named),
        "dz_dW1": sp.diff(z_generic, W_ji),
        "dz_db1": sp.diff(z_generic, b_j),
    }
    delta, rest = entry["W1"].as_independent(x_ki, as_Add=False)
    if rest != x_ki:
        raise DerivationError(f"dl/dW is not delta * x: {entry['W1']}")
    return Derivation(
        activation=activation,
        f=f,
        fprime=fprime,
        fprime_in_f=fprime_in_f,
        stable_fprime=stable,
        saturation_free_fprime=saturation_free,
        display=display,
        local=local,
        entry=entry,
        delta=delta,
    )


def _relu_convention(expr: sp.Expr) -> sp.Expr:
    """ReLU'(0) = 0, as PyTorch and JAX take it: Heaviside with H(0) = 0."""
    return expr.replace(sp.Heaviside, lambda arg, *_: sp.Heaviside(arg, 0))


def saturation_free_form(activation: str) -> sp.Expr | None:
    """f' written without cancellation where f saturates (None for ReLU).

    1 - tanh(z)^2 is 0 at 50 digits for |z| > 59 though f'(60) is about 3e-52; 4 e^-2|z| /
    (1 + e^-2|z|)^2 keeps every digit at any z.
    """
    a = sp.Abs(z)
    return {
        "sigmoid": sp.exp(-a) / (1 + sp.exp(-a)) ** 2,
        "tanh": 4 * sp.exp(-2 * a) / (1 + sp.exp(-2 * a)) ** 2,
    }.get(activation)


def fprime_in_f_form(activation: str) -> sp.Expr | None:
    """f' as a polynomial in f: sigma(1 - sigma), 1 - tanh^2 (None for ReLU)."""
    fz = F(z)
    return {"sigmoid": fz * (1 - fz), "tanh": 1 - fz**2}.get(activation)


def _saturation_free(activation: str, fprime: sp.Expr) -> sp.Expr:
    """saturation_free_form, checked equal to f' by SymPy on both sides of 0."""
    candidate = saturation_free_form(activation)
    if candidate is None:
        return fprime
    side = sp.Symbol("s", positive=True)
    for at in (side, -side):
        if sp.simplify((candidate - fprime).subs(z, at)) != 0:
            raise DerivationError(f"{activation}: f' is not {candidate}")
    return candidate


def _fprime_in_f(activation: str, f: sp.Expr, fprime: sp.Expr) -> sp.Expr | None:
    """fprime_in_f_form, checked equal to f' by SymPy."""
    candidate = fprime_in_f_form(activation)
    if candidate is None:
        return None
    if sp.simplify(candidate.subs(F(z), f) - fprime) != 0:
        raise DerivationError(f"{activation}: f' is not {candidate}")
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
class NetworkResult:
    """Everything problem 1's solution states: derivation, exact and float evaluations, costs."""

    inp: NetworkInput
    activation: str
    N: int
    d: int
    h: int
    derivation: Derivation
    exact: Evaluation
    numeric: Evaluation
    answers: Answers  # results.json's floats, each correctly rounded
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
    """lambdify modules that work elementwise on object arrays of Fractions (ReLU)."""
    funcs: dict[str, Callable[..., Any]] = {
        "Max": np.frompyfunc(lambda a, b: a if a >= b else b, 2, 1),
        "Heaviside": np.frompyfunc(lambda a, h0=0: 1 if a > 0 else (h0 if a == 0 else 0), 2, 1),
    }
    return [funcs, math]


def _ball_modules() -> list[Any]:
    """lambdify modules that work elementwise on object arrays of arb balls."""
    funcs: dict[str, Callable[..., Any]] = {
        "exp": np.frompyfunc(lambda a: a.exp(), 1, 1),
        "tanh": np.frompyfunc(lambda a: a.tanh(), 1, 1),
        "Abs": np.frompyfunc(abs, 1, 1),
    }
    return [funcs, math]


def _float_modules() -> list[Any]:
    # The module itself, not "numpy": lambdify would run "from numpy import *", which loads
    # numpy's lazy submodules (testing, ...) and costs more than all of problem 1.
    return [{"Heaviside": np.heaviside, "Max": np.maximum}, np]


# Stand-ins for f(z_kj) and f'(z_kj) in the derived entries: the entries are evaluated as
# products of arrays (r_k, w_j, x_ki, f, f'), with f and f' computed once elementwise.
_H = sp.Symbol("H_{kj}", real=True)
_FP = sp.Symbol("Fp_{kj}", real=True)


def _monomial(expr: sp.Expr, values: dict[sp.Expr, Any], number: Callable[[Any], Any]) -> Any:
    """A product of named factors and rational constants, evaluated on arrays of any numbers.

    Rationals stay exact (Fraction), so the exact, ball and float paths share one evaluator.
    """
    result: Any = 1
    for factor in sp.Mul.make_args(expr):
        base, power = factor.as_base_exp()
        if factor.is_Rational:
            result = result * number(Fraction(int(factor.p), int(factor.q)))
        elif base in values and power.is_Integer and int(power) >= 1:
            # repeated products, not **: FLINT's arb ** 1 of a ball around 0 is nan
            for _ in range(int(power)):
                result = result * values[base]
        else:
            raise DerivationError(f"cannot evaluate the factor {factor} of {expr}")
    return result


def _by_name(expr: sp.Expr) -> sp.Expr:
    return expr.subs({F(z_kj): _H, Fprime(z_kj): _FP})


@dataclass(frozen=True)
class _Arithmetic:
    """One kind of number the passes run in: exact Fractions, arb balls, or float64."""

    number: Callable[[Any], Any]  # an input Fraction as this kind of number
    f: Callable[[np.ndarray], Any]  # f elementwise, on Z
    fprime: Callable[[np.ndarray], Any]  # f' elementwise, on Z
    product: Callable[[np.ndarray, np.ndarray], np.ndarray]  # a matrix product
    dtype: type = object  # the arrays' dtype (float for float64)


def _evaluate(
    inp: NetworkInput,
    deriv: Derivation,
    arith: _Arithmetic,
    Z: np.ndarray,
) -> Evaluation:
    """Forward pass in matrix form from the pre-activations Z, backward pass from the derived
    per-entry formulas (dl_k/d theta as products of r_k, w_j, x_ki, f(z_kj), f'(z_kj))."""
    as_numbers = np.frompyfunc(arith.number, 1, 1)

    def arr(values: Any) -> np.ndarray:
        return np.asarray(as_numbers(np.array(values, dtype=object)), dtype=arith.dtype)

    X, t, w2 = arr(inp.X), arr(inp.t), arr(inp.w2)
    b2v = arith.number(inp.b2)
    H = _broadcast(arith.f(Z), Z)
    Fp = _broadcast(arith.fprime(Z), Z)
    y = H @ w2 + b2v
    r = y - t
    loss = total_loss(r)
    values = {r_k: r[:, None], w_j: w2[None, :], _H: H, _FP: Fp}
    delta_expr, rest = _by_name(deriv.display["W1"]).as_independent(x_ki, as_Add=False)
    if rest != x_ki:
        raise DerivationError(f"dl/dW is not delta * x: {deriv.display['W1']}")
    delta = _broadcast(_monomial(delta_expr, values, arith.number), Z)
    column = {name: _by_name(deriv.display[name]) for name in ("b1", "w2", "b2")}
    grad = {
        "W1": arith.product(delta.T, X),  # sum_k delta_kj x_ki, the derived entry delta * x_ki
        "b1": _broadcast(_monomial(column["b1"], values, arith.number), Z).sum(axis=0),
        "w2": _broadcast(_monomial(column["w2"], values, arith.number), Z).sum(axis=0),
        "b2": _broadcast(_monomial(column["b2"], {r_k: r}, arith.number), r).sum(),
    }
    return Evaluation(Z=Z, H=H, Fp=Fp, y=y, r=r, loss=loss, delta=delta, grad=grad)


def _pre_activations(inp: NetworkInput) -> np.ndarray:
    """Z = X W1^T + 1 b1^T, exactly (Fractions)."""
    X = np.array(inp.X, dtype=object)
    W1 = np.array(inp.W1, dtype=object)
    return np.asarray(matmul(X, W1.T) + np.array(inp.b1, dtype=object))


INT64_SAFE = 2**62
START_BITS = 192  # the balls' first working precision (about 58 digits)
MAX_BITS = 3072  # about 925 digits: an answer still undecided there is reported, not hidden


@dataclass(frozen=True)
class Answers:
    """The float64 answers of results.json, each the correctly rounded exact value."""

    y: tuple[float, ...]
    loss: float
    grad: dict[str, Any]  # W1: rows of floats, b1 and w2: tuples, b2: a float
    bits: int  # the working precision that decided them (0: exact arithmetic)
    undecided: tuple[str, ...]  # answers still undecided at MAX_BITS (written rounded anyway)


def _answers_exact(ex: Evaluation) -> Answers:
    def rounded(values: np.ndarray) -> tuple[float, ...]:
        return tuple(float_of_exact(v) for v in values)

    grad = {
        "W1": tuple(rounded(row) for row in ex.grad["W1"]),
        "b1": rounded(ex.grad["b1"]),
        "w2": rounded(ex.grad["w2"]),
        "b2": float_of_exact(ex.grad["b2"]),
    }
    return Answers(rounded(ex.y), float_of_exact(ex.loss), grad, 0, ())


def _answers_of_balls(ex: Evaluation, bits: int) -> Answers:
    """The answers decided by the balls; an undecided one is named (and its midpoint kept)."""
    undecided: list[str] = []

    def decide(ball: Any, name: str) -> float:
        value = float_of_ball(ball)
        if value is None:
            undecided.append(name)
            return float(ball.mid())
        return value

    def vector(values: np.ndarray, name: str) -> tuple[float, ...]:
        return tuple(decide(v, f"{name}[{k + 1}]") for k, v in enumerate(values))

    grad = {
        "W1": tuple(vector(row, f"dW1[{j + 1}]") for j, row in enumerate(ex.grad["W1"])),
        "b1": vector(ex.grad["b1"], "db1"),
        "w2": vector(ex.grad["w2"], "dw2"),
        "b2": decide(ex.grad["b2"], "db2"),
    }
    return Answers(vector(ex.y, "y"), decide(ex.loss, "L"), grad, bits, tuple(undecided))


def _ball_product(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """A @ B for object arrays of balls, in FLINT's arb_mat (C, not Python objects)."""
    if 0 in A.shape or 0 in B.shape:
        return np.asarray(A @ B)
    product = flint.arb_mat(A.tolist()) * flint.arb_mat(B.tolist())
    out = np.empty((A.shape[0], B.shape[1]), dtype=object)
    for index in np.ndindex(out.shape):
        out[index] = product[index]
    return out


def _evaluate_balls(
    inp: NetworkInput, deriv: Derivation, Z: np.ndarray
) -> tuple[Evaluation, Answers]:
    """Sigmoid and tanh in ball arithmetic, at more bits until every answer is decided.

    f' is evaluated in its saturation-free form (e^-|z| / (1 + e^-|z|)^2 for sigmoid), so a
    saturated unit keeps its tiny, nonzero derivative at any precision.
    """
    f = sp.lambdify(z, deriv.f, modules=_ball_modules())
    fprime = sp.lambdify(z, deriv.saturation_free_fprime, modules=_ball_modules())
    bits = START_BITS
    while True:
        with flint.ctx.workprec(bits):
            arith = _Arithmetic(ball_of, f, fprime, _ball_product)
            balls = _evaluate(inp, deriv, arith, np.asarray(np.frompyfunc(ball_of, 1, 1)(Z)))
            answers = _answers_of_balls(balls, bits)
        if not answers.undecided or bits >= MAX_BITS:
            break
        bits *= 2
    # The document's values: the balls' midpoints as mpmath numbers (they print with nstr).
    with mpmath.workprec(bits):
        mid = np.frompyfunc(lambda b: mpmath.mpf(tuple(int(v) for v in b.mid().man_exp())), 1, 1)
        exact = Evaluation(
            Z=Z,
            H=mid(balls.H),
            Fp=mid(balls.Fp),
            y=mid(balls.y),
            r=mid(balls.r),
            loss=mid(balls.loss),
            delta=mid(balls.delta),
            grad={name: mid(value) for name, value in balls.grad.items()},
        )
    return exact, answers


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


def _broadcast(value: Any, like: np.ndarray) -> np.ndarray:
    if isinstance(value, np.ndarray) and value.shape == like.shape:
        return value
    out = np.empty(like.shape, dtype=like.dtype)
    out[...] = value
    return out


def solve(inp: NetworkInput) -> NetworkResult:
    """Loss, gradients and their intermediate quantities: exactly (Fractions for ReLU, balls
    for sigmoid and tanh), the answers correctly rounded to float64, and in float64."""
    deriv = derive(inp.activation)
    Z = _pre_activations(inp)
    if inp.activation == "relu":
        modules = _exact_modules(inp.activation)
        f = sp.lambdify(z, deriv.f, modules=modules)
        fprime = sp.lambdify(z, deriv.fprime, modules=modules)
        exact = _evaluate(inp, deriv, _Arithmetic(lambda v: v, f, fprime, matmul), Z)
        answers = _answers_exact(exact)
    else:
        exact, answers = _evaluate_balls(inp, deriv, Z)
    zero = tuple((k, j) for k in range(Z.shape[0]) for j in range(Z.shape[1]) if exact.Z[k, j] == 0)
    exact_float = np.array([[float(v) for v in row] for row in Z], dtype=float).reshape(Z.shape)
    X = np.array([[float(v) for v in row] for row in inp.X], dtype=float)
    W1 = np.array([[float(v) for v in row] for row in inp.W1], dtype=float)
    with np.errstate(over="ignore"):
        Z_float = X @ W1.T + np.array([float(v) for v in inp.b1])
        # A pre-activation that is exactly 0 (or tiny) may come out as +-1e-17 in float64 and
        # flip the ReLU mask: take the sign from the exact value, the magnitude from float64.
        Z_float = np.where(np.sign(Z_float) == np.sign(exact_float), Z_float, exact_float)
        floats = _Arithmetic(
            float,
            sp.lambdify(z, deriv.f, modules=_float_modules()),
            sp.lambdify(z, deriv.stable_fprime, modules=_float_modules()),
            lambda A, B: np.asarray(A @ B),
            float,
        )
        numeric = _evaluate(inp, deriv, floats, Z_float)
    N, d, h = len(inp.X), len(inp.X[0]), len(inp.W1)
    return NetworkResult(
        inp=inp,
        activation=inp.activation,
        N=N,
        d=d,
        h=h,
        derivation=deriv,
        exact=exact,
        numeric=numeric,
        answers=answers,
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
