"""The variants and the batch whose outputs tests/golden/bytes/ holds byte for byte."""

from __future__ import annotations

BUILDS: dict[str, tuple[str, ...]] = {
    "default": (),
    "indefinite": ("problem2.A=[[1, 2], [2, 1]]",),
    "zero": ("problem2.A=[[0, 0], [0, 0]]",),
    "three": ("problem2.A=[[4, 1, 0], [1, 3, 1], [0, 1, 2]]",),
    "designed": ("problem3.kernel_sizes=[3, 5]",),
    "sigmoid": ("problem1.activation='sigmoid'",),
    "tanh": ("problem1.activation='tanh'", "problem2.A=[[2, 1], [0, 3]]"),
}
BATCH = ("--count", "3", "--seed", "7", "--no-pdf", "--jobs", "2")
