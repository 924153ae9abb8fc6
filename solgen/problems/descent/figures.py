"""The descent figures' coordinates: Python computes every point, pgfplots only draws them."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from solgen.problems.descent.derive import DescentResult

Point = tuple[float, float]


@dataclass(frozen=True)
class Trajectory:
    """Gradient descent with one constant step from one start (the saddle figure's paths)."""

    label: str  # "stable", "diverging"
    eta: float
    points: tuple[Point, ...]  # iterates u_0 .. u_n
    distances: tuple[float, ...]  # ||u_n - u*||
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
        c, s = math.cos(math.radians(self.angle)), math.sin(math.radians(self.angle))
        return (c * a - s * b, s * a + c * b)


@dataclass(frozen=True)
class LineSearchFigure:
    """Gradient descent with the exact line search on a 2x2 positive definite S: the path and
    the level set through each iterate (each segment touches the next one's level set)."""

    start: Point
    points: tuple[Point, ...]  # iterates u_0 .. u_n, until they are too close to 0 to see
    level_sets: tuple[Ellipse, ...]  # f(u) = f(u_k), one per iterate
    ratio: float  # f(u_{n+1}) / f(u_n): in two dimensions the same at every step
    box: tuple[float, float, float, float]  # xmin, xmax, ymin, ymax: the path, 0 and a margin


PATH_STEPS = 8  # the saddle figure's stable path: iterates drawn


# The path is drawn for condition numbers up to this (the draw's largest, draw.MAX_CONDITION):
# beyond it the zig-zag is narrower than a pen stroke at a true scale, and the text says so.
PATH_KAPPA = 30


# The start, in the eigenvector frame: c_min = 1, c_max = START_TILT / kappa, so that the
# gradient has components (1, START_TILT) times lambda_min along (q_min, q_max) whatever kappa:
# near the worst case of the line search (gradient components equal), yet not on it (there the
# line search picks eta* at every step and hides the difference).
START_TILT = 2.0


START_DECIMALS = 2


SEARCH_STEPS = 12  # iterates drawn at most


VISIBLE = 1 / 60  # an iterate closer to 0 than this many windows ends the drawn path


def gradient_descent(S: np.ndarray, u0: np.ndarray, eta: float, steps: int) -> np.ndarray:
    """Iterates u_{n+1} = u_n - eta * 2 S u_n, as rows."""
    points = [u0]
    for _ in range(steps):
        u = points[-1]
        points.append(u - eta * 2 * (S @ u))
    return np.array(points)


def kappa_of(S: np.ndarray) -> float:
    """lambda_max / lambda_min of a positive definite S."""
    lam = np.linalg.eigvalsh(S)
    return float(lam[-1] / lam[0])


def line_search_start(S: np.ndarray) -> np.ndarray:
    """q_min + (START_TILT / kappa) q_max, scaled to largest coordinate 1 and first coordinate
    positive (q_min, q_max unit eigenvectors of the smallest and largest eigenvalue), rounded
    to START_DECIMALS: the caption prints it exactly."""
    lam, Q = np.linalg.eigh(S)
    u0 = Q[:, 0] + START_TILT * float(lam[0] / lam[-1]) * Q[:, -1]
    u0 = u0 / float(np.max(np.abs(u0)))
    return np.round(-u0 if u0[0] < 0 else u0, START_DECIMALS) + 0.0  # + 0.0: no -0


def line_search_path(S: np.ndarray, u0: np.ndarray, steps: int) -> np.ndarray:
    """Iterates u_{n+1} = u_n - eta_n g_n, g_n = 2 S u_n, eta_n = g^T g / (2 g^T S g), as rows."""
    points = [u0]
    for _ in range(steps):
        u = points[-1]
        g = 2 * (S @ u)
        curvature = float(g @ S @ g)
        if curvature <= 0:  # g = 0: at the minimiser
            break
        points.append(u - float(g @ g) / (2 * curvature) * g)
    return np.array(points)


def level_set(S: np.ndarray, c: float) -> Ellipse:
    """u^T S u = c for a positive definite 2x2 S."""
    lam, Q = np.linalg.eigh(S)  # ascending; the columns of Q are the axes' directions
    angle = math.degrees(math.atan2(float(Q[1, 0]), float(Q[0, 0])))
    return Ellipse(math.sqrt(c / float(lam[0])), math.sqrt(c / float(lam[1])), angle)


def line_search_figure(p2: DescentResult) -> LineSearchFigure | None:
    """The exact line search's zig-zag; 2x2 positive definite S with 1 < kappa <= PATH_KAPPA
    only (kappa = 1: one step reaches 0, no zig-zag; larger: too narrow to see)."""
    if p2.n != 2 or p2.definiteness != "positive definite":
        return None
    S = np.array(p2.S.tolist(), dtype=float)
    if p2.eigenvalues[0] == p2.eigenvalues[-1] or kappa_of(S) > PATH_KAPPA:
        return None
    u0 = line_search_start(S)
    path = line_search_path(S, u0, SEARCH_STEPS)
    norms = np.max(np.abs(path), axis=1)
    drawn = path[: max(2, int(np.sum(norms >= VISIBLE * float(norms[0]))))]
    values = [float(u @ S @ u) for u in path]
    return LineSearchFigure(
        start=(float(u0[0]), float(u0[1])),
        points=tuple((float(u[0]), float(u[1])) for u in drawn),
        level_sets=tuple(level_set(S, float(u @ S @ u)) for u in drawn),
        ratio=values[1] / values[0],
        box=_box(drawn),
    )


MARGIN = 0.12  # of the path's extent, around it (and 0) in the line-search plot


def _box(points: np.ndarray) -> tuple[float, float, float, float]:
    """The smallest rectangle holding the points and 0, widened by MARGIN of its longer side."""
    low = np.minimum(points.min(axis=0), 0.0)
    high = np.maximum(points.max(axis=0), 0.0)
    pad = MARGIN * float(np.max(high - low))
    return (float(low[0]) - pad, float(high[0]) + pad, float(low[1]) - pad, float(high[1]) + pad)


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
