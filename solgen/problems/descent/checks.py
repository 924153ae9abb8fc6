"""The descent problem's self-checks, each starting again from A: S from A; the characteristic
polynomial by another algorithm, the exact eigenvalues as its roots and against NumPy's
eigensolver, with eigenpair residuals; eta_max as the step where the spectral radius of
I - 2 eta S reaches 1; the optimal step as the minimiser of that radius with its rate; the
line-search step as the vertex of phi(eta) = f(u - eta grad f(u)) at sample points, within
its stated bounds.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy as sp

from solgen.problems.checking import NotApplicable, fractions, short, tex_float
from solgen.problems.descent.derive import DescentResult
from solgen.problems.problem import Check, CheckRun

RESIDUAL_TOLERANCE = 1e-9


def _symmetric_part(result: DescentResult) -> list[list[Fraction]]:
    A = fractions(result.A.tolist())
    n = len(A)
    return [[(A[i][j] + A[j][i]) / 2 for j in range(n)] for i in range(n)]


def symmetric_part_check(result: DescentResult) -> Check:
    """S = (A + A^T)/2 from A, and det(lambda I - S) by the Berkowitz algorithm."""
    p2 = result
    S = _symmetric_part(result)
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


def _float_S(result: DescentResult) -> np.ndarray:
    return np.array([[float(v) for v in row] for row in _symmetric_part(result)], dtype=float)


def eigen_check(result: DescentResult) -> Check:
    """Exact eigenvalues: roots of the check's own det(lambda I - S), NumPy's eigenvalues of S
    from A, and small residuals S v = lambda v."""
    p2 = result
    lam = sp.Symbol("lambda")
    S_exact = sp.Matrix(_symmetric_part(result))
    poly = S_exact.charpoly(lam).as_expr()
    S = _float_S(result)
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
        f"relative residual {short(worst)}"
    )
    tex = (
        rf"the {p2.n} eigenvalues are roots of $\det(\lambda I - S)$, agree with NumPy's "
        rf"eigenvalues of $S$ and satisfy $S\mathbf{{v}} = \lambda\mathbf{{v}}$ with its "
        r"eigenvectors, every relative residual below $10^{-9}$"
    )
    if worst >= RESIDUAL_TOLERANCE:
        tex = tex.replace(
            r"every relative residual below $10^{-9}$", f"a residual ${tex_float(worst)}$"
        )
    return Check("eigenpair_residuals", what, worst, worst < RESIDUAL_TOLERANCE, tex)


def _radius(S: np.ndarray, eta: float) -> float:
    """The spectral radius of the iteration matrix I - 2 eta S (symmetric)."""
    M = np.eye(len(S)) - 2 * eta * S
    return float(np.max(np.abs(np.linalg.eigvalsh(M))))


STEP_NUDGE = 1e-6  # eta_max (1 -/+ this): just inside converges, just outside does not


def step_bound_check(result: DescentResult) -> Check:
    """eta_max is where the spectral radius of I - 2 eta S reaches 1 (S from A, eigensolver of
    NumPy on the iteration matrix); with no bound, no step makes the radius less than 1."""
    p2 = result
    S = _float_S(result)
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
        f"the spectral radius of I - 2 eta S (S from A) is 1 at eta_max (off by {short(error)}), "
        f"{inside:.9g} just below it and {outside:.9g} just above it"
    )
    within = "10^{-9}" if error < 1e-9 else tex_float(error)  # not the rounding noise
    tex = (
        rf"the spectral radius of $I - 2\eta S$ is $1$ at $\eta_{{\max}}$ (to within ${within}$), "
        rf"${inside:.9g}$ just below it and ${outside:.9g}$ just above it"
    )
    return Check("step_size_bound", what, error, passed, tex)


def optimal_step_check(result: DescentResult) -> Check:
    """The optimal constant step minimises the spectral radius of I - 2 eta S, with its rate."""
    p2 = result
    if p2.optimal_step is None or p2.optimal_rate is None or p2.eta_max_float is None:
        raise NotApplicable(
            "no optimal constant step (S is not positive definite)",
            r"no optimal constant step ($S$ is not positive definite)",
        )
    S = _float_S(result)
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
        f"largest difference {short(error)}"
    )
    tex = (
        rf"the optimal step gives the spectral radius ${at:.9g}$ of $I - 2\eta S$, equal to the "
        r"stated rate and no larger than at 402 other steps in $(0, \eta_{\max}]$"
    )
    return Check("optimal_step", what, error, passed, tex)


LINE_SEARCH_POINTS = 3


def line_search_check(result: DescentResult) -> Check:
    """The stated line-search step is the vertex of phi(eta) = f(u - eta grad f(u)), found from
    three values of phi, at sample points; it lies within the stated bounds."""
    p2 = result
    A = fractions(p2.A.tolist())
    n = len(A)
    if p2.line_search.explicit is None:
        raise NotApplicable(
            "the line-search step is not stated explicitly (n > 2 or g^T S g = 0)",
            r"the line-search step is not stated explicitly ($n > 2$ or "
            r"$\mathbf{g}^{\top} S \mathbf{g} = 0$)",
        )

    def f(u: list[Fraction]) -> Fraction:
        return sum((u[i] * A[i][j] * u[j] for i in range(n) for j in range(n)), Fraction(0))

    worst = Fraction(0)
    points = [[Fraction(k + i + 1, k + 2) * (-1) ** (i * k) for i in range(n)] for k in range(3)]
    low = high = None
    values = np.linalg.eigvalsh(_float_S(result))
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


def checks(result: DescentResult) -> list[tuple[str, CheckRun]]:
    """The descent problem's checks, in order."""
    return [
        ("symmetric_part", lambda: symmetric_part_check(result)),
        ("eigenpair_residuals", lambda: eigen_check(result)),
        ("step_size_bound", lambda: step_bound_check(result)),
        ("optimal_step", lambda: optimal_step_check(result)),
        ("line_search_step", lambda: line_search_check(result)),
    ]
