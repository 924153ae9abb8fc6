"""context.py: results -> template context; decisions made there are exact."""

from __future__ import annotations

import pytest

from solgen.build import solve
from solgen.context import problem2_context
from solgen.variant import load_variant


@pytest.mark.parametrize(
    ("A", "can_exceed", "high"),
    [
        ("[[5,2],[2,2]]", True, r"= \frac{1}{2}"),  # eigenvalues 1, 6: 6 > 2
        ("[[2,0],[0,3]]", False, r"= \frac{1}{4}"),  # 2, 3: 3 < 4
        ("[[3,1],[1,3]]", False, r"= \frac{1}{4}"),  # 2, 4: equal, 1/(2*2) = 1/4 = 1/lambda_max
        ("[[2,1],[1,3]]", True, r"= \frac{\sqrt{5} + 5}{20} \approx 0.361803"),  # 1/(5 - sqrt 5)
    ],
)
def test_whether_the_line_search_step_can_exceed_the_constant_bound(A, can_exceed, high):
    p2 = solve(load_variant(sets=[f"problem2.A={A}"])).problem2
    context = problem2_context(p2)
    assert context["ls_can_exceed"] is can_exceed
    assert context["ls_high"] == high


def test_no_line_search_bounds_without_a_positive_definite_matrix():
    p2 = solve(load_variant(sets=["problem2.A=[[1,3],[3,1]]"])).problem2
    context = problem2_context(p2)
    assert context["ls_can_exceed"] is False
    assert context["ls_high"] is None
