"""Validation (every message, exactly) and the random draw (deterministic, always valid)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from solgen_softmax import PROBLEM
from solgen_softmax.variant import SoftmaxInput, logits

from solgen.base.tomlinput import parse_toml

SECTION = "problem4"
# Message beginnings that several cases share (each case's whole message is exact).
LABEL = "problem4.label: expected the sample's class, a whole number from 1 to "
PER_ROW = "(one per row of problem4.W)"
MATRIX = "problem4.W: expected a matrix (a list of rows of numbers)"
D = Decimal


def _value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, Fraction):
        return str(Decimal(value.numerator) / Decimal(value.denominator)) + (
            ".0" if value.denominator == 1 else ""
        )
    return str(value)


def toml_of(table: dict[str, object]) -> str:
    """A drawn table as a variant file writes it: tenths as decimals, the label an integer."""
    return "".join(f"{name} = {_value(value)}\n" for name, value in table.items())


def errors_of(**given: Any) -> list[str]:
    table = PROBLEM.merge(PROBLEM.default(), given)
    errors: list[str] = []
    assert PROBLEM.parse(table, SECTION, errors) is None
    return errors


def test_the_default_is_a_nice_exercise() -> None:
    errors: list[str] = []
    inp = PROBLEM.parse(PROBLEM.default(), SECTION, errors)
    assert errors == []
    assert inp == SoftmaxInput(
        W=(
            (Fraction(1, 2), Fraction(-1, 5)),
            (Fraction(-3, 10), Fraction(4, 5)),
            (Fraction(1, 10), Fraction(2, 5)),
        ),
        b=(Fraction(1, 10), Fraction(-1, 5), Fraction(0)),
        x=(Fraction(1), Fraction(1, 2)),
        label=2,
    )
    # three different logits, and the label's the smallest: the classifier is wrong
    assert logits(inp.W, inp.b, inp.x) == (Fraction(1, 2), Fraction(-1, 10), Fraction(3, 10))


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            {"W": 3},
            ["problem4.W: expected a matrix (a list of rows of numbers), found the number 3"],
        ),
        (
            {"W": [D("0.5"), 1]},
            ["problem4.W: expected a matrix (a list of rows of numbers), found a list of 2 items"],
        ),
        ({"W": []}, ["problem4.W: expected a non-empty matrix, found an empty one"]),
        (
            {"W": [[1, 2], [3]]},
            ["problem4.W: rows have different lengths [2, 1]; expected every row of length 2"],
        ),
        ({"W": [[1, 2]], "b": [0]}, ["problem4.W: expected 2 to 10 rows (one per class), found 1"]),
        (
            {"W": [[0] * 11] * 3, "x": [1] * 11},
            ["problem4.W: expected at most 10 columns (one per input), found 11"],
        ),
        (
            {"W": [[0]] * 11, "b": [0] * 11, "x": [1]},
            ["problem4.W: expected 2 to 10 rows (one per class), found 11"],
        ),
        (
            {"W": [[D("0.1")] * 4096] * 4096},  # refused before 16 million numbers are read
            ["problem4.W: expected 2 to 10 rows (one per class), found 4096"],
        ),
        (
            {"W": [[1, 2], ["x"] * 40]},
            ["problem4.W: expected at most 10 columns (one per input), found 40"],
        ),
        (
            {"b": [1, 2]},
            ["problem4.b: expected 3 entries, one per class (rows of problem4.W, 3 x 2), found 2"],
        ),
        (
            {"x": [1, 2, 3]},
            ["problem4.x: expected 2 entries, one per column of problem4.W (3 x 2), found 3"],
        ),
        ({"x": "1, 2"}, ["problem4.x: expected a list of numbers, found the string '1, 2'"]),
        ({"b": [0, "a", 1]}, ["problem4.b[1]: expected a number, found the string 'a'"]),
        ({"b": [0, True, 1]}, ["problem4.b[1]: expected a number, found the boolean true"]),
        ({"b": [D("nan"), 0, 0]}, ["problem4.b[0]: expected a finite number, found nan"]),
        (
            {"x": [D("1000.5"), 1]},
            ["problem4.x[0]: expected a number of magnitude at most 1e3, found 1000.5"],
        ),
        (
            {"W": [[1, 2], [3, -1001], [D("2e3"), 0]]},
            [
                "problem4.W[1][1]: expected a number of magnitude at most 1e3, found -1001",
                "problem4.W[2][0]: expected a number of magnitude at most 1e3, found 2000",
            ],
        ),
        (
            {"x": [D("1e7"), 1]},
            ["problem4.x[0]: expected a number of magnitude at most 1e6, found 10000000"],
        ),
        (
            {"label": 0},
            [f"{LABEL}3 {PER_ROW}, found 0"],
        ),
        (
            {"label": 4},
            [f"{LABEL}3 {PER_ROW}, found 4"],
        ),
        (
            {"label": D("2.0")},
            [f"{LABEL}3, found the number 2.0"],
        ),
        (
            {"label": "2"},
            [f"{LABEL}3, found the string '2'"],
        ),
        (
            {"label": False},
            [f"{LABEL}3, found the boolean false"],
        ),
        (
            {"W": "none", "label": 11},
            [
                f"{MATRIX}, found the string 'none'",
                f"{LABEL}10, found 11",
            ],
        ),
    ],
)
def test_each_problem_is_named(given: dict[str, Any], expected: list[str]) -> None:
    assert errors_of(**given) == expected


def test_every_problem_is_reported_at_once() -> None:
    assert errors_of(W=[[1, 2, 3], [4, 5, 6]], b=[1], x=[1, "two", 3], label=5) == [
        "problem4.x[1]: expected a number, found the string 'two'",
        "problem4.b: expected 2 entries, one per class (rows of problem4.W, 2 x 3), found 1",
        f"{LABEL}2 {PER_ROW}, found 5",
    ]


def test_fields_outside_the_problem_are_left_to_the_stage() -> None:
    table = PROBLEM.merge(PROBLEM.default(), {"label": 1, "activation": "relu"})
    assert "activation" not in table
    errors: list[str] = []
    assert PROBLEM.parse(table, SECTION, errors) is not None and errors == []


# --- the draw ------------------------------------------------------------------------------------


def test_the_same_seed_draws_the_same_table() -> None:
    assert PROBLEM.draw(7, SECTION, {}) == PROBLEM.draw(7, SECTION, {})


def test_a_draw_is_pinned() -> None:
    """The numbers depend on nothing but the seed and the section (SHA-256 of them,
    solgen.base.stream): the same on every machine."""
    assert toml_of(PROBLEM.draw(7, SECTION, {})) == (
        "W = [[-0.4, 0.7], [0.7, -0.9], [-0.2, 0.5]]\n"
        "b = [1.0, -0.3, 0.4]\n"
        "x = [0.5, 0.4]\n"
        "label = 3\n"
    )


def test_seeds_and_sections_draw_differently() -> None:
    base = PROBLEM.draw(1, SECTION, {})
    assert PROBLEM.draw(2, SECTION, {}) != base
    assert PROBLEM.draw(1, "problem5", {}) != base


@pytest.mark.parametrize(
    "options", [{}, {"classes": 2, "features": 1}, {"classes": 10, "features": 10}]
)
def test_200_seeds_all_valid(options: dict[str, int]) -> None:
    tables = set()
    classes, inputs = options.get("classes", 3), options.get("features", 2)
    for seed in range(200):
        table = PROBLEM.draw(seed, SECTION, options)
        # through a variant file, as solgen writes and reads it
        text = toml_of(table)
        errors: list[str] = []
        inp = PROBLEM.parse(parse_toml(text, "drawn"), SECTION, errors)
        assert errors == [] and inp is not None
        assert (inp.C, inp.d) == (classes, inputs)
        tenths = [v * 10 for row in inp.W for v in row] + [v * 10 for v in (*inp.b, *inp.x)]
        assert all(v.denominator == 1 and -10 <= v <= 10 for v in tenths)
        assert 0 not in inp.x
        z = logits(inp.W, inp.b, inp.x)
        assert len(set(z)) == len(z)
        tables.add(text)
    assert len(tables) == 200


def test_a_drawn_table_validates_as_it_is() -> None:
    """Without the detour through TOML: Fractions of tenths are numbers too."""
    errors: list[str] = []
    assert PROBLEM.parse(PROBLEM.draw(3, SECTION, {}), SECTION, errors) is not None
    assert errors == []


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, []),
        ({"classes": 10, "features": 10}, []),
        ({"classes": 1}, ["--classes: expected 2 to 10, found 1"]),
        (
            {"classes": 11, "features": 0},
            ["--classes: expected 2 to 10, found 11", "--features: expected 1 to 10, found 0"],
        ),
    ],
)
def test_draw_options(options: dict[str, int], expected: list[str]) -> None:
    assert PROBLEM.draw_problems(options) == expected


def test_draw_options_do_not_clash_with_solgens() -> None:
    flags = {option.flag for option in PROBLEM.draw_options}
    assert flags == {"--classes", "--features"}
    assert not flags & {"--samples", "--inputs", "--hidden", "--seed", "--count", "--out"}
    assert [option.dest for option in PROBLEM.draw_options] == ["classes", "features"]
