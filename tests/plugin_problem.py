"""A tiny fourth problem, as an instructor's plugin would be: the tests register it under the name
"tiny" by patching solgen.problems.registry.BUILTIN (an installed package would use the entry-point
group solgen.problems). It draws from its own stream and records every call of draw."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any, ClassVar

from solgen.base.stream import Stream
from solgen.problems.problem import Check, CheckRun, DrawOption, Item, Problem


class Tiny(Problem):
    """Problem: a few logits (just enough of a problem to draw variants)."""

    name = "tiny"
    title = "A tiny problem"
    points = 10
    package = __name__
    fields = ("logits",)
    groups: ClassVar[Mapping[str, Fraction]] = {"p": Fraction(10)}
    distinct_label = "logits"
    distinct_fields = ("logits",)
    draw_options = (DrawOption("--tiny-logits", 3, "K", "the tiny problem: logits"),)
    templates: ClassVar[Mapping[str, str]] = {"problem": "tiny.tex.j2"}

    def __init__(self) -> None:
        self.calls: list[tuple[int, str, int, dict[str, int]]] = []
        self.warmed = 0

    def default(self) -> dict[str, Any]:
        return {"logits": [1, 2, 3]}

    def parse(self, table: dict[str, Any], section: str, errors: list[str]) -> Any | None:
        logits = table["logits"]
        if not isinstance(logits, list) or not all(isinstance(v, int) for v in logits):
            errors.append(f"{section}.logits: expected a list of whole numbers")
            return None
        return tuple(logits)

    def draw_problems(self, options: Mapping[str, int]) -> list[str]:
        logits = options["tiny_logits"]
        return [] if logits >= 2 else [f"--tiny-logits: expected at least 2, found {logits}"]

    def draw(self, seed: int, section: str, options: Mapping[str, int]) -> dict[str, object]:
        self.calls.append((seed, section, dict(options)))
        stream = Stream(seed, section)
        return {"logits": [stream.integer(-3, 3) for _ in range(options["tiny_logits"])]}

    def warm(self) -> None:
        self.warmed += 1

    def solve(self, inp: Any) -> Any:
        return inp

    def checks(self, result: Any) -> list[tuple[str, CheckRun]]:
        return [("none", lambda: Check("none", "nothing", 0.0, True))]

    def results(self, result: Any) -> dict[str, Any]:
        return {"logits": list(result)}

    def context(self, result: Any) -> dict[str, Any]:
        return {}

    def items(self, section: dict[str, Any]) -> list[Item]:
        return []


PROBLEM = Tiny()
NOT_A_PROBLEM = "a string"  # what a broken plugin's entry point may name
