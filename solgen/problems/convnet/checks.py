"""The convnet problem's self-check: a forward pass of random data through the layers: every
layer's shape, the target shape, and as many weights and biases as the stated count.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from solgen.markup.latex import fmt_int
from solgen.problems.convnet.derive import ConvnetResult
from solgen.problems.problem import Check, CheckRun

FORWARD_BUDGET = 300_000_000  # multiply-adds of a real forward pass (about a second)


def _forward_cost(p3: Any) -> int:
    return sum(
        layer.out_shape[0]
        * layer.out_shape[1]
        * layer.kernel**2
        * layer.in_shape[2]
        * layer.out_shape[2]
        for layer in p3.layers
        if layer.kind == "conv"
    )


def architecture_check(result: ConvnetResult) -> Check:
    """Random data through real convolutions and poolings: every shape, and the count.

    A network too large to run here (a 4096 x 4096 input with 4096 filters is valid input)
    runs with one channel a layer instead: the same spatial sizes, and the weight arrays'
    sizes counted as the full network's.
    """
    p3 = result
    full = _forward_cost(p3) <= FORWARD_BUDGET
    rng = np.random.default_rng(0)
    shape = p3.input if full else (p3.input[0], p3.input[1], 1)
    data = rng.standard_normal(shape).astype(np.float32)
    count, channels, shapes_agree = 0, p3.input[2], True
    for layer in p3.layers:
        if layer.kind == "pool":
            height, width, depth = data.shape
            data = data.reshape(height // 2, 2, width // 2, 2, depth).max(axis=(1, 3))
        else:
            k, out = layer.kernel, layer.out_shape[2]
            weights = rng.standard_normal((k, k, data.shape[2], out if full else 1))
            windows = np.lib.stride_tricks.sliding_window_view(data, (k, k), axis=(0, 1))
            # windows: (H', W', C, k, k); weights: (k, k, C, F)
            data = np.einsum("hwcij,ijcf->hwf", windows, weights.astype(np.float32), optimize=True)
            # the arrays' own sizes when they are the full network's, else k^2 C_in C_out + C_out
            count += (weights.size if full else k * k * channels * out) + out
            channels = out
        shapes_agree = shapes_agree and (*data.shape[:2], channels) == tuple(layer.out_shape)
    reached = (*data.shape[:2], channels)
    agree = shapes_agree and reached == tuple(p3.target) and count == p3.total_params
    error = 0.0 if agree else 1.0
    how = "" if full else " (one channel a layer: the network is too large to run here)"
    size = "x".join(map(str, reached))
    what = (
        f"a forward pass of random data through the layers gives every layer's stated shape, "
        f"{size} at the end, with {count:,} parameters{how}"
    )
    tex_size = r" \times ".join(map(str, reached))
    tex = (
        f"a forward pass of random data through the layers gives every layer's stated shape, "
        f"${tex_size}$ at the end, with ${fmt_int(count)}$ parameters{how}"
    )
    return Check("architecture_forward_pass", what, error, error == 0, tex)


def checks(result: ConvnetResult) -> list[tuple[str, CheckRun]]:
    """The convnet problem's check."""
    return [("architecture_forward_pass", lambda: architecture_check(result))]
