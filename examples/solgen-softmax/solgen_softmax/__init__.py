"""solgen-softmax: a fourth solgen problem, added without touching solgen (an example package).

A linear classifier z = W x + b with C classes and d inputs, one sample x of class c, the
probabilities p = softmax(z) and the cross-entropy L = -log p_c. Asked: p, L and the
gradients dL/dz = p - e_c (derived by SymPy on generic symbols and verified), dL/dW =
(p - e_c) x^T and dL/db = p - e_c. The answers are exponentials of rationals: their exact
forms are SymPy expressions, their floats correctly rounded by ball arithmetic.

Installed, it registers itself in solgen's entry-point group ``solgen.problems`` as
"softmax" (see pyproject.toml); a variant file then lists it in an assignment:

    [assignment]
    problems = ["network", "descent", "convnet", "softmax"]
    points = [20, 15, 15, 10]
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar

from solgen.problems.problem import Check, DrawOption, Item, Problem, number_item
from solgen_softmax import variant as _variant
from solgen_softmax.variant import SoftmaxInput

if TYPE_CHECKING:
    from solgen_softmax.solve import SoftmaxResult

LOSS_ID = "ce_loss"  # not "loss": that is the network problem's


def dz_id(i: int) -> str:
    """The answers.csv column of dL/dz_i (i from 1): dz_1, dz_2, ..."""
    return f"dz_{i}"


def _exact(section: dict[str, Any], *path: Any) -> str | None:
    node: Any = section.get("exact")
    for step in path:
        if node is None:
            return None
        node = node[step]
    return node if isinstance(node, str) else None


def _number(value: float) -> str:
    return f"{value:.4g}"


class Softmax(Problem):
    """The softmax cross-entropy of a linear classifier: p, L and the gradients."""

    name: ClassVar[str] = "softmax"
    title: ClassVar[str] = "Softmax cross-entropy"
    points: ClassVar[int] = 10
    package: ClassVar[str] = "solgen_softmax"
    fields: ClassVar[tuple[str, ...]] = _variant.FIELDS
    groups: ClassVar[Mapping[str, Fraction]] = {"ce_loss": Fraction(4), "dz": Fraction(6)}
    distinct_label: ClassVar[str] = "classifier and sample"
    distinct_fields: ClassVar[tuple[str, ...]] = ("W", "b", "x", "label")
    draw_options: ClassVar[tuple[DrawOption, ...]] = (
        DrawOption(
            "--classes",
            _variant.DEFAULT_CLASSES,
            "C",
            f"classes of the softmax problem (2 to {_variant.MAX_CLASSES})",
        ),
        DrawOption(
            "--features",
            _variant.DEFAULT_INPUTS,
            "D",
            f"inputs of the softmax problem's sample (1 to {_variant.MAX_INPUTS})",
        ),
    )
    templates: ClassVar[Mapping[str, str]] = {
        "problem": "softmax.tex.j2",
        "key": "softmax-key.tex.j2",
        "statement": "softmax-statement.tex.j2",
    }

    # --- the variant ------------------------------------------------------------------------

    def parse(self, table: dict[str, Any], section: str, errors: list[str]) -> SoftmaxInput | None:
        return _variant.parse(table, section, errors)

    def draw_problems(self, options: Mapping[str, int]) -> list[str]:
        return _variant.draw_problems(options)

    def draw(self, seed: int, section: str, options: Mapping[str, int]) -> dict[str, object]:
        return _variant.draw(seed, section, options)

    # --- the solution -----------------------------------------------------------------------

    def warm(self) -> None:
        from solgen_softmax.derive import derive

        derive()  # once, before a batch's workers fork

    def solve(self, inp: SoftmaxInput) -> SoftmaxResult:
        from solgen_softmax.solve import solve

        return solve(inp)

    def checks(self, result: SoftmaxResult) -> list[tuple[str, Callable[[], Check]]]:
        from solgen_softmax.checks import checks

        return checks(result)

    def results(self, result: SoftmaxResult) -> dict[str, Any]:
        floats, exact = result.floats, result.exact

        def strings(values: Sequence[Any]) -> list[str]:
            return [str(v) for v in values]

        return {
            "probabilities": list(floats.probabilities),
            "loss": floats.loss,
            "grad": {
                "z": list(floats.dz),
                "W": [list(row) for row in floats.dW],
                "b": list(floats.db),
            },
            "exact": {
                "logits": [str(v) for v in result.z],
                "probabilities": strings(exact.probabilities),
                "loss": str(exact.loss),
                "grad": {
                    "z": strings(exact.dz),
                    "W": [strings(row) for row in exact.dW],
                    "b": strings(exact.db),
                },
            },
            "label": result.label,
            "shape": {"C": result.C, "d": result.d},
        }

    def context(self, result: SoftmaxResult) -> dict[str, Any]:
        from solgen_softmax.context import context

        return context(result)

    # --- answers, grading, the class ---------------------------------------------------------

    def items(self, section: dict[str, Any]) -> list[Item]:
        items = [
            number_item(
                LOSS_ID,
                "ce_loss",
                "L (cross-entropy)",
                "L",
                _exact(section, "loss"),
                section["loss"],
            )
        ]
        for i, value in enumerate(section["grad"]["z"]):
            items.append(
                number_item(
                    dz_id(i + 1),
                    "dz",
                    f"dL/dz[{i + 1}]",
                    rf"\partial L/\partial z_{{{i + 1}}}",
                    _exact(section, "grad", "z", i),
                    value,
                )
            )
        return items

    def key_context(self, section: dict[str, Any]) -> dict[str, Any]:
        from solgen_softmax.context import key_context

        return key_context(section)

    def statement_context(self, inp: SoftmaxInput) -> dict[str, Any]:
        from solgen_softmax.context import statement_context

        return statement_context(inp)

    def report_spread(
        self, sections: Sequence[dict[str, Any]]
    ) -> list[tuple[str, list[float], str]]:
        label_p = [float(s["probabilities"][int(s["label"]) - 1]) for s in sections]
        return [
            (LOSS_ID, [float(s["loss"]) for s in sections], ""),
            ("p_c (the label's probability)", label_p, ""),
        ]

    def ask_html(self, items: Sequence[Item]) -> str:
        asked = ", ".join("\\(" + html.escape(item.tex, quote=False) + "\\)" for item in items)
        digits = sorted({item.tolerance.digits for item in items if item.tolerance.digits > 0})
        precision = (
            f", each rounded to at least {digits[0]} significant digits" if len(digits) == 1 else ""
        )
        return f"<p>Give {asked}{precision}.</p>"


PROBLEM = Softmax()

__all__ = ["PROBLEM", "Softmax", "SoftmaxInput"]
