"""Problem results -> the templates' context: each problem's own context (its package makes
it: every number and formula as TeX, no prose) and what the document around them shows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from solgen.document.results import results_dict
from solgen.document.solution import Solution
from solgen.document.variant import Variant
from solgen.markup.latex import SIGNIFICANT, Tex, tex_escape
from solgen.markup.names import name_preamble
from solgen.problems.answering import common_tolerance, number_rule, pieces
from solgen.problems.problem import Answer, Item

# A problem's templates that the document includes (each may be absent, then None).
TEMPLATE_PARTS = ("problem", "appendix", "check")


def build_context(variant: Variant, solution: Solution, solutions: bool) -> dict[str, Any]:
    """The whole context for one document (solutions=False: the problem sheet): each problem's
    own context with its number, title, points and templates, in the assignment's order."""
    return {
        "meta": variant.meta,
        "solutions": solutions,
        "problems": [
            {
                "number": placed.number,
                "title": placed.problem.title,
                "points": placed.points,
                "heading": Tex(
                    f"Problem {placed.number}. {tex_escape(placed.problem.title)} "
                    f"({placed.points} points)"
                ),
                "templates": {part: placed.problem.templates.get(part) for part in TEMPLATE_PARTS},
                "context": placed.problem.context(result),
            }
            for placed, result in solution
        ],
        "checks": [{"what": Tex(c.tex[:1].upper() + c.tex[1:])} for c in solution.checks],
        "significant": SIGNIFICANT,
        "names_preamble": name_preamble([variant.meta.author]),
        "answering": answering_context(variant, solution),
    }


def _tex_how(how: str) -> Tex:
    """A line (text with $math$ and `typed text`) as TeX: the text escaped, the math kept,
    the typed text in type."""
    shown = {
        "math": lambda text: f"${text}$",
        "code": lambda text: rf"\mbox{{\texttt{{{tex_escape(text)}}}}}",  # typed as one
        "text": tex_escape,
    }
    return Tex("".join(shown[kind](text) for kind, text in pieces(how)))


def _tex_columns(answer: Answer) -> Tex:
    """Its answer-form columns in type: 'dW1_11 ... dW1_24' for a run, else each one."""
    names = [rf"\texttt{{{tex_escape(column)}}}" for column in answer.columns]
    return Tex(r" \dots{} ".join(names) if answer.run else ", ".join(names))


def how_to_answer(variant: Variant, items: Sequence[Item]) -> tuple[str, list[tuple[int, Answer]]]:
    """A sheet's "How to answer" for these items of its variant (numbered by problem, with the
    tolerances they are graded by): the rule for numbers (the tolerance most of them have;
    a line names its own where it differs), and each problem's lines (its how_to_answer)."""
    general = common_tolerance(items)
    lines = [
        (placed.number, answer)
        for placed, inp in variant
        for answer in placed.problem.how_to_answer(
            inp, [item for item in items if item.problem == placed.number], general
        )
    ]
    return number_rule(general), lines


def answering_context(variant: Variant, solution: Solution) -> dict[str, Any]:
    """The sheet's "How to answer", from the items of the variant's answer key (as answers.csv
    and the answer form have them) with the tolerances grade applies unless a --policy
    changes them (grade then says so)."""
    sections = results_dict(solution)  # results.json's data: what the answer key is made of
    items = [
        replace(item, problem=placed.number)
        for placed in variant.assignment
        for item in placed.problem.items(sections[placed.section])
    ]
    rule, lines = how_to_answer(variant, items)
    rows = [
        {
            "problem": number,
            "what": Tex(answer.what),
            "columns": _tex_columns(answer),
            "how": _tex_how(answer.how),
        }
        for number, answer in lines
    ]
    # Only a roster student's handout holds answer-form.csv (a practice set or a lone build
    # has none): the sheet names it only then.
    form = bool(variant.meta.student_id)
    return {"rule": _tex_how(rule), "rows": rows, "form": form}
