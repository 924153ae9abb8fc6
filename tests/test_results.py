"""results.json: the contract's shapes, and agreement with an independent implementation."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solgen.document.build import solve
from solgen.document.results import results_dict, results_json
from solgen.document.variant import build_variant, load_variant
from solgen.problems.network.fields import ACTIVATIONS

# --- an independent implementation of every answer, from the contract alone ----------------------


def oracle(variant_dict: dict) -> dict:
    p1, p2 = variant_dict["problem1"], variant_dict["problem2"]
    f = {
        "relu": lambda z: np.maximum(z, 0),
        "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
        "tanh": np.tanh,
    }[p1["activation"]]
    X, t = np.array(p1["X"], float), np.array(p1["t"], float)
    W1, b1, w2, b2 = (
        np.array(p1["W1"], float),
        np.array(p1["b1"], float),
        np.array(p1["w2"], float),
        float(p1["b2"]),
    )
    y = np.array([w2 @ f(W1 @ x + b1) + b2 for x in X])
    loss = 0.5 * np.sum((y - t) ** 2)
    S = (np.array(p2["A"], float) + np.array(p2["A"], float).T) / 2
    eig = np.linalg.eigvalsh(S)
    eta = 1 / eig[-1] if eig[0] > -1e-9 and eig[-1] > 1e-9 else None
    return {"y": y, "loss": loss, "eigenvalues": eig, "eta_max": eta}


def fd_gradient(variant_dict: dict, name: str, step: float = 1e-6) -> np.ndarray:
    p1 = variant_dict["problem1"]
    base = np.array(p1[name], float)
    grad = np.zeros_like(base)
    for index in np.ndindex(base.shape):
        losses = []
        for sign in (1, -1):
            moved = base.copy()
            moved[index] += sign * step
            changed = {**variant_dict, "problem1": {**p1, name: moved.tolist()}}
            losses.append(oracle(changed)["loss"])
        grad[index] = (losses[0] - losses[1]) / (2 * step)
    return grad


def as_toml_numbers(value):
    """Variant values as the TOML loader would give them (exact decimals)."""
    from decimal import Decimal

    if isinstance(value, dict):
        return {k: as_toml_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_toml_numbers(v) for v in value]
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


tenth = st.integers(-9, 9).map(lambda v: v / 10)


@st.composite
def variants(draw):
    N, d, h, n = (draw(st.integers(1, 4)) for _ in range(4))
    mat = lambda r, c: [[draw(tenth) for _ in range(c)] for _ in range(r)]  # noqa: E731
    return {
        "problem1": {
            "X": mat(N, d),
            "t": [draw(tenth) for _ in range(N)],
            "W1": mat(h, d),
            "b1": [draw(tenth) for _ in range(h)],
            "w2": [draw(tenth) for _ in range(h)],
            "b2": draw(tenth),
            "activation": draw(st.sampled_from(ACTIVATIONS)),
        },
        "problem2": {"A": [[draw(st.integers(-5, 5)) for _ in range(n)] for _ in range(n)]},
    }


@settings(max_examples=40, deadline=None)
@given(variants())
def test_results_agree_with_independent_implementation(variant_dict):
    variant = build_variant(as_toml_numbers(variant_dict))
    results = results_dict(solve(variant))
    expected = oracle(variant_dict)
    p1, p2 = results["problem1"], results["problem2"]
    np.testing.assert_allclose(p1["y"], expected["y"], rtol=1e-12, atol=1e-12)
    assert p1["loss"] == pytest.approx(expected["loss"], rel=1e-12, abs=1e-14)
    np.testing.assert_allclose(p2["eigenvalues"], expected["eigenvalues"], rtol=1e-9, atol=1e-9)
    if expected["eta_max"] is None:
        assert p2["eta_max"] is None
    else:
        assert p2["eta_max"] == pytest.approx(expected["eta_max"], rel=1e-9)
    if not p1["zero_preactivations"]:
        for name in ("W1", "b1", "w2"):
            np.testing.assert_allclose(
                p1["grad"][name], fd_gradient(variant_dict, name), rtol=1e-6, atol=1e-7
            )
    # shapes mirror the inputs
    assert np.shape(p1["grad"]["W1"]) == np.shape(variant_dict["problem1"]["W1"])
    assert len(p1["y"]) == len(variant_dict["problem1"]["X"])
    assert len(p2["eigenvalues"]) == len(variant_dict["problem2"]["A"])


def test_seed_results_follow_the_contract():
    results = json.loads(results_json(solve(load_variant())))
    assert list(results) == ["problem1", "problem2", "problem3", "checks"]
    p1, p2, p3 = results["problem1"], results["problem2"], results["problem3"]
    assert p1["activation"] == "relu"
    assert p1["exact"]["loss"] == "2037/2000"
    assert p1["exact"]["grad"]["b2"] == "-51/25"
    assert p1["grad"]["b2"] == pytest.approx(-2.04, abs=1e-15)
    assert p2 == {
        "eigenvalues": [1.0, 6.0],
        "eigenvalues_exact": ["1", "6"],
        "char_poly": "lambda**2 - 7*lambda + 6",
        "definiteness": "positive definite",
        "eta_max": 1 / 6,
        "eta_max_exact": "1/6",
        "optimal_step_exact": "1/7",
    }
    assert p3["input"] == [32, 32, 3]
    assert p3["layers"][0] == {
        "type": "conv",
        "kernel": 5,
        "in_channels": 3,
        "out_channels": 8,
        "output": [28, 28, 8],
        "params": 608,
        "weights": 600,
        "biases": 8,
    }
    assert p3["layers"][1] == {"type": "pool", "kernel": 2, "output": [14, 14, 8], "params": 0}
    assert p3["total_params"] == 15296


def test_surd_and_indefinite_exact_strings():
    surd = results_dict(solve(load_variant(sets=["problem2.A=[[3,1],[1,4]]"])))["problem2"]
    assert surd["eigenvalues_exact"] == ["7/2 - sqrt(5)/2", "sqrt(5)/2 + 7/2"]
    assert surd["char_poly"] == "lambda**2 - 7*lambda + 11"
    assert surd["eta_max_exact"] == "(7 - sqrt(5))/22"
    assert surd["eta_max"] == pytest.approx(2 / (7 + 5**0.5), rel=1e-15)
    indefinite = results_dict(solve(load_variant(sets=["problem2.A=[[1,3],[3,1]]"])))["problem2"]
    assert indefinite["eta_max"] is None and indefinite["eta_max_exact"] is None
    assert indefinite["eigenvalues"] == [-2.0, 4.0]


def test_designed_architecture_in_results():
    p3 = results_dict(solve(load_variant(sets=["problem3.target=[4,4,64]"])))["problem3"]
    assert p3["designed"] is True
    assert p3["total_params"] == 24352
    assert [layer["kernel"] for layer in p3["layers"]] == [5, 2, 3, 2, 3]
    assert [layer["output"] for layer in p3["layers"]][-1] == [4, 4, 64]
    assert p3["designs_total"] == 2
    assert p3["designs"][1] == {
        "kernels": [5, 7],
        "filters": [32, 64],
        "final_pool": True,
        "layers": 4,
        "total_params": 102848,
    }
