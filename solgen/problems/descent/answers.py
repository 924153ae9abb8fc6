"""The descent problem's answers: the eigenvalues and the step-size bound, how a student's
bound is graded (the bound or the interval of step sizes, none where there is no bound), its
answers.csv columns (eta_max_exact besides eta_max), its part of a key block and its line of
the class report."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from solgen.base.answerids import ETA_MAX, ETA_MAX_EXACT, eigenvalue_id
from solgen.problems.answering import own_rule
from solgen.problems.problem import Answer, Grading, Item, Tolerance, number_item


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


# --- answers.csv, grading, the key block and the class report ---------------------------------

NO_STEP = "no step size converges from every start"


def answer_cells(p2: dict[str, Any]) -> dict[str, Any]:
    """Its answers.csv columns: the eigenvalues, eta_max, and eta_max written exactly."""
    cells: dict[str, Any] = {item.id: item.value for item in items(p2)}
    cells[ETA_MAX_EXACT] = p2["eta_max_exact"]
    return cells


def grade_eta(item: Item, text: str) -> tuple[bool, str]:
    """eta_max: the bound, or the interval of step sizes that converge (a cell saying none is
    right for a variant without a bound)."""
    from solgen.base.numparse import NumberError, parse_interval
    from solgen.problems.marking import close, fmt, read_number, says_none, shown
    from solgen.problems.problem import Unreadable

    if item.value is None:  # no step size converges from every start
        if says_none(text):
            return True, f"{item.label}: right, {NO_STEP}"
        return False, f"{item.label}: {text} is wrong; {NO_STEP}"
    expected = f"0 < eta < {fmt(item.value)} (exactly {item.exact})"
    if says_none(text):
        return False, f"{item.label}: {text} is wrong; expected {expected}"
    try:
        interval = parse_interval(text)
    except NumberError as exc:
        raise Unreadable(f"{shown(text)} is not an interval ({exc})") from None
    if interval is None:
        answer = read_number(text)
        if close(answer, item):
            return True, f"{item.label}: {text} is right"
        return False, f"{item.label}: {text} is wrong; expected {expected}"
    if interval.low != 0 or not close(interval.high, item):
        return False, f"{item.label}: {text} is wrong; expected {expected}"
    if interval.low_closed or interval.high_closed:
        return False, (
            f"{item.label}: {text} has the right ends but includes an end that does not "
            f"converge (eta = 0 does not move, eta = eta_max oscillates); expected {expected}"
        )
    return True, f"{item.label}: {text} is right"


def grade(item: Item, text: str) -> Grading | None:
    """eta_max by grade_eta; the eigenvalues as numbers (None)."""
    if item.kind != "interval":
        return None
    return Grading(*grade_eta(item, text))


def key_entry(item: Item, value: str) -> str | None:
    r"""eta_max as the interval '0 < \eta < \eta_{\max} = ...' (None: the eigenvalues as the
    stage writes numbers)."""
    if item.kind != "interval":
        return None
    if item.exact is None:
        return str(item.tex) + rf"\text{{: none ({NO_STEP})}}"
    return r"0 < \eta < \eta_{\max} = " + value


def key_context(p2: dict[str, Any]) -> dict[str, Any]:
    """Its key heading: whether S is definite."""
    return {"definiteness": str(p2.get("definiteness", ""))}


def report_spread(sections: Sequence[dict[str, Any]]) -> list[tuple[str, list[float], str]]:
    """The spread of eta_max, with how many are rational, surds, or without a bound."""
    eta = [e["eta_max"] for e in sections if e["eta_max"] is not None]
    rational = sum(1 for e in sections if e["eta_max_exact"] and "sqrt" not in e["eta_max_exact"])
    remark = (
        f" ({rational} rational, {len(eta) - rational} with a surd,"
        f" {len(sections) - len(eta)} without a bound)"
    )
    return [("eta_max", eta, remark)]


def item_ids(size: int) -> list[str]:
    """Its ids (the items; answers.csv adds eta_max_exact after eta_max)."""
    return [*(eigenvalue_id(i) for i in range(1, size + 1)), ETA_MAX]


# --- the sheet's "How to answer" -----------------------------------------------------------------


def how_to_answer(inp: Any, items: Sequence[Item], general: Tolerance) -> list[Answer]:
    """The eigenvalues (smallest first, as eigenvalue_id numbers them) and eta_max (the bound,
    an open interval, or none): the same words for every variant, so that none gives away
    whether its A is symmetric or has a bound."""
    eigen = [item for item in items if item.group == "lambda"]
    lines = []
    if eigen:
        last = rf"\lambda_{{{len(eigen)}}}"
        what = {1: r"\lambda_1", 2: rf"\lambda_1, {last}"}.get(
            len(eigen), rf"\lambda_1, \dots, {last}"
        )
        ids = (eigen[0].id, eigen[-1].id) if len(eigen) > 1 else (eigen[0].id,)
        rule = own_rule(eigen, general)
        how = (
            r"the eigenvalues of the symmetric $S$ with $f(\mathbf{u}) = \mathbf{u}^\top S "
            r"\mathbf{u}$, smallest first, a repeated one as often as it repeats"
        )
        lines.append(Answer(what, ids, how + (f", {rule}" if rule else ""), run=len(eigen) > 2))
    for item in items:
        if item.kind == "interval":
            how = (
                "the bound $b$, or the interval as `(0, b)` or `0 < eta < b`; `none` if "
                "there is no such bound"
            )
            lines.append(Answer(item.tex, (item.id,), how))
    return lines
