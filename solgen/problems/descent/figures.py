"""The descent figures' coordinates: Python computes every point, pgfplots only draws them."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from solgen.problems.descent.derive import DescentResult

Point = tuple[float, float]


@dataclass(frozen=True)
class Trajectory:
    """Gradient descent with one constant step from one start."""

    label: str  # "optimal", "near", "above" (positive definite); "stable", "diverging" (saddle)
    eta: float
    points: tuple[Point, ...]  # iterates u_0 .. u_n (2-D problems only; else empty)
    distances: tuple[float, ...]  # ||u_n - u*|| for n = 0 .. steps (until it reaches 0)
    # where the segment to the first iterate outside the window crosses its edge (else None):
    # the path is drawn to the edge, but no iterate is invented there
    exit: Point | None = None


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


# The two constant steps beside the optimal one, as multiples of eta_max: just inside the
# bound (converges slowly, zigzagging) and just above it (diverges).
NEAR_STEP = 0.95


ABOVE_STEP = 1.05


LONG_ELLIPSE = 10.0  # an ellipse longer than this many windows is drawn as arcs near the plot


DISTANCE_STEPS = 30


DISTANCE_FLOOR = 1e-12  # a distance curve ends below this (float64 noise, or exactly 0)


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


def descent_figure(p2: DescentResult) -> DescentFigure | None:
    """Trajectories for an optimal, a near-critical and a too-large step; positive definite only."""
    if p2.definiteness != "positive definite" or p2.eta_max_float is None:
        return None
    S = np.array(p2.S.tolist(), dtype=float)
    u0 = start_point(S)
    eta_max = p2.eta_max_float
    optimal = float(p2.optimal_step) if p2.optimal_step is not None else eta_max / 2
    steps = {"optimal": optimal, "near": NEAR_STEP * eta_max, "above": ABOVE_STEP * eta_max}
    trajectories = []
    for label, eta in steps.items():
        path = gradient_descent(S, u0, eta, max(PATH_STEPS, DISTANCE_STEPS))
        norms = np.linalg.norm(path, axis=1)
        distances = []
        for value in norms[: DISTANCE_STEPS + 1]:
            if value < DISTANCE_FLOOR:  # the log axis ends here (the caption says so)
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


@dataclass(frozen=True)
class Hyperbola:
    """The level set u^T S u = c of an indefinite 2x2 S near the plot: sampled branches
    (c = 0: the two straight lines through 0, two points each)."""

    level: float
    branches: tuple[tuple[Point, ...], ...]


@dataclass(frozen=True)
class SaddleFigure:
    """What the figure of an indefinite 2x2 problem draws: f has a saddle at 0."""

    eta: float  # SADDLE_STEP / lambda_max: inside the stable line's range 0 < eta < 1/lambda_max
    stable_line: tuple[Point, Point]  # its ends, outside the window
    level_sets: tuple[Hyperbola, ...]
    trajectories: tuple[Trajectory, Trajectory]  # "stable", then "diverging"
    window: float  # the plot shows [-window, window]^2


# Along the stable line the factor is 1 - 2 * 0.25 = 1/2: the iterates halve, without zigzag.
SADDLE_STEP = 0.25


OFF_LINE = 0.1  # the diverging start: this far off the stable line (in its largest coordinate)


SADDLE_LEVELS = (0.2, 0.4, 0.6, 0.8, 1.0)  # the hyperbolas' vertices, in windows from 0


REACH = 1.5  # level sets are drawn out to this many windows (the corners are at sqrt 2)


ESCAPE_STEPS = 30  # the diverging path is followed until it leaves the window, or this long


def _branch(vertex: float, slope: float, reach: float, samples: int) -> list[tuple[float, float]]:
    """(vertex cosh t, vertex slope sinh t), in the frame of the hyperbola's own axes, for
    the t that keep both coordinates within reach."""
    t_max = min(math.acosh(reach / vertex), math.asinh(reach / (vertex * slope)))
    ts = (-t_max + 2 * t_max * i / (samples - 1) for i in range(samples))
    return [(vertex * math.cosh(t), vertex * slope * math.sinh(t)) for t in ts]


def hyperbola(
    lam: np.ndarray, Q: np.ndarray, c: float, reach: float, samples: int = 41
) -> Hyperbola:
    """u^T S u = c for S = Q diag(lam) Q^T, lam = (negative, positive), out to |a|, |b| <= reach
    in the eigenvector frame (a along the positive eigenvector, b along the negative one)."""
    negative, positive = float(-lam[0]), float(lam[1])
    if c == 0:  # positive a^2 = negative b^2: two lines
        slope = math.sqrt(positive / negative)
        end = reach / max(1.0, slope)
        frames = [[(-end, -sign * slope * end), (end, sign * slope * end)] for sign in (1, -1)]
    else:  # c > 0: vertices on the a axis; c < 0: on the b axis, the frame's axes swapped
        along, across = (positive, negative) if c > 0 else (negative, positive)
        vertex = math.sqrt(abs(c) / along)
        half = _branch(vertex, math.sqrt(along / across), reach, samples)
        frames = [[(sign * x, y) for x, y in half] for sign in (1, -1)]
        if c < 0:
            frames = [[(y, x) for x, y in frame] for frame in frames]
    return Hyperbola(c, tuple(tuple(_from_frame(Q, a, b) for a, b in frame) for frame in frames))


def _from_frame(Q: np.ndarray, a: float, b: float) -> Point:
    """a along Q's second column (positive eigenvalue), b along its first (negative)."""
    u = a * Q[:, 1] + b * Q[:, 0]
    return (float(u[0]), float(u[1]))


def leave_window(path: np.ndarray, window: float) -> tuple[tuple[Point, ...], Point | None]:
    """The iterates up to the first one outside [-window, window]^2, and where the segment to
    that one crosses the edge (None when every iterate stays inside)."""
    inside: list[Point] = []
    for u in path:
        outside = float(np.max(np.abs(u)))
        if outside > window:
            last = np.array(inside[-1])
            # the largest s in [0, 1] with |last + s (u - last)| <= window in each coordinate
            s = min(
                (window * math.copysign(1, d) - v) / d
                for v, d in zip(last, u - last, strict=True)
                if d != 0
            )
            edge = last + max(0.0, min(1.0, s)) * (u - last)
            return tuple(inside), (float(edge[0]), float(edge[1]))
        inside.append((float(u[0]), float(u[1])))
    return tuple(inside), None


def saddle_figure(p2: DescentResult) -> SaddleFigure | None:
    """From a start on the stable line (converges) and one just off it (diverges); 2x2
    indefinite S only. Both approach the saddle 0; the second then leaves along q_1."""
    if p2.n != 2 or p2.definiteness != "indefinite":
        return None
    S = np.array(p2.S.tolist(), dtype=float)
    lam, Q = np.linalg.eigh(S)  # ascending: lam[0] < 0 < lam[1]
    eta = SADDLE_STEP / float(lam[1])
    stable_dir, unstable_dir = (v / float(np.max(np.abs(v))) for v in (Q[:, 1], Q[:, 0]))
    on_line = -stable_dir if float(stable_dir[0]) > 0 else stable_dir  # the two starts
    u0 = -on_line + OFF_LINE * unstable_dir  # on either side of 0
    window = 1.3 * float(np.max(np.abs(u0)))
    factor = 1 - 2 * eta * float(lam[1])
    # exactly on the line, as in exact arithmetic: iterating in floats would drift off it
    stable = np.array([factor**k * on_line for k in range(PATH_STEPS + 1)])
    diverging, exit_point = leave_window(gradient_descent(S, u0, eta, ESCAPE_STEPS), window)
    trajectories = (
        Trajectory("stable", eta, _points(stable), tuple(np.linalg.norm(stable, axis=1).tolist())),
        Trajectory(
            "diverging", eta, diverging, tuple(float(np.hypot(*p)) for p in diverging), exit_point
        ),
    )
    reach = REACH * window
    levels = [0.0] + [float(lam[i]) * (k * window) ** 2 for i in (1, 0) for k in SADDLE_LEVELS]
    end = reach * math.sqrt(2) * Q[:, 1]
    return SaddleFigure(
        eta=eta,
        stable_line=((float(-end[0]), float(-end[1])), (float(end[0]), float(end[1]))),
        level_sets=tuple(hyperbola(lam, Q, c, reach) for c in levels),
        trajectories=trajectories,
        window=window,
    )


def _points(path: np.ndarray) -> tuple[Point, ...]:
    return tuple((float(p[0]), float(p[1])) for p in path)
