"""The convnet problem's templates' context: every number and formula as TeX, no prose."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from solgen.markup.latex import (
    Tex,
    fmt_int,
)
from solgen.markup.plotting import coords
from solgen.problems.convnet.derive import ConvnetResult
from solgen.problems.convnet.design import Design
from solgen.problems.convnet.fields import ConvnetInput
from solgen.problems.convnet.figures import feature_maps
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
    sizes = [f"{k} \\times {k}" for k in kernel_sizes]
    kernel_list = sizes[0]
    if len(sizes) > 1:
        kernel_list = ", ".join(sizes[:-1]) + r" \text{ or } " + sizes[-1]
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
    """The convnet problem's table rows and totals."""
    layers = []
    conv_index = pool_index = 0
    for layer in p3.layers:
        if layer.kind == "conv":
            conv_index += 1
            index = conv_index
        else:
            pool_index += 1
            index = pool_index
        h_in, w_in, c_in = layer.in_shape
        h_out, w_out, c_out = layer.out_shape
        layers.append(
            {
                "kind": layer.kind,
                "index": index,
                "kernel": Tex(f"{layer.kernel} \\times {layer.kernel}"),
                "k": layer.kernel,
                "in_size": Tex(f"{h_in} \\times {w_in}"),
                "in_h": h_in,
                "in_w": w_in,
                "in_channels": c_in,
                "out_size": Tex(f"{h_out} \\times {w_out}"),
                "out_h": h_out,
                "out_w": w_out,
                "out_channels": c_out,
                "weights": fmt_int(layer.weights),
                "biases": fmt_int(layer.biases),
                "params": fmt_int(layer.params),
                "square": h_in == w_in,
            }
        )
    conv_params = [fmt_int(layer.params) for layer in p3.layers if layer.kind == "conv"]
    return {
        **_statement(p3.input, p3.target, p3.kernel_sizes, _rules(p3)),
        "layers": layers,
        "conv_sum": Tex(" + ".join(conv_params))
        if len(conv_params) > 1
        else Tex("\\text{parameters}"),
        "total": fmt_int(p3.total_params),
        **_heaviest_context(p3),
        # the design in one line, for the answer: conv 5x5, 8 filters -> pool -> ...
        "design_line": Tex(
            r" \to ".join(
                rf"\text{{conv }} {layer.kernel} \times {layer.kernel}\ ({layer.out_shape[2]})"
                if layer.kind == "conv"
                else r"\text{pool}"
                for layer in p3.layers
            )
        ),
        "designed": p3.designed,
        "maps": feature_map_context(p3),
        **(_designs_context(p3) if p3.designed else {}),
    }


def _heaviest_context(p3: ConvnetResult) -> dict[str, Any]:
    """Where the parameters are: the convolution that holds most of them, and its share."""
    convs = [(i + 1, layer) for i, layer in enumerate(p3.layers) if layer.kind == "conv"]
    if len(convs) < 2 or p3.total_params == 0:
        return {"heaviest": None}
    index, layer = max(convs, key=lambda pair: pair[1].params)
    conv_number = [i for i, _ in convs].index(index) + 1
    share = Fraction(layer.params, p3.total_params)
    return {
        "heaviest": {
            "conv": conv_number,
            "params": fmt_int(layer.params),
            "percent": Tex(str(round(share * 100))),
            "last": index == convs[-1][0],
        }
    }


# The document lists every alternative design when there are at most this many, else the best.
ALTERNATIVES_SHOWN = 10


def _why(best: Design, runner_up: Design) -> str:
    """Which rule of the ranking puts the best design first."""
    if best.params != runner_up.params:
        return "params"
    return "layers" if best.depth != runner_up.depth else "kernels"


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
        "best_params": fmt_int(best.params),
        "best_depth": best.depth,
        "runner_up_params": fmt_int(runner_up.params) if runner_up else None,
        "runner_up_depth": runner_up.depth if runner_up else None,
        "margin": fmt_int(runner_up.params - best.params) if runner_up else None,
        "filters_fixed": p3.fixed_filters,
        "best_filters": Tex(", ".join(str(f) for f in best.filters)),
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
