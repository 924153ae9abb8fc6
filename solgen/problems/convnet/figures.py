"""The feature-map drawing's coordinates: Python computes every box, TikZ only draws them."""

from __future__ import annotations

import math
from dataclasses import dataclass

from solgen.problems.convnet.derive import ConvnetResult


@dataclass(frozen=True)
class MapBox:
    """One feature-map stack: drawn height from its size, width from its channels."""

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
    biggest = max(max(h, w) for h, w, _ in shapes)
    boxes = []
    x = 0.0
    for (h, w, c), made_by in zip(shapes, makers, strict=True):
        height = 0.35 + 2.4 * max(h, w) / biggest
        width = 0.12 + 0.12 * math.log2(c + 1)
        boxes.append(MapBox(x=x, height=height, width=width, shape=(h, w, c), made_by=made_by))
        x += width + 1.55
    return tuple(boxes)
