"""The convnet problem's random draw: an input and a reachable target, with the layers of the
best design."""

from __future__ import annotations

from solgen.base.errors import InvalidInput
from solgen.base.stream import Stream, draw_label
from solgen.problems.convnet.design import designs
from solgen.problems.convnet.fields import ConvnetInput, Layer

MAX_ATTEMPTS = 10_000


# Problem 3's set-ups: about 8,500 reachable (input, target, kernels) combinations.
INPUT_SIDES = tuple(range(20, 66, 2))
INPUT_CHANNELS = (1, 3)
TARGET_SIDES = (2, 3, 4, 5, 6, 7)
TARGET_CHANNELS = (8, 16, 24, 32, 48, 64, 96, 128)
KERNEL_SETS = ((3, 5, 7), (3, 5), (2, 3, 5), (3, 5, 7, 9))


def _table(layer: Layer) -> dict[str, object]:
    """A layer as the variant file writes it: {conv = K, filters = F} or {pool = 2}."""
    if layer.kind == "pool":
        return {"pool": 2}
    return {"conv": layer.kernel, "filters": layer.filters}


def draw(seed: int, attempt: int = 0, section: str = "problem3") -> dict[str, object]:
    """An input and a reachable target, with the layers of the best design."""
    stream = Stream(seed, draw_label(section, attempt))
    for _ in range(MAX_ATTEMPTS):
        side = stream.choice(INPUT_SIDES)
        channels = stream.choice(INPUT_CHANNELS)
        target_side = stream.choice(TARGET_SIDES)
        target_channels = stream.choice(TARGET_CHANNELS)
        kernels = KERNEL_SETS[stream.integer(0, len(KERNEL_SETS) - 1)]
        inp = ConvnetInput(
            input=(side, side, channels),
            target=(target_side, target_side, target_channels),
            kernel_sizes=kernels,
            layers=None,
            filters=None,
            section=section,
        )
        try:
            best = designs(inp)[0]
        except InvalidInput:
            continue  # unreachable: draw again
        return {
            "input": list(inp.input),
            "target": list(inp.target),
            "kernel_sizes": list(kernels),
            "layers": [_table(layer) for layer in best.layers()],
        }
    raise AssertionError("no reachable target found")  # pragma: no cover
