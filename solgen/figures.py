"""Coordinates for the figures: Python computes every point, TikZ/pgfplots only draws them."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from solgen.problems.p1_network import Problem1Result
from solgen.problems.p2_descent import Problem2Result
from solgen.problems.p3_convnet import Problem3Result

Point = tuple[float, float]


# --- problem 1: the network -----------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    """A unit of the network diagram."""

    layer: str  # "input", "hidden" or "output"
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


MAX_DRAWN_UNITS = 10
LAYER_GAP = 5.0
UNIT_GAP = 1.3
HIDDEN_GAP = 2.2  # room for the bias above and the active samples below each hidden unit


def _column(count: int, x: float, layer: str, gap: float = UNIT_GAP) -> list[Node]:
    top = (count - 1) * gap / 2
    return [Node(layer, i + 1, x, top - i * gap) for i in range(count)]


def network_diagram(p1: Problem1Result) -> NetworkDiagram | None:
    """Where to draw each unit, and which samples switch each hidden unit on."""
    if p1.d > MAX_DRAWN_UNITS or p1.h > MAX_DRAWN_UNITS:
        return None
    inputs = _column(p1.d, 0.0, "input")
    # Spread the hidden units over the height of the inputs, so that the edges fan out.
    span = (p1.d - 1) * UNIT_GAP
    gap = max(HIDDEN_GAP, span / (p1.h - 1)) if p1.h > 1 else HIDDEN_GAP
    hidden = [
        Node(
            "hidden",
            node.index,
            node.x,
            node.y,
            tuple(k + 1 for k in range(p1.N) if p1.exact.Z[k, node.index - 1] > 0),
        )
        for node in _column(p1.h, LAYER_GAP, "hidden", gap)
    ]
    output = Node("output", 1, 2 * LAYER_GAP, 0.0)
    return NetworkDiagram(
        inputs=tuple(inputs),
        hidden=tuple(hidden),
        output=output,
    )


# --- problem 2: level sets and trajectories ----------------------------------------------------


@dataclass(frozen=True)
class Trajectory:
    """Gradient descent with one constant step from the common start."""

    label: str  # "optimal", "near", "above"
    eta: float
    points: tuple[Point, ...]  # iterates u_0 .. u_n (2-D problems only; else empty)
    distances: tuple[float, ...]  # ||u_n - u*|| for n = 0 .. steps (until it reaches 0)


@dataclass(frozen=True)
class Ellipse:
    """A level set u^T S u = c of a positive definite S, centred at 0, drawn by TikZ itself.

    An ellipse is four Bezier arcs in the PDF: smoother than a polygon through sampled points,
    and far cheaper for TeX to set than parsing them.
    """

    x_radius: float  # semi-axis along the eigenvector of the smaller eigenvalue
    y_radius: float
    angle: float  # degrees from the x axis to that eigenvector

    def point(self, theta: float) -> Point:
        """The point at parameter theta (radians), as TikZ draws it."""
        a, b = self.x_radius * math.cos(theta), self.y_radius * math.sin(theta)
        return self._rotated(a, b)

    def _rotated(self, a: float, b: float) -> Point:
        c, s = math.cos(math.radians(self.angle)), math.sin(math.radians(self.angle))
        return (c * a - s * b, s * a + c * b)

    def arcs(self, window: float, samples: int = 41) -> tuple[tuple[Point, ...], ...]:
        """The parts of a very long ellipse near the plot: two arcs over |x'| <= 1.5 window.

        An S with a tiny eigenvalue has level sets hundreds of windows long; TikZ would
        compute the whole ellipse before clipping it and exceed TeX's largest dimension.
        """
        reach = min(self.x_radius, 1.5 * window)
        upper, lower = [], []
        for i in range(samples):
            a = -reach + 2 * reach * i / (samples - 1)
            b = self.y_radius * math.sqrt(max(0.0, 1 - (a / self.x_radius) ** 2))
            upper.append(self._rotated(a, b))
            lower.append(self._rotated(a, -b))
        return (tuple(upper), tuple(lower))


@dataclass(frozen=True)
class DescentFigure:
    """Everything the problem-2 figures draw."""

    start: tuple[float, ...]
    level_sets: tuple[Ellipse, ...]  # f(u) = c for c in LEVELS * f(u_0) (2-D only)
    trajectories: tuple[Trajectory, ...]
    window: float  # the contour plot shows [-window, window]^2
    steps: int


PATH_STEPS = 8
LONG_ELLIPSE = 10.0  # an ellipse longer than this many windows is drawn as arcs near the plot
DISTANCE_STEPS = 30
LEVELS = (0.03, 0.12, 0.3, 0.6, 1.0, 1.6, 2.5, 4.0)


def start_point(S: np.ndarray) -> np.ndarray:
    """A start that is not an eigenvector, so that every direction shows: (1, 0.6, 0.36, ...)."""
    n = S.shape[0]
    u0 = np.array([0.6**i for i in range(n)])
    _, Q = np.linalg.eigh(S)
    if np.max(np.abs(Q.T @ u0)) / np.linalg.norm(u0) > 0.97:
        u0 = np.array([(-0.7) ** i for i in range(n)])
    return u0


def gradient_descent(S: np.ndarray, u0: np.ndarray, eta: float, steps: int) -> np.ndarray:
    """Iterates u_{n+1} = u_n - eta * 2 S u_n, as rows."""
    points = [u0]
    for _ in range(steps):
        u = points[-1]
        points.append(u - eta * 2 * (S @ u))
    return np.array(points)


def descent_figure(p2: Problem2Result) -> DescentFigure | None:
    """Trajectories for an optimal, a near-critical and a too-large step; positive definite only."""
    if p2.definiteness != "positive definite" or p2.eta_max_float is None:
        return None
    S = np.array(p2.S.tolist(), dtype=float)
    u0 = start_point(S)
    eta_max = p2.eta_max_float
    optimal = float(p2.optimal_step) if p2.optimal_step is not None else eta_max / 2
    steps = {"optimal": optimal, "near": 0.95 * eta_max, "above": 1.05 * eta_max}
    trajectories = []
    for label, eta in steps.items():
        path = gradient_descent(S, u0, eta, max(PATH_STEPS, DISTANCE_STEPS))
        norms = np.linalg.norm(path, axis=1)
        distances = []
        for value in norms[: DISTANCE_STEPS + 1]:
            if value < 1e-12:  # exactly at the minimum: the log scale ends here
                break
            distances.append(float(value))
        points = (
            tuple((float(p[0]), float(p[1])) for p in path[: PATH_STEPS + 1]) if p2.n == 2 else ()
        )
        trajectories.append(Trajectory(label, eta, points, tuple(distances)))
    level_sets: list[Ellipse] = []
    if p2.n == 2:
        lam, Q = np.linalg.eigh(S)  # ascending; the columns of Q are the axes' directions
        f0 = float(u0 @ S @ u0)
        angle = math.degrees(math.atan2(float(Q[1, 0]), float(Q[0, 0])))
        for level in LEVELS:
            c = level * f0
            radii = (math.sqrt(c / float(lam[0])), math.sqrt(c / float(lam[1])))
            level_sets.append(Ellipse(radii[0], radii[1], angle))
    drawn = [abs(v) for t in trajectories for point in t.points for v in point]
    window = 1.08 * max(drawn) if drawn else 1.35 * float(np.max(np.abs(u0)))
    return DescentFigure(
        start=tuple(float(v) for v in u0),
        level_sets=tuple(level_sets),
        trajectories=tuple(trajectories),
        window=window,
        steps=DISTANCE_STEPS,
    )


# --- problem 3: feature maps -------------------------------------------------------------------


@dataclass(frozen=True)
class MapBox:
    """One feature-map stack: drawn height from its size, width from its channels."""

    x: float
    height: float
    width: float
    label: str  # "28x28x8"
    arrow: str  # the layer that made it ("" for the input)


def feature_maps(p3: Problem3Result) -> tuple[MapBox, ...]:
    """Boxes left to right: the input, then the output of every layer."""
    shapes = [p3.input] + [layer.out_shape for layer in p3.layers]
    arrows = [""] + [
        f"conv {layer.kernel}x{layer.kernel}" if layer.kind == "conv" else "pool 2x2"
        for layer in p3.layers
    ]
    biggest = max(max(h, w) for h, w, _ in shapes)
    boxes = []
    x = 0.0
    for (h, w, c), arrow in zip(shapes, arrows, strict=True):
        height = 0.35 + 2.4 * max(h, w) / biggest
        width = 0.12 + 0.12 * math.log2(c + 1)
        boxes.append(MapBox(x=x, height=height, width=width, label=f"{h}x{w}x{c}", arrow=arrow))
        x += width + 1.55
    return tuple(boxes)
