"""The convnet problem: a conv/pool architecture from an input shape to a target shape, designed
or checked, with its parameter count.

Everything about it is declared here and in this package's modules (fields, draw, design,
derive, checks, results, context, figures, answers, templates); its modules import solgen's
base modules only, and heavy ones only when a method needs them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any, ClassVar

from solgen.base.answerids import TOTAL_PARAMS
from solgen.problems.problem import (
    Answer,
    Cells,
    CheckRun,
    Context,
    Grading,
    Item,
    Problem,
    Section,
    Table,
    Tolerance,
)


class Convnet(Problem):
    """Problem: convolutional networks."""

    name = "convnet"
    title = "Convolutional networks"
    points = 15
    package = __name__
    fields = ("input", "target", "kernel_sizes", "layers", "filters")
    groups: ClassVar[Mapping[str, Fraction]] = {"layers": Fraction(7), "total_params": Fraction(8)}
    distinct_label = "input, target, kernels"
    distinct_fields = ("input", "target", "kernel_sizes")
    templates: ClassVar[Mapping[str, str]] = {
        "problem": "convnet.tex.j2",
        "key": "convnet-key.tex.j2",
        "statement": "convnet-statement.tex.j2",
    }

    def merge(self, default: Table, given: Table) -> Table:
        """The default architecture belongs to the default problem: a variant that sets any
        field of this table and not the layers asks for a design."""
        merged = super().merge(default, given)
        if given and "layers" not in given:
            merged.pop("layers", None)
        return merged

    def parse(self, table: Table, section: str, errors: list[str]) -> Any | None:
        from solgen.problems.convnet.fields import parse

        return parse(table, section, errors)

    def draw(self, seed: int, section: str, options: Mapping[str, int]) -> dict[str, object]:
        from solgen.problems.convnet.draw import draw

        return draw(seed, section)

    def solve(self, inp: Any) -> Any:
        from solgen.problems.convnet.derive import solve

        return solve(inp)

    def checks(self, result: Any) -> list[tuple[str, CheckRun]]:
        from solgen.problems.convnet.checks import checks

        return checks(result)

    def results(self, result: Any) -> Section:
        from solgen.problems.convnet.results import section

        return section(result)

    def context(self, result: Any) -> Context:
        from solgen.problems.convnet.context import context

        return context(result)

    def items(self, section: Section) -> list[Item]:
        from solgen.problems.convnet.answers import items

        return items(section)

    # --- answers, grading, the class ------------------------------------------------------------

    def answer_cells(self, section: Section) -> dict[str, Any]:
        from solgen.problems.convnet.answers import answer_cells

        return answer_cells(section)

    def grade(self, item: Item, text: str, cells: Cells, inp: Any) -> Grading | None:
        from solgen.problems.convnet.answers import grade

        return grade(item, text, cells, inp)

    def keeps_tolerance(self, item: Item) -> bool:
        """The parameter count is exact (digits=0) whatever a policy's default tolerance."""
        return item.id == TOTAL_PARAMS

    def how_to_answer(self, inp: Any, items: Sequence[Item], general: Tolerance) -> list[Answer]:
        from solgen.problems.convnet.answers import how_to_answer

        return how_to_answer(inp, items, general)

    def key_context(self, section: Section) -> Context:
        from solgen.problems.convnet.answers import key_context

        return key_context(section)

    def key_entry(self, item: Item, value: str) -> str | None:
        """Not listed: its part of a key block shows the design and its count (key_context)."""
        return None

    def report_spread(self, sections: Sequence[Section]) -> list[tuple[str, list[float], str]]:
        from solgen.problems.convnet.answers import report_spread

        return report_spread(sections)

    # --- the LMS exports -----------------------------------------------------------------------

    def statement_context(self, inp: Any) -> Context:
        from solgen.problems.convnet.lms import statement_context

        return statement_context(inp)

    def lms_question(self, inp: Any, items: tuple[Item, ...], lms: str) -> Problem.Question:
        from solgen.problems.convnet.lms import question

        return question(inp, items, lms)


PROBLEM = Convnet()
