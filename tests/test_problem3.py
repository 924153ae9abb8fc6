"""Problem 3: conv/pool shapes and parameter counts, checked against a NumPy forward pass."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.lib.stride_tricks import sliding_window_view

from solgen.base.errors import InvalidInput
from solgen.document.variant import build_variant
from solgen.problems.convnet import design as p3_design
from solgen.problems.convnet.derive import LayerResult, apply_layer, check_layers, solve
from solgen.problems.convnet.fields import ConvnetInput, Layer


def conv(k: int, filters: int) -> Layer:
    return Layer(kind="conv", kernel=k, filters=filters)


POOL = Layer(kind="pool", kernel=2)

SEED_LAYERS = (conv(5, 8), POOL, conv(5, 32), POOL, conv(2, 64))


def problem(input_shape, target, layers) -> ConvnetInput:
    return ConvnetInput(
        input=tuple(input_shape),
        target=tuple(target),
        kernel_sizes=(3, 5, 7),
        layers=None if layers is None else tuple(layers),
        filters=None,
    )


SEED = problem((32, 32, 3), (4, 4, 64), SEED_LAYERS)


# ---------------------------------------------------------------------------------------------
# An independent forward pass: valid convolution (stride 1, no padding), 2x2/stride-2 max-pool


def np_conv(x: np.ndarray, weights: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """x: (H, W, C); weights: (k, k, C, F); bias: (F,) -> (H-k+1, W-k+1, F)."""
    k = weights.shape[0]
    windows = sliding_window_view(x, (k, k), axis=(0, 1))  # (H-k+1, W-k+1, C, k, k)
    return np.einsum("hwcij,ijcf->hwf", windows, weights) + bias


def np_conv_loops(x: np.ndarray, weights: np.ndarray, bias: np.ndarray) -> np.ndarray:
    k = weights.shape[0]
    h, w, _ = x.shape
    out = np.zeros((h - k + 1, w - k + 1, weights.shape[3]))
    for i in range(h - k + 1):
        for j in range(w - k + 1):
            for f in range(weights.shape[3]):
                out[i, j, f] = np.sum(x[i : i + k, j : j + k, :] * weights[:, :, :, f]) + bias[f]
    return out


def np_pool(x: np.ndarray) -> np.ndarray:
    h, w, c = x.shape
    assert h % 2 == 0 and w % 2 == 0
    return x.reshape(h // 2, 2, w // 2, 2, c).max(axis=(1, 3))


def np_pool_loops(x: np.ndarray) -> np.ndarray:
    h, w, c = x.shape
    out = np.empty((h // 2, w // 2, c))
    for i in range(h // 2):
        for j in range(w // 2):
            out[i, j] = x[2 * i : 2 * i + 2, 2 * j : 2 * j + 2].max(axis=(0, 1))
    return out


def forward(input_shape, layers, seed: int = 0):
    """Run a random tensor through the layers; (output shape, parameter count) per layer."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(input_shape)
    seen = []
    for layer in layers:
        if layer.kind == "conv":
            weights = rng.standard_normal((layer.kernel, layer.kernel, x.shape[2], layer.filters))
            bias = rng.standard_normal(layer.filters)
            x = np_conv(x, weights, bias)
            seen.append((x.shape, weights.size + bias.size))
        else:
            x = np_pool(x)
            seen.append((x.shape, 0))
    return seen


def test_the_reference_forward_pass_agrees_with_plain_loops():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((7, 6, 3))
    weights = rng.standard_normal((3, 3, 3, 4))
    bias = rng.standard_normal(4)
    assert np.allclose(np_conv(x, weights, bias), np_conv_loops(x, weights, bias), atol=1e-12)
    y = rng.standard_normal((6, 8, 2))
    assert np.array_equal(np_pool(y), np_pool_loops(y))
    assert np_conv(x, weights, bias).shape == (5, 4, 4)
    assert np_pool(y).shape == (3, 4, 2)


# ---------------------------------------------------------------------------------------------
# The seed architecture


def test_seed_is_the_default_variant():
    assert build_variant({}).input_of("problem3") == SEED


def test_seed_table():
    r = solve(SEED)
    assert r.input == (32, 32, 3)
    assert r.target == (4, 4, 64)
    assert r.designed is False
    assert [layer.kind for layer in r.layers] == ["conv", "pool", "conv", "pool", "conv"]
    assert [layer.kernel for layer in r.layers] == [5, 2, 5, 2, 2]
    assert [layer.in_shape for layer in r.layers] == [
        (32, 32, 3),
        (28, 28, 8),
        (14, 14, 8),
        (10, 10, 32),
        (5, 5, 32),
    ]
    assert [layer.out_shape for layer in r.layers] == [
        (28, 28, 8),
        (14, 14, 8),
        (10, 10, 32),
        (5, 5, 32),
        (4, 4, 64),
    ]
    assert [layer.weights for layer in r.layers] == [600, 0, 6400, 0, 8192]
    assert [layer.biases for layer in r.layers] == [8, 0, 32, 0, 64]
    assert [layer.params for layer in r.layers] == [608, 0, 6432, 0, 8256]
    assert r.total_params == 15296


def test_seed_table_matches_the_forward_pass():
    r = solve(SEED)
    seen = forward((32, 32, 3), SEED_LAYERS)
    assert [layer.out_shape for layer in r.layers] == [shape for shape, _ in seen]
    assert [layer.params for layer in r.layers] == [params for _, params in seen]


# ---------------------------------------------------------------------------------------------
# Other architectures, each against the forward pass and an independent count


ARCHITECTURES = [
    ((32, 32, 3), SEED_LAYERS),
    ((12, 16, 2), (conv(3, 4), POOL, conv(3, 5))),
    ((12, 16, 2), (conv(5, 3), POOL, conv(3, 6), POOL)),
    ((9, 9, 1), (conv(2, 1), POOL, conv(4, 7))),
    ((28, 28, 1), (conv(5, 6), POOL, conv(5, 16), POOL, conv(4, 10))),
    ((6, 10, 4), (POOL, conv(3, 2), conv(1, 3))),
    ((5, 7, 3), (conv(5, 2),)),  # kernel equal to the height
    ((8, 8, 3), (POOL, POOL, POOL)),  # down to 1x1
    ((20, 16, 3), (conv(7, 12), POOL, conv(3, 9), conv(3, 9))),
]


def independent_count(input_shape, layers):
    """Shapes and parameter counts by the textbook formulas, written out again."""
    h, w, c = input_shape
    rows = []
    for layer in layers:
        if layer.kind == "conv":
            k, f = layer.kernel, layer.filters
            params = k * k * c * f + f
            h, w, c = h - k + 1, w - k + 1, f
        else:
            params = 0
            h, w = h // 2, w // 2
        rows.append(((h, w, c), params))
    return rows


@pytest.mark.parametrize(("input_shape", "layers"), ARCHITECTURES)
def test_architectures_match_forward_pass_and_count(input_shape, layers):
    seen = forward(input_shape, layers, seed=len(layers))
    target = seen[-1][0]
    r = solve(problem(input_shape, target, layers))
    assert [layer.out_shape for layer in r.layers] == [shape for shape, _ in seen]
    assert [layer.params for layer in r.layers] == [params for _, params in seen]
    assert [(layer.out_shape, layer.params) for layer in r.layers] == independent_count(
        input_shape, layers
    )
    assert r.total_params == sum(params for _, params in seen)
    assert r.layers[0].in_shape == tuple(input_shape)
    for before, after in zip(r.layers, r.layers[1:], strict=False):
        assert after.in_shape == before.out_shape
    for layer, given_layer in zip(r.layers, layers, strict=True):
        assert layer.kind == given_layer.kind
        assert layer.kernel == given_layer.kernel
        assert layer.params == layer.weights + layer.biases
        if layer.kind == "pool":
            assert (layer.weights, layer.biases) == (0, 0)
        else:
            assert layer.biases == given_layer.filters
    assert check_layers(r_input := problem(input_shape, target, layers), layers) == r.layers
    assert r_input.layers == tuple(layers)


# ---------------------------------------------------------------------------------------------
# apply_layer, one layer at a time


@pytest.mark.parametrize(
    ("layer", "shape", "expected"),
    [
        (conv(3, 4), (5, 6, 2), LayerResult("conv", 3, (5, 6, 2), (3, 4, 4), 72, 4)),
        (conv(1, 1), (1, 1, 1), LayerResult("conv", 1, (1, 1, 1), (1, 1, 1), 1, 1)),
        (POOL, (4, 6, 3), LayerResult("pool", 2, (4, 6, 3), (2, 3, 3), 0, 0)),
        (POOL, (2, 2, 9), LayerResult("pool", 2, (2, 2, 9), (1, 1, 9), 0, 0)),
        (conv(5, 8), (4, 9, 3), "kernel 5x5 is larger than its 4x9 input"),
        (conv(5, 8), (9, 4, 3), "kernel 5x5 is larger than its 9x4 input"),
        (POOL, (7, 7, 8), "2x2 pooling with stride 2 needs even sizes, found 7x7"),
        (POOL, (6, 5, 8), "2x2 pooling with stride 2 needs even sizes, found 6x5"),
        (POOL, (1, 4, 8), "2x2 pooling needs at least a 2x2 input, found 1x4"),
        (POOL, (1, 1, 8), "2x2 pooling needs at least a 2x2 input, found 1x1"),
    ],
)
def test_apply_layer(layer, shape, expected):
    assert apply_layer(layer, shape) == expected


# ---------------------------------------------------------------------------------------------
# Invalid architectures name the layer and say why


def _messages(inp: ConvnetInput) -> list[str]:
    with pytest.raises(InvalidInput) as info:
        solve(inp)
    assert str(info.value) == "\n".join(info.value.problems)
    return info.value.problems


def test_kernel_larger_than_its_input():
    inp = problem((12, 12, 3), (1, 1, 32), (conv(5, 8), POOL, conv(5, 32)))
    assert _messages(inp) == [
        "problem3.layers[2] (conv 5x5, 32 filters): kernel 5x5 is larger than its 4x4 input"
    ]


def test_kernel_larger_than_the_input_itself():
    inp = problem((3, 10, 1), (1, 8, 4), (conv(4, 4),))
    assert _messages(inp) == [
        "problem3.layers[0] (conv 4x4, 4 filters): kernel 4x4 is larger than its 3x10 input"
    ]


def test_pooling_an_odd_size():
    inp = problem((32, 32, 3), (4, 4, 64), (conv(4, 8), POOL, conv(5, 32), POOL))
    assert _messages(inp) == [
        "problem3.layers[1] (pool 2x2): 2x2 pooling with stride 2 needs even sizes, found 29x29"
    ]


def test_pooling_a_single_row():
    inp = problem((3, 8, 2), (1, 4, 2), (conv(3, 2), POOL))
    assert _messages(inp) == [
        "problem3.layers[1] (pool 2x2): 2x2 pooling needs at least a 2x2 input, found 1x6"
    ]


def test_final_shape_differs_from_the_target():
    inp = problem((32, 32, 3), (5, 5, 64), SEED_LAYERS)
    assert _messages(inp) == [
        "problem3.layers: the last layer (conv 2x2, 64 filters) outputs 4x4x64, "
        "expected problem3.target 5x5x64"
    ]


def test_final_channels_differ_from_the_target():
    inp = problem((32, 32, 3), (4, 4, 32), SEED_LAYERS)
    (message,) = _messages(inp)
    assert "problem3.target" in message
    assert "4x4x64" in message
    assert "4x4x32" in message


def test_final_layer_a_pool_in_the_mismatch_message():
    inp = problem((8, 8, 3), (2, 2, 4), (conv(1, 4), POOL))
    assert _messages(inp) == [
        "problem3.layers: the last layer (pool 2x2) outputs 4x4x4, expected problem3.target 2x2x4"
    ]


def test_missing_layers_means_design():
    result = solve(problem((32, 32, 3), (4, 4, 64), None))
    assert result.designed is True
    assert [(d.kernels, d.final_pool, d.params) for d in result.designs] == [
        ((5, 3, 3), False, 24352),
        ((5, 7), True, 102848),
    ]
    assert result.total_params == 24352


# ---------------------------------------------------------------------------------------------
# Random architectures: the table, or the first misfit, agrees with an independent walk


layer_strategy = st.one_of(
    st.just(POOL),
    st.builds(conv, st.integers(1, 6), st.integers(1, 6)),
)


@settings(max_examples=60, deadline=None)
@given(
    st.tuples(st.integers(1, 24), st.integers(1, 24), st.integers(1, 4)),
    st.lists(layer_strategy, min_size=1, max_size=5),
    st.booleans(),
)
def test_random_architectures(input_shape, layers, hit_target):
    h, w, c = input_shape
    misfit = None
    shapes = []
    for index, layer in enumerate(layers):
        if layer.kind == "conv":
            if layer.kernel > min(h, w):
                misfit = (index, "is larger than")
                break
            h, w, c = h - layer.kernel + 1, w - layer.kernel + 1, layer.filters
        else:
            if h < 2 or w < 2:
                misfit = (index, "needs at least a 2x2 input")
                break
            if h % 2 or w % 2:
                misfit = (index, "needs even sizes")
                break
            h, w = h // 2, w // 2
        shapes.append((h, w, c))
    target = (h, w, c) if hit_target else (h, w, c + 1)
    inp = problem(input_shape, target, layers)
    if misfit is not None:
        (message,) = _messages(inp)
        assert message.startswith(f"problem3.layers[{misfit[0]}] (")
        assert misfit[1] in message
        return
    if not hit_target:
        (message,) = _messages(inp)
        assert message.startswith("problem3.layers: the last layer")
        assert f"outputs {h}x{w}x{c}, expected problem3.target {h}x{w}x{c + 1}" in message
        return
    r = solve(inp)
    assert [layer.out_shape for layer in r.layers] == shapes
    seen = forward(input_shape, layers)
    assert [(layer.out_shape, layer.params) for layer in r.layers] == seen
    assert r.total_params == sum(params for _, params in seen)


def test_empty_layer_list_is_invalid_input():
    inp = ConvnetInput(
        input=(8, 8, 3), target=(4, 4, 8), kernel_sizes=(3,), layers=(), filters=None
    )
    with pytest.raises(InvalidInput) as err:
        check_layers(inp, ())
    assert err.value.problems == ["problem3.layers: expected at least one layer, found none"]


# ---------------------------------------------------------------------------------------------
# Designing: the search finds every valid sequence (brute force), ranks them, explains failures


def brute_force_sequences(size, target, kernels, max_convs=6):
    """Every op string conv (pool conv)* [pool] up to max_convs convolutions, simulated."""
    found = set()

    def simulate(ops):
        h, w = size
        for op in ops:
            if op == "pool":
                if h % 2 or w % 2:
                    return None
                h, w = h // 2, w // 2
            else:
                if op > h or op > w:
                    return None
                h, w = h - op + 1, w - op + 1
        return h, w

    def strings(n_convs):
        if n_convs == 1:
            yield from ([k] for k in kernels)
            return
        for head in strings(n_convs - 1):
            for k in kernels:
                yield [*head, "pool", k]

    for n in range(1, max_convs + 1):
        for ops in strings(n):
            for tail in ([], ["pool"]):
                if simulate(ops + tail) == target:
                    found.add((tuple(op for op in ops if op != "pool"), bool(tail)))
    return found


@pytest.mark.parametrize(
    ("size", "target", "kernels"),
    [
        ((32, 32), (4, 4), (3, 5, 7)),
        ((32, 32), (4, 4), (1, 2, 3, 5)),
        ((28, 28), (5, 5), (3, 5)),
        ((30, 26), (6, 4), (1, 3, 5)),
        ((40, 40), (1, 1), (2, 3, 4)),
        ((16, 16), (16, 16), (1,)),
        ((20, 20), (7, 7), (3, 5)),
    ],
)
def test_search_finds_every_sequence(size, target, kernels):
    found, reachable = p3_design.sequences(size, target, kernels)
    as_set = {(s.kernels, s.final_pool) for s in found}
    assert len(as_set) == len(found)  # no duplicates
    assert as_set == brute_force_sequences(size, target, kernels)
    if as_set:
        assert target in reachable


@settings(max_examples=40, deadline=None)
@given(
    st.integers(4, 40),
    st.integers(4, 40),
    st.integers(1, 8),
    st.integers(1, 8),
    st.sets(st.integers(1, 6), min_size=1, max_size=3),
)
def test_search_equals_brute_force_random(h, w, th, tw, kernels):
    kernels = tuple(sorted(kernels))
    found, _ = p3_design.sequences((h, w), (th, tw), kernels)
    assert {(s.kernels, s.final_pool) for s in found} == brute_force_sequences(
        (h, w), (th, tw), kernels
    )


def test_designs_are_ranked_and_pass_the_forward_pass():
    inp = ConvnetInput(
        input=(32, 32, 3), target=(4, 4, 64), kernel_sizes=(1, 2, 3, 5), layers=None, filters=None
    )
    ranked = p3_design.designs(inp)
    keys = [(d.params, d.depth, d.kernels) for d in ranked]
    assert keys == sorted(keys)
    for d in ranked:
        seen = forward((32, 32, 3), d.layers())
        assert seen[-1][0] == (4, 4, 64)
        assert sum(params for _, params in seen) == d.params
    best = solve(inp)
    assert best.total_params == ranked[0].params
    assert [(layer.kind, layer.kernel) for layer in best.layers] == [
        (layer.kind, layer.kernel) for layer in ranked[0].layers()
    ]


@pytest.mark.parametrize(
    ("count", "channels", "expected"),
    [(3, 64, (16, 32, 64)), (1, 64, (64,)), (4, 10, (1, 2, 5, 10)), (3, 1, (1, 1, 1))],
)
def test_doubling_filters(count, channels, expected):
    assert p3_design.doubling_filters(count, channels) == expected


def test_fixed_filters_select_the_number_of_convolutions():
    inp = ConvnetInput(
        input=(32, 32, 3),
        target=(4, 4, 64),
        kernel_sizes=(3, 5, 7),
        layers=None,
        filters=(8, 64),
    )
    (design,) = p3_design.designs(inp)
    assert design.kernels == (5, 7) and design.filters == (8, 64)
    assert design.params == 5 * 5 * 3 * 8 + 8 + 7 * 7 * 8 * 64 + 64


def test_fixed_filters_with_no_matching_depth():
    inp = ConvnetInput(
        input=(32, 32, 3),
        target=(4, 4, 64),
        kernel_sizes=(3, 5, 7),
        layers=None,
        filters=(64,),
    )
    with pytest.raises(InvalidInput) as err:
        p3_design.designs(inp)
    assert err.value.problems == [
        "problem3.filters: 1 entry asks for 1 convolution, but the designs that reach 4x4 "
        "have 2 or 3 convolutions"
    ]


def test_unreachable_target_names_the_nearest_sizes():
    # with 5x5 kernels only: 32 -> 28 -> 14 -> 10 -> 5 -> 1
    inp = ConvnetInput(
        input=(32, 32, 3), target=(6, 6, 64), kernel_sizes=(5,), layers=None, filters=None
    )
    with pytest.raises(InvalidInput) as err:
        solve(inp)
    assert err.value.problems == [
        "problem3.target: 6x6 cannot be reached from 32x32 by alternating convolutions "
        "(kernels 5) and 2x2 poolings; the nearest reachable sizes are 5x5, 10x10, 1x1"
    ]
