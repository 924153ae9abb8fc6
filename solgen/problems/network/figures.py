"""The network diagram's coordinates: Python computes every point, TikZ only draws them."""

from __future__ import annotations

from dataclasses import dataclass

from solgen.problems.network.derive import NetworkResult

Point = tuple[float, float]


@dataclass(frozen=True)
class Node:
    """A unit of the network diagram."""

    index: int  # 1-based
    x: float
    y: float
    active_for: tuple[int, ...] = ()  # hidden units: the samples (1-based) where z_kj > 0


@dataclass(frozen=True)
class NetworkDiagram:
    """Node positions (cm) of the two-layer network; None when too large to draw legibly."""

    inputs: tuple[Node, ...]
    hidden: tuple[Node, ...]
    output: Node
    matrix_at: Point  # the bottom centre of the W1 label, above every unit and edge


MAX_DRAWN_UNITS = 10


LAYER_GAP = 5.0


UNIT_GAP = 1.3


HIDDEN_GAP = 2.2  # room for the bias above and the active samples below each hidden unit


UNIT_RADIUS = 0.4  # the circles are 8 mm wide


LABEL_CLEARANCE = 0.35


def _column(count: int, x: float, gap: float = UNIT_GAP) -> list[Node]:
    top = (count - 1) * gap / 2
    return [Node(i + 1, x, top - i * gap) for i in range(count)]


def network_diagram(p1: NetworkResult) -> NetworkDiagram | None:
    """Where to draw each unit, and which samples switch each hidden unit on."""
    if p1.d > MAX_DRAWN_UNITS or p1.h > MAX_DRAWN_UNITS:
        return None
    inputs = _column(p1.d, 0.0)
    # Spread the hidden units over the height of the inputs, so that the edges fan out.
    span = (p1.d - 1) * UNIT_GAP
    gap = max(HIDDEN_GAP, span / (p1.h - 1)) if p1.h > 1 else HIDDEN_GAP
    hidden = [
        Node(
            node.index,
            node.x,
            node.y,
            tuple(k + 1 for k in range(p1.N) if p1.exact.Z[k, node.index - 1] > 0),
        )
        for node in _column(p1.h, LAYER_GAP, gap)
    ]
    output = Node(1, 2 * LAYER_GAP, 0.0)
    # Centred over the first layer's edges, clear of the topmost input and hidden unit
    # (with more hidden units than inputs the hidden column is the taller one).
    top = max(inputs[0].y, hidden[0].y) + UNIT_RADIUS + LABEL_CLEARANCE
    return NetworkDiagram(
        inputs=tuple(inputs),
        hidden=tuple(hidden),
        output=output,
        matrix_at=(LAYER_GAP / 2, top),
    )
