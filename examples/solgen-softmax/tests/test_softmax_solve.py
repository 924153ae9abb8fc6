"""solve() against independent routes: exact strings for fixed inputs, mpmath at 50 digits
(each float must be the 50-digit value rounded once), NumPy in float64, and central
differences of the loss."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np
import pytest
import sympy as sp
from solgen_softmax import PROBLEM
from solgen_softmax.solve import SoftmaxResult
from solgen_softmax.variant import SoftmaxInput

SECTION = "problem4"
S = "(exp(-1/10) + exp(3/10) + exp(1/2))"  # the default's sum of exponentials


def solved(table: dict[str, Any]) -> SoftmaxResult:
    errors: list[str] = []
    inp = PROBLEM.parse(table, SECTION, errors)
    assert errors == [] and inp is not None
    return PROBLEM.solve(inp)


def fraction_input(W: Any, b: Any, x: Any, label: int) -> SoftmaxInput:
    def f(v: Any) -> Fraction:
        return Fraction(str(v))

    return SoftmaxInput(
        tuple(tuple(f(v) for v in row) for row in W), tuple(map(f, b)), tuple(map(f, x)), label
    )


# --- exact forms: one expected string per case ---------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (("logits",), ["1/2", "-1/10", "3/10"]),
        (("probabilities", 0), f"exp(1/2)/{S}"),
        (("probabilities", 1), f"exp(-1/10)/{S}"),
        (("probabilities", 2), f"exp(3/10)/{S}"),
        (("loss",), "1/10 + log(exp(-1/10) + exp(3/10) + exp(1/2))"),
        (("grad", "z", 0), f"exp(1/2)/{S}"),
        (("grad", "z", 1), f"-1 + exp(-1/10)/{S}"),
        (("grad", "z", 2), f"exp(3/10)/{S}"),
        (("grad", "W", 0, 1), f"exp(1/2)/(2*{S})"),
        (("grad", "W", 1, 0), f"-1 + exp(-1/10)/{S}"),
        (("grad", "W", 1, 1), f"-1/2 + exp(-1/10)/(2*{S})"),
        (("grad", "b", 1), f"-1 + exp(-1/10)/{S}"),
    ],
)
def test_the_default_exact_forms(
    default_result: SoftmaxResult, path: tuple[Any, ...], expected: Any
) -> None:
    node: Any = PROBLEM.results(default_result)["exact"]
    for step in path:
        node = node[step]
    assert node == expected


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        # all logits tie: rational probabilities
        ((((1, 2), (1, 2), (1, 2)), (0, 0, 0), (1, 1), 1), ("1/3", "-2/3", "-3 + log(3*exp(3))")),
        ((((1,), (1,)), (0, 0), (1,), 2), ("1/2", "-1/2", "-1 + log(2*E)")),
        # a logit of 0: e^0 = 1 in the sum
        (
            (((1, 0), (0, 0)), (0, 0), (Decimal("0.5"), 3), 2),
            ("exp(1/2)/(1 + exp(1/2))", "-1 + 1/(1 + exp(1/2))", "log(1 + exp(1/2))"),
        ),
    ],
)
def test_exact_forms_of_special_logits(
    case: tuple[Any, ...], expected: tuple[str, str, str]
) -> None:
    W, b, x, label = case
    result = solved({"W": [list(r) for r in W], "b": list(b), "x": list(x), "label": label})
    exact = PROBLEM.results(result)["exact"]
    c = label - 1
    assert (exact["probabilities"][0], exact["grad"]["z"][c], exact["loss"]) == expected


def test_the_exact_forms_evaluate_to_the_floats(default_result: SoftmaxResult) -> None:
    section = PROBLEM.results(default_result)
    exact = section["exact"]
    pairs = [(exact["loss"], section["loss"])]
    pairs += list(zip(exact["probabilities"], section["probabilities"], strict=True))
    pairs += list(zip(exact["grad"]["z"], section["grad"]["z"], strict=True))
    for row, values in zip(exact["grad"]["W"], section["grad"]["W"], strict=True):
        pairs += list(zip(row, values, strict=True))
    for text, value in pairs:
        assert float(sp.N(sp.sympify(text), 50)) == value


# --- the floats: correctly rounded, against independent routes -----------------------------------


def _mp_answers(inp: SoftmaxInput) -> dict[str, Any]:
    """The answers at 50 digits, by mpmath alone (not the balls)."""
    with mpmath.workdps(50):
        z = [
            mpmath.fsum(
                mpmath.mpf(w.numerator) / w.denominator * mpmath.mpf(v.numerator) / v.denominator
                for w, v in zip(row, inp.x, strict=True)
            )
            + mpmath.mpf(bias.numerator) / bias.denominator
            for row, bias in zip(inp.W, inp.b, strict=True)
        ]
        top = max(z)
        exps = [mpmath.exp(v - top) for v in z]
        total = mpmath.fsum(exps)
        p = [e / total for e in exps]
        c = inp.label - 1
        loss = mpmath.log(total) + top - z[c]
        dz = [p[i] - (1 if i == c else 0) for i in range(inp.C)]
        dW = [
            [dz[i] * mpmath.mpf(v.numerator) / v.denominator for v in inp.x] for i in range(inp.C)
        ]
        return {
            "probabilities": [float(v) for v in p],
            "loss": float(loss),
            "z": [float(v) for v in dz],
            "W": [[float(v) for v in row] for row in dW],
        }


def _inputs() -> list[SoftmaxInput]:
    drawn = []
    for seed in range(40):
        table = PROBLEM.draw(seed, SECTION, {"classes": 2 + seed % 9, "features": 1 + seed % 10})
        errors: list[str] = []
        inp = PROBLEM.parse(table, SECTION, errors)
        assert inp is not None
        drawn.append(inp)
    return [
        *drawn,
        fraction_input([[3, -1], [2, 5], [-4, 0]], [1, 2, 3], [1.5, -0.25], 3),
        fraction_input([["0.001", 7], [8, "-0.003"]], [0, 0], [20, 30], 1),  # p_1 about e^-60
    ]


@pytest.mark.parametrize("inp", _inputs(), ids=lambda inp: f"{inp.C}x{inp.d}")
def test_every_float_is_the_50_digit_value_rounded_once(inp: SoftmaxInput) -> None:
    section = PROBLEM.results(PROBLEM.solve(inp))
    reference = _mp_answers(inp)
    assert section["probabilities"] == reference["probabilities"]
    assert section["loss"] == reference["loss"]
    assert section["grad"]["z"] == reference["z"]
    assert section["grad"]["b"] == reference["z"]
    assert section["grad"]["W"] == reference["W"]


@pytest.mark.parametrize("inp", _inputs(), ids=lambda inp: f"{inp.C}x{inp.d}")
def test_numpy_float64_agrees(inp: SoftmaxInput) -> None:
    section = PROBLEM.results(PROBLEM.solve(inp))
    W = np.array(inp.W, dtype=float)
    z = W @ np.array(inp.x, dtype=float) + np.array(inp.b, dtype=float)
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    loss = float(np.log(np.exp(z - z.max()).sum()) + z.max() - z[inp.label - 1])
    assert np.allclose(section["probabilities"], p, rtol=1e-13, atol=1e-300)
    assert loss == pytest.approx(section["loss"], rel=1e-13, abs=1e-13)


@pytest.mark.parametrize("inp", _inputs()[:12], ids=lambda inp: f"{inp.C}x{inp.d}")
def test_central_differences_in_float64(inp: SoftmaxInput) -> None:
    section = PROBLEM.results(PROBLEM.solve(inp))
    W = np.array(inp.W, dtype=float)
    x = np.array(inp.x, dtype=float)
    b = np.array(inp.b, dtype=float)
    c = inp.label - 1

    def loss(W: Any, b: Any) -> float:
        z = W @ x + b
        return float(np.log(np.exp(z - z.max()).sum()) + z.max() - z[c])

    h = 1e-6
    for i in range(inp.C):
        e = np.zeros(inp.C)
        e[i] = h
        difference = (loss(W, b + e) - loss(W, b - e)) / (2 * h)
        assert difference == pytest.approx(section["grad"]["b"][i], abs=1e-8)
        for j in range(inp.d):
            E = np.zeros_like(W)
            E[i, j] = h
            difference = (loss(W + E, b) - loss(W - E, b)) / (2 * h)
            assert difference == pytest.approx(section["grad"]["W"][i][j], abs=1e-8)


def test_huge_logits_stay_exact_and_certified() -> None:
    """|z| up to 1e7: the probabilities underflow to 0.0 exactly where they should."""
    inp = fraction_input(
        [[1000] * 10, [-1000] * 10, ["999.999"] * 10], [1000, -1000, 0], [1000] * 10, 2
    )
    result = PROBLEM.solve(inp)
    section = PROBLEM.results(result)
    assert result.undecided == ()
    assert section["probabilities"] == [1.0, 0.0, 0.0]
    assert section["loss"] == 20002000.0
    assert section["grad"]["z"] == [1.0, -1.0, 0.0]
    assert (
        section["exact"]["loss"] == "10001000 + log(exp(-10001000) + exp(9999990) + exp(10001000))"
    )
    assert all(check().passed for _, check in PROBLEM.checks(result))


def test_a_zero_input_gives_an_exact_zero_column() -> None:
    result = PROBLEM.solve(fraction_input([[1, 2], [3, 4]], [0, 0], [0, 1], 1))
    assert [row[0] for row in PROBLEM.results(result)["grad"]["W"]] == [0.0, 0.0]
    assert [row[0] for row in PROBLEM.results(result)["exact"]["grad"]["W"]] == ["0", "0"]


def test_a_probability_within_1e_25_of_one_half_rounds_to_it() -> None:
    """p_1 = 1 / (1 + e^-1e-25) = 0.5 + 2.5e-26: the balls decide it is 0.5 as a float."""
    result = PROBLEM.solve(fraction_input([["1e-25"], [0]], [0, 0], [1], 1))
    assert PROBLEM.results(result)["probabilities"] == [0.5, 0.5]
    assert result.undecided == ()
