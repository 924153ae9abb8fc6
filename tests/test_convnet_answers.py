"""problems/convnet/answers.py: the key part of the convnet problem counts as the solution does."""

from __future__ import annotations

import pytest

from solgen.problems.convnet.answers import key_context, parse_layers
from solgen.problems.problem import Unreadable


def test_a_key_says_one_filter_not_1_filters():
    section = {
        "input": [8, 8, 1],
        "target": [2, 2, 1],
        "total_params": 26,
        "layers": [
            {"type": "conv", "kernel": 5, "out_channels": 1},
            {"type": "pool", "kernel": 2},
            {"type": "conv", "kernel": 1, "out_channels": 3},
        ],
    }
    assert key_context(section)["layers"] == [
        "conv $5$, one filter",
        r"pool $2 \times 2$",
        "conv $1$, 3 filters",
    ]


@pytest.mark.parametrize(
    ("text", "layers"),
    [
        ("conv5:8 pool conv5:32 pool conv2:64", "c5:8 p c5:32 p c2:64"),
        ("conv 5:16 maxpool conv 3:8", "c5:16 p c3:8"),
        (
            "Conv 5x5 (8 filters) -> MaxPool -> Conv 5x5 (32 filters) -> MaxPool 2x2 "
            "-> conv 2x2, 64 filters",
            "c5:8 p c5:32 p c2:64",
        ),
        ("conv5:8, pool, conv5:32; max-pool | conv2:64", "c5:8 p c5:32 p c2:64"),
        ("conv5x5:8 pool2 convolution 3x3: 4 → pooling", "c5:8 p c3:4 p"),
    ],
)
def test_a_design_is_read_as_students_write_it(text, layers):
    found = " ".join(f"c{k}:{f}" if kind == "conv" else "p" for kind, k, f in parse_layers(text))
    assert found == layers


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("conv5", "'conv5' is not a layer"),
        ("conv5:8pool", "'conv5:8pool' is not a layer"),
        ("conv5:8 dense", "'dense' is not a layer"),
        ("", "no layers"),
        (" , ; ", "no layers"),
    ],
)
def test_what_is_not_a_design_says_which_part(text, message):
    with pytest.raises(Unreadable) as caught:
        parse_layers(text)
    assert str(caught.value).startswith(message) and caught.value.column == "layers"
