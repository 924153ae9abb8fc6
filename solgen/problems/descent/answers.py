"""The descent problem's answers: the eigenvalues and the step-size bound."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from solgen.answerids import ETA_MAX, eigenvalue_id
from solgen.problem import Item, Tolerance, number_item


def items(p2: dict[str, Any]) -> list[Item]:
    """Its items from its results.json section: each eigenvalue, then eta_max."""
    items = []
    exact_eigen = p2.get("eigenvalues_exact") or []
    for i, v in enumerate(p2["eigenvalues"]):
        exact = exact_eigen[i] if i < len(exact_eigen) and "CRootOf" not in exact_eigen[i] else None
        name = eigenvalue_id(i + 1)
        items.append(number_item(name, "lambda", name, rf"\lambda_{{{i + 1}}}", exact, v))
    eta = Item(
        ETA_MAX,
        "eta_max",
        0,
        "interval",
        "eta_max (the step sizes 0 < eta < eta_max converge)",
        r"\eta_{\max}",
        p2["eta_max_exact"],
        p2["eta_max"],
        Tolerance(),
        Fraction(0),
    )
    return [*items, eta]
