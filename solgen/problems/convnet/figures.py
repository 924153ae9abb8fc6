"""The feature-map drawing's coordinates: Python computes every box, TikZ only draws them."""

from __future__ import annotations

import math
from dataclasses import dataclass

from solgen.problems.convnet.derive import ConvnetResult

TALLEST_CM = 2.8  # the drawn height of the tallest map
DOUBLING_CM = 0.12  # the width a box gains each time its channels double


@dataclass(frozen=True)
class MapBox:
    """One feature-map stack: height in proportion to its side H, width log2 of its channels."""

    x: float
    height: float
    width: float
    shape: tuple[int, int, int]  # height, width, channels
    made_by: tuple[str, int] | None  # the layer that made it: ("conv" or "pool", kernel side)


def feature_maps(p3: ConvnetResult) -> tuple[MapBox, ...]:
    """Boxes left to right: the input, then the output of every layer."""
    shapes = [p3.input] + [layer.out_shape for layer in p3.layers]
    makers: list[tuple[str, int] | None] = [None]
    makers += [(layer.kind, layer.kernel) for layer in p3.layers]
    tallest = max(h for h, _, _ in shapes)
    boxes = []
    x = 0.0
    for (h, w, c), made_by in zip(shapes, makers, strict=True):
        # the caption states both scales: height in proportion to H, and the same step of
        # width for each doubling of the channels (1 channel: one step)
        height = TALLEST_CM * h / tallest
        width = DOUBLING_CM * (1 + math.log2(c))
        boxes.append(MapBox(x=x, height=height, width=width, shape=(h, w, c), made_by=made_by))
        x += width + 1.55
    return tuple(boxes)
