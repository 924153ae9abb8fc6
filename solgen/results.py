"""Problem results -> results.json, in the shapes fixed by the contract."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from solgen.problems.p1_network import Problem1Result
from solgen.problems.p2_descent import Problem2Result
from solgen.problems.p3_convnet import LayerResult, Problem3Result
from solgen.solution import Solution


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


def problem1_dict(p1: Problem1Result) -> dict[str, Any]:
    """problem1 of results.json."""
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


def problem2_dict(p2: Problem2Result) -> dict[str, Any]:
    """problem2 of results.json."""
    return {
        "eigenvalues": list(p2.eigenvalues_float),
        "eigenvalues_exact": [str(e) for e in p2.eigenvalues],
        "char_poly": str(p2.char_poly),
        "definiteness": p2.definiteness,
        "eta_max": p2.eta_max_float,
        "eta_max_exact": None if p2.eta_max is None else str(p2.eta_max),
        "optimal_step_exact": None if p2.optimal_step is None else str(p2.optimal_step),
    }


# results.json lists the best designs; all of them can be thousands.
DESIGNS_LISTED = 10


def _layer_dict(layer: LayerResult) -> dict[str, Any]:
    if layer.kind == "pool":
        return {"type": "pool", "kernel": 2, "output": list(layer.out_shape), "params": 0}
    return {
        "type": "conv",
        "kernel": layer.kernel,
        "in_channels": layer.in_shape[2],
        "out_channels": layer.out_shape[2],
        "output": list(layer.out_shape),
        "params": layer.params,
        "weights": layer.weights,
        "biases": layer.biases,
    }


def problem3_dict(p3: Problem3Result) -> dict[str, Any]:
    """problem3 of results.json."""
    out: dict[str, Any] = {
        "input": list(p3.input),
        "target": list(p3.target),
        "designed": p3.designed,
        "layers": [_layer_dict(layer) for layer in p3.layers],
        "total_params": p3.total_params,
    }
    if p3.designed:
        out["designs_total"] = len(p3.designs)
        out["designs"] = [
            {
                "kernels": list(d.kernels),
                "filters": list(d.filters),
                "final_pool": d.final_pool,
                "layers": d.depth,
                "total_params": d.params,
            }
            for d in p3.designs[:DESIGNS_LISTED]
        ]
    return out


def results_dict(solution: Solution) -> dict[str, Any]:
    """The whole results.json document."""
    return {
        "problem1": problem1_dict(solution.problem1),
        "problem2": problem2_dict(solution.problem2),
        "problem3": problem3_dict(solution.problem3),
        "checks": [
            {"name": c.name, "what": c.what, "max_error": c.max_error, "passed": c.passed}
            for c in solution.checks
        ],
    }


def results_json(solution: Solution) -> str:
    """results.json as text: stable key order, two-space indent, final newline."""
    return json.dumps(results_dict(solution), indent=2, ensure_ascii=False) + "\n"
