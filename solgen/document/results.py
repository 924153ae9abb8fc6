"""A solution -> results.json: each problem's section under its name, then the checks."""

from __future__ import annotations

import json
from typing import Any

from solgen.document.solution import Solution


def results_dict(solution: Solution) -> dict[str, Any]:
    """The whole results.json document."""
    out: dict[str, Any] = {
        placed.section: placed.problem.results(result) for placed, result in solution
    }
    out["checks"] = [
        {"name": c.name, "what": c.what, "max_error": c.max_error, "passed": c.passed}
        for c in solution.checks
    ]
    return out


def results_json(solution: Solution) -> str:
    """results.json as text: stable key order, two-space indent, final newline."""
    return json.dumps(results_dict(solution), indent=2, ensure_ascii=False) + "\n"
