"""figures.py: the coordinates TikZ draws agree with independent NumPy computations."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from solgen.build import solve
from solgen.figures import descent_figure, feature_maps, network_diagram
from solgen.variant import load_variant


def simulate(S: np.ndarray, u0: np.ndarray, eta: float, steps: int) -> np.ndarray:
    """Gradient descent on u^T S u written from scratch: grad = (S + S^T) u."""
    u = u0.copy()
    out = [u.copy()]
    for _ in range(steps):
        u = u - eta * (S + S.T) @ u
        out.append(u.copy())
    return np.array(out)


@pytest.mark.parametrize(
    "A", ["[[5,2],[2,2]]", "[[3,1],[1,4]]", "[[4,1],[0,3]]", "[[2,0,0],[0,3,1],[0,1,5]]"]
)
def test_descent_trajectories_match_a_numpy_simulation(A):
    p2 = solve(load_variant(sets=[f"problem2.A={A}"])).problem2
    figure = descent_figure(p2)
    assert figure is not None
    S = np.array(p2.S.tolist(), dtype=float)
    u0 = np.array(figure.start)
    lam = np.linalg.eigvalsh(S)
    etas = {t.label: t.eta for t in figure.trajectories}
    assert etas["optimal"] == pytest.approx(1 / (lam[0] + lam[-1]), rel=1e-12)
    assert etas["near"] == pytest.approx(0.95 / lam[-1], rel=1e-12)
    assert etas["above"] == pytest.approx(1.05 / lam[-1], rel=1e-12)
    for t in figure.trajectories:
        expected = simulate(S, u0, t.eta, figure.steps)
        distances = np.linalg.norm(expected, axis=1)[: len(t.distances)]
        np.testing.assert_allclose(t.distances, distances, rtol=1e-10)
        if p2.n == 2:
            np.testing.assert_allclose(t.points, expected[: len(t.points)], rtol=1e-10, atol=1e-14)
    converging = {t.label: t.distances[-1] < t.distances[0] for t in figure.trajectories}
    assert converging == {"optimal": True, "near": True, "above": False}


def test_level_sets_are_level_sets():
    p2 = solve(load_variant()).problem2
    figure = descent_figure(p2)
    S = np.array(p2.S.tolist(), dtype=float)
    u0 = np.array(figure.start)
    f0 = u0 @ S @ u0
    levels = []
    for ellipse in figure.level_sets:
        # the points TikZ draws, all around, lie on one level set of f
        points = [np.array(ellipse.point(2 * np.pi * i / 24)) for i in range(24)]
        values = [p @ S @ p for p in points]
        np.testing.assert_allclose(values, values[0], rtol=1e-10)
        levels.append(values[0] / f0)
    np.testing.assert_allclose(levels, [0.03, 0.12, 0.3, 0.6, 1.0, 1.6, 2.5, 4.0], rtol=1e-10)
    assert figure.window >= max(abs(v) for t in figure.trajectories for p in t.points for v in p)


@pytest.mark.parametrize("A", ["[[1,1],[1,1]]", "[[1,3],[3,1]]"])
def test_no_descent_figure_without_a_unique_minimum(A):
    assert descent_figure(solve(load_variant(sets=[f"problem2.A={A}"])).problem2) is None


def test_network_diagram_marks_the_active_samples():
    p1 = solve(load_variant()).problem1
    diagram = network_diagram(p1)
    assert [n.active_for for n in diagram.hidden] == [(3,), (2,)]  # Z's positive entries
    assert len(diagram.inputs) == 4 and diagram.output.x > diagram.hidden[0].x > 0
    ys = [n.y for n in diagram.inputs]
    assert ys == sorted(ys, reverse=True) and sum(ys) == pytest.approx(0)


def test_feature_maps_follow_the_layers():
    p3 = solve(load_variant()).problem3
    boxes = feature_maps(p3)
    assert [b.label for b in boxes] == [
        "32x32x3",
        "28x28x8",
        "14x14x8",
        "10x10x32",
        "5x5x32",
        "4x4x64",
    ]
    assert [b.arrow for b in boxes] == [
        "",
        "conv 5x5",
        "pool 2x2",
        "conv 5x5",
        "pool 2x2",
        "conv 2x2",
    ]
    heights = [b.height for b in boxes]
    assert heights == sorted(heights, reverse=True)  # the maps shrink
    assert all(b.x + b.width < nxt.x for b, nxt in itertools.pairwise(boxes))  # no overlap


@pytest.mark.parametrize(
    "A", ["[[1, 0], [0, 0.00001]]", "[[1, 1], [1, 1.000001]]", "[[1000000, 0], [0, 1e-6]]"]
)
def test_long_level_sets_are_drawn_as_arcs_that_stay_near_the_plot(A):
    """A tiny eigenvalue makes level sets hundreds of windows long: TeX cannot draw those."""
    p2 = solve(load_variant(None, [f"problem2.A={A}"])).problem2
    figure = descent_figure(p2)
    S = np.array(p2.S.tolist(), dtype=float)
    long = [e for e in figure.level_sets if e.x_radius > 10 * figure.window]
    assert long  # these are the variants that broke LaTeX ("Dimension too large")
    for ellipse in long:
        arcs = ellipse.arcs(figure.window)
        assert len(arcs) == 2 and all(len(arc) == 41 for arc in arcs)
        reach = 1.5 * figure.window * 1.0000001
        for arc in arcs:
            points = np.array(arc)
            # on the level set, and never far outside the plotted window
            values = np.einsum("ij,jk,ik->i", points, S, points)
            c = ellipse.x_radius**2 * np.linalg.eigvalsh(S)[0]
            np.testing.assert_allclose(values, c, rtol=1e-6)
            assert np.max(np.abs(points)) <= reach + ellipse.y_radius


def test_distances_keep_their_digits_on_the_log_scale():
    """Rounded to 6 decimals, 1e-7 became 0.000000 and the curve a staircase."""
    from solgen.context import descent_context

    p2 = solve(load_variant(None, ["problem2.A=[[1000000, 0], [0, 1e-6]]"])).problem2
    context = descent_context(p2)
    for trajectory in context["trajectories"]:
        pairs = trajectory["distances"].split(" ")
        assert pairs[0].startswith("(0,") and all("e" in pair for pair in pairs)
        values = [float(pair.strip("()").split(",")[1]) for pair in pairs]
        assert all(v > 0 for v in values)  # never rounded to zero
    default = descent_context(solve(load_variant()).problem2)
    optimal = default["trajectories"][0]["distances"].split(" ")
    # u0 = (1, -0.7), |u0| = sqrt(1.49); u1 = (I - 2S/7) u0 = (-0.2/7, -6.1/7), |u1| = 0.871897
    assert optimal[:2] == ["(0,1.22066e+00)", "(1,8.71897e-01)"]
