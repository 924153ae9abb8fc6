"""The convnet problem's random draw: an input and a reachable target, with the layers of the
best design."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from solgen.base.stream import Stream
from solgen.problems.convnet.design import designs, sequences
from solgen.problems.convnet.fields import ConvnetInput, Layer

MAX_ATTEMPTS = 10_000


# Problem 3's set-ups: each of input side, input channels, target side, target channels and
# kernel set is drawn uniformly and the unreachable ones (no design) drawn again, so a draw is
# uniform over the 87,168 reachable set-ups (space()): a class of 300 expects 0.51 pairs
# sharing one (C(300, 2) / 87,168), and a variant depends on its seed alone.
INPUT_SIDES = tuple(range(16, 97))
INPUT_CHANNELS = (1, 3)
TARGET_SIDES = tuple(range(2, 9))
TARGET_CHANNELS = (8, 12, 16, 20, 24, 32, 40, 48, 64, 80, 96, 128)
KERNEL_SETS = (
    (3, 5, 7),
    (3, 5),
    (2, 3, 5),
    (3, 5, 7, 9),
    (3,),
    (3, 4, 5),
    (5, 7),
    (2, 3, 4, 5),
    (3, 7),
    (2, 3),
    (3, 5, 9),
    (2, 4, 6),
)


def _table(layer: Layer) -> dict[str, object]:
    """A layer as the variant file writes it: {conv = K, filters = F} or {pool = 2}."""
    if layer.kind == "pool":
        return {"pool": 2}
    return {"conv": layer.kernel, "filters": layer.filters}


def _setup(
    side: int, channels: int, target_side: int, target_channels: int, kernels: tuple[int, ...]
) -> ConvnetInput:
    """A square input and target with these kernels, to be designed."""
    return ConvnetInput(
        input=(side, side, channels),
        target=(target_side, target_side, target_channels),
        kernel_sizes=kernels,
        layers=None,
        filters=None,
        section="problem3",
    )


def reachable(side: int, target_side: int, kernels: tuple[int, ...]) -> bool:
    """Whether some alternating design reaches target_side from side with these kernels (the
    channels never decide it)."""
    found, _ = sequences((side, side), (target_side, target_side), kernels)
    return bool(found)


def space() -> Iterator[tuple[int, int, int, int, tuple[int, ...]]]:
    """Every set-up a draw can give (side, channels, target side, target channels, kernels),
    each equally likely."""
    for side in INPUT_SIDES:
        for target_side in TARGET_SIDES:
            for kernels in KERNEL_SETS:
                if reachable(side, target_side, kernels):
                    for channels in INPUT_CHANNELS:
                        for target_channels in TARGET_CHANNELS:
                            yield side, channels, target_side, target_channels, kernels


def draw(seed: int, section: str = "problem3") -> dict[str, object]:
    """An input and a reachable target, with the layers of the best design: uniform over
    space()."""
    stream = Stream(seed, section)
    for _ in range(MAX_ATTEMPTS):
        side = stream.choice(INPUT_SIDES)
        channels = stream.choice(INPUT_CHANNELS)
        target_side = stream.choice(TARGET_SIDES)
        target_channels = stream.choice(TARGET_CHANNELS)
        kernels = KERNEL_SETS[stream.integer(0, len(KERNEL_SETS) - 1)]
        if not reachable(side, target_side, kernels):
            continue  # draw again
        inp = _setup(side, channels, target_side, target_channels, kernels)
        best = designs(replace(inp, section=section))[0]
        return {
            "input": list(inp.input),
            "target": list(inp.target),
            "kernel_sizes": list(kernels),
            "layers": [_table(layer) for layer in best.layers()],
        }
    raise AssertionError("no reachable target found")  # pragma: no cover
