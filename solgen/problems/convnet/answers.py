"""The convnet problem's answers: a design and its parameter count. Any valid design is right:
a student's own layers are checked against the student's input and target (the same check as
a variant's given layers), and the count against that design's. Its answers.csv column (the
count), its part of a key block and its line of the class report.

Imports SymPy (through marking) when a design or a count is graded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from fractions import Fraction
from typing import Any

from solgen.base.answerids import LAYERS, TOTAL_PARAMS
from solgen.base.errors import InvalidInput
from solgen.markup.latex import Tex
from solgen.problems.answering import own_rule
from solgen.problems.convnet.fields import ConvnetInput, Layer
from solgen.problems.convnet.rules import SYNTAX, SYNTAX_PLAIN, rules_of
from solgen.problems.problem import Answer, Cells, Grading, Item, Tolerance, Unreadable


def items(p3: dict[str, Any]) -> list[Item]:
    """Its items from its results.json section: the layers (any valid design) and the count."""
    layers = " ".join(
        f"conv{layer['kernel']}:{layer['out_channels']}" if layer["type"] == "conv" else "pool"
        for layer in p3["layers"]
    )
    design = Item(
        LAYERS,
        "layers",
        0,
        "design",
        "layers (any valid architecture)",
        r"\text{layers}",
        layers,
        None,
        Tolerance(),
        Fraction(0),
    )
    total = Item(
        TOTAL_PARAMS,
        "total_params",
        0,
        "number",
        "total_params (of the student's own design)",
        r"\text{parameters}",
        str(p3["total_params"]),
        int(p3["total_params"]),
        Tolerance(digits=0),
        Fraction(0),
    )
    return [design, total]


# --- answers.csv and grading: any valid design, and the count of the student's own ----------------

MAX_LAYERS = 64
MAX_LAYER_SIZE = 4096  # a kernel size or filter count, as a variant's layers allow (MAX_SIZE)
# A layer as students write it: conv5:8, conv 5:16, conv5x5:8, Conv 5x5 (8 filters),
# conv 5x5, 8 filters; pool, pool2, pool 2x2, maxpool, max-pool, MaxPooling 2x2. Between
# layers: spaces, commas, semicolons, "->", "→", "|" or "+".
_KERNEL = r"conv(?:olution)?\s*(\d+)(?:\s*[x×]\s*\d+)?"
_LAYER = re.compile(
    rf"{_KERNEL}\s*(?::\s*(\d+)|\(\s*(\d+)\s*filters?\s*\)|,?\s+(\d+)\s*filters?)"
    r"|(?:max\s*-?\s*)?pool(?:ing)?(?:\s*(?:2\s*[x×]\s*2|2)(?![\d:]))?",
    re.I,
)
_SEPARATOR = re.compile(r"(?:\s|,|;|\||\+|->|→|=>)*")
_LAYER_HELP = SYNTAX_PLAIN


def answer_cells(p3: dict[str, Any]) -> dict[str, Any]:
    """Its answers.csv column: the key design's count (any valid design is right)."""
    return {TOTAL_PARAMS: p3["total_params"]}


def _size(digits: str) -> int:
    """A layer's size; MAX_LAYER_SIZE + 1 for any longer than it, without converting them."""
    return (
        int(digits) if len(digits.lstrip("0")) <= len(str(MAX_LAYER_SIZE)) else MAX_LAYER_SIZE + 1
    )


def _unreadable(message: str) -> Unreadable:
    """The layers cell cannot be read (so neither the layers nor the count can be graded)."""
    return Unreadable(message, column=LAYERS)


def parse_layers(text: str) -> list[tuple[str, int, int]]:
    """'conv5:8 pool conv5:32, pool conv2:64' -> [('conv', 5, 8), ('pool', 2, 0), ...].

    Bounded before any work: at most MAX_LAYERS layers, and sizes of at most 4 digits are
    converted (conv followed by 5,000 nines was a ValueError traceback)."""
    from solgen.problems.marking import shown

    layers: list[tuple[str, int, int]] = []
    position = _SEPARATOR.match(text).end()  # type: ignore[union-attr]  # matches ''
    while position < len(text):
        if len(layers) == MAX_LAYERS:
            raise _unreadable(f"more than {MAX_LAYERS} layers")
        match = _LAYER.match(text, position)
        if match is None:
            token = re.split(r"[\s,;|+]", text[position:], maxsplit=1)[0]
            raise _unreadable(f"{shown(token)} is not a layer ({_LAYER_HELP})")
        if match.group(1):
            filters = next(g for g in match.group(2, 3, 4) if g is not None)
            kernel, count = _size(match.group(1)), _size(filters)
            if max(kernel, count) > MAX_LAYER_SIZE:
                raise _unreadable(
                    f"{shown(match.group(0))} is not a layer (kernel sizes and filter counts "
                    f"are at most {MAX_LAYER_SIZE})"
                )
            layers.append(("conv", kernel, count))
        else:
            layers.append(("pool", 2, 0))
        position = _SEPARATOR.match(text, match.end()).end()  # type: ignore[union-attr]
        if position == match.end() and position < len(text):
            token = re.split(r"[\s,;|+]", text[match.start() :], maxsplit=1)[0]
            raise _unreadable(f"{shown(token)} is not a layer ({_LAYER_HELP})")
    if not layers:
        raise _unreadable("no layers")
    return layers


def design_params(inp: ConvnetInput, text: str) -> tuple[int | None, str]:
    """The parameter count of a student's design for this input, or None and why it is not
    valid: a rule of the variant broken (its kernels, the alternation; rules.py), else the
    same check as a variant's given layers."""
    from solgen.problems.convnet.derive import check_layers

    layers = tuple(
        Layer(kind="conv", kernel=k, filters=f) if kind == "conv" else Layer(kind="pool", kernel=2)
        for kind, k, f in parse_layers(text)
    )
    broken = rules_of(inp).broken(layers)
    if broken is not None:
        return None, broken
    try:
        checked = check_layers(inp, layers)
    except InvalidInput as exc:
        return None, "; ".join(p.replace(f"{inp.section}.", "") for p in exc.problems)
    if checked[-1].out_shape != inp.target:
        shape = "x".join(map(str, checked[-1].out_shape))
        return None, f"it ends at {shape}, not at the target"
    return sum(layer.params for layer in checked), ""


def _layers(cells: Cells) -> str:
    """The student's layers, '' when not given or given as none."""
    from solgen.problems.marking import says_none

    text = cells.get(LAYERS, "").strip()
    return "" if says_none(text) else text


def grade(item: Item, text: str, cells: Cells, inp: ConvnetInput) -> Grading | None:
    """The layers: any valid design from the student's input to the target. The count: of the
    student's own design when layers are given, else the key's (None: graded as a number)."""
    from solgen.problems.marking import grade_number, says_none

    if item.kind == "design":
        if says_none(text):
            return Grading(
                False, f"layers: {text} is wrong; expected a valid design, such as {item.exact}"
            )
        count, why = design_params(inp, _layers(cells))
        if count is None:
            return Grading(False, f"layers: not a valid design: {why}")
        return Grading(True, f"layers: a valid design ({count:,} parameters)")
    if item.id == TOTAL_PARAMS and _layers(cells):
        try:
            count, why = design_params(inp, _layers(cells))
        except Unreadable:  # reported under layers; the count is still graded, as the key's
            return None
        if count is None:
            return Grading(False, f"{item.label}: {text} cannot be right: the design is not valid")
        right, note = grade_number(replace(item, exact=str(count), value=count), text)
        return Grading(right, f"{note} (your design)")
    return None


# --- the sheet's "How to answer" ---------------------------------------------------------------


def how_to_answer(inp: ConvnetInput, items: Sequence[Item], general: Tolerance) -> list[Answer]:
    """The layers (the syntax and the variant's rules) and the count (exactly, of the
    student's own design)."""
    rules = rules_of(inp)
    lines = []
    for item in items:
        if item.kind == "design":
            how = f"{SYNTAX}, such as {rules.example()}; {rules.how()}".rstrip("; ")
            lines.append(Answer(r"\text{layers}", (item.id,), how))
        elif item.id == TOTAL_PARAMS:
            rule = own_rule([item], general)
            how = "a whole number, of your own design" + (f", {rule}" if rule else "")
            lines.append(Answer(r"\text{parameters}", (item.id,), how))
    return lines


# --- the key block --------------------------------------------------------------------------------


def _filters(count: int) -> str:
    """'one filter', '8 filters': as the solution counts them."""
    return "one filter" if count == 1 else f"{count} filters"


def key_context(p3: dict[str, Any]) -> dict[str, Any]:
    """Its key part: the input and the target, the key's layers, and its parameter count."""
    return {
        "input": Tex(r" \times ".join(str(int(v)) for v in p3["input"])),
        "target": Tex(r" \times ".join(str(int(v)) for v in p3["target"])),
        "layers": [
            Tex(
                f"conv ${int(layer['kernel'])}$, {_filters(int(layer['out_channels']))}"
                if layer["type"] == "conv"
                else r"pool $2 \times 2$"
            )
            for layer in p3["layers"]
        ],
        "total": Tex(f"{int(p3['total_params']):,}".replace(",", "{,}")),
    }


def report_spread(sections: Sequence[dict[str, Any]]) -> list[tuple[str, list[float], str]]:
    """The spread of the key designs' parameter counts."""
    return [(TOTAL_PARAMS, [e["total_params"] for e in sections], "")]


ITEM_IDS = (LAYERS, TOTAL_PARAMS)  # its ids, in answers.csv's order
