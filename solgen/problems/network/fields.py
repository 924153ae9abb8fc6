"""The network problem's variant fields: the data and the two-layer network, validated."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from solgen.base.fields import MAX_SIZE, Matrix, Vector, matrix, number, shape_text, vector
from solgen.base.messages import describe, did_you_mean, plural

ACTIVATIONS = ("relu", "sigmoid", "tanh")
DATA_FILES = ("X.csv", "t.csv", "W1.csv", "b1.csv", "w2.csv", "b2.csv")  # its files in data/
# Problem 1's work is N*d*h products per pass, exact: rationals for ReLU, 50-digit numbers for
# sigmoid and tanh. Bounded so that every valid variant builds (--no-pdf) within about 30 s
# on a 2-core machine (make bench times the largest sigmoid network).
MAX_WORK = {"relu": 50_000_000, "sigmoid": 1_000_000, "tanh": 1_000_000}
# ... and N*h pre-activations, each evaluated exactly (the elementwise work dominates when d
# is small): 1000 x 200 x 250 ReLU builds in about 17 s, 250 x 40 x 100 sigmoid in 18 s.
MAX_UNITS = {"relu": 250_000, "sigmoid": 25_000, "tanh": 25_000}
MAX_GENERATED_NUMBERS = 400_000  # variant --samples/--inputs/--hidden: X and W1 together
# Drawing a network redraws a hidden unit until no pre-activation is exactly 0; with
# thousands of samples that takes many tries. At this bound a draw takes at most about 6 s.
MAX_GENERATED_WORK = 5_000_000


@dataclass(frozen=True)
class NetworkInput:
    """The two-layer network y_k = w2^T f(W1 x_k + b1) + b2 and its data, exact."""

    X: Matrix
    t: Vector
    W1: Matrix
    b1: Vector
    w2: Vector
    b2: Fraction
    activation: str


def generated_samples(inputs: int) -> int:
    """The most samples a generated network has with this many inputs per sample.

    A pre-activation is a sum of `inputs` products of tenths, exactly 0 with probability
    about 0.01 / sqrt(inputs) (measured 0.0091 to 0.0107 for 4 to 200 inputs); a hidden
    unit is redrawn until none of its N is, which takes about exp(0.01 N / sqrt(inputs))
    draws: at this bound, about 7 to 9.
    """
    return min(MAX_SIZE, int(200 * math.sqrt(inputs)))


def shape_problems(samples: int, inputs: int, hidden: int) -> list[str]:
    """Why --samples/--inputs/--hidden cannot make a valid variant ([] when they can)."""
    problems = [
        f"--{name}: expected at most {MAX_SIZE}, found {value}"
        for name, value in (("samples", samples), ("inputs", inputs), ("hidden", hidden))
        if value > MAX_SIZE
    ]
    if samples < 2:
        problems.append(
            f"--samples: expected at least 2 (each hidden unit must be active for some samples "
            f"and inactive for others), found {samples}"
        )
    work = samples * inputs * hidden
    if work > MAX_GENERATED_WORK:
        problems.append(
            f"--samples x --inputs x --hidden = {work:,}, expected at most "
            f"{MAX_GENERATED_WORK:,} for a generated network"
        )
    most = generated_samples(inputs)
    if samples > most:
        problems.append(
            f"--samples: expected at most {most} with {plural(inputs, 'input')} per sample, "
            f"found {samples} (with more, some pre-activation is almost surely exactly 0, "
            "and the generator draws each hidden unit until none is)"
        )
    if samples * hidden > MAX_UNITS["relu"]:
        problems.append(
            f"--samples x --hidden = {samples * hidden:,}, expected at most "
            f"{MAX_UNITS['relu']:,} (pre-activations)"
        )
    numbers = samples * inputs + hidden * inputs
    if numbers > MAX_GENERATED_NUMBERS:
        problems.append(
            f"X and W1 would hold {numbers:,} numbers, expected at most "
            f"{MAX_GENERATED_NUMBERS:,} (the variant file must stay readable)"
        )
    return problems


def parse(table: dict[str, Any], section: str, errors: list[str]) -> NetworkInput | None:
    """The network and its data from a merged table, or None with every problem in errors."""
    X = matrix(table["X"], f"{section}.X", errors)
    t = vector(table["t"], f"{section}.t", errors)
    W1 = matrix(table["W1"], f"{section}.W1", errors)
    b1 = vector(table["b1"], f"{section}.b1", errors)
    w2 = vector(table["w2"], f"{section}.w2", errors)
    b2 = number(table["b2"], f"{section}.b2", errors)
    activation = table["activation"]
    problems_before = len(errors)
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        hint = did_you_mean(activation, ACTIVATIONS) if isinstance(activation, str) else ""
        errors.append(
            f"{section}.activation: expected one of {', '.join(map(repr, ACTIVATIONS))}, "
            f"found {describe(activation)}{hint}"
        )
    if X is not None and t is not None and len(t) != len(X):
        errors.append(
            f"{section}.t: expected {plural(len(X), 'target')}, one per row of {section}.X "
            f"({shape_text(X)}), "
            f"found {len(t)}"
        )
    if X is not None and W1 is not None and len(W1[0]) != len(X[0]):
        errors.append(
            f"{section}.W1: expected {plural(len(X[0]), 'column')} to match the "
            f"{plural(len(X[0]), 'input')} per sample "
            f"of {section}.X ({shape_text(X)}), found W1 of shape {shape_text(W1)}"
        )
    for name, vec in (("b1", b1), ("w2", w2)):
        if W1 is not None and vec is not None and len(vec) != len(W1):
            errors.append(
                f"{section}.{name}: expected {plural(len(W1), 'entry')}, one per hidden unit "
                f"(rows of {section}.W1, {shape_text(W1)}), found {len(vec)}"
            )
    if X is not None and W1 is not None and isinstance(activation, str) and activation in MAX_WORK:
        N, d, h = len(X), len(X[0]), len(W1)
        if N * d * h > MAX_WORK[activation]:
            errors.append(
                f"{section}: N x d x h = {N} x {d} x {h} = {N * d * h:,} products per pass, "
                f"expected at most {MAX_WORK[activation]:,} with activation {activation!r} "
                "(exact arithmetic); use a smaller network"
                + (" or relu" if activation != "relu" else "")
            )
        elif N * h > MAX_UNITS[activation]:
            errors.append(
                f"{section}: N x h = {N} x {h} = {N * h:,} pre-activations, expected at most "
                f"{MAX_UNITS[activation]:,} with activation {activation!r} (exact arithmetic); "
                "use fewer samples or hidden units" + (" or relu" if activation != "relu" else "")
            )
    if len(errors) > problems_before:
        return None
    if X is None or t is None or W1 is None or b1 is None or w2 is None or b2 is None:
        return None
    return NetworkInput(X=X, t=t, W1=W1, b1=b1, w2=w2, b2=b2, activation=activation)
