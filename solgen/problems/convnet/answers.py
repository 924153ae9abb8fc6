"""The convnet problem's answers: a design and its parameter count."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from solgen.answerids import LAYERS, TOTAL_PARAMS
from solgen.problem import Item, Tolerance


def items(p3: dict[str, Any]) -> list[Item]:
    """Its items from its results.json section: the layers (any valid design) and the count."""
    layers = " ".join(
        f"conv{layer['kernel']}:{layer['out_channels']}" if layer["type"] == "conv" else "pool"
        for layer in p3["layers"]
    )
    design = Item(
        LAYERS,
        "layers",
        0,
        "design",
        "layers (any valid architecture)",
        r"\text{layers}",
        layers,
        None,
        Tolerance(),
        Fraction(0),
    )
    total = Item(
        TOTAL_PARAMS,
        "total_params",
        0,
        "number",
        "total_params (of the student's own design)",
        r"\text{parameters}",
        str(p3["total_params"]),
        int(p3["total_params"]),
        Tolerance(digits=0),
        Fraction(0),
    )
    return [design, total]
