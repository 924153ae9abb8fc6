"""The convnet problem in an LMS: its statement's context from the input alone, and its
question, an essay: any valid design counts, which no LMS can check; the feedback (and the
graders' information) holds the key's design, its parameter count and the rule; the method
is the rule alone."""

from __future__ import annotations

from typing import Any

from solgen.base.answerids import TOTAL_PARAMS
from solgen.problems.convnet.context import statement_context as _statement_context
from solgen.problems.convnet.fields import ConvnetInput
from solgen.problems.convnet.rules import SYNTAX, DesignRules, rules_of
from solgen.problems.lmshtml import esc, how_html, inline, para, tex_size
from solgen.problems.problem import Item, Problem


def statement_context(inp: ConvnetInput) -> dict[str, Any]:
    """The statement's context: the shapes and the kernel sizes."""
    return _statement_context(inp)


def question(inp: ConvnetInput, items: tuple[Item, ...], lms: str) -> Problem.Question:
    """An essay; how to write the layers in Moodle's text box, or what to give in Canvas's."""
    rules = rules_of(inp)
    if lms == "moodle":
        ask = para(
            "Write your layers: ",
            how_html(f"{SYNTAX}, such as {rules.example()}"),
            "; then the feature maps after each layer and the total.",
        )
    else:
        ask = para(
            "Answer in the text box: your layers in order, the size and number of the feature "
            "maps after each layer, and the total number of learnable parameters."
        )
    return Problem.Question("essay", ask, _feedback(items, rules), method=design_rule_html(rules))


def _feedback(items: tuple[Item, ...], rules: DesignRules) -> str:
    design = next((item for item in items if item.kind == "design"), None)
    total = next((item for item in items if item.id == TOTAL_PARAMS), None)
    parts = []
    if design is not None and design.exact:
        parts.append(para("A design that works:"))
        parts.append(layers_html(design.exact))
    if total is not None and total.value is not None:
        parts.append(
            para(
                "Its total number of learnable parameters is ",
                inline(f"{int(total.value):,}".replace(",", "{,}")),
                ".",
            )
        )
    parts.append(design_rule_html(rules))
    return "".join(parts)


def layers_html(design: str) -> str:
    """'conv5:16 pool conv5:32' as an ordered list of layers."""
    entries = []
    for token in design.split():
        kind, _, spec = token.partition(":")
        if kind.startswith("conv") and kind[4:].isdigit() and spec.isdigit():
            k = int(kind[4:])
            entries.append("convolution " + inline(tex_size(k, k)) + f", {int(spec)} filters")
        elif token == "pool":
            entries.append("max-pooling " + inline(tex_size(2, 2)) + ", stride 2")
        else:
            entries.append(esc(token))
    return "<ol>" + "".join(f"<li>{entry}</li>" for entry in entries) + "</ol>"


def design_rule_html(rules: DesignRules) -> str:
    """The rule a grader applies (solgen grade's, rules.py): any valid design counts, with its
    own count."""
    kept = rules.how()
    return para(
        "Any valid design counts, not only this one: convolutions (stride one, no padding, each "
        "kernel fitting its input) and ",
        inline(tex_size(2, 2)),
        " max-poolings with stride two (on even sizes only), from the input to exactly the "
        "target size and number of feature maps",
        "; " + how_html(kept) if kept else "",
        ". The total must be that design's own parameter count, the sum over its convolutions of ",
        inline(r"k^2 \cdot C_{\text{in}} \cdot C_{\text{out}} + C_{\text{out}}"),
        ".",
    )
