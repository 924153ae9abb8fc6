"""The network problem in an LMS: its statement's context from the input alone (the data whole
and exact), and its question: a cloze with a gap for every answer, each gradient in its
matrix's shape (in Canvas a fill-in-multiple-blanks question, which compares text: the ask
says how to write a number), with every answer in the feedback and the formulas as the
method."""

from __future__ import annotations

from typing import Any

from solgen.problems.lmshtml import (
    AnswerGroup,
    blank_rule,
    display,
    esc,
    group_tex,
    para,
    precision_text,
)
from solgen.problems.network.context import statement_context as _statement_context
from solgen.problems.network.fields import NetworkInput
from solgen.problems.problem import Item, Problem

# How a group of items is labelled when its entries are shown (or asked for) as one matrix.
GROUP_TEX: dict[str, str] = {
    "loss": "L",
    "y": r"\mathbf{y}",
    "dW1": r"\frac{\partial L}{\partial W^{(1)}}",
    "db1": r"\frac{\partial L}{\partial \mathbf{b}^{(1)}}",
    "dw2": r"\frac{\partial L}{\partial \mathbf{w}^{(2)}}",
    "db2": r"\frac{\partial L}{\partial b^{(2)}}",
}


def statement_context(inp: NetworkInput) -> dict[str, Any]:
    """The statement's context with every entry of the data, exactly."""
    return _statement_context(inp, whole=True)


def _shape(inp: NetworkInput, group: str, count: int) -> tuple[int, int]:
    if group == "dW1" and len(inp.W1) * len(inp.W1[0]) == count:
        return len(inp.W1), len(inp.W1[0])
    return count, 1


def answer_groups(inp: NetworkInput, items: tuple[Item, ...]) -> tuple[AnswerGroup, ...]:
    """The numeric items (those with a value), grouped as matrices in key order: dL/dW1 as
    h x d, vectors as columns; a group without a known label is one item each."""
    groups: dict[str, list[Item]] = {}
    for item in items:
        if item.kind == "number" and item.value is not None:
            groups.setdefault(item.group, []).append(item)
    result: list[AnswerGroup] = []
    for group, members in groups.items():
        if group not in GROUP_TEX:
            result.extend(AnswerGroup(item.tex, ((item,),)) for item in members)
            continue
        n_rows, n_cols = _shape(inp, group, len(members))
        rows = tuple(tuple(members[r * n_cols : (r + 1) * n_cols]) for r in range(n_rows))
        result.append(AnswerGroup(GROUP_TEX[group], rows))
    return tuple(result)


def question(inp: NetworkInput, items: tuple[Item, ...], lms: str) -> Problem.Question:
    """A cloze of every answer (in Canvas a fill-in-multiple-blanks question); the feedback
    lists every answer, the method the formulas."""
    groups = answer_groups(inp, items)
    parts = [para("The answers of this variant:")]
    parts.extend(para(display(group_tex(group) + ",")) for group in groups)
    feedback = "".join(parts)
    asked = [item for group in groups for item in group.items]
    ask = para(esc(precision_text(asked))) if lms == "moodle" else para(esc(blank_rule(asked)))
    return Problem.Question("cloze", ask, feedback, gaps=groups, method=method_html())


def method_html() -> str:
    """The forward and backward pass as formulas, without a number of the variant."""
    forward = (
        r"\mathbf{z}_k = W^{(1)}\mathbf{x}_k + \mathbf{b}^{(1)},\quad "
        r"\mathbf{h}_k = f(\mathbf{z}_k),\quad "
        r"y_k = \mathbf{w}^{(2)\top}\mathbf{h}_k + b^{(2)},\quad "
        r"L = \frac{1}{2}\sum_k (y_k - t_k)^2"
    )
    backward = (
        r"\delta_k = y_k - t_k,\quad "
        r"\frac{\partial L}{\partial b^{(2)}} = \sum_k \delta_k,\quad "
        r"\frac{\partial L}{\partial \mathbf{w}^{(2)}} = \sum_k \delta_k \mathbf{h}_k,\quad "
        r"\mathbf{d}_k = \delta_k\, \mathbf{w}^{(2)} \odot f'(\mathbf{z}_k),\quad "
        r"\frac{\partial L}{\partial \mathbf{b}^{(1)}} = \sum_k \mathbf{d}_k,\quad "
        r"\frac{\partial L}{\partial W^{(1)}} = \sum_k \mathbf{d}_k "
        r"\mathbf{x}_k^{\top}"
    )
    return (
        para("Forward pass, sample by sample:")
        + para(display(forward + "."))
        + para("Backward pass (backpropagation):")
        + para(display(backward + "."))
    )
