"""problems/convnet/answers.py: the key part of the convnet problem counts as the solution does."""

from __future__ import annotations

from solgen.problems.convnet.answers import key_context


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
