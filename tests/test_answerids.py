"""answerids.py: one name for every answer, distinct on every shape, used by every reader."""

from __future__ import annotations

import re

import pytest

from solgen.base.answerids import eigenvalue_id, gradient_id, output_id, separated, w1_hint
from solgen.course.answerkey import items_of
from solgen.course.classfiles import answers_csv, flatten
from solgen.problems.convnet.answers import ITEM_IDS as PROBLEM3_IDS
from solgen.problems.descent.answers import item_ids as problem2_ids
from solgen.problems.network.answers import item_ids as problem1_ids


def w1_ids(hidden: int, inputs: int) -> list[str]:
    shape = (hidden, inputs)
    return [
        gradient_id("W1", j, i, shape=shape)
        for j in range(1, hidden + 1)
        for i in range(1, inputs + 1)
    ]


def test_a_2x3_network_keeps_todays_ids():
    assert w1_ids(2, 3) == ["dW1_11", "dW1_12", "dW1_13", "dW1_21", "dW1_22", "dW1_23"]
    assert problem1_ids(4, 2, 3) == [
        "loss",
        "y1",
        "y2",
        "y3",
        "y4",
        "dW1_11",
        "dW1_12",
        "dW1_13",
        "dW1_21",
        "dW1_22",
        "dW1_23",
        "db1_1",
        "db1_2",
        "dw2_1",
        "dw2_2",
        "db2",
    ]
    assert problem2_ids(2) == ["lambda1", "lambda2", "eta_max"]
    assert PROBLEM3_IDS == ("layers", "total_params")


def test_a_9x9_network_has_no_separator_and_81_distinct_ids():
    ids = w1_ids(9, 9)
    assert ids[:3] == ["dW1_11", "dW1_12", "dW1_13"]
    assert ids[8:10] == ["dW1_19", "dW1_21"]
    assert ids[-1] == "dW1_99"
    assert len(set(ids)) == 81
    assert all(len(i) == len("dW1_11") for i in ids)
    assert not separated(9, 9)


def test_an_11x11_network_separates_row_and_column_everywhere():
    shape = (11, 11)
    assert gradient_id("W1", 1, 11, shape=shape) == "dW1_1_11"
    assert gradient_id("W1", 11, 1, shape=shape) == "dW1_11_1"
    assert gradient_id("W1", 1, 1, shape=shape) == "dW1_1_1"  # every id, not only the long ones
    assert gradient_id("W1", 11, 11, shape=shape) == "dW1_11_11"
    ids = w1_ids(11, 11)
    assert len(ids) == len(set(ids)) == 121
    assert ids[10:12] == ["dW1_1_11", "dW1_2_1"]
    assert "dW1_111" not in ids


def test_a_12x40_network():
    ids = w1_ids(12, 40)
    assert len(ids) == len(set(ids)) == 480
    assert ids[0] == "dW1_1_1" and ids[39] == "dW1_1_40" and ids[40] == "dW1_2_1"
    assert ids[-1] == "dW1_12_40"
    assert gradient_id("b1", 12) == "db1_12" and gradient_id("w2", 12) == "dw2_12"


@pytest.mark.parametrize(
    ("hidden", "inputs", "expected"),
    [(9, 9, "dW1_92"), (10, 9, "dW1_9_2"), (9, 10, "dW1_9_2"), (1, 10, None), (10, 1, None)],
)
def test_ten_rows_or_ten_columns_separate(hidden, inputs, expected):
    assert separated(hidden, inputs) == (hidden >= 10 or inputs >= 10)
    if expected is not None:
        assert gradient_id("W1", 9, 2, shape=(hidden, inputs)) == expected
    else:
        assert gradient_id("W1", 1, 1, shape=(hidden, inputs)) == "dW1_1_1"


@pytest.mark.parametrize(
    ("samples", "hidden", "inputs"), [(3, 2, 3), (9, 9, 9), (11, 11, 11), (12, 12, 40)]
)
def test_every_id_of_a_variant_is_distinct(samples, hidden, inputs):
    ids = [*problem1_ids(samples, hidden, inputs), *problem2_ids(12), *PROBLEM3_IDS]
    assert len(ids) == len(set(ids))
    assert len(ids) == 1 + samples + hidden * inputs + 2 * hidden + 1 + 12 + 1 + 2


def test_the_other_ids():
    assert [output_id(k) for k in (1, 12)] == ["y1", "y12"]
    assert [eigenvalue_id(i) for i in (1, 10)] == ["lambda1", "lambda10"]
    assert gradient_id("b2") == "db2"


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("W1", 1, 2), {}, "W1: the network's shape (hidden, inputs) is needed"),
        (("W1", 0, 1), {"shape": (2, 2)}, "W1 row: expected a 1-based index from 1 to 2, found 0"),
        (("W1", 1, 3), {"shape": (2, 2)}, "W1 column: expected a 1-based index from 1 to 2"),
        (("b1",), {}, "b1: expected a 1-based index from 1, found None"),
        (("b1", 1, 1), {}, "b1: a vector or a number has no column and no shape"),
        (("b2", 1), {}, "b2: a number has no index"),
        (("W2", 1, 1), {}, "unknown parameter 'W2': expected W1, b1, w2 or b2"),
    ],
)
def test_a_wrong_index_is_an_error_not_an_id(args, kwargs, message):
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        gradient_id(*args, **kwargs)


def test_a_hint_for_an_unseparated_w1_id_where_the_class_separates():
    wide = set(w1_ids(11, 11))
    assert w1_hint("dW1_111", wide) == (
        " (a network with 10 or more inputs or hidden units names W1's entries "
        "dW1_<row>_<column>, such as dW1_1_11)"
    )
    assert w1_hint("dW1_111", set(w1_ids(2, 3))) == ""
    assert w1_hint("loss", wide) == ""


def results_of(samples: int, hidden: int, inputs: int, eigenvalues: int = 2) -> dict:
    """A results.json of this shape (the values count the entries, for checking the order)."""
    counter = iter(range(1, 10**6))
    return {
        "problem1": {
            "y": [float(next(counter)) for _ in range(samples)],
            "loss": 0.5,
            "grad": {
                "W1": [[float(next(counter)) for _ in range(inputs)] for _ in range(hidden)],
                "b1": [float(next(counter)) for _ in range(hidden)],
                "w2": [float(next(counter)) for _ in range(hidden)],
                "b2": -1.0,
            },
        },
        "problem2": {
            "eigenvalues": [float(i + 1) for i in range(eigenvalues)],
            "eigenvalues_exact": [str(i + 1) for i in range(eigenvalues)],
            "eta_max": 1 / eigenvalues,
            "eta_max_exact": f"1/{eigenvalues}",
        },
        "problem3": {
            "layers": [{"type": "conv", "kernel": 5, "out_channels": 8}, {"type": "pool"}],
            "total_params": 608,
        },
    }


@pytest.mark.parametrize(
    ("samples", "hidden", "inputs"), [(3, 2, 3), (9, 9, 9), (3, 11, 11), (2, 12, 40)]
)
def test_answers_csv_and_the_key_name_every_answer_alike(samples, hidden, inputs):
    results = results_of(samples, hidden, inputs)
    p1 = problem1_ids(samples, hidden, inputs)
    row = flatten(results)
    assert list(row) == [*p1, "lambda1", "lambda2", "eta_max", "eta_max_exact", "total_params"]
    # the values are where the ids say: W1[j, i] is the (j - 1) * inputs + i-th gradient entry
    last = gradient_id("W1", hidden, inputs, shape=(hidden, inputs))
    assert row[last] == samples + hidden * inputs
    header = answers_csv({"0001": results}).splitlines()[0].split(",")
    assert header == ["id", "seed", *row]
    items = items_of(results)
    assert [item.id for item in items] == [*p1, *problem2_ids(2), *PROBLEM3_IDS]
    assert len({item.id for item in items}) == len(items)
    for item in items:
        if item.group == "dW1":
            assert item.value == row[item.id]
