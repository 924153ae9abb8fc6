"""The network problem's answers: its gradable items, named as answerids names them (whose
values are its answers.csv columns), the W1 ids in messages, its part of a key block and its
lines of the class report."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from solgen.base.answerids import DB2, LOSS, SEPARATED_FROM, gradient_id, output_id, w1_hint
from solgen.problems.answering import own_rule
from solgen.problems.problem import Answer, Item, Tolerance, number_item


def items(p1: dict[str, Any]) -> list[Item]:
    """Its items from its results.json section: the loss, the outputs, every gradient entry."""
    exact = p1.get("exact")  # ReLU: exact fractions; sigmoid/tanh: the float is the value

    def ex(*path: Any) -> str | None:
        node: Any = exact
        for step in path:
            if node is None:
                return None
            node = node[step]
        return node if isinstance(node, str) else None

    items = [number_item(LOSS, "loss", "L", "L", ex("loss"), p1["loss"])]
    for k, y in enumerate(p1["y"]):
        name = output_id(k + 1)
        items.append(number_item(name, "y", name, f"y_{{{k + 1}}}", ex("y", k), y))
    grad = p1["grad"]
    shape = (len(grad["W1"]), len(grad["W1"][0]))
    for j, row in enumerate(grad["W1"]):
        for i, v in enumerate(row):
            items.append(
                number_item(
                    gradient_id("W1", j + 1, i + 1, shape=shape),
                    "dW1",
                    f"dL/dW1[{j + 1},{i + 1}]",
                    rf"\partial L/\partial W^{{(1)}}_{{{j + 1},{i + 1}}}",
                    ex("grad", "W1", j, i),
                    v,
                )
            )
    for name, tex in (("b1", r"\mathbf{b}^{(1)}"), ("w2", r"\mathbf{w}^{(2)}")):
        for j, v in enumerate(grad[name]):
            items.append(
                number_item(
                    gradient_id(name, j + 1),
                    f"d{name}",
                    f"dL/d{name}[{j + 1}]",
                    rf"\partial L/\partial {tex}_{{{j + 1}}}",
                    ex("grad", name, j),
                    v,
                )
            )
    items.append(
        number_item(
            DB2, "db2", "dL/db2", r"\partial L/\partial b^{(2)}", ex("grad", "b2"), grad["b2"]
        )
    )
    return items


# --- ids in messages, the key block and the class report ----------------------------------------


def id_hint(name: str, item_ids: set[str]) -> str:
    """A W1 id written without the separator its network's ids have (dW1_111 for dW1_1_11)."""
    return w1_hint(name, item_ids)


def id_examples(item_ids: set[str]) -> tuple[str, ...]:
    """The loss and W1[1,2], as this class's ids spell it (dW1_12 or dW1_1_2)."""
    wide = gradient_id("W1", 1, 2, shape=(SEPARATED_FROM, SEPARATED_FROM))
    return (LOSS, wide if wide in item_ids else gradient_id("W1", 1, 2, shape=(2, 2)))


def key_context(p1: dict[str, Any]) -> dict[str, Any]:
    """Its key heading: the activation and the network's size."""
    shape = p1.get("shape", {})
    return {
        "activation": str(p1["activation"]),
        "shape": {k: int(shape.get(k, 0)) for k in ("N", "d", "h")},
    }


def report_spread(sections: Sequence[dict[str, Any]]) -> list[tuple[str, list[float], str]]:
    """The spread of the loss and of |dL/db2|."""
    return [
        ("loss", [e["loss"] for e in sections], ""),
        ("|dL/db2|", [abs(e["grad"]["b2"]) for e in sections], ""),
    ]


def report_tally(sections: Sequence[dict[str, Any]]) -> list[tuple[str, dict[str, int]]]:
    """How many students have each activation."""
    activations: dict[str, int] = {}
    for entry in sections:
        activations[entry["activation"]] = activations.get(entry["activation"], 0) + 1
    return [("activations", activations)]


def item_ids(samples: int, hidden: int, inputs: int) -> list[str]:
    """Its ids in answers.csv's order: loss, y1..., dW1 row by row, db1..., dw2...,
    db2."""
    shape = (hidden, inputs)
    return [
        LOSS,
        *(output_id(k) for k in range(1, samples + 1)),
        *(
            gradient_id("W1", j, i, shape=shape)
            for j in range(1, hidden + 1)
            for i in range(1, inputs + 1)
        ),
        *(gradient_id("b1", j) for j in range(1, hidden + 1)),
        *(gradient_id("w2", j) for j in range(1, hidden + 1)),
        DB2,
    ]


# --- the sheet's "How to answer" -----------------------------------------------------------------

# Each group's line: the answer as TeX and where an entry sits (text with $math$).
_HOW: dict[str, tuple[str, str]] = {
    "loss": ("L", "the loss"),
    "y": ("y_k", "the output for sample $k$ (row $k$ of $X$)"),
    "dW1": (r"\partial L / \partial W^{(1)}", "row $j$, column $i$"),
    "db1": (r"\partial L / \partial \mathbf{b}^{(1)}", "entry $j$"),
    "dw2": (r"\partial L / \partial \mathbf{w}^{(2)}", "entry $j$"),
    "db2": (r"\partial L / \partial b^{(2)}", "the number"),
}


def how_to_answer(inp: Any, items: Sequence[Item], general: Tolerance) -> list[Answer]:
    """A line per group of answers, in key order: where an entry sits (dW1_12 is row 1,
    column 2, as this network's ids spell it), and a precision of its own if it has one."""
    groups: dict[str, list[Item]] = {}
    for item in items:
        groups.setdefault(item.group, []).append(item)
    shape = (len(inp.W1), len(inp.W1[0]))
    lines = []
    for group, members in groups.items():
        what, how = _HOW.get(group, (members[0].tex, "a number"))
        if group == "dW1" and len(members) > 1:
            column = min(2, shape[1])
            example = gradient_id("W1", 1, column, shape=shape)
            how += f" (`{example}` is row 1, column {column})"
        rule = own_rule(members, general)
        ids = (members[0].id, members[-1].id) if len(members) > 1 else (members[0].id,)
        lines.append(Answer(what, ids, how + (f", {rule}" if rule else ""), run=len(members) > 2))
    return lines
