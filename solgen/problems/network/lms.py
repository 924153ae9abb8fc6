"""The network problem in an LMS: its statement's context from the input alone (the data whole
and exact), and its question: in Moodle a cloze with a gap for every answer, each gradient
in its matrix's shape; in Canvas the loss (Canvas Classic has no cloze with numeric
tolerances), with every answer in the feedback."""

from __future__ import annotations

from typing import Any

from solgen.base.answerids import LOSS
from solgen.problems.lmshtml import (
    AnswerGroup,
    display,
    esc,
    group_tex,
    inline,
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
    """Moodle: a cloze of every answer; Canvas: the loss. The feedback lists every answer."""
    groups = answer_groups(inp, items)
    parts = [para("The answers of this variant:")]
    parts.extend(para(display(group_tex(group) + ",")) for group in groups)
    feedback = "".join(parts)
    if lms == "moodle":
        asked = [item for group in groups for item in group.items]
        return Problem.Question("cloze", para(esc(precision_text(asked))), feedback, gaps=groups)
    loss = next(item for item in items if item.id == LOSS)
    ask = para(
        "Enter the loss ",
        inline("L"),
        " below. ",
        esc(precision_text([loss], "it")),
        " Only the loss is graded here; the feedback lists the outputs and the gradients.",
    )
    return Problem.Question("numerical", ask, feedback, answer=loss)
