"""generate.py: random variants are reproducible, well-posed, and build."""

from __future__ import annotations

import hashlib
from collections import Counter
from fractions import Fraction
from pathlib import Path

import pytest
import sympy as sp

from solgen.base.errors import InvalidInput
from solgen.base.stream import Stream
from solgen.base.tomlinput import parse_toml
from solgen.cli import main
from solgen.course.generate import variant, variant_text
from solgen.document.build import render_documents, solve
from solgen.document.variant import build_variant
from solgen.problems.convnet.derive import check_layers
from solgen.problems.convnet.draw import draw as convnet_draw
from solgen.problems.convnet.draw import space as convnet_space
from solgen.problems.descent.draw import draw as descent_draw
from solgen.problems.descent.draw import space as descent_space
from solgen.problems.network import draw as network_draw
from solgen.problems.network.draw import Shape, _one_input_unit, is_well_posed
from solgen.problems.network.draw import draw as problem1

GOLDEN = Path(__file__).parent / "golden" / "variant-seed-1.toml"


def test_seed_1_is_the_reviewed_golden_file():
    """Byte for byte: any drift (platform, Python, hash order, float formatting) shows here."""
    assert variant_text(1) == GOLDEN.read_text(encoding="utf-8")


# Golden draws, computed once and pasted in (reviewed like the golden variant file): a change to
# Stream changes every variant of every class, so it must show here as a changed literal.
STREAM_GOLDEN = [
    # (seed, label, low, high, the first draws)
    (42, "label", 0, 9, [3, 0, 8, 9, 5, 5, 6, 4, 6, 5]),
    (1, "problem1", -10, 10, [0, 6, -6, -5, 6, 5, 9, -6, 7, 9, -5, -8]),
    (7, "x", 0, 2**64, [6183597985780493526, 2210108713320527577, 5981324594928078620]),
]


@pytest.mark.parametrize(("seed", "label", "low", "high", "draws"), STREAM_GOLDEN)
def test_stream_draws_are_the_golden_numbers(seed, label, low, high, draws):
    stream = Stream(seed, label)
    assert [stream.integer(low, high) for _ in draws] == draws


def test_stream_choice_is_fixed():
    stream = Stream(3, "c")
    assert [stream.choice([2, 3, 5, 7]) for _ in range(8)] == [2, 2, 5, 7, 5, 7, 7, 5]


def test_seed_1_problem1_starts_with_the_golden_draws():
    """The golden variant's X (in tenths) is the first 12 draws of Stream(1, "problem1")."""
    X = parse_toml(GOLDEN.read_text(encoding="utf-8"), "golden")["problem1"]["X"]
    assert [int(value * 10) for row in X for value in row] == STREAM_GOLDEN[1][4]


def reference_draws(seed: int, label: str, low: int, high: int, count: int) -> list[int]:
    """Stream's algorithm, written separately from solgen.course.generate (which it does not call).

    The docstring says "SHA-256 of (seed, label, counter)"; spelled out: SHA-256 of the UTF-8
    text "solgen:SEED:LABEL:N" for N = 1, 2, ..., its first 16 bytes read as a big-endian
    integer, reduced modulo the size of [low, high] and added to low.
    """
    draws = []
    for n in range(1, count + 1):
        digest = hashlib.sha256(b"solgen:%d:%s:%d" % (seed, label.encode("utf-8"), n)).digest()
        draws.append(low + int.from_bytes(digest[:16], "big") % (high - low + 1))
    return draws


def test_the_reference_reproduces_the_golden_numbers():
    """The golden numbers are what the documented algorithm gives (checked once more here)."""
    for seed, label, low, high, draws in STREAM_GOLDEN:
        assert reference_draws(seed, label, low, high, len(draws)) == draws


@pytest.mark.parametrize(
    ("seed", "label", "low", "high"),
    [(0, "problem2", 1, 15), (123456789, "problem3/2", -8, 8), (5, "Ødegård", 0, 1)],
)
def test_stream_follows_the_documented_algorithm(seed, label, low, high):
    stream = Stream(seed, label)
    assert [stream.integer(low, high) for _ in range(50)] == reference_draws(
        seed, label, low, high, 50
    )


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
    p1 = v.input_of("problem1")
    # values on the 0.1 grid in [-1, 1]
    for value in [*sum(p1.X, ()), *p1.t, *sum(p1.W1, ()), *p1.b1, *p1.w2, p1.b2]:
        assert (value * 10).denominator == 1 and abs(value) <= 1
    solution = solve(v)
    r1 = solution.result_of("problem1")
    assert r1.zero_preactivations == ()
    for j in range(r1.h):  # every hidden unit active for some samples, inactive for others
        column = [row[j] for row in r1.exact.Z]
        assert any(z > 0 for z in column) and any(z < 0 for z in column)
    assert r1.exact.loss >= Fraction(1, 20)
    # problem 2: symmetric positive definite, rational or clean-surd eigenvalues
    A = sp.Matrix(v.input_of("problem2").A)
    assert A == A.T and solution.result_of("problem2").definiteness == "positive definite"
    (a, b), (_, c) = v.input_of("problem2").A
    assert 1 <= a <= 99 and 1 <= c <= 99 and 1 <= abs(b) <= 50
    assert all(entry == int(entry) for entry in sum(v.input_of("problem2").A, ()))
    disc = int((a - c) ** 2 + 4 * b * b)
    eigenvalues = solution.result_of("problem2").eigenvalues
    assert eigenvalues[1] - eigenvalues[0] == sp.sqrt(disc)
    surd = sp.sqrt(disc).as_coeff_Mul()[1]  # sqrt(k^2 m) = k sqrt(m): the m under the root
    assert surd == 1 or (surd.is_Pow and surd.base <= 30)  # rational, or sqrt(m), m <= 30
    assert eigenvalues[1] / eigenvalues[0] <= 30  # the descent figure stays readable
    # problem 3: the given layers reach the target
    assert (
        check_layers(v.input_of("problem3"), v.input_of("problem3").layers)[-1].out_shape
        == v.input_of("problem3").target
    )
    documents = render_documents(v, solution)
    assert f"Variant {seed}" in documents["solution"]
    assert "--seed" not in documents["solution"] and "--seed" not in documents["assignment"]


# --- draw spaces: a class of 300 rarely shares a problem, without redrawing --------------------

PAIRS_IN_300 = 300 * 299 // 2  # 44,850


def test_the_descent_space_has_102966_matrices_and_draws_stay_in_it():
    space = set(descent_space())
    assert len(space) == 102_966
    assert PAIRS_IN_300 / len(space) < 0.44  # expected pairs sharing a matrix in a class of 300
    # an independent test of niceness: sympy's eigenvalues, a square-free part, the ratio
    for seed in range(60):
        (a, b), (_, c) = descent_draw(seed)["A"]
        assert (a, b, c) in space
        low, high = sorted(sp.Matrix([[a, b], [b, c]]).eigenvals())
        assert low > 0 and high / low <= 30
        surd = sp.sqrt((a - c) ** 2 + 4 * b * b).as_coeff_Mul()[1]
        assert surd == 1 or surd.base <= 30


def test_the_descent_space_is_what_a_brute_force_search_finds():
    """Every (a, b, c) in range that sympy finds nice (positive definite, eigenvalues rational
    or with sqrt(m), m <= 30, condition number <= 30) is in the space, on a slice of it."""
    space = set(descent_space())
    for a in range(1, 100, 13):
        for c in range(1, 100, 11):
            for b in [*range(-50, 0, 7), *range(1, 51, 7)]:
                low, high = sorted(sp.Matrix([[a, b], [b, c]]).eigenvals(multiple=True))
                surd = sp.sqrt((a - c) ** 2 + 4 * b * b).as_coeff_Mul()[1]
                nice = low > 0 and high / low <= 30 and (surd == 1 or surd.base <= 30)
                assert ((a, b, c) in space) == nice, (a, b, c)


def test_the_convnet_space_has_87168_setups_and_draws_stay_in_it():
    space = set(convnet_space())
    assert len(space) == 87_168
    assert PAIRS_IN_300 / len(space) < 0.52
    for seed in range(60):
        table = convnet_draw(seed)
        (side, _, channels), (target, _, target_channels) = table["input"], table["target"]
        assert (side, channels, target, target_channels, tuple(table["kernel_sizes"])) in space


def test_draws_are_spread_over_the_space():
    """2,000 draws (1,999,000 pairs) of uniform spaces of 102,966 and 87,168 expect 19.4 and
    22.9 repeated pairs; a draw biased to a corner would repeat far more. The counts are
    pinned (the draw is deterministic) and checked against the expectation."""
    matrices = [repr(descent_draw(seed)["A"]) for seed in range(2000)]
    setups = [repr(sorted(convnet_draw(seed).items())) for seed in range(2000)]
    pairs = [sum(n * (n - 1) // 2 for n in Counter(draws).values()) for draws in (matrices, setups)]
    assert pairs == [25, 28]
    assert pairs[0] < 2 * 1_999_000 / 102_966 and pairs[1] < 2 * 1_999_000 / 87_168


def test_shape_options():
    data = variant(11, options={"samples": 5, "inputs": 2, "hidden": 3})
    assert len(data["problem1"]["X"]) == 5 and len(data["problem1"]["X"][0]) == 2
    assert len(data["problem1"]["W1"]) == 3
    # the other problems do not depend on problem 1's shape
    assert data["problem2"] == variant(11)["problem2"]


def test_one_sample_cannot_have_a_mixed_mask(capsys):
    assert main(["variant", "--seed", "1", "--samples", "1"]) == 2
    assert capsys.readouterr().err == (
        "solgen: error: --samples: expected at least 2 (each hidden unit must be active for some "
        "samples and inactive for others), found 1\n"
    )


# Problem 1 never fails for a valid shape (issue 18, item 7). Tiny shapes are where it used to:
# the first X of 2x1x1 seed 165 is two equal samples, -0.3 and -0.3, which no unit can split.


def independent_well_posed(network: dict, shape: Shape) -> bool:
    """Well posed, checked in Fractions without solgen's code: the README's definition."""
    X, W1, t, b1, w2 = (network[name] for name in ("X", "W1", "t", "b1", "w2"))
    N, d, h = shape.samples, shape.inputs, shape.hidden
    if network["activation"] != "relu":
        return False
    if [len(X), len(W1), len(t), len(b1), len(w2)] != [N, h, N, h, h]:
        return False
    if any(len(row) != d for row in [*X, *W1]):
        return False
    values = [*(x for xs in X for x in xs), *(w for row in W1 for w in row), *t, *b1, *w2]
    values.append(network["b2"])
    if not all(isinstance(v, Fraction) and (v * 10).denominator == 1 for v in values):
        return False  # the 0.1 grid
    if any(abs(v) > 1 for v in values):
        return False
    Z = [
        [
            sum(x * w for x, w in zip(xs, row, strict=True)) + b
            for row, b in zip(W1, b1, strict=True)
        ]
        for xs in X
    ]
    if any(z == 0 for zs in Z for z in zs):
        return False  # a pre-activation exactly 0 sits on ReLU's kink
    for j in range(h):  # every unit active for some samples, inactive for others
        if not (any(zs[j] > 0 for zs in Z) and any(zs[j] < 0 for zs in Z)):
            return False
    y = [sum(w * max(z, 0) for w, z in zip(w2, zs, strict=True)) + network["b2"] for zs in Z]
    return sum((yk - tk) ** 2 for yk, tk in zip(y, t, strict=True)) / 2 >= Fraction(1, 20)


def tenths(*values: int) -> list[Fraction]:
    return [Fraction(v, 10) for v in values]


def test_the_well_posedness_checks_can_fail():
    # z = (0.5, -0.5, -0.8), y = (0.5, 0, 0), loss 3/4
    good = {
        "X": [tenths(5), tenths(-5), tenths(-8)],
        "t": tenths(-5, 5, 5),
        "W1": [tenths(10)],
        "b1": tenths(0),
        "w2": tenths(10),
        "b2": Fraction(0),
        "activation": "relu",
    }
    shape = Shape(3, 1, 1)
    assert independent_well_posed(good, shape) and is_well_posed(good)
    bad = [
        {"X": [tenths(5), tenths(5), tenths(5)]},  # equal samples: the unit is never inactive
        {"b1": tenths(5)},  # z = (1, 0, -0.3): a pre-activation exactly 0
        {"X": [[Fraction(1, 20)], tenths(-5), tenths(-8)]},  # off the grid
        {"w2": tenths(15)},  # off [-1, 1]
        {"t": tenths(5, 0, 0)},  # loss 0
        {"t": tenths(2, -2, 0)},  # loss 1/2 (0.09 + 0.04) = 0.065: still well posed
        {"t": tenths(3, 0, 0)},  # loss 1/2 0.04 = 0.02: too small
        {"activation": "tanh"},
    ]
    verdicts = [
        (independent_well_posed(good | change, shape), is_well_posed(good | change))
        for change in bad
    ]
    expected = [False] * 5 + [True] + [False] * 2
    assert verdicts == [(v, v) for v in expected]


def as_fractions(problem: dict) -> dict:
    """A problem 1 as read from TOML (Decimals) with Fractions, as the generator returns it."""

    def exact(value):
        if isinstance(value, list):
            return [exact(v) for v in value]
        return value if isinstance(value, str) else Fraction(value)

    return {name: exact(value) for name, value in problem.items()}


def test_seeds_165_and_195_give_a_2x1x1_variant(capsys):
    for seed in (165, 195):
        argv = ["variant", "--seed", str(seed), "--samples", "2", "--inputs", "1", "--hidden", "1"]
        assert main(argv) == 0
        printed = as_fractions(parse_toml(capsys.readouterr().out, "printed")["problem1"])
        assert printed == problem1(seed, Shape(2, 1, 1))
    # 165: the first X (-0.3, -0.3) has two equal samples, the first redraw (0, 0.1) has no
    # threshold between them on the grid, the second (0.5, 0.9) is drawn from "problem1/X2"
    assert reference_draws(165, "problem1", -10, 10, 2) == [-3, -3]
    assert reference_draws(165, "problem1/X1", -10, 10, 2) == [0, 1]
    assert reference_draws(165, "problem1/X2", -10, 10, 2) == [5, 9]
    assert problem1(165, Shape(2, 1, 1)) == {
        "X": [tenths(5), tenths(9)],
        "t": tenths(6, -5),
        "W1": [tenths(-9)],
        "b1": tenths(7),
        "w2": tenths(3),
        "b2": Fraction(-1),
        "activation": "relu",
    }
    # 195: the first X (-0.6, -0.6) has two equal samples; "problem1/X1" gives (-1, -0.6)
    assert reference_draws(195, "problem1", -10, 10, 2) == [-6, -6]
    assert reference_draws(195, "problem1/X1", -10, 10, 2) == [-10, -6]
    assert problem1(195, Shape(2, 1, 1)) == {
        "X": [tenths(-10), tenths(-6)],
        "t": tenths(-5, -5),
        "W1": [tenths(-9)],
        "b1": tenths(-8),
        "w2": tenths(10),
        "b2": Fraction(0),
        "activation": "relu",
    }


def test_2x1x1_succeeds_for_seeds_1_to_300_through_the_cli(capsys):
    shape = Shape(2, 1, 1)
    for seed in range(1, 301):
        argv = ["variant", "--seed", str(seed), "--samples", "2", "--inputs", "1", "--hidden", "1"]
        assert main(argv) == 0, seed
        network = as_fractions(parse_toml(capsys.readouterr().out, f"seed {seed}")["problem1"])
        assert independent_well_posed(network, shape), seed
        assert is_well_posed(network), seed


TINY_SHAPES = [Shape(n, d, h) for n in (2, 3) for d in (1, 2) for h in (1, 2)]


@pytest.mark.parametrize("shape", TINY_SHAPES, ids=lambda s: f"{s.samples}x{s.inputs}x{s.hidden}")
def test_tiny_shapes_always_give_a_well_posed_network(shape):
    for seed in range(1, 601):
        network = problem1(seed, shape)
        assert is_well_posed(network), seed
        assert independent_well_posed(network, shape), seed


def test_one_sample_is_the_only_shape_without_a_network():
    """One sample cannot be active and inactive: refused (exit 2, naming --samples)."""
    with pytest.raises(InvalidInput, match="--samples"):
        problem1(1, Shape(1, 1, 1))


def test_variants_that_generated_before_are_unchanged():
    """The draws that never needed the redraw are those of the one stream "problem1"."""
    network = problem1(7, Shape(2, 1, 1))  # 7's first X is fine
    X = reference_draws(7, "problem1", -10, 10, 4)
    assert [[int(x * 10) for x in xs] for xs in network["X"]] == [X[:1], X[1:2]]
    assert [int(t * 10) for t in network["t"]] == X[2:4]


def test_which_single_input_pairs_have_a_unit():
    """Two samples of one input have a unit unless equal or one of four neighbouring pairs.

    Brute force over every weight and bias on the grid, independent of the generator.
    """

    def splittable(a: int, c: int) -> bool:
        return any(
            (a * w + 10 * b) * (c * w + 10 * b) < 0 for w in range(-10, 11) for b in range(-10, 11)
        )

    pairs = [(a, c) for a in range(-10, 11) for c in range(-10, 11)]
    unsplittable = sorted((a, c) for a, c in pairs if a < c and not splittable(a, c))
    assert unsplittable == [(-10, -9), (-1, 0), (0, 1), (9, 10)]
    for a, c in pairs:
        assert (_one_input_unit([[a], [c]]) is not None) == splittable(a, c), (a, c)


def test_an_input_with_minus_and_plus_half_always_has_a_unit():
    """The last redraw's rescue: x_11 = -0.5, x_21 = 0.5 gives input 1 a unit, whatever else."""
    for third in range(-10, 11):
        for fourth in range(-10, 11):
            X = [[-5, 0], [5, 0], [third, 1], [fourth, -1]]
            row, bias = _one_input_unit(X) or pytest.fail(f"{X}")
            column = [sum(x * w for x, w in zip(xs, row, strict=True)) + 10 * bias for xs in X]
            assert all(column) and max(column) > 0 > min(column)


def test_the_safety_nets_keep_every_draw_well_posed(monkeypatch):
    """With 1 attempt a unit or an output layer, the rescues do the work, and suffice."""
    monkeypatch.setattr(network_draw, "MAX_ATTEMPTS", 1)
    monkeypatch.setattr(network_draw, "MAX_X_REDRAWS", 1)  # the first redraw is made to have a unit
    for shape in TINY_SHAPES:
        for seed in range(1, 101):
            network = problem1(seed, shape)
            assert is_well_posed(network) and independent_well_posed(network, shape), seed


def test_the_last_redraw_is_rescued(monkeypatch):
    """165's first redraw (0, 0.1) has no unit; as the last redraw it gets -0.5 and 0.5."""
    monkeypatch.setattr(network_draw, "MAX_X_REDRAWS", 1)
    network = problem1(165, Shape(2, 1, 1))
    assert network["X"] == [[Fraction(-1, 2)], [Fraction(1, 2)]]
    assert is_well_posed(network) and independent_well_posed(network, Shape(2, 1, 1))
