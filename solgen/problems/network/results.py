"""The network problem's section of results.json, in the shape the contract fixes."""

from __future__ import annotations

from typing import Any

import numpy as np

from solgen.problems.network.derive import NetworkResult


def _floats(value: Any) -> Any:
    """Nested lists of the certified floats (tuples of tuples) of problem1.answers."""
    if isinstance(value, tuple):
        return [_floats(v) for v in value]
    return float(value)


def _exact(value: Any) -> Any:
    """Nested lists of exact strings in SymPy syntax ('2037/2000') from Fraction arrays."""
    if isinstance(value, np.ndarray):
        return [_exact(v) for v in value]
    return str(value)


def section(p1: NetworkResult) -> dict[str, Any]:
    """Its section of results.json."""
    ex, answers = p1.exact, p1.answers
    out: dict[str, Any] = {
        "activation": p1.activation,
        "y": list(answers.y),
        "loss": answers.loss,
        "grad": {name: _floats(answers.grad[name]) for name in ("W1", "b1", "w2", "b2")},
        "shape": {"N": p1.N, "d": p1.d, "h": p1.h},
        "zero_preactivations": [list(kj) for kj in p1.zero_preactivations],
    }
    if p1.activation == "relu":  # rational all the way through
        out["exact"] = {
            "y": _exact(ex.y),
            "loss": str(ex.loss),
            "grad": {name: _exact(ex.grad[name]) for name in ("W1", "b1", "w2", "b2")},
        }
    return out
