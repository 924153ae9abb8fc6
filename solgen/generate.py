"""Random, well-posed variants: the same seed gives the same file, byte for byte, anywhere."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import isqrt

from solgen.errors import InvalidInput
from solgen.problems.p3_design import designs
from solgen.variant import Layer, Problem3Input, default_text, parse_toml

GRID = Fraction(1, 10)  # problem 1's values lie on a 0.1 grid in [-1, 1]
MIN_LOSS = Fraction(1, 20)  # a loss below this looks like a trick question
MAX_ATTEMPTS = 10_000


class Stream:
    """Deterministic pseudo-random integers from SHA-256 of (seed, label, counter).

    Unlike random.Random, the numbers depend on nothing but the seed: not on the Python
    version, the platform, or hash randomisation.
    """

    def __init__(self, seed: int, label: str) -> None:
        self._key = f"solgen:{seed}:{label}"
        self._count = 0

    def integer(self, low: int, high: int) -> int:
        """A uniform integer in [low, high]."""
        self._count += 1
        digest = hashlib.sha256(f"{self._key}:{self._count}".encode()).digest()
        return low + int.from_bytes(digest[:16], "big") % (high - low + 1)

    def choice(self, items: Sequence[int]) -> int:
        """One of the items."""
        return items[self.integer(0, len(items) - 1)]


@dataclass(frozen=True)
class Shape:
    """Problem 1's sizes: N samples, d inputs, h hidden units."""

    samples: int = 3
    inputs: int = 4
    hidden: int = 2


def problem1(seed: int, shape: Shape) -> dict[str, object]:
    """A ReLU network whose every hidden unit is active for some samples and not for others."""
    if shape.samples < 2:
        raise InvalidInput(["--samples: at least 2 samples are needed for a mixed ReLU mask"])
    stream = Stream(seed, "problem1")
    N, d, h = shape.samples, shape.inputs, shape.hidden
    # Integers in tenths: z_kj * 100 = sum_i x_ki*10 * W_ji*10 + b_j*10 * 10, exact and fast.
    X = [[stream.integer(-10, 10) for _ in range(d)] for _ in range(N)]
    t = [stream.integer(-10, 10) for _ in range(N)]
    W1: list[list[int]] = []
    b1: list[int] = []
    for _ in range(h):  # each hidden unit on its own: its column of Z depends on it alone
        for _ in range(MAX_ATTEMPTS):
            row = [stream.integer(-10, 10) for _ in range(d)]
            bias = stream.integer(-10, 10)
            column = [sum(x * w for x, w in zip(xs, row, strict=True)) + 10 * bias for xs in X]
            # no pre-activation exactly 0; active for some samples, inactive for others
            if all(column) and max(column) > 0 > min(column):
                W1.append(row)
                b1.append(bias)
                break
        else:
            raise InvalidInput([f"problem1: no well-posed network of shape {N}x{d}x{h} was found"])
    Z = [
        [
            sum(x * w for x, w in zip(xs, row, strict=True)) + 10 * b
            for row, b in zip(W1, b1, strict=True)
        ]
        for xs in X
    ]
    for _ in range(MAX_ATTEMPTS):
        w2 = [stream.choice([v for v in range(-10, 11) if v]) for _ in range(h)]
        b2 = stream.integer(-10, 10)
        # y_k * 1000 = sum_j w_j*10 * max(z_kj*100, 0) + b2*10 * 100
        y = [sum(w * max(z, 0) for w, z in zip(w2, zs, strict=True)) + 100 * b2 for zs in Z]
        loss = (
            sum((Fraction(yk, 1000) - Fraction(tk, 10)) ** 2 for yk, tk in zip(y, t, strict=True))
            / 2
        )
        if loss >= MIN_LOSS:
            break
    else:
        raise InvalidInput([f"problem1: no well-posed network of shape {N}x{d}x{h} was found"])

    def tenths(values: list[int]) -> list[Fraction]:
        return [v * GRID for v in values]

    return {
        "X": [tenths(xs) for xs in X],
        "t": tenths(t),
        "W1": [tenths(row) for row in W1],
        "b1": tenths(b1),
        "w2": tenths(w2),
        "b2": b2 * GRID,
        "activation": "relu",
    }


def _squarefree(n: int) -> bool:
    return all(n % (p * p) for p in range(2, isqrt(n) + 1))


def problem2(seed: int) -> dict[str, object]:
    """A symmetric positive definite 2x2 matrix with integer or clean-surd eigenvalues."""
    stream = Stream(seed, "problem2")
    for _ in range(MAX_ATTEMPTS):
        a, c = stream.integer(1, 9), stream.integer(1, 9)
        b = stream.choice([-4, -3, -2, -1, 1, 2, 3, 4])
        if a * c <= b * b:
            continue  # not positive definite
        disc = (a - c) ** 2 + 4 * b * b  # eigenvalues ((a + c) +- sqrt(disc)) / 2
        root = isqrt(disc)
        integer = root * root == disc and (a + c + root) % 2 == 0
        clean_surd = root * root != disc and disc <= 60 and _squarefree(disc)
        if integer or clean_surd:
            return {"A": [[a, b], [b, c]]}
    raise AssertionError("no nice matrix found")  # pragma: no cover - the search space is rich


def problem3(seed: int) -> dict[str, object]:
    """An input and a reachable target, with the layers of the best design."""
    stream = Stream(seed, "problem3")
    kernels = [3, 5, 7]
    for _ in range(MAX_ATTEMPTS):
        side = stream.choice([24, 28, 32, 36, 40, 48])
        channels = stream.choice([1, 3])
        target_side = stream.choice([2, 3, 4, 5, 6])
        target_channels = stream.choice([16, 32, 64, 128])
        inp = Problem3Input(
            input=(side, side, channels),
            target=(target_side, target_side, target_channels),
            kernel_sizes=tuple(kernels),
            layers=None,
            filters=None,
        )
        try:
            best = designs(inp)[0]
        except InvalidInput:
            continue  # unreachable: draw again
        return {
            "input": list(inp.input),
            "target": list(inp.target),
            "kernel_sizes": kernels,
            "layers": list(best.layers()),
        }
    raise AssertionError("no reachable target found")  # pragma: no cover


def variant(seed: int, shape: Shape | None = None) -> dict[str, dict[str, object]]:
    """A complete random variant (every field present) for one seed."""
    meta = parse_toml(default_text(), "default variant")["meta"]
    return {
        "meta": {
            "title": meta["title"],
            "author": f"Variant {seed}",
            "date": f"solgen variant --seed {seed}",
        },
        "problem1": problem1(seed, shape or Shape()),
        "problem2": problem2(seed),
        "problem3": problem3(seed),
    }


def _value(value: object) -> str:
    """One TOML value: exact decimals, integers, strings, lists, layer tables."""
    if isinstance(value, bool):
        raise TypeError("no booleans in a variant")
    if isinstance(value, Fraction):
        return _decimal(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a valid TOML basic string
    if isinstance(value, Layer):
        if value.kind == "pool":
            return "{ pool = 2 }"
        return f"{{ conv = {value.kernel}, filters = {value.filters} }}"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _decimal(value: Fraction) -> str:
    """A terminating fraction as a decimal string: 7/10 -> '0.7', -2 -> '-2.0'."""
    scaled = value * 10**6
    if scaled.denominator != 1:
        raise ValueError(f"{value} has no short decimal form")
    sign = "-" if value < 0 else ""
    whole, part = divmod(abs(scaled.numerator), 10**6)
    digits = str(part).rjust(6, "0").rstrip("0") or "0"
    return f"{sign}{whole}.{digits}"


def to_toml(data: dict[str, dict[str, object]], seed: int) -> str:
    """The variant as a TOML file, one field a line, layers one a line."""
    lines = [f"# solgen variant --seed {seed}: a random, well-posed variant of the assignment."]
    for section, fields in data.items():
        lines += ["", f"[{section}]"]
        for name, value in fields.items():
            if name == "layers" and isinstance(value, list):
                lines.append(f"{name} = [")
                lines += [f"    {_value(layer)}," for layer in value]
                lines.append("]")
            else:
                lines.append(f"{name} = {_value(value)}")
    return "\n".join(lines) + "\n"


def variant_text(seed: int, shape: Shape | None = None) -> str:
    """The TOML text of the random variant for one seed."""
    return to_toml(variant(seed, shape), seed)
