"""Problem 2: the step sizes for which gradient descent on f(u) = u^T A u converges, exactly."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Literal

import sympy as sp
from sympy.core.mul import _unevaluated_Mul  # radsimp's own way to write p/q

from solgen.base.certified import float_of_algebraic, floats_of_real_roots
from solgen.base.errors import DerivationError
from solgen.problems.descent.fields import DescentInput

lam = sp.Symbol("lambda")
eta = sp.Symbol("eta", positive=True)

Definiteness = Literal[
    "positive definite",
    "positive semidefinite",
    "zero",
    "indefinite",
    "negative semidefinite",
    "negative definite",
]


@dataclass(frozen=True)
class LineSearch:
    """The exact line-search step eta_n = argmin_eta f(u_n - eta grad f(u_n)), derived."""

    numerator: sp.Expr  # g^T g, in MatrixSymbols g, S
    denominator: sp.Expr  # 2 g^T S g
    explicit: sp.Expr | None  # in the coordinates, for n <= 2


@dataclass(frozen=True)
class Eigenspace:
    """One eigenvalue of S with a basis of its eigenvectors, exact."""

    value: sp.Expr
    vectors: tuple[sp.Matrix, ...]  # integer entries when rational, first nonzero entry > 0


@dataclass(frozen=True)
class DescentResult:
    """Everything problem 2's solution states, exact (SymPy) with floats for results.json."""

    n: int
    A: sp.Matrix
    S: sp.Matrix  # symmetric part (A + A^T) / 2; u^T A u = u^T S u
    symmetric: bool
    coords: tuple[sp.Symbol, ...]
    f: sp.Expr  # u^T A u expanded in the coordinates
    gradient: sp.Matrix  # (A + A^T) u = 2 S u, by differentiation
    hessian: sp.Matrix  # 2 S
    char_poly: sp.Expr  # det(lambda I - S)
    char_poly_factored: sp.Expr
    eigenvalues: tuple[sp.Expr, ...]  # of S, ascending, with multiplicity
    eigenvalues_float: tuple[float, ...]
    eigenvalues_exact_printable: bool  # radicals (not CRootOf): print them exactly
    definiteness: Definiteness
    zero_eigenvalues: int
    negative_eigenvalues: int
    iteration: sp.Matrix  # I - 2 eta S
    eta_max: sp.Expr | None
    eta_max_float: float | None
    optimal_step: sp.Expr | None  # 1 / (lambda_min + lambda_max), positive definite only
    optimal_rate: sp.Expr | None  # (lambda_max - lambda_min) / (lambda_max + lambda_min)
    line_search: LineSearch
    # ascending; only for n <= EIGENSPACE_SIZE, radical eigenvalues and an S that is not
    # positive definite (what the solution names: the stable directions, q_max of rank one)
    eigenspaces: tuple[Eigenspace, ...] | None = None


# Eigenvectors are derived (and printed) for matrices up to this size.
EIGENSPACE_SIZE = 3


def coordinates(n: int) -> tuple[sp.Symbol, ...]:
    """x, y for n = 2 (as in the assignment), u_1 ... u_n otherwise."""
    if n == 2:
        return (sp.Symbol("x", real=True), sp.Symbol("y", real=True))
    return tuple(sp.Symbol(f"u_{{{i + 1}}}", real=True) for i in range(n))


def line_search(A: sp.Matrix, coords: tuple[sp.Symbol, ...]) -> LineSearch:
    """Derive the exact line-search step for this A at a generic point u_n.

    phi(step) = f(u - step grad f(u)) is a quadratic in the step; its stationary point is
    checked against the matrix form g^T g / (2 g^T S g), with g = grad f(u) and S = (A + A^T)/2.
    """
    n = A.rows
    u = sp.Matrix(coords)
    g = sp.Matrix([sp.diff((u.T * A * u)[0, 0], c) for c in coords])
    step = sp.Symbol("step")
    moved = u - step * g
    # phi as a polynomial in the step (expanded once), then its derivative: differentiating the
    # unexpanded product first costs several times more.
    slope = sp.Poly((moved.T * A * moved)[0, 0], step).diff(step)
    constant, linear = slope.coeff_monomial(1), slope.coeff_monomial(step)
    S = symmetric_part(A)
    curvature = sp.expand((g.T * S * g)[0, 0])
    explicit = None
    if curvature != 0:
        solution = -constant / linear
        claimed = sp.expand((g.T * g)[0, 0]) / (2 * curvature)
        if sp.cancel(solution - claimed) != 0:
            raise DerivationError("the line-search step is not g^T g / (2 g^T S g)")
        explicit = sp.factor(claimed) if n <= 2 else None
    g_sym = sp.MatrixSymbol(r"\mathbf{g}_n", n, 1)
    S_sym = sp.MatrixSymbol("S", n, n)
    return LineSearch(
        numerator=g_sym.T * g_sym, denominator=2 * g_sym.T * S_sym * g_sym, explicit=explicit
    )


def symmetric_part(A: sp.Matrix) -> sp.Matrix:
    """S = (A + A^T) / 2: u^T A u = u^T S u, and S is what the eigenvalues are taken of."""
    return (A + A.T) / 2


def step_bound(lmax: sp.Expr) -> sp.Expr:
    """eta_max = 1 / lambda_max: |1 - 2 eta lambda| < 1 for every eigenvalue below it."""
    return reciprocal(lmax)


def reciprocal(d: sp.Expr) -> sp.Expr:
    """1/d with its denominator rationalised, exactly as sp.radsimp(1/d) writes it.

    A 2x2 eigenvalue is a + b sqrt(m) (a, b rational): 1/d = (a - b sqrt(m))/(a^2 - b^2 m),
    written over the least common denominator as radsimp does (its nsimplify search cost a
    tenth of a build). Any other d goes to radsimp itself."""
    a, rest = d.as_coeff_Add()
    b, root = rest.as_coeff_Mul()
    surd = root.is_Pow and root.exp == sp.Rational(1, 2) and root.base.is_Integer
    if not (surd and a.is_Rational and a != 0 and b.is_Rational and root.base > 0):
        return sp.radsimp(1 / d)
    norm = a * a - b * b * root.base
    whole, part = a / norm, -b / norm
    lcd = math.lcm(whole.q, part.q)
    return _unevaluated_Mul(sp.Add(whole * lcd, part * lcd * root), sp.Rational(1, lcd))


def optimal_step(lmin: sp.Expr, lmax: sp.Expr) -> sp.Expr:
    """The constant step that balances |1 - 2 eta lambda_min| = |1 - 2 eta lambda_max|."""
    return sp.radsimp(1 / (lmin + lmax))


def optimal_rate(lmin: sp.Expr, lmax: sp.Expr) -> sp.Expr:
    """The contraction factor a step at the optimal step size gives: (kappa - 1)/(kappa + 1)."""
    return sp.radsimp((lmax - lmin) / (lmax + lmin))


def _definiteness(positive: int, zero: int, negative: int) -> Definiteness:
    if negative and positive:
        return "indefinite"
    if negative:
        return "negative semidefinite" if zero else "negative definite"
    if zero and positive:
        return "positive semidefinite"
    if zero:
        return "zero"
    return "positive definite"


def matrix_of(inp: DescentInput) -> sp.Matrix:
    """The variant's A as an exact SymPy matrix."""
    return sp.Matrix([[sp.Rational(v.numerator, v.denominator) for v in row] for row in inp.A])


def quadratic_form(A: sp.Matrix, coords: tuple[sp.Symbol, ...]) -> sp.Expr:
    """f = u^T A u expanded in the coordinates."""
    u = sp.Matrix(coords)
    return sp.expand((u.T * A * u)[0, 0])


def signature(S: sp.Matrix) -> tuple[int, int, int]:
    """The numbers of positive, zero and negative eigenvalues of a symmetric S, exactly and
    without finding them: every root of its characteristic polynomial is real, so Descartes'
    rule of signs counts the positive roots (the sign changes of p(lambda)) and the negative
    ones (those of p(-lambda)) exactly; 0 is a root as often as trailing coefficients vanish.
    (solve finds the roots themselves; the statement needs only their signs.)"""
    poly = sp.Poly(S.charpoly(lam).as_expr(), lam)
    mirrored = sp.Poly(poly.as_expr().subs(lam, -lam), lam)

    def changes(p: sp.Poly) -> int:
        signs = [c > 0 for c in p.all_coeffs() if c != 0]
        return sum(1 for a, b in itertools.pairwise(signs) if a != b)

    return changes(poly), _zero_roots(poly), changes(mirrored)


def definiteness_of(A: sp.Matrix) -> Definiteness:
    """The definiteness of A's symmetric part, from the signs of its eigenvalues."""
    return _definiteness(*signature(symmetric_part(A)))


def solve(inp: DescentInput) -> DescentResult:
    """Gradient, Hessian, exact spectrum of S, and the convergent range of step sizes."""
    A = matrix_of(inp)
    n = A.rows
    S = symmetric_part(A)
    coords = coordinates(n)
    f = quadratic_form(A, coords)
    gradient = sp.Matrix([sp.diff(f, c) for c in coords])
    hessian = sp.hessian(f, coords)
    poly = sp.Poly((lam * sp.eye(n) - S).det(), lam)
    roots = sorted((sp.radsimp(r) for r in poly.all_roots()), key=lambda e: sp.N(e, 50))
    # Exact signs: a zero root is an exact 0 (a factor lambda); the others are decided by
    # root isolation (CRootOf) or by evaluation with guaranteed precision (radicals).
    zero = _zero_roots(poly)
    negative = sum(1 for r in roots if r != 0 and r.is_negative)
    positive = n - zero - negative
    printable = not any(r.has(sp.CRootOf) for r in roots)
    definiteness = _definiteness(positive, zero, negative)
    lmin, lmax = roots[0], roots[-1]
    eta_max = None
    if definiteness in ("positive definite", "positive semidefinite"):
        eta_max = step_bound(lmax)
    best_step = best_rate = None
    if definiteness == "positive definite":
        best_step, best_rate = optimal_step(lmin, lmax), optimal_rate(lmin, lmax)
    ls = line_search(A, coords)
    spaces = None
    if n <= EIGENSPACE_SIZE and printable and definiteness not in ("positive definite", "zero"):
        spaces = eigenspaces(S, roots)
    return DescentResult(
        n=n,
        A=A,
        S=S,
        symmetric=A == A.T,
        coords=coords,
        f=f,
        gradient=sp.Matrix([sp.expand(g) for g in gradient]),
        hessian=hessian,
        char_poly=poly.as_expr(),
        char_poly_factored=sp.factor(poly.as_expr()),
        eigenvalues=tuple(roots),
        eigenvalues_float=floats_of_real_roots(poly, roots),
        eigenvalues_exact_printable=printable,
        definiteness=definiteness,
        zero_eigenvalues=zero,
        negative_eigenvalues=negative,
        iteration=sp.eye(n) - 2 * eta * S,
        eta_max=eta_max,
        eta_max_float=None if eta_max is None else float_of_algebraic(eta_max),
        optimal_step=best_step,
        optimal_rate=best_rate,
        line_search=ls,
        eigenspaces=spaces,
    )


def eigenspaces(S: sp.Matrix, roots: list[sp.Expr]) -> tuple[Eigenspace, ...] | None:
    """Each distinct eigenvalue with an exact basis of its eigenvectors; None if SymPy cannot
    certify them (a basis that misses a dimension or a residual it cannot prove zero)."""
    spaces = []
    for value in dict.fromkeys(roots):  # distinct, ascending
        shifted = S - value * sp.eye(S.rows)
        vectors = tuple(_direction(v) for v in shifted.nullspace(simplify=True))
        residual_zero = all(sp.radsimp(sp.expand(e)) == 0 for v in vectors for e in shifted * v)
        if len(vectors) != roots.count(value) or not residual_zero:
            return None
        spaces.append(Eigenspace(value, vectors))
    return tuple(spaces)


def _direction(v: sp.Matrix) -> sp.Matrix:
    """An eigenvector as a reader scales it: (1, 1), not (1/2, 1/2); first nonzero entry > 0."""
    v = v.applyfunc(lambda e: sp.radsimp(sp.expand(e)))
    if all(e.is_Rational for e in v):
        scale = math.lcm(*(int(e.q) for e in v))
        v = v * scale / math.gcd(*(int(e * scale) for e in v))
    first = next(e for e in v if e != 0)
    return -v if sp.N(first, 30) < 0 else v


def _zero_roots(poly: sp.Poly) -> int:
    """Multiplicity of the root 0: the number of trailing zero coefficients."""
    count = 0
    for coeff in reversed(poly.all_coeffs()):
        if coeff != 0:
            break
        count += 1
    return count
