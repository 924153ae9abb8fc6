"""The network problem: the loss and gradients of a two-layer network on given data, and why
backpropagation beats forward-mode differentiation, counted for this network.

Everything about it is declared here and in this package's modules (fields, draw, derive,
checks, results, context, figures, answers, templates); its modules import solgen's base
modules only, and heavy ones (SymPy, NumPy) only when a method needs them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any, ClassVar

from solgen.problems.problem import (
    Answer,
    CheckRun,
    Context,
    DrawOption,
    Item,
    Problem,
    Section,
    Table,
    Tolerance,
)


class Network(Problem):
    """Problem: calculating gradients of a two-layer network."""

    name = "network"
    title = "Calculating gradients"
    points = 20
    package = __name__
    fields = ("X", "t", "W1", "b1", "w2", "b2", "activation")
    groups: ClassVar[Mapping[str, Fraction]] = {
        "loss": Fraction(2),
        "y": Fraction(2),
        "dW1": Fraction(4),
        "db1": Fraction(4),
        "dw2": Fraction(4),
        "db2": Fraction(4),
    }
    distinct_label = "network and data"
    distinct_fields = ("X", "t", "W1", "b1", "w2", "b2")
    draw_options = (
        DrawOption("--samples", 3, "N", "the network problem: samples"),
        DrawOption("--inputs", 4, "D", "the network problem: inputs per sample"),
        DrawOption("--hidden", 2, "H", "the network problem: hidden units"),
    )
    templates: ClassVar[Mapping[str, str]] = {
        "problem": "network.tex.j2",
        "appendix": "network-appendix.tex.j2",
        "check": "network-check.tex.j2",
        "key": "network-key.tex.j2",
        "statement": "network-statement.tex.j2",
    }

    def parse(self, table: Table, section: str, errors: list[str]) -> Any | None:
        from solgen.problems.network.fields import parse

        return parse(table, section, errors)

    def draw_problems(self, options: Mapping[str, int]) -> list[str]:
        from solgen.problems.network.fields import shape_problems

        return shape_problems(options["samples"], options["inputs"], options["hidden"])

    def draw(self, seed: int, section: str, options: Mapping[str, int]) -> dict[str, object]:
        from solgen.problems.network.draw import Shape, draw

        shape = Shape(options["samples"], options["inputs"], options["hidden"])
        return draw(seed, shape, section)

    def warm(self) -> None:
        """Derive the gradients for every activation (cached on disk and in memory)."""
        from solgen.problems.network.derive import derive
        from solgen.problems.network.fields import ACTIVATIONS

        for activation in ACTIVATIONS:
            derive(activation)

    def solve(self, inp: Any) -> Any:
        from solgen.problems.network.derive import solve

        return solve(inp)

    def checks(self, result: Any) -> list[tuple[str, CheckRun]]:
        from solgen.problems.network.checks import checks

        return checks(result)

    def results(self, result: Any) -> Section:
        from solgen.problems.network.results import section

        return section(result)

    def data_files(self, inp: Any) -> dict[str, Sequence[Sequence[Fraction]]]:
        from solgen.problems.network.fields import DATA_FILES

        rows: tuple[Sequence[Sequence[Fraction]], ...] = (
            inp.X,
            [(v,) for v in inp.t],
            inp.W1,
            [(v,) for v in inp.b1],
            [(v,) for v in inp.w2],
            [(inp.b2,)],
        )
        return dict(zip(DATA_FILES, rows, strict=True))

    def data_file_names(self) -> tuple[str, ...]:
        from solgen.problems.network.fields import DATA_FILES

        return DATA_FILES

    def context(self, result: Any) -> Context:
        from solgen.problems.network.context import context

        return context(result)

    def items(self, section: Section) -> list[Item]:
        from solgen.problems.network.answers import items

        return items(section)

    # --- answers, grading, the class ------------------------------------------------------------

    def id_hint(self, name: str, item_ids: set[str]) -> str:
        from solgen.problems.network.answers import id_hint

        return id_hint(name, item_ids)

    def id_examples(self, item_ids: set[str]) -> tuple[str, ...]:
        from solgen.problems.network.answers import id_examples

        return id_examples(item_ids)

    def how_to_answer(self, inp: Any, items: Sequence[Item], general: Tolerance) -> list[Answer]:
        from solgen.problems.network.answers import how_to_answer

        return how_to_answer(inp, items, general)

    def key_context(self, section: Section) -> Context:
        from solgen.problems.network.answers import key_context

        return key_context(section)

    def report_identity(self) -> tuple[str, ...]:
        """Its data and its activation: the same data under another activation is another
        problem for a student (a draw keeps students apart by the data alone)."""
        return (*self.distinct_fields, "activation")

    def report_spread(self, sections: Sequence[Section]) -> list[tuple[str, list[float], str]]:
        from solgen.problems.network.answers import report_spread

        return report_spread(sections)

    def report_tally(self, sections: Sequence[Section]) -> list[tuple[str, dict[str, int]]]:
        from solgen.problems.network.answers import report_tally

        return report_tally(sections)

    # --- the LMS exports -----------------------------------------------------------------------

    def statement_context(self, inp: Any) -> Context:
        from solgen.problems.network.lms import statement_context

        return statement_context(inp)

    def lms_question(self, inp: Any, items: tuple[Item, ...], lms: str) -> Problem.Question:
        from solgen.problems.network.lms import question

        return question(inp, items, lms)


PROBLEM = Network()
