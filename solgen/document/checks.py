"""A build's own verification: every problem's checks, each recomputing a headline answer from
the inputs by another route (each problem's checks module says which), run without a
traceback: a check that does not apply passes saying why, one that cannot run fails with the
reason. A failed check stops the build before anything is written (build.py).
"""

from __future__ import annotations

from solgen.document.solution import Solution
from solgen.problems.checking import failed as failed  # re-exported for build
from solgen.problems.checking import guarded
from solgen.problems.problem import Check


def run_checks(solution: Solution) -> tuple[Check, ...]:
    """Every check of one solution, problem by problem in the assignment's order."""
    return tuple(
        guarded(name, check)
        for placed, result in solution
        for name, check in placed.problem.checks(result)
    )
