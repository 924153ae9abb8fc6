"""Problem 2's solution text is true for every kind of A (issue 21): each sentence that depends
on kappa, the definiteness or the size appears exactly where it is true; the contraction factor
and the line-search path the figures draw agree with independent NumPy computations."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

from solgen.document.build import render_documents, solve
from solgen.document.variant import load_variant
from solgen.problems.descent.context import context
from solgen.problems.descent.figures import line_search_figure

KINDS = {
    "kappa 1": "[[3,0],[0,3]]",
    "kappa 3": "[[2,1],[1,2]]",
    "default (kappa 6)": "[[5,2],[2,2]]",
    "kappa 30": "[[30,0],[0,1]]",
    "drawn, kappa 28.3": "[[17,-10],[-10,7]]",  # solgen variant --seed 189
    "roster kappa 1000": "[[1000,0],[0,1]]",
    "indefinite": "[[1,2],[2,1]]",
    "zero": "[[0,0],[0,0]]",
    "singular": "[[1,1],[1,1]]",
    "3x3": "[[2,0,0],[0,3,1],[0,1,3]]",
    "non-symmetric": "[[2,1],[0,3]]",
}

_CACHE: dict[str, str] = {}


def _text(kind: str) -> str:
    """Problem 2's solution TeX for a kind, whitespace collapsed (sentences span lines)."""
    if kind not in _CACHE:
        variant = load_variant(sets=[f"problem2.A={KINDS[kind]}"])
        tex = render_documents(variant, solve(variant))["solution"]
        part = tex.split("Problem 2. Gradient descent")[1].split("Problem 3.")[0]
        _CACHE[kind] = " ".join(part.split())
    return _CACHE[kind]


def _p2(A: str):
    return solve(load_variant(sets=[f"problem2.A={A}"])).result_of("problem2")


# The kinds by what the sentences depend on: kappa against 19, and the zig-zag's 2x2 ones.
BELOW_19 = {"kappa 3", "default (kappa 6)", "3x3", "non-symmetric"}
ABOVE_19 = {"kappa 30", "drawn, kappa 28.3", "roster kappa 1000"}
KAPPA_ABOVE_1 = BELOW_19 | ABOVE_19  # positive definite, kappa > 1
ZIGZAG_2X2 = KAPPA_ABOVE_1 - {"3x3"}  # positive definite 2x2, kappa > 1

# Sentences and where each is true. Each kind not listed must not print it.
WHERE = {
    # 0.95 eta_max against eta* = kappa/(kappa + 1) eta_max: right of it for kappa < 19
    "With $\\kappa < 19$ this step lies to the right of $\\eta^\\ast$": BELOW_19,
    "With $\\kappa > 19$ it lies to the left of": ABOVE_19,
    "With $\\kappa = 1$ every direction has the same factor": {"kappa 1"},
    "With $\\kappa = 1$ that factor is $0$: $I - 2\\eta^\\ast S = 0$": {"kappa 1"},
    "Figure~\\ref{fig:contraction} plots it": KAPPA_ABOVE_1 | {"kappa 1"},
    # the zig-zag: 2x2, positive definite, 1 < kappa <= 30
    "Figure~\\ref{fig:linesearch} draws the path from": ZIGZAG_2X2 - {"roster kappa 1000"},
    "(The path is not drawn: with $\\kappa = 1000$, above $30$,": {"roster kappa 1000"},
    "by Kantorovich's inequality every step gives": KAPPA_ABOVE_1,
    "That minimiser exists only when $\\mathbf{g}_n^\\top S\\mathbf{g}_n > 0$.": {"indefinite"},
    "\\boxed{\\,\\text{every } \\eta > 0\\,}": {"zero"},
    "The exact line search has nothing to choose either": {"zero"},
    "The step is the same at every step, whatever $\\mathbf{u}_n$.": {"kappa 1", "singular"},
    # the explicit step names x and y only where it depends on them
    "where $\\mathbf{u}_n = (x, y)^{\\top}$.": ZIGZAG_2X2,
    "\\item No $\\eta > 0$ makes gradient descent converge from every start": {"indefinite"},
    "\\item Gradient descent converges (trivially) for every $\\eta > 0$": {"zero"},
    "(to a minimiser that depends on $\\mathbf{u}_0$)": {"singular"},
}


@pytest.mark.parametrize("sentence", list(WHERE))
@pytest.mark.parametrize("kind", list(KINDS))
def test_a_sentence_appears_exactly_where_it_is_true(kind, sentence):
    assert (sentence in _text(kind)) is (kind in WHERE[sentence])


FALSE_FOR_SOME = [
    "fastest",
    "slowly",
    "Three step sizes",
    "three constant steps",
    "Over many steps the largest factor decides",
    "a curve ends where",
    "no meaningful bound",
    "are the coordinates of",
]


@pytest.mark.parametrize("kind", list(KINDS))
def test_no_sentence_that_is_false_for_some_kind_is_left(kind):
    text = _text(kind)
    assert [s for s in FALSE_FOR_SOME if s in text] == []


@pytest.mark.parametrize("kind", list(KINDS))
def test_no_fraction_has_a_decimal_beside_it(kind):
    """'5/7', not '5/7 \\approx 0.714286': the exact value is the answer; surds keep theirs."""
    assert re.findall(r"(?<![\w\\)}])\d+/\d+ \\approx", _text(kind)) == []
    assert re.findall(r"\\frac\{\d+\}\{\d+\} \\approx", _text(kind)) == []


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_ends_with_one_final_answers_box(kind):
    text = _text(kind)
    assert text.count("\\begin{finalanswers}{Problem 2: final answers}") == 1
    box = text.split("\\begin{finalanswers}")[1].split("\\end{finalanswers}")[0]
    assert "\\item Eigenvalues of $S" in box
    assert text.split("\\solgenheading{")[0].endswith("\\end{finalanswers} \\end{solution} ")


@pytest.mark.parametrize(
    ("kind", "items"),
    [
        (
            "default (kappa 6)",
            [
                "$\\lambda_{1} = 1, \\quad \\lambda_{2} = 6$; $\\lambda_{\\max} = 6$.",
                "if and only if $0 < \\eta < 1/\\lambda_{\\max} = 1/6$.",
                "$\\eta^\\ast = 1/(\\lambda_{\\min} + \\lambda_{\\max}) = 1/7$",
                "$(\\kappa - 1)/(\\kappa + 1) = 5/7$ per step, where $\\kappa = 6$.",
            ],
        ),
        (
            "roster kappa 1000",
            [
                "$\\lambda_{\\max} = 1000$.",
                "$0 < \\eta < 1/\\lambda_{\\max} = 1/1000$.",
                "= 1/1001$",
                "$(\\kappa - 1)/(\\kappa + 1) = 999/1001$ per step, where $\\kappa = 1000$.",
            ],
        ),
        ("non-symmetric", ["Eigenvalues of $S = \\frac{1}{2}(A + A^\\top)$:"]),
        ("zero", ["$\\lambda_{1} = 0, \\quad \\lambda_{2} = 0$."]),
    ],
)
def test_the_final_answers(kind, items):
    box = _text(kind).split("\\begin{finalanswers}")[1].split("\\end{finalanswers}")[0]
    for item in items:
        assert item in box


@pytest.mark.parametrize(
    ("kind", "sentence"),
    [
        (
            "kappa 30",
            "the one along $\\mathbf{q}_{\\min}$ by $1 - 1.9/\\kappa = 281/300$. With "
            "$\\kappa > 19$ it lies to the left of $\\eta^\\ast = \\frac{\\kappa}{\\kappa + 1}"
            "\\eta_{\\max}$, where the flat direction $\\mathbf{q}_{\\min}$ decides, as it does "
            "at $\\eta^\\ast$: $\\rho( 0.95\\,\\eta_{\\max}) = 281/300$, only slightly more than "
            "$\\rho(\\eta^\\ast) = 29/31$",
        ),
        (
            "kappa 3",
            "the one along $\\mathbf{q}_{\\min}$ by $1 - 1.9/\\kappa = 11/30$. With "
            "$\\kappa < 19$ this step lies to the right of $\\eta^\\ast$, where the steep "
            "direction $\\mathbf{q}_{\\max}$ decides: $\\rho( 0.95\\,\\eta_{\\max}) = 9/10$, more "
            "than $\\rho(\\eta^\\ast) = 1/2$.",
        ),
        (
            "kappa 1",
            "at $0.95\\,\\eta_{\\max} = 19/60$, a step multiplies every coordinate by $-9/10$, "
            "and just above it, at $1.05\\,\\eta_{\\max} = 7/20$, by $-11/10$",
        ),
        ("kappa 1", "which coincide here ($\\kappa = 1$)"),
        (
            "default (kappa 6)",
            "$f(\\mathbf{u}_{n+1}) / f(\\mathbf{u}_n) \\approx 0.397311$, within the bound "
            "$\\bigl((\\kappa - 1)/(\\kappa + 1)\\bigr)^2 = 25/49$.",
        ),
        ("default (kappa 6)", "the path from $\\mathbf{u}_0 = (0.14, -1)$"),
        ("indefinite", "$\\eta = 0.25/\\lambda_{\\max} = 1/12$, every iterate marked."),
    ],
)
def test_the_kind_specific_sentences_read_exactly(kind, sentence):
    assert sentence in _text(kind)


# --- the figures' data against NumPy --------------------------------------------------------------


def _pairs(text: str) -> np.ndarray:
    return np.array([[float(v) for v in p.strip("()").split(",")] for p in text.split(" ")])


def _spectrum(A: str) -> np.ndarray:
    a = np.array(eval(A), dtype=float)  # a literal from KINDS
    return np.linalg.eigvalsh((a + a.T) / 2)


def _rho(eta: np.ndarray | float, lam: np.ndarray) -> np.ndarray:
    return np.max(np.abs(1 - 2 * np.multiply.outer(eta, lam)), axis=-1)


POSITIVE = ["kappa 1", "kappa 3", "default (kappa 6)", "kappa 30", "drawn, kappa 28.3"]
POSITIVE += ["roster kappa 1000", "3x3", "non-symmetric"]


@pytest.mark.parametrize("kind", POSITIVE)
def test_the_contraction_factor_plotted_is_numpys(kind):
    """Every vertex of the V and of its two lines, and the three marks, lie on
    max_i |1 - 2 eta lambda_i| with NumPy's eigenvalues, eta in units of 1/lambda_max; the dot
    is the minimum over a fine grid."""
    lam = _spectrum(KINDS[kind])
    eta_max = 1 / lam[-1]
    rho = context(_p2(KINDS[kind]))["contraction"]
    for key in ("rho", "bottom"):
        points = _pairs(rho[key])
        np.testing.assert_allclose(points[:, 1], _rho(points[:, 0] * eta_max, lam), atol=2e-4)
    for key, value in (("low", lam[0]), ("high", lam[-1])):
        points = _pairs(rho[key])
        expected = np.abs(1 - 2 * points[:, 0] * eta_max * value)
        np.testing.assert_allclose(points[:, 1], expected, atol=2e-4)
    near, above = _pairs(rho["near"]["at"])[0], _pairs(rho["above"]["at"])[0]
    assert near[0] == 0.95 and above[0] == 1.05
    assert near[1] == pytest.approx(_rho(0.95 * eta_max, lam), abs=1e-4)
    assert above[1] == pytest.approx(1.1, abs=1e-12)
    grid = np.linspace(0, 1.25, 250_001) * eta_max
    values = _rho(grid, lam)
    bottom = _pairs(rho["bottom"])[0]
    assert bottom[0] == pytest.approx(grid[np.argmin(values)] / eta_max, abs=1e-4)
    assert bottom[1] == pytest.approx(values.min(), abs=1e-4)
    assert bottom[1] == pytest.approx((lam[-1] - lam[0]) / (lam[-1] + lam[0]), abs=1e-4)
    # rho < 1 exactly below eta_max
    inside = (grid > 0) & (grid < eta_max * (1 - 1e-9))
    assert np.all(values[inside] < 1) and np.all(values[grid > eta_max] > 1)


@pytest.mark.parametrize("kind", ["kappa 3", "default (kappa 6)", "kappa 30", "drawn, kappa 28.3"])
def test_the_line_search_path_is_numpys(kind):
    """Each step of the drawn path minimises f along -g (found by a parabola through three
    values of f); successive segments are perpendicular; every iterate lies on its level set;
    f falls by one factor at every step, at most ((kappa - 1)/(kappa + 1))^2."""
    p2 = _p2(KINDS[kind])
    figure = line_search_figure(p2)
    assert figure is not None
    a = np.array(p2.A.tolist(), dtype=float)

    def f(u: np.ndarray) -> float:
        return float(u @ a @ u)

    points = np.array(figure.points)
    assert len(points) >= 2 and np.allclose(points[0], figure.start)
    for u, v in itertools.pairwise(points):
        g = (a + a.T) @ u
        values = [f(u - s * g) for s in (0.0, 1.0, 2.0)]
        curvature = (values[2] - 2 * values[1] + values[0]) / 2
        step = -(values[1] - values[0] - curvature) / (2 * curvature)
        np.testing.assert_allclose(v, u - step * g, rtol=1e-9, atol=1e-12)
    segments = np.diff(points, axis=0)
    for s, t in itertools.pairwise(segments):
        assert abs(s @ t) <= 1e-9 * np.linalg.norm(s) * np.linalg.norm(t)
    for u, e in zip(points, figure.level_sets, strict=True):
        on = [np.array(e.point(t)) for t in np.linspace(0, 2 * np.pi, 13)]
        np.testing.assert_allclose([f(w) for w in on], f(u), rtol=1e-9)
    ratios = [f(v) / f(u) for u, v in itertools.pairwise(points)]
    np.testing.assert_allclose(ratios, figure.ratio, rtol=1e-6)
    lam = _spectrum(KINDS[kind])
    assert figure.ratio <= ((lam[1] - lam[0]) / (lam[1] + lam[0])) ** 2
    xmin, xmax, ymin, ymax = figure.box
    assert xmin < min(points[:, 0].min(), 0) and xmax > max(points[:, 0].max(), 0)
    assert ymin < min(points[:, 1].min(), 0) and ymax > max(points[:, 1].max(), 0)


@pytest.mark.parametrize("A", ["[[3,0],[0,3]]", "[[31,0],[0,1]]", "[[1,2],[2,1]]", "[[1,1],[1,1]]"])
def test_no_line_search_path_where_it_would_show_nothing_true(A):
    """kappa = 1 (one step reaches 0), kappa > 30 (too narrow), no minimiser, no unique one."""
    assert line_search_figure(_p2(A)) is None
