"""The descent problem: the step sizes for which gradient descent on u^T A u converges (exact
eigenvalues and surds, the optimal constant step, the exact line-search step).

Everything about it is declared here and in this package's modules (fields, draw, derive,
checks, results, context, figures, answers, templates); its modules import solgen's base
modules only, and heavy ones (SymPy, NumPy) only when a method needs them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any, ClassVar

from solgen.base.answerids import ETA_MAX, ETA_MAX_EXACT
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


class Descent(Problem):
    """Problem: gradient descent on a quadratic form."""

    name = "descent"
    title = "Gradient descent"
    points = 15
    package = __name__
    fields = ("A",)
    groups: ClassVar[Mapping[str, Fraction]] = {"lambda": Fraction(5), "eta_max": Fraction(10)}
    distinct_label = "matrix A"
    distinct_fields = ("A",)
    templates: ClassVar[Mapping[str, str]] = {
        "problem": "descent.tex.j2",
        "key": "descent-key.tex.j2",
        "statement": "descent-statement.tex.j2",
    }

    def parse(self, table: Table, section: str, errors: list[str]) -> Any | None:
        from solgen.problems.descent.fields import parse

        return parse(table, section, errors)

    def draw(self, seed: int, section: str, options: Mapping[str, int]) -> dict[str, object]:
        from solgen.problems.descent.draw import draw

        return draw(seed, section)

    def solve(self, inp: Any) -> Any:
        from solgen.problems.descent.derive import solve

        return solve(inp)

    def checks(self, result: Any) -> list[tuple[str, CheckRun]]:
        from solgen.problems.descent.checks import checks

        return checks(result)

    def results(self, result: Any) -> Section:
        from solgen.problems.descent.results import section

        return section(result)

    def data_files(self, inp: Any) -> dict[str, Sequence[Sequence[Fraction]]]:
        return {"A.csv": inp.A}

    def data_file_names(self) -> tuple[str, ...]:
        return ("A.csv",)

    def context(self, result: Any) -> Context:
        from solgen.problems.descent.context import context

        return context(result)

    def items(self, section: Section) -> list[Item]:
        from solgen.problems.descent.answers import items

        return items(section)

    # --- answers, grading, the class ------------------------------------------------------------

    answer_aliases: ClassVar[Mapping[str, str]] = {ETA_MAX_EXACT: ETA_MAX}

    def answer_cells(self, section: Section) -> dict[str, Any]:
        from solgen.problems.descent.answers import answer_cells

        return answer_cells(section)

    def grade(self, item: Item, text: str, cells: Cells, inp: Any) -> Grading | None:
        from solgen.problems.descent.answers import grade

        return grade(item, text)

    def how_to_answer(self, inp: Any, items: Sequence[Item], general: Tolerance) -> list[Answer]:
        from solgen.problems.descent.answers import how_to_answer

        return how_to_answer(inp, items, general)

    def key_context(self, section: Section) -> Context:
        from solgen.problems.descent.answers import key_context

        return key_context(section)

    def key_entry(self, item: Item, value: str) -> str | None:
        from solgen.problems.descent.answers import key_entry

        return key_entry(item, value) or super().key_entry(item, value)

    def report_spread(self, sections: Sequence[Section]) -> list[tuple[str, list[float], str]]:
        from solgen.problems.descent.answers import report_spread

        return report_spread(sections)

    # --- the LMS exports -----------------------------------------------------------------------

    def statement_context(self, inp: Any) -> Context:
        from solgen.problems.descent.lms import statement_context

        return statement_context(inp)

    def lms_question(self, inp: Any, items: tuple[Item, ...], lms: str) -> Problem.Question:
        from solgen.problems.descent.lms import question

        return question(inp, items, lms)


PROBLEM = Descent()
