"""Problem results -> the templates' context: each problem's own context (its package makes
it: every number and formula as TeX, no prose) and what the document around them shows."""

from __future__ import annotations

from typing import Any

from solgen.document.solution import Solution
from solgen.document.variant import Variant
from solgen.markup.latex import SIGNIFICANT, Tex, tex_escape
from solgen.markup.names import name_preamble

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
    }
