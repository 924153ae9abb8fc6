"""The network problem's answers: its gradable items, named as answerids names them."""

from __future__ import annotations

from typing import Any

from solgen.answerids import DB2, LOSS, gradient_id, output_id
from solgen.problem import Item, number_item


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
