"""The descent problem's section of results.json, in the shape the contract fixes."""

from __future__ import annotations

from typing import Any

from solgen.problems.descent.derive import DescentResult


def section(p2: DescentResult) -> dict[str, Any]:
    """Its section of results.json."""
    return {
        "eigenvalues": list(p2.eigenvalues_float),
        "eigenvalues_exact": [str(e) for e in p2.eigenvalues],
        "char_poly": str(p2.char_poly),
        "definiteness": p2.definiteness,
        "eta_max": p2.eta_max_float,
        "eta_max_exact": None if p2.eta_max is None else str(p2.eta_max),
        "optimal_step_exact": None if p2.optimal_step is None else str(p2.optimal_step),
    }
