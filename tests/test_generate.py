"""generate.py: random variants are reproducible, well-posed, and build."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
import sympy as sp

from solgen.build import render_documents, solve
from solgen.cli import main
from solgen.generate import Shape, Stream, variant, variant_text
from solgen.problems.p3_convnet import check_layers
from solgen.variant import build_variant, parse_toml

GOLDEN = Path(__file__).parent / "golden" / "variant-seed-1.toml"


def test_seed_1_is_the_reviewed_golden_file():
    """Byte for byte: any drift (platform, Python, hash order, float formatting) shows here."""
    assert variant_text(1) == GOLDEN.read_text(encoding="utf-8")


def test_stream_is_fixed():
    stream = Stream(42, "label")
    assert [stream.integer(0, 9) for _ in range(10)] == [
        stream_value for stream_value in _expected_stream()
    ]


def _expected_stream():
    import hashlib

    for n in range(1, 11):
        digest = hashlib.sha256(f"solgen:42:label:{n}".encode()).digest()
        yield int.from_bytes(digest[:16], "big") % 10


def test_same_seed_same_file_through_the_cli(tmp_path, capsys):
    assert main(["variant", "--seed", "5", "-o", str(tmp_path / "a.toml")]) == 0
    assert main(["variant", "--seed", "5"]) == 0
    printed = capsys.readouterr().out
    assert printed == (tmp_path / "a.toml").read_text(encoding="utf-8") == variant_text(5)
    assert variant_text(6) != variant_text(5)


def test_every_field_is_present():
    data = parse_toml(variant_text(3), "v")
    assert sorted(data) == ["meta", "problem1", "problem2", "problem3"]
    assert sorted(data["problem1"]) == ["W1", "X", "activation", "b1", "b2", "t", "w2"]
    assert sorted(data["problem3"]) == ["input", "kernel_sizes", "layers", "target"]
    # a practice sheet says which variant it is, never the command that regenerates it
    assert data["meta"] == {
        "title": "Machine Learning Assignment 2: Neural Networks",
        "author": "Variant 3",
        "date": "",
        "student_id": "",
    }


@pytest.mark.parametrize("seed", range(200))
def test_random_variants_are_well_posed_and_build(seed):
    v = build_variant(parse_toml(variant_text(seed), f"seed {seed}"))
    p1 = v.problem1
    # values on the 0.1 grid in [-1, 1]
    for value in [*sum(p1.X, ()), *p1.t, *sum(p1.W1, ()), *p1.b1, *p1.w2, p1.b2]:
        assert (value * 10).denominator == 1 and abs(value) <= 1
    solution = solve(v)
    r1 = solution.problem1
    assert r1.zero_preactivations == ()
    for j in range(r1.h):  # every hidden unit active for some samples, inactive for others
        column = [row[j] for row in r1.exact.Z]
        assert any(z > 0 for z in column) and any(z < 0 for z in column)
    assert r1.exact.loss >= Fraction(1, 20)
    # problem 2: symmetric positive definite, rational or clean-surd eigenvalues
    A = sp.Matrix(v.problem2.A)
    assert A == A.T and solution.problem2.definiteness == "positive definite"
    (a, b), (_, c) = v.problem2.A
    assert 1 <= a <= 15 and 1 <= c <= 15 and 1 <= abs(b) <= 8
    assert all(entry == int(entry) for entry in sum(v.problem2.A, ()))
    disc = int((a - c) ** 2 + 4 * b * b)
    eigenvalues = solution.problem2.eigenvalues
    assert eigenvalues[1] - eigenvalues[0] == sp.sqrt(disc)
    surd = sp.sqrt(disc).as_coeff_Mul()[1]  # sqrt(k^2 m) = k sqrt(m): the m under the root
    assert surd == 1 or (surd.is_Pow and surd.base <= 30)  # rational, or sqrt(m), m <= 30
    assert eigenvalues[1] / eigenvalues[0] <= 30  # the descent figure stays readable
    # problem 3: the given layers reach the target
    assert check_layers(v.problem3, v.problem3.layers)[-1].out_shape == v.problem3.target
    documents = render_documents(v, solution)
    assert f"Variant {seed}" in documents["solution"]
    assert "--seed" not in documents["solution"] and "--seed" not in documents["assignment"]


def test_shape_options():
    data = variant(11, Shape(samples=5, inputs=2, hidden=3))
    assert len(data["problem1"]["X"]) == 5 and len(data["problem1"]["X"][0]) == 2
    assert len(data["problem1"]["W1"]) == 3
    # the other problems do not depend on problem 1's shape
    assert data["problem2"] == variant(11)["problem2"]


def test_one_sample_cannot_have_a_mixed_mask(capsys):
    assert main(["variant", "--seed", "1", "--samples", "1"]) == 2
    assert "--samples: at least 2 samples" in capsys.readouterr().err
