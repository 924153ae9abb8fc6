"""A variant's solution: the three problems' results and the build's checks of them."""

from __future__ import annotations

from dataclasses import dataclass

from solgen.problems.p1_network import Problem1Result
from solgen.problems.p2_descent import Problem2Result
from solgen.problems.p3_convnet import Problem3Result


@dataclass(frozen=True)
class Check:
    """One self-check of a build: its name, what it compared, the largest error, the verdict."""

    name: str
    what: str  # a short plain sentence (results.json)
    max_error: float
    passed: bool
    tex: str = ""  # the same sentence as TeX, for the document's Checks section


@dataclass(frozen=True)
class Solution:
    """The three problems' results for one variant, and the build's checks of them."""

    problem1: Problem1Result
    problem2: Problem2Result
    problem3: Problem3Result
    checks: tuple[Check, ...] = ()
