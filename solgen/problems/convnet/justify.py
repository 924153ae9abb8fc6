"""Problem 3's justification in numbers: the answer against every design the rules allow."""

from __future__ import annotations

from dataclasses import dataclass

from solgen.base.errors import InvalidInput
from solgen.problems.convnet.derive import ConvnetResult
from solgen.problems.convnet.design import Design, designs, doubling_filters, sequences
from solgen.problems.convnet.fields import ConvnetInput
from solgen.problems.convnet.rules import alternates


@dataclass(frozen=True)
class Comparison:
    """The answer among the designs of the rules: alternating conv/pool from a convolution,
    kernels from the list, filters halving back from the target's channels."""

    answer: Design  # the answer's kernels, filters, final pooling and count
    ranked: tuple[Design, ...]  # the rules' designs, best first; empty when none reaches
    rank: int | None  # the answer's place among them (1 = best), None when outside the rules
    alternates: bool  # conv, pool, conv, ... from a convolution
    unlisted: tuple[int, ...]  # the answer's kernels that are not in the list, each once
    rule_filters: tuple[int, ...]  # the rules' filters for the answer's number of convolutions
    # the best design with listed kernels and the answer's own filters (outside the rules only)
    same_filters_best: Design | None


def as_design(p3: ConvnetResult) -> Design:
    """The answer's layers as a design (kernels, filters, whether a pooling ends it, count)."""
    convs = [layer for layer in p3.layers if layer.kind == "conv"]
    return Design(
        kernels=tuple(layer.kernel for layer in convs),
        filters=tuple(layer.out_shape[2] for layer in convs),
        final_pool=p3.layers[-1].kind == "pool",
        params=p3.total_params,
    )


def _unranked(p3: ConvnetResult) -> ConvnetInput:
    return ConvnetInput(p3.input, p3.target, p3.kernel_sizes, layers=None, filters=None)


def compare(p3: ConvnetResult) -> Comparison | None:
    """The answer among the rules' designs; None when the rules allow too many to list."""
    answer = as_design(p3)
    if p3.designed:  # the answer is the search's winner
        return Comparison(answer, p3.designs, 1, True, (), answer.filters, None)
    inp = _unranked(p3)
    alternating = alternates([layer.kind for layer in p3.layers])
    try:
        found, _ = sequences(
            (p3.input[0], p3.input[1]), (p3.target[0], p3.target[1]), p3.kernel_sizes
        )
    except InvalidInput:  # more designs than the search lists
        return None
    ranked = tuple(designs(inp)) if found else ()
    rule_filters = doubling_filters(len(answer.kernels), p3.target[2])
    unlisted = tuple(sorted({k for k in answer.kernels if k not in p3.kernel_sizes}))
    in_rules = alternating and not unlisted and answer.filters == rule_filters
    rank = next((i + 1 for i, d in enumerate(ranked) if in_rules and _same_layers(d, answer)), None)
    same_filters = None
    if rank is None and alternating and unlisted:
        try:
            same_filters = designs(
                ConvnetInput(
                    p3.input, p3.target, p3.kernel_sizes, layers=None, filters=answer.filters
                )
            )[0]
        except InvalidInput:  # no listed design has as many convolutions
            same_filters = None
    return Comparison(answer, ranked, rank, alternating, unlisted, rule_filters, same_filters)


def _same_layers(a: Design, b: Design) -> bool:
    return (a.kernels, a.filters, a.final_pool) == (b.kernels, b.filters, b.final_pool)
