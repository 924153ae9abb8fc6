"""figures.py: the coordinates TikZ draws agree with independent NumPy computations."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from solgen.document.build import solve
from solgen.document.variant import load_variant
from solgen.problems.convnet.figures import feature_maps
from solgen.problems.network.figures import network_diagram


def simulate(S: np.ndarray, u0: np.ndarray, eta: float, steps: int) -> np.ndarray:
    """Gradient descent on u^T S u written from scratch: grad = (S + S^T) u."""
    u = u0.copy()
    out = [u.copy()]
    for _ in range(steps):
        u = u - eta * (S + S.T) @ u
        out.append(u.copy())
    return np.array(out)


def test_network_diagram_marks_the_active_samples():
    p1 = solve(load_variant()).result_of("problem1")
    diagram = network_diagram(p1)
    assert [n.active_for for n in diagram.hidden] == [(3,), (2,)]  # Z's positive entries
    assert len(diagram.inputs) == 4 and diagram.output.x > diagram.hidden[0].x > 0
    ys = [n.y for n in diagram.inputs]
    assert ys == sorted(ys, reverse=True) and sum(ys) == pytest.approx(0)


def test_feature_maps_follow_the_layers():
    p3 = solve(load_variant()).result_of("problem3")
    boxes = feature_maps(p3)
    assert [b.shape for b in boxes] == [
        (32, 32, 3),
        (28, 28, 8),
        (14, 14, 8),
        (10, 10, 32),
        (5, 5, 32),
        (4, 4, 64),
    ]
    assert [b.made_by for b in boxes] == [
        None,
        ("conv", 5),
        ("pool", 2),
        ("conv", 5),
        ("pool", 2),
        ("conv", 2),
    ]
    heights = [b.height for b in boxes]
    assert heights == sorted(heights, reverse=True)  # the maps shrink
    assert all(b.x + b.width < nxt.x for b, nxt in itertools.pairwise(boxes))  # no overlap


@pytest.mark.parametrize(
    ("window", "values"),
    [
        (1.22, ["0.123", "-12.346", "0"]),
        (0.05, ["0.12346", "-12.34568", "0"]),
        (250.0, ["0.1", "-12.3", "0"]),
    ],
)
def test_plane_decimals_follow_the_window(window, values):
    from solgen.markup.plotting import fixed as _fixed
    from solgen.problems.descent.context import _decimals

    places = _decimals(window)
    assert [_fixed(v, places) for v in (0.123456789012, -12.3456789, -1e-9)] == values


# --- the saddle of an indefinite 2x2 problem --------------------------------------------------


def _saddle(A: str):
    from solgen.problems.descent.figures import saddle_figure

    p2 = solve(load_variant(sets=[f"problem2.A={A}"])).result_of("problem2")
    return p2, saddle_figure(p2)


@pytest.mark.parametrize(
    "A", ["[[1,2],[2,1]]", "[[1,3],[3,-2]]", "[[0,1],[1,0]]", "[[2,1],[-3,-1]]"]
)
def test_saddle_paths_match_a_numpy_simulation(A):
    p2, figure = _saddle(A)
    S = np.array(p2.S.tolist(), dtype=float)
    lam, q = np.linalg.eigh(S)
    assert figure.eta == pytest.approx(0.25 / lam[1], rel=1e-12)
    stable, diverging = figure.trajectories
    assert (stable.label, diverging.label) == ("stable", "diverging")
    for t in figure.trajectories:
        expected = simulate(S, np.array(t.points[0]), t.eta, len(t.points) - 1)
        np.testing.assert_allclose(t.points, expected, rtol=1e-9, atol=1e-12)
    # the stable start lies on the line along the positive eigenvector; its iterates halve
    start = np.array(stable.points[0])
    assert abs(start @ q[:, 0]) < 1e-12 and np.max(np.abs(start)) == pytest.approx(1)
    np.testing.assert_allclose(stable.distances[1:], 0.5 * np.array(stable.distances[:-1]))
    # the other start is 0.1 off the line, on the other side of 0, and runs away
    u0 = np.array(diverging.points[0])
    assert u0 @ q[:, 1] * (start @ q[:, 1]) < 0 and abs(u0 @ q[:, 0]) > 0.05
    assert max(np.abs(diverging.points[-1])) <= figure.window and diverging.exit is not None


def test_the_saddle_path_is_cut_where_it_leaves_the_plot():
    _, figure = _saddle("[[1,2],[2,1]]")
    diverging = figure.trajectories[1]
    assert len(diverging.points) == 18  # u_0 .. u_17 inside [-1.43, 1.43]^2
    last, edge = np.array(diverging.points[-1]), np.array(diverging.exit)
    S = np.array([[1.0, 2.0], [2.0, 1.0]])
    following = last - 2 * figure.eta * S @ last  # u_18: outside
    assert np.max(np.abs(following)) > figure.window
    assert np.max(np.abs(edge)) == pytest.approx(figure.window)
    # the edge point lies on the segment from u_17 to u_18
    cross = (edge - last)[0] * (following - last)[1] - (edge - last)[1] * (following - last)[0]
    assert abs(cross) < 1e-12 and 0 < (edge - last) @ (following - last) < (following - last) @ (
        following - last
    )


def test_leave_window_keeps_inside_points_and_the_crossing():
    from solgen.problems.descent.figures import leave_window

    path = np.array([[0.0, 0.0], [0.5, 0.25], [2.0, 1.0], [4.0, 2.0]])
    assert leave_window(path, 1.0) == (((0.0, 0.0), (0.5, 0.25)), (1.0, 0.5))
    assert leave_window(path[:2], 1.0) == (((0.0, 0.0), (0.5, 0.25)), None)


@pytest.mark.parametrize(
    "A", ["[[1,2],[2,1]]", "[[1,3],[3,-2]]", "[[1,0],[0,-100]]", "[[100,0],[0,-1]]"]
)
def test_saddle_level_sets_are_level_sets_that_cover_the_plot(A):
    p2, figure = _saddle(A)
    S = np.array(p2.S.tolist(), dtype=float)
    lam = np.linalg.eigvalsh(S)
    window = figure.window
    levels = sorted(h.level for h in figure.level_sets)
    expected = sorted(
        [0.0] + [lam[i] * (k * window) ** 2 for i in (0, 1) for k in (0.2, 0.4, 0.6, 0.8, 1.0)]
    )
    np.testing.assert_allclose(levels, expected, rtol=1e-12)
    for h in figure.level_sets:
        assert len(h.branches) == 2
        for branch in h.branches:
            points = np.array(branch)
            values = np.einsum("ij,jk,ik->i", points, S, points)
            np.testing.assert_allclose(values, h.level, atol=1e-9 * max(1, abs(h.level)) * lam[1])
            # both ends beyond the plot's corners, nothing further than 1.5 windows per axis
            norms = np.linalg.norm(points, axis=1)
            assert norms[0] > 2**0.5 * window and norms[-1] > 2**0.5 * window
            assert np.max(norms) <= 1.5 * 2**0.5 * window * (1 + 1e-12)


def test_the_stable_line_runs_along_the_positive_eigenvector_through_the_plot():
    _, figure = _saddle("[[1,2],[2,1]]")
    (a, b) = (np.array(p) for p in figure.stable_line)
    np.testing.assert_allclose(a, -b)
    np.testing.assert_allclose(b / np.linalg.norm(b), [2**-0.5, 2**-0.5])
    assert np.min(np.abs(b)) > figure.window


@pytest.mark.parametrize(
    "A", ["[[5,2],[2,2]]", "[[1,1],[1,1]]", "[[-1,0],[0,0]]", "[[1,0,0],[0,-2,0],[0,0,3]]"]
)
def test_only_an_indefinite_2x2_problem_has_a_saddle_figure(A):
    assert _saddle(A)[1] is None
