"""Reviewed outputs: the default build against tests/golden/results-seed.json, and the example
variant of the README (examples/class-variant.toml) built as a user would."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import sympy as sp

from solgen.cli import main

ROOT = Path(__file__).resolve().parent.parent
GOLDEN_RESULTS = ROOT / "tests" / "golden" / "results-seed.json"
CLASS_VARIANT = ROOT / "examples" / "class-variant.toml"


def differences(got: Any, expected: Any, path: str = "") -> list[str]:
    """Where got and expected differ, JSON type included (1 is not 1.0, True is not 1)."""
    if type(got) is not type(expected):
        return [f"{path or '/'}: {got!r} is a {type(got).__name__}, expected {expected!r}"]
    if isinstance(expected, dict):
        found = [f"{path}/{key}: missing" for key in expected if key not in got]
        found += [f"{path}/{key}: not in the golden file" for key in got if key not in expected]
        for key in expected.keys() & got.keys():
            found += differences(got[key], expected[key], f"{path}/{key}")
        return found
    if isinstance(expected, list):
        if len(got) != len(expected):
            return [f"{path}: {len(got)} items, expected {len(expected)}"]
        found = []
        for index, (g, e) in enumerate(zip(got, expected, strict=True)):
            found += differences(g, e, f"{path}[{index}]")
        return found
    return [] if got == expected else [f"{path}: {got!r}, expected {expected!r}"]


# --- the default variant against its golden results.json --------------------------------------


def test_the_default_build_gives_the_golden_results(tmp_path):
    """results-seed.json is the default variant's (the assignment as given: loss 1.0185,
    A = [[5, 2], [2, 2]], 15,296 parameters), not `solgen variant --seed 1`'s. Every field,
    every float to the last bit, in the same order."""
    out = tmp_path / "out"
    assert main(["build", "--no-pdf", "--out", str(out)]) == 0
    got = json.loads((out / "results.json").read_text(encoding="utf-8"))
    golden = json.loads(GOLDEN_RESULTS.read_text(encoding="utf-8"))
    assert differences(got, golden) == []
    assert list(got) == list(golden) == ["problem1", "problem2", "problem3", "checks"]


def test_the_golden_floats_are_the_correctly_rounded_exact_answers():
    """The golden file agrees with itself: each float is the float64 nearest to its exact
    form (the contract's certified answers), so it cannot hold a float64 computation's digits."""
    golden = json.loads(GOLDEN_RESULTS.read_text(encoding="utf-8"))
    p1, p2 = golden["problem1"], golden["problem2"]
    exact = p1["exact"]

    def nearest(text: str) -> float:
        return float(Fraction(text))  # Fraction -> float rounds correctly

    assert p1["y"] == [nearest(v) for v in exact["y"]] == [-0.7, -0.43, -0.51]
    assert p1["loss"] == nearest(exact["loss"]) == 1.0185
    assert p1["grad"]["W1"] == [[nearest(v) for v in row] for row in exact["grad"]["W1"]]
    for name in ("b1", "w2"):
        assert p1["grad"][name] == [nearest(v) for v in exact["grad"][name]]
    assert p1["grad"]["b2"] == nearest(exact["grad"]["b2"]) == -2.04
    assert p1["grad"]["W1"][1] == [-0.2544, -0.318, 0.0318, -0.0954]
    assert p2["eigenvalues"] == [nearest(v) for v in p2["eigenvalues_exact"]] == [1.0, 6.0]
    assert p2["eta_max"] == nearest(p2["eta_max_exact"]) == 1 / 6
    assert [check["passed"] for check in golden["checks"]] == [True] * 10


# --- examples/class-variant.toml, the README's example -------------------------------------------


def test_the_class_variant_example_builds_and_its_comment_is_true(tmp_path, capsys):
    out = tmp_path / "variant-b"
    assert main(["build", "--no-pdf", "--out", str(out), "--variant", str(CLASS_VARIANT)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.splitlines()[:3] == [
        f"wrote {out / 'solution.tex'}",
        f"wrote {out / 'assignment.tex'}",
        f"wrote {out / 'results.json'}",
    ]

    # The meta text as solgen writes it: UTF-8 letters kept, one hyphen left alone (only --
    # would be broken up), the comma of the title kept.
    for name in ("solution.tex", "assignment.tex"):
        tex = (out / name).read_text(encoding="utf-8")
        assert "\n{\\large José Núñez-Ødegård\\par}\n" in tex
        assert "\n{\\LARGE\\bfseries Machine Learning, Assignment 2 (variant B)\\par}\n" in tex
        assert "\n{Due: 21 November\\par}\n" in tex

    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert [check["passed"] for check in results["checks"]] == [True] * 10
    p1 = results["problem1"]
    assert p1["activation"] == "tanh"
    assert p1["shape"] == {"N": 4, "d": 3, "h": 3}

    # Problem 2: A = [[3, 1], [1, 4]]; the file's comment says the eigenvalues are
    # (7 -+ sqrt 5)/2 and the bound (7 - sqrt 5)/22.
    p2 = results["problem2"]
    assert p2["char_poly"] == "lambda**2 - 7*lambda + 11"
    assert p2["eigenvalues_exact"] == ["7/2 - sqrt(5)/2", "sqrt(5)/2 + 7/2"]
    assert p2["definiteness"] == "positive definite"
    assert p2["eta_max_exact"] == "(7 - sqrt(5))/22"
    # golden floats, computed once: the float64 nearest to each exact value
    assert p2["eigenvalues"] == [2.381966011250105, 4.618033988749895]
    assert p2["eta_max"] == 0.21654236465910046

    # The comment, checked by SymPy from A itself (not from solgen's output).
    lam = sp.Symbol("lambda")
    roots = sp.solve(sp.Matrix([[3, 1], [1, 4]]).charpoly(lam).as_expr(), lam)
    low, high = (7 - sp.sqrt(5)) / 2, (7 + sp.sqrt(5)) / 2
    assert sorted(roots, key=float) == [low, high]
    assert sp.simplify(1 / high - (7 - sp.sqrt(5)) / 22) == 0
    for text, value in zip(p2["eigenvalues_exact"], (low, high), strict=True):
        assert sp.simplify(sp.sympify(text) - value) == 0
    assert sp.simplify(sp.sympify(p2["eta_max_exact"]) - 1 / high) == 0
    # and the floats are those values correctly rounded (50 digits leave no doubt)
    for number, value in zip(
        [*p2["eigenvalues"], p2["eta_max"]], (low, high, 1 / high), strict=True
    ):
        assert number == float(Fraction(str(sp.N(value, 50))))
