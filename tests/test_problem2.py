"""Problem 2: gradient descent on f(u) = u^T A u, checked against independent routes.

Exact SymPy results are compared with hand-derived values, with numpy.linalg.eigvalsh of the
symmetric part, with brute-force float64 gradient-descent runs and with a numerical line search.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from solgen.document.variant import build_variant
from solgen.problems.descent.derive import DescentResult, solve
from solgen.problems.descent.fields import DescentInput

SEED = [[5, 2], [2, 2]]


def make(rows) -> DescentInput:
    return DescentInput(A=tuple(tuple(Fraction(v) for v in row) for row in rows))


def run(rows) -> DescentResult:
    return solve(make(rows))


def sym_part(rows) -> np.ndarray:
    a = np.array([[float(Fraction(v)) for v in row] for row in rows])
    return (a + a.T) / 2


def descend(rows, step: float, starts: np.ndarray, steps: int) -> np.ndarray:
    """Plain gradient descent u <- u - step * (A + A^T) u, every start a column."""
    a = np.array([[float(Fraction(v)) for v in row] for row in rows])
    grad = a + a.T
    u = starts.copy()
    for _ in range(steps):
        u = u - step * (grad @ u)
    return u


# ---------------------------------------------------------------------------------------------
# The seed A = [[5, 2], [2, 2]]


def test_seed_is_the_default_variant():
    assert build_variant({}).input_of("problem2") == make(SEED)


def test_seed_exact_answers():
    r = run(SEED)
    x, y = r.coords
    assert (str(x), str(y)) == ("x", "y")
    assert r.n == 2
    assert r.symmetric is True
    s_part = r.S
    assert s_part == sp.Matrix([[5, 2], [2, 2]])
    assert str(r.f) == "5*x**2 + 4*x*y + 2*y**2"
    assert r.eigenvalues == (1, 6)
    assert all(isinstance(e, sp.Integer) for e in r.eigenvalues)
    assert r.eigenvalues_float == (1.0, 6.0)
    assert r.eigenvalues_exact_printable is True
    assert str(r.char_poly) == "lambda**2 - 7*lambda + 6"
    assert str(r.char_poly_factored) == "(lambda - 6)*(lambda - 1)"
    assert r.eta_max == sp.Rational(1, 6)
    assert r.eta_max_float == 1 / 6
    assert r.definiteness == "positive definite"
    assert (r.zero_eigenvalues, r.negative_eigenvalues) == (0, 0)
    assert r.optimal_step == sp.Rational(1, 7)
    assert r.optimal_rate == sp.Rational(5, 7)
    assert r.gradient == sp.Matrix([10 * x + 4 * y, 4 * x + 4 * y])
    assert r.hessian == sp.Matrix([[10, 4], [4, 4]])
    eta = next(iter(r.iteration.free_symbols))
    assert str(eta) == "eta"
    assert eta.is_positive is True
    assert r.iteration == sp.Matrix([[1 - 10 * eta, -4 * eta], [-4 * eta, 1 - 4 * eta]])


def test_seed_gradient_and_hessian_by_hand_differentiation():
    r = run(SEED)
    x, y = r.coords
    f = 5 * x**2 + 2 * x * y + 2 * y * x + 2 * y**2
    assert sp.expand(r.f - f) == 0
    assert [sp.expand(g - sp.diff(f, c)) for g, c in zip(r.gradient, (x, y), strict=True)] == [
        0,
        0,
    ]


def test_seed_line_search():
    r = run(SEED)
    x, y = r.coords
    expected = (29 * x**2 + 28 * x * y + 8 * y**2) / (2 * (173 * x**2 + 172 * x * y + 44 * y**2))
    assert sp.cancel(r.line_search.explicit - expected) == 0
    assert str(r.line_search.numerator) == r"\mathbf{g}_n.T*\mathbf{g}_n"
    assert str(r.line_search.denominator) == r"2*\mathbf{g}_n.T*S*\mathbf{g}_n"


def test_line_search_matrix_form_evaluates_to_the_explicit_step():
    r = run(SEED)
    (g_sym,) = {s for s in r.line_search.denominator.free_symbols if s.shape == (2, 1)}
    (s_sym,) = {s for s in r.line_search.denominator.free_symbols if s.shape == (2, 2)}
    u = sp.Matrix([3, -7])
    g = r.gradient.subs(dict(zip(r.coords, u, strict=True)))
    num = sp.Matrix(r.line_search.numerator.subs({g_sym: g}).doit())[0, 0]
    den = sp.Matrix(r.line_search.denominator.subs({g_sym: g, s_sym: r.S}).doit())[0, 0]
    explicit = r.line_search.explicit.subs(dict(zip(r.coords, u, strict=True)))
    assert num / den == explicit
    assert explicit == sp.Rational(29 * 9 - 28 * 21 + 8 * 49, 2 * (173 * 9 - 172 * 21 + 44 * 49))


# ---------------------------------------------------------------------------------------------
# Table of special cases


CASES = [
    # A, eigenvalues (exact), definiteness, zeros, negatives, eta_max
    ([[5, 2], [2, 2]], (1, 6), "positive definite", 0, 0, sp.Rational(1, 6)),
    (
        [[3, 1], [1, 4]],
        ((7 - sp.sqrt(5)) / 2, (7 + sp.sqrt(5)) / 2),
        "positive definite",
        0,
        0,
        (7 - sp.sqrt(5)) / 22,
    ),
    (
        [[4, 1], [0, 3]],
        ((7 - sp.sqrt(2)) / 2, (7 + sp.sqrt(2)) / 2),
        "positive definite",
        0,
        0,
        2 / (7 + sp.sqrt(2)),
    ),
    ([[1, 1], [1, 1]], (0, 2), "positive semidefinite", 1, 0, sp.Rational(1, 2)),
    ([[1, -1], [-1, 1]], (0, 2), "positive semidefinite", 1, 0, sp.Rational(1, 2)),
    ([[1, 0], [0, -1]], (-1, 1), "indefinite", 0, 1, None),
    ([[0, 0], [0, 0]], (0, 0), "zero", 2, 0, None),
    ([[0, 1], [-1, 0]], (0, 0), "zero", 2, 0, None),  # skew: S = 0
    ([[-1, 0], [0, 0]], (-1, 0), "negative semidefinite", 1, 1, None),
    ([[-1, -1, 0], [-1, -1, 0], [0, 0, -3]], (-3, -2, 0), "negative semidefinite", 1, 2, None),
    ([[2, 0], [0, 2]], (2, 2), "positive definite", 0, 0, sp.Rational(1, 2)),
    ([[7]], (7,), "positive definite", 0, 0, sp.Rational(1, 7)),
    ([[0]], (0,), "zero", 1, 0, None),
    ([["1/10"]], (sp.Rational(1, 10),), "positive definite", 0, 0, sp.Integer(10)),
    (
        [[2, -1, 0], [-1, 2, -1], [0, -1, 2]],
        (2 - sp.sqrt(2), 2, 2 + sp.sqrt(2)),
        "positive definite",
        0,
        0,
        1 / (2 + sp.sqrt(2)),
    ),
    (
        [[1, 0, 0], [0, 0, 0], [0, 0, 3]],
        (0, 1, 3),
        "positive semidefinite",
        1,
        0,
        sp.Rational(1, 3),
    ),
    ([[1, 0, 0], [0, -2, 0], [0, 0, 0]], (-2, 0, 1), "indefinite", 1, 1, None),
    (
        [[1, 2, 0], [0, 1, 0], [0, 0, 1]],
        (0, 1, 2),
        "positive semidefinite",
        1,
        0,
        sp.Rational(1, 2),
    ),
]


@pytest.mark.parametrize(("A", "eigs", "kind", "zeros", "negatives", "eta_max"), CASES)
def test_special_cases(A, eigs, kind, zeros, negatives, eta_max):
    r = run(A)
    n = len(A)
    assert r.n == n
    assert len(r.eigenvalues) == n
    assert all(sp.simplify(got - want) == 0 for got, want in zip(r.eigenvalues, eigs, strict=True))
    assert r.eigenvalues_float == pytest.approx([float(e) for e in eigs], abs=1e-14)
    assert r.definiteness == kind
    assert (r.zero_eigenvalues, r.negative_eigenvalues) == (zeros, negatives)
    if eta_max is None:
        assert r.eta_max is None
        assert r.eta_max_float is None
    else:
        assert sp.simplify(r.eta_max - eta_max) == 0
        assert r.eta_max_float == pytest.approx(float(eta_max), rel=1e-15)
    # eigenvalues are those of the symmetric part, checked through NumPy as well
    assert r.eigenvalues_float == pytest.approx(np.linalg.eigvalsh(sym_part(A)), abs=1e-12)
    # the characteristic polynomial is monic of degree n and vanishes at every eigenvalue
    lam = sp.Symbol("lambda")
    poly = sp.Poly(r.char_poly, lam)
    assert poly.degree() == n
    assert poly.LC() == 1
    assert all(sp.simplify(r.char_poly.subs(lam, e)) == 0 for e in eigs)


def test_surd_case_eta_max():
    r = run([[3, 1], [1, 4]])
    assert sp.simplify(r.eta_max - (7 - sp.sqrt(5)) / 22) == 0
    assert r.eta_max_float == pytest.approx((7 - math.sqrt(5)) / 22, rel=1e-15)
    assert str(r.char_poly) == "lambda**2 - 7*lambda + 11"
    assert r.eigenvalues_exact_printable is True
    assert sp.simplify(r.optimal_step - sp.Rational(1, 7)) == 0
    assert sp.simplify(r.optimal_rate - sp.sqrt(5) / 7) == 0
    assert not r.eta_max.is_Rational


def test_non_symmetric_matrix_uses_the_symmetric_part():
    A = [[4, 1], [0, 3]]
    r = run(A)
    x, y = r.coords
    assert r.symmetric is False
    a_matrix, s_part = r.A, r.S
    assert a_matrix == sp.Matrix(A)
    assert s_part == sp.Matrix([[4, sp.Rational(1, 2)], [sp.Rational(1, 2), 3]])
    assert str(r.f) == "4*x**2 + x*y + 3*y**2"
    assert r.gradient == sp.Matrix([8 * x + y, x + 6 * y])
    assert r.hessian == sp.Matrix([[8, 1], [1, 6]])
    assert str(r.char_poly) == "lambda**2 - 7*lambda + 47/4"
    # NOT the eigenvalues of A itself (3 and 4)
    assert set(r.eigenvalues) != {3, 4}
    assert r.eigenvalues_float == pytest.approx(
        sorted(np.linalg.eigvalsh(np.array([[4, 0.5], [0.5, 3]]))), abs=1e-14
    )
    # the same answers as for S itself
    s = run([[4, "1/2"], ["1/2", 3]])
    assert s.symmetric is True
    assert s.eigenvalues == r.eigenvalues
    assert s.eta_max == r.eta_max
    assert s.char_poly == r.char_poly


def test_semidefinite_singular():
    r = run([[1, 1], [1, 1]])
    assert r.eta_max == sp.Rational(1, 2)
    assert r.eta_max_float == 0.5
    assert r.definiteness == "positive semidefinite"
    assert r.zero_eigenvalues == 1
    assert r.optimal_step is None
    assert r.optimal_rate is None
    assert str(r.char_poly_factored) == "lambda*(lambda - 2)"
    assert r.line_search.explicit == sp.Rational(1, 4)


def test_indefinite_and_zero():
    r = run([[1, 0], [0, -1]])
    assert (r.definiteness, r.eta_max, r.eta_max_float) == ("indefinite", None, None)
    assert (r.optimal_step, r.optimal_rate) == (None, None)
    z = run([[0, 0], [0, 0]])
    assert (z.definiteness, z.eta_max, z.eta_max_float) == ("zero", None, None)
    assert z.line_search.explicit is None
    assert z.gradient == sp.zeros(2, 1)
    assert z.f == 0


def test_one_by_one():
    r = run([[7]])
    (u1,) = r.coords
    assert str(u1) == "u_{1}"
    assert str(r.f) == "7*u_{1}**2"
    assert r.gradient == sp.Matrix([14 * u1])
    assert r.hessian == sp.Matrix([[14]])
    assert str(r.char_poly) == "lambda - 7"
    assert r.optimal_step == sp.Rational(1, 14)
    assert r.optimal_rate == 0
    assert r.line_search.explicit == sp.Rational(1, 14)


def test_three_by_three():
    r = run([[2, -1, 0], [-1, 2, -1], [0, -1, 2]])
    assert [str(c) for c in r.coords] == ["u_{1}", "u_{2}", "u_{3}"]
    assert str(r.char_poly) == "lambda**3 - 6*lambda**2 + 10*lambda - 4"
    assert str(r.char_poly_factored) == "(lambda - 2)*(lambda**2 - 4*lambda + 2)"
    assert sp.simplify(r.eta_max - (2 - sp.sqrt(2)) / 2) == 0
    assert sp.simplify(r.optimal_step - sp.Rational(1, 4)) == 0
    assert sp.simplify(r.optimal_rate - sp.sqrt(2) / 2) == 0
    assert r.line_search.explicit is None  # only for n <= 2
    assert r.hessian == 2 * r.S


def test_irreducible_cubic_is_not_printable_but_exact():
    r = run([[1, 2, 3], [2, 0, 1], [3, 1, 2]])
    assert r.eigenvalues_exact_printable is False
    assert all(e.has(sp.CRootOf) for e in r.eigenvalues)
    assert r.definiteness == "indefinite"
    assert r.negative_eigenvalues == 2
    assert r.eigenvalues_float == pytest.approx(
        np.linalg.eigvalsh(sym_part([[1, 2, 3], [2, 0, 1], [3, 1, 2]])), abs=1e-12
    )


@pytest.mark.parametrize("A", [[[-3]], [[-2, 2], [0, -2]], [[-1, 0, 0], [0, -2, 0], [0, 0, -5]]])
def test_negative_definite_is_called_negative_definite(A):
    r = run(A)
    assert r.zero_eigenvalues == 0
    assert r.negative_eigenvalues == len(A)
    assert r.definiteness == "negative definite"


# ---------------------------------------------------------------------------------------------
# Random integer matrices against NumPy


@st.composite
def int_matrices(draw, max_n=4, lo=-6, hi=6):
    n = draw(st.integers(1, max_n))
    entries = st.integers(lo, hi)
    rows = [[draw(entries) for _ in range(n)] for _ in range(n)]
    if draw(st.booleans()):  # symmetric half of the time
        rows = [[rows[min(i, j)][max(i, j)] for j in range(n)] for i in range(n)]
    return rows


def _numpy_signs(s: np.ndarray, exact_zeros: int):
    ev = np.linalg.eigvalsh(s)
    order = np.argsort(np.abs(ev))
    zero_idx = set(order[:exact_zeros].tolist())
    nonzero = [v for i, v in enumerate(ev) if i not in zero_idx]
    return ev, nonzero


@settings(max_examples=30, deadline=None)
@given(int_matrices())
def test_random_matrices_match_numpy(rows):
    r = run(rows)
    n = len(rows)
    s = sym_part(rows)
    s_exact = sp.Matrix(rows)
    s_exact = (s_exact + s_exact.T) / 2
    # exact zeros: n - rank (S is symmetric, so algebraic = geometric multiplicity)
    exact_zeros = n - s_exact.rank()
    ev, nonzero = _numpy_signs(s, exact_zeros)
    assume(all(abs(v) > 1e-9 for v in nonzero))
    assert r.n == n
    assert r.symmetric == (rows == [list(c) for c in zip(*rows, strict=True)])
    assert len(r.eigenvalues_float) == n
    assert list(r.eigenvalues_float) == sorted(r.eigenvalues_float)
    assert np.allclose(r.eigenvalues_float, ev, atol=1e-9, rtol=0)
    # the characteristic polynomial: coefficients as numpy.poly, and ~0 at each eigenvalue
    lam = sp.Symbol("lambda")
    coeffs = [float(c) for c in sp.Poly(r.char_poly, lam).all_coeffs()]
    assert np.allclose(coeffs, np.poly(s), atol=1e-9)
    for v in ev:
        scale = sum(abs(c) * abs(v) ** k for k, c in enumerate(reversed(coeffs)))
        assert abs(float(r.char_poly.subs(lam, sp.Float(v, 20)))) <= 1e-9 * max(scale, 1)
    # signs and definiteness
    positive = sum(v > 0 for v in nonzero)
    negative = sum(v < 0 for v in nonzero)
    assert r.zero_eigenvalues == exact_zeros
    assert r.negative_eigenvalues == negative
    if negative and positive:
        kind = "indefinite"
    elif negative:
        kind = "negative semidefinite" if exact_zeros else "negative definite"
    elif exact_zeros == n:
        kind = "zero"
    elif exact_zeros:
        kind = "positive semidefinite"
    else:
        kind = "positive definite"
    assert r.definiteness == kind
    # eta_max
    if kind in ("positive definite", "positive semidefinite"):
        assert r.eta_max_float == pytest.approx(1 / ev[-1], rel=1e-12)
        assert float(r.eta_max) == pytest.approx(1 / ev[-1], rel=1e-12)
    else:
        assert r.eta_max is None
        assert r.eta_max_float is None
    if kind == "positive definite":
        assert float(r.optimal_step) == pytest.approx(1 / (ev[0] + ev[-1]), rel=1e-12)
        assert float(r.optimal_rate) == pytest.approx(
            (ev[-1] - ev[0]) / (ev[-1] + ev[0]), rel=1e-12, abs=1e-12
        )
    else:
        assert r.optimal_step is None
        assert r.optimal_rate is None
    # gradient and Hessian
    a = sp.Matrix(rows)
    u = sp.Matrix(r.coords)
    assert (r.gradient - (a + a.T) * u).expand() == sp.zeros(n, 1)
    assert r.hessian == a + a.T
    assert r.iteration.free_symbols <= {sp.Symbol("eta", positive=True)}


# ---------------------------------------------------------------------------------------------
# Brute-force simulation: does gradient descent converge for eta < eta_max, diverge beyond?


PD_TABLE = [
    [[5, 2], [2, 2]],
    [[3, 1], [1, 4]],
    [[4, 1], [0, 3]],
    [[7]],
    [[2, -1, 0], [-1, 2, -1], [0, -1, 2]],
    [["1/10", "1/3"], [0, "2/7"]],
    [[6, 1, 0, 2], [-1, 5, 1, 0], [0, 1, 4, 1], [0, 0, 1, 5]],
]


def _check_threshold_by_simulation(rows, eta_max: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = len(rows)
    starts = rng.standard_normal((n, 6))
    ev = np.linalg.eigvalsh(sym_part(rows))
    below = 0.95 * eta_max
    rate = max(abs(1 - 2 * below * v) for v in ev)
    assert rate < 1
    steps = math.ceil(math.log(1e-8) / math.log(rate)) + 10
    assert steps < 20000  # keeps the run short
    end = descend(rows, below, starts, steps)
    assert np.all(np.linalg.norm(end, axis=0) < 1e-6 * np.linalg.norm(starts, axis=0))
    above = 1.05 * eta_max
    end = descend(rows, above, starts, 600)
    assert np.all(np.linalg.norm(end, axis=0) > 1e6 * np.linalg.norm(starts, axis=0))


@pytest.mark.parametrize("rows", PD_TABLE)
def test_simulation_confirms_eta_max(rows):
    r = run(rows)
    assert r.definiteness == "positive definite"
    _check_threshold_by_simulation(rows, r.eta_max_float, seed=len(rows))


@st.composite
def pd_matrices(draw):
    """A = B^T B + c I + K with K skew: S = B^T B + c I is positive definite."""
    n = draw(st.integers(1, 3))
    b = np.array([[draw(st.integers(-2, 2)) for _ in range(n)] for _ in range(n)])
    c = draw(st.integers(1, 5))
    low = np.array([[draw(st.integers(-3, 3)) if j < i else 0 for j in range(n)] for i in range(n)])
    a = b.T @ b + c * np.eye(n, dtype=int) + low - low.T
    return a.tolist()


@settings(max_examples=20, deadline=None)
@given(pd_matrices(), st.integers(0, 2**16))
def test_simulation_confirms_eta_max_random(rows, seed):
    r = run(rows)
    assert r.definiteness == "positive definite"
    _check_threshold_by_simulation(rows, r.eta_max_float, seed)


@pytest.mark.parametrize(
    "rows", [[[1, 1], [1, 1]], [[1, 0, 0], [0, 0, 0], [0, 0, 3]], [[2, -2], [-2, 2]]]
)
def test_simulation_semidefinite_converges_to_the_projection_on_the_null_space(rows):
    r = run(rows)
    assert r.definiteness == "positive semidefinite"
    rng = np.random.default_rng(7)
    starts = rng.standard_normal((len(rows), 5))
    end = descend(rows, 0.95 * r.eta_max_float, starts, 2000)
    ev, q = np.linalg.eigh(sym_part(rows))
    null = q[:, np.abs(ev) < 1e-12]
    assert null.shape[1] == r.zero_eigenvalues
    assert np.allclose(end, null @ (null.T @ starts), atol=1e-10)
    grown = descend(rows, 1.05 * r.eta_max_float, starts, 600)
    assert np.all(np.linalg.norm(grown, axis=0) > 1e6 * np.linalg.norm(starts, axis=0))


@pytest.mark.parametrize(
    "rows", [[[1, 0], [0, -1]], [[-1, 0], [0, 0]], [[-3]], [[1, 2, 3], [2, 0, 1], [3, 1, 2]]]
)
@pytest.mark.parametrize("step", [1e-3, 0.05, 0.5])
def test_simulation_negative_eigenvalue_diverges_for_every_step(rows, step):
    assert run(rows).eta_max is None
    starts = np.random.default_rng(3).standard_normal((len(rows), 4))
    lam_min = np.linalg.eigvalsh(sym_part(rows))[0]
    steps = math.ceil(math.log(1e8) / math.log(1 - 2 * step * lam_min)) + 5
    end = descend(rows, step, starts, steps)
    assert np.all(np.linalg.norm(end, axis=0) > 1e6 * np.linalg.norm(starts, axis=0))


# ---------------------------------------------------------------------------------------------
# The exact line search against a numerical one


def _numerical_line_search(a: np.ndarray, u: np.ndarray, hi: float) -> float:
    """argmin_t f(u - t g) by ternary search on [0, hi] (f convex along the line)."""
    g = (a + a.T) @ u

    def phi(t: float) -> float:
        v = u - t * g
        return float(v @ a @ v)

    lo = 0.0
    for _ in range(200):
        m1, m2 = lo + (hi - lo) / 3, hi - (hi - lo) / 3
        if phi(m1) < phi(m2):
            hi = m2
        else:
            lo = m1
    return (lo + hi) / 2


def _check_line_search(rows, seed: int) -> None:
    r = run(rows)
    assert r.definiteness == "positive definite"
    assert r.line_search.explicit is not None
    a = np.array([[float(Fraction(v)) for v in row] for row in rows])
    ev = np.linalg.eigvalsh((a + a.T) / 2)
    step_of = sp.lambdify(r.coords, r.line_search.explicit, "math")
    rng = np.random.default_rng(seed)
    for _ in range(5):
        u = rng.uniform(-3, 3, size=len(rows))
        exact = float(step_of(*u))
        numeric = _numerical_line_search(a, u, 1 / ev[0])
        assert exact == pytest.approx(numeric, rel=1e-7)
        assert 1 / (2 * ev[-1]) * (1 - 1e-12) <= exact <= 1 / (2 * ev[0]) * (1 + 1e-12)


@pytest.mark.parametrize("rows", [r for r in PD_TABLE if len(r) <= 2])
def test_line_search_matches_numerical_minimisation(rows):
    _check_line_search(rows, seed=11)


@settings(max_examples=20, deadline=None)
@given(pd_matrices().filter(lambda rows: len(rows) <= 2), st.integers(0, 2**16))
def test_line_search_matches_numerical_minimisation_random(rows, seed):
    _check_line_search(rows, seed)


def test_line_search_bounds_are_attained_along_eigenvectors():
    r = run(SEED)
    x, y = r.coords
    # eigenvectors of S = [[5,2],[2,2]]: (2, 1) for 6 and (1, -2) for 1
    assert r.line_search.explicit.subs({x: 2, y: 1}) == sp.Rational(1, 12)
    assert r.line_search.explicit.subs({x: 1, y: -2}) == sp.Rational(1, 2)


# ---------------------------------------------------------------------------------------------
# Surds as a reader writes them (solgen.markup.surd), and the exact eigenvectors


SQ2, SQ5 = sp.sqrt(2), sp.sqrt(5)


@pytest.mark.parametrize(
    ("expr", "display", "inline"),
    [
        (sp.Integer(3), "3", "3"),
        (sp.Integer(-3), "-3", "-3"),
        (sp.Integer(0), "0", "0"),
        (sp.Rational(1, 6), r"\frac{1}{6}", "1/6"),
        (sp.Rational(-1, 6), r"-\frac{1}{6}", "-1/6"),
        (SQ5 / 2 + sp.Rational(7, 2), r"\frac{7 + \sqrt{5}}{2}", r"(7 + \sqrt{5})/2"),
        (sp.Rational(7, 2) - SQ5 / 2, r"\frac{7 - \sqrt{5}}{2}", r"(7 - \sqrt{5})/2"),
        (2 / (7 + SQ5), r"\frac{7 - \sqrt{5}}{22}", r"(7 - \sqrt{5})/22"),  # rationalised
        (1 / (5 - SQ5), r"\frac{5 + \sqrt{5}}{20}", r"(5 + \sqrt{5})/20"),
        (
            sp.Rational(10, 23) - 2 * SQ2 / 23,
            r"\frac{10 - 2 \sqrt{2}}{23}",
            r"(10 - 2 \sqrt{2})/23",
        ),
        (2 - SQ2, r"2 - \sqrt{2}", r"2 - \sqrt{2}"),  # denominator 1
        (2 + SQ2, r"2 + \sqrt{2}", r"2 + \sqrt{2}"),
        (-1 - SQ5, r"-1 - \sqrt{5}", r"-1 - \sqrt{5}"),
        (SQ5, r"\sqrt{5}", r"\sqrt{5}"),  # coefficient 1 on the root
        (-SQ5 / 7, r"-\frac{\sqrt{5}}{7}", r"-\sqrt{5}/7"),
        (sp.sqrt(8) / 3, r"\frac{2 \sqrt{2}}{3}", r"2 \sqrt{2}/3"),
        ((SQ5 - 1) / 2, r"\frac{\sqrt{5} - 1}{2}", r"(\sqrt{5} - 1)/2"),  # the positive term first
        (-(1 + 3 * SQ5) / 2, r"-\frac{1 + 3 \sqrt{5}}{2}", r"-(1 + 3 \sqrt{5})/2"),
    ],
)
def test_surds_print_over_one_denominator(expr, display, inline):
    from solgen.markup.surd import surd_tex

    assert surd_tex(expr) == display
    assert surd_tex(expr, inline=True) == inline


@pytest.mark.parametrize(
    "expr",
    [sp.cbrt(2), SQ2 + sp.sqrt(3), sp.CRootOf(sp.Symbol("x") ** 3 - 3 * sp.Symbol("x") + 1, 0)],
)
def test_other_numbers_are_not_surds(expr):
    from solgen.markup.surd import surd, surd_tex

    assert surd(expr) is None
    assert surd_tex(expr) is None


def test_surd_parts_are_in_lowest_terms():
    from solgen.markup.surd import Surd, surd

    assert surd(2 / (7 + SQ5)) == Surd(7, -1, 5, 22)
    assert surd(sp.Rational(-3, 4)) == Surd(-3, 0, 1, 4)
    assert surd(sp.Rational(1, 2) + SQ2 / 3) == Surd(3, 2, 2, 6)


@pytest.mark.parametrize(
    ("A", "expected"),
    [
        ([[1, 2], [2, 1]], [(-1, [[1, -1]]), (3, [[1, 1]])]),
        ([["1/2", "1/2"], ["1/2", "1/2"]], [(0, [[1, -1]]), (1, [[1, 1]])]),  # integer entries
        ([[-3]], [(-3, [[1]])]),  # 1 x 1
        (
            [[1, 0, 0], [0, -2, 0], [0, 0, 0]],
            [(-2, [[0, 1, 0]]), (0, [[0, 0, 1]]), (1, [[1, 0, 0]])],
        ),
    ],
)
def test_eigenspaces_are_exact_and_scaled_as_a_reader_would(A, expected):
    spaces = run(A).eigenspaces
    got = [(space.value, [list(v) for v in space.vectors]) for space in spaces]
    assert got == expected


def test_surd_eigenvectors_are_eigenvectors():
    r = run([[1, 3], [3, -2]])
    assert [len(space.vectors) for space in r.eigenspaces] == [1, 1]
    for space in r.eigenspaces:
        (v,) = space.vectors
        assert sp.simplify(r.S * v - space.value * v) == sp.zeros(2, 1)
        assert float(sp.N(next(e for e in v if e != 0))) > 0
    stable = np.array([float(e) for e in r.eigenspaces[1].vectors[0]])
    _, q = np.linalg.eigh(sym_part([[1, 3], [3, -2]]))
    assert abs(stable @ q[:, 1]) / np.linalg.norm(stable) == pytest.approx(1, rel=1e-12)


def test_no_eigenspaces_where_the_solution_names_none():
    assert run(SEED).eigenspaces is None  # positive definite
    assert run([[0, 0], [0, 0]]).eigenspaces is None
    assert run([[1, 2, 3], [2, 0, 1], [3, 1, 2]]).eigenspaces is None  # CRootOf
    assert run([[1, 0, 0, 0], [0, -1, 0, 0], [0, 0, 2, 0], [0, 0, 0, 3]]).eigenspaces is None


def test_reciprocal_writes_what_radsimp_writes_for_every_kind_of_eigenvalue():
    """reciprocal(d) replaced sp.radsimp(1/d) (a tenth of a build): the same expression, tree
    for tree, over 100 drawn matrices' eigenvalues and their doubles (3,000 matched when it
    was written; radsimp takes 10 ms each), and radsimp's own answer for what it does not
    rationalise itself."""
    from solgen.problems.descent.derive import reciprocal
    from solgen.problems.descent.draw import draw

    checked = 0
    for seed in range(100):
        (a, b), (_, c) = draw(seed, "problem2")["A"]
        for eigenvalue in sp.Matrix([[a, b], [b, c]]).eigenvals(multiple=True):
            for d in (eigenvalue, 2 * eigenvalue):
                assert sp.srepr(reciprocal(d)) == sp.srepr(sp.radsimp(1 / d)), d
                checked += 1
    assert checked == 400
    for d in (sp.Integer(3), sp.sqrt(2), 3 * sp.sqrt(5) / 2, 1 + sp.sqrt(2) + sp.sqrt(3)):
        assert sp.srepr(reciprocal(d)) == sp.srepr(sp.radsimp(1 / d)), d
