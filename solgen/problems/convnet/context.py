"""The convnet problem's templates' context: every number and formula as TeX, no prose."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from solgen.base.messages import listed
from solgen.markup.latex import (
    Tex,
    fmt_int,
)
from solgen.markup.plotting import coords
from solgen.problems.convnet.derive import ConvnetResult, LayerResult
from solgen.problems.convnet.design import Design, conv_layer_params
from solgen.problems.convnet.fields import ConvnetInput
from solgen.problems.convnet.figures import feature_maps
from solgen.problems.convnet.justify import compare
from solgen.problems.convnet.rules import DesignRules, rules_for, rules_of


def statement_context(inp: ConvnetInput) -> dict[str, Any]:
    """What the statement (convnet-statement.tex.j2) shows, from the input alone."""
    return _statement(inp.input, inp.target, inp.kernel_sizes, rules_of(inp))


def _statement(
    shape_in: tuple[int, int, int],
    target: tuple[int, int, int],
    kernel_sizes: tuple[int, ...],
    rules: DesignRules,
) -> dict[str, Any]:
    kernel_list = listed([f"{k} \\times {k}" for k in kernel_sizes], r"\text{ or }")
    return {
        "input": Tex(f"{shape_in[0]} \\times {shape_in[1]}"),
        "input_channels": shape_in[2],
        "target": Tex(f"{target[0]} \\times {target[1]}"),
        "target_channels": target[2],
        "kernel_list": Tex(kernel_list),
        # the rules a design keeps (rules.py): the statement says them, grade applies them
        "kernels_only": rules.kernels is not None,
        "alternate": rules.alternate,
    }


def _rules(p3: ConvnetResult) -> DesignRules:
    """The rules its key keeps (a designed key keeps both, as rules_of says of its input)."""
    return rules_for(p3.kernel_sizes, [(layer.kind, layer.kernel) for layer in p3.layers])


def context(p3: ConvnetResult) -> dict[str, Any]:
    """The convnet problem's layer table, justification and final answers, as TeX."""
    convs = [layer for layer in p3.layers if layer.kind == "conv"]
    return {
        **_statement(p3.input, p3.target, p3.kernel_sizes, _rules(p3)),
        "input_shape": _shape(p3.input),
        "kernel_text": _listed([Tex(f"{k} \\times {k}") for k in p3.kernel_sizes], "or"),
        "layers": _layer_rows(p3),
        "total": fmt_int(p3.total_params),
        "total_sum": Tex(" + ".join(fmt_int(layer.params) for layer in convs))
        if len(convs) > 1
        else None,
        # the final answers: the design (filters in parentheses), every output shape, the count
        "design_text": Tex(
            " $\\to$ ".join(
                f"conv ${layer.kernel} \\times {layer.kernel}$~({layer.out_shape[2]})"
                if layer.kind == "conv"
                else "pool"
                for layer in p3.layers
            )
        ),
        "shapes_text": Tex(", ".join(f"${_shape(layer.out_shape)}$" for layer in p3.layers)),
        "filters": Tex(", ".join(str(layer.out_shape[2]) for layer in convs)),
        **_reach_context(p3),
        **_heaviest_context(p3),
        "designed": p3.designed,
        "maps": feature_map_context(p3),
        "comparison": _comparison_context(p3),
        **(_designs_context(p3) if p3.designed else {}),
    }


def _shape(shape: tuple[int, ...]) -> Tex:
    """(28, 28, 8) -> 28 \\times 28 \\times 8 (math)."""
    return Tex(r" \times ".join(map(str, shape)))


def _listed(items: list[Tex], word: str = "and") -> Tex:
    """a; a and b; a, b and c, each item its own inline math, so that a line can break
    between them."""
    return Tex(listed([f"${item}$" for item in items], word))


def _percent(share: Fraction) -> Tex:
    """A share as a whole percentage, rounded half up; below one half, <1."""
    percent = share * 100
    if 0 < percent < Fraction(1, 2):
        return Tex("{<}1")
    return Tex(str(math.floor(percent + Fraction(1, 2))))


def _sides(layer: LayerResult) -> Tex:
    """How the layer makes its output's sides: 32 - 5 + 1 = 28, or 28/2 = 14 (both when not
    square)."""
    (h_in, w_in, _), (h_out, w_out, _) = layer.in_shape, layer.out_shape
    k = layer.kernel

    def one(side_in: int, side_out: int) -> str:
        if layer.kind == "conv":
            return f"{side_in} - {k} + 1 = {side_out}"
        return f"{side_in}/2 = {side_out}"

    if h_in == w_in:
        return Tex(one(h_in, h_out))
    return Tex(one(h_in, h_out) + r",\ " + one(w_in, w_out))


def _layer_rows(p3: ConvnetResult) -> list[dict[str, Any]]:
    """One row per layer: its name, kernel, sides, output, parameters and share."""
    rows, counts = [], {"conv": 0, "pool": 0}
    for layer in p3.layers:
        counts[layer.kind] += 1
        c_in, c_out = layer.in_shape[2], layer.out_shape[2]
        conv = layer.kind == "conv"
        rows.append(
            {
                "name": Tex(f"{layer.kind} {counts[layer.kind]}"),
                "kernel": Tex(f"{layer.kernel} \\times {layer.kernel}"),
                "sides": _sides(layer),
                "output": _shape(layer.out_shape),
                "params": Tex(
                    f"{layer.kernel}^2 \\cdot {c_in} \\cdot {c_out} + {c_out} = "
                    f"{fmt_int(layer.params)}"
                    if conv
                    else "0"
                ),
                "share": _percent(Fraction(layer.params, p3.total_params))
                if conv and p3.total_params
                else None,
            }
        )
    return rows


def _reach_context(p3: ConvnetResult) -> dict[str, Any]:
    """How the answer reaches the target: the sides every pooling meets, and the last layer."""
    last = p3.layers[-1]
    return {
        "pool_inputs": _listed(
            [
                Tex(f"{layer.in_shape[0]} \\times {layer.in_shape[1]}")
                for layer in p3.layers
                if layer.kind == "pool"
            ]
        ),
        "last_kind": last.kind,
        "last_kernel": Tex(f"{last.kernel} \\times {last.kernel}"),
        "last_in": Tex(f"{last.in_shape[0]} \\times {last.in_shape[1]}"),
        "last_out": Tex(f"{last.out_shape[0]} \\times {last.out_shape[1]}"),
    }


def _heaviest_context(p3: ConvnetResult) -> dict[str, Any]:
    """Where the parameters are: the convolution that holds most of them, its share and why."""
    convs = [layer for layer in p3.layers if layer.kind == "conv"]
    if len(convs) < 2 or p3.total_params == 0:
        return {"heaviest": None}
    layer = max(convs, key=lambda c: c.params)
    share = Fraction(layer.params, p3.total_params)
    product = layer.in_shape[2] * layer.out_shape[2]
    reason = None
    if all(product >= c.in_shape[2] * c.out_shape[2] for c in convs):
        reason = "channels"
    elif all(layer.kernel > c.kernel for c in convs if c is not layer):
        reason = "kernel"
    return {
        "heaviest": {
            "conv": convs.index(layer) + 1,
            "params": fmt_int(layer.params),
            "percent": _percent(share),
            "exact": (share * 100).denominator == 1,
            "last": layer is convs[-1],
            "reason": reason,
            "c_in": layer.in_shape[2],
            "c_out": layer.out_shape[2],
            "kernel": Tex(f"{layer.kernel} \\times {layer.kernel}"),
        }
    }


# The document lists every alternative design when there are at most this many, else the best.
ALTERNATIVES_SHOWN = 10


def _why(best: Design, runner_up: Design) -> str:
    """Which rule of the ranking puts the best design first."""
    if best.params != runner_up.params:
        return "params"
    return "layers" if best.depth != runner_up.depth else "kernels"


def _design(design: Design, in_channels: int) -> dict[str, Any]:
    """A design as the text names it: kernels, filters, how it ends, its count, its heaviest
    convolution."""
    counts = conv_layer_params(design.kernels, design.filters, in_channels)
    heavy = counts.index(max(counts))
    channels = (in_channels, *design.filters)
    kernel = design.kernels[heavy]
    return {
        "kernels": Tex(", ".join(map(str, design.kernels))),
        "filters": Tex(", ".join(map(str, design.filters))),
        "final_pool": design.final_pool,
        "params": fmt_int(design.params),
        "depth": design.depth,
        "heaviest": {
            "conv": heavy + 1,
            "kernel": Tex(f"{kernel} \\times {kernel}"),
            "c_in": channels[heavy],
            "c_out": channels[heavy + 1],
            "params": fmt_int(counts[heavy]),
        },
    }


def _designs_context(p3: ConvnetResult) -> dict[str, Any]:
    ranked = p3.designs
    rows = [
        {
            "rank": i + 1,
            "kernels": Tex(", ".join(str(k) for k in d.kernels)),
            "filters": Tex(", ".join(str(f) for f in d.filters)),
            "last": "pool" if d.final_pool else "conv",
            "depth": d.depth,
            "params": fmt_int(d.params),
        }
        for i, d in enumerate(ranked[:ALTERNATIVES_SHOWN])
    ]
    best = ranked[0]
    runner_up = ranked[1] if len(ranked) > 1 else None
    return {
        "designs_total": len(ranked),
        "designs_all_shown": len(ranked) <= ALTERNATIVES_SHOWN,
        "alternatives": rows,
        "why": "only" if runner_up is None else _why(best, runner_up),
        "best": _design(best, p3.input[2]),
        "runner_up": _design(runner_up, p3.input[2]) if runner_up else None,
        "margin": fmt_int(runner_up.params - best.params) if runner_up else None,
        "filters_fixed": p3.fixed_filters,
    }


def _comparison_context(p3: ConvnetResult) -> dict[str, Any] | None:
    """A given answer against the rules' designs: which case, and the numbers each case says."""
    found = compare(p3)
    if found is None or p3.designed:
        return None
    c_in = p3.input[2]
    out: dict[str, Any] = {
        "total": len(found.ranked),
        "rule_filters": Tex(", ".join(map(str, found.rule_filters))),
        "unlisted": _listed([Tex(f"{k} \\times {k}") for k in found.unlisted]),
        "unlisted_count": len(found.unlisted),
        "filters_differ": found.answer.filters != found.rule_filters,
        "alternates": found.alternates,
    }
    if not found.ranked:
        return {**out, "case": "none"}
    best = found.ranked[0]
    if found.rank is None:
        same = found.same_filters_best
        return {
            **out,
            "case": "outside",
            "best": _design(best, c_in),
            "best_more": best.params > found.answer.params,
            "margin": fmt_int(abs(best.params - found.answer.params)),
            "same": None
            if same is None or same.params == found.answer.params
            else {
                **_design(same, c_in),
                "more": same.params > found.answer.params,
                "margin": fmt_int(abs(same.params - found.answer.params)),
            },
        }
    if found.rank > 1:
        return {
            **out,
            "case": "ranked",
            "rank": found.rank,
            "best": _design(best, c_in),
            "margin": fmt_int(found.answer.params - best.params),
        }
    if len(found.ranked) == 1:
        return {**out, "case": "only"}
    runner_up = found.ranked[1]
    return {
        **out,
        "case": "best",
        "runner_up": _design(runner_up, c_in),
        "why": _why(best, runner_up),
        "margin": fmt_int(runner_up.params - best.params),
    }


def _layer_label(made_by: tuple[str, int] | None) -> Tex:
    """('conv', 5) -> \\text{conv } 5 \\times 5 (math); nothing for the input."""
    if made_by is None:
        return Tex("")
    kind, kernel = made_by
    return Tex(rf"\text{{{kind} }} {kernel} \times {kernel}")


def feature_map_context(p3: ConvnetResult) -> list[dict[str, Any]]:
    """Boxes and arrows of the feature-map drawing."""
    return [
        {
            "lower_left": coords([(box.x, -box.height / 2)]),
            "upper_right": coords([(box.x + box.width, box.height / 2)]),
            "below": coords([(box.x + box.width / 2, -box.height / 2)]),
            "left": coords([(box.x, 0.0)]),
            "right": coords([(box.x + box.width, 0.0)]),
            "label": Tex(r" \times ".join(str(n) for n in box.shape)),
            "arrow": _layer_label(box.made_by),
        }
        for box in feature_maps(p3)
    ]
