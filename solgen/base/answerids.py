"""Answer ids: the one naming of every answer (answers.csv's columns, the key's items)."""

from __future__ import annotations

import re
from collections.abc import Iterable

LOSS = "loss"
DB2 = "db2"
ETA_MAX = "eta_max"
ETA_MAX_EXACT = "eta_max_exact"  # answers.csv only: eta_max written exactly (not an item)
LAYERS = "layers"
TOTAL_PARAMS = "total_params"

# From this many rows or columns on, dW1_111 could be W1[1,11] or W1[11,1]: every W1 id of
# such a network separates row and column (dW1_1_11); smaller networks keep dW1_12.
SEPARATED_FROM = 10

_UNSEPARATED_W1 = re.compile(r"dW1_(\d+)")
_SEPARATED_W1 = re.compile(r"dW1_\d+_\d+")


def separated(hidden: int, inputs: int) -> bool:
    """Whether the W1 ids of a network with this many hidden units (rows of W1) and inputs
    (columns) put '_' between row and column."""
    return hidden >= SEPARATED_FROM or inputs >= SEPARATED_FROM


def _index(what: str, value: int | None, size: int | None = None) -> int:
    if value is None or isinstance(value, bool) or value < 1 or (size is not None and value > size):
        bound = f" to {size}" if size is not None else ""
        raise ValueError(f"{what}: expected a 1-based index from 1{bound}, found {value!r}")
    return value


def output_id(k: int) -> str:
    """The id of the output y_k (k from 1): y1, y2, ..."""
    return f"y{_index('y', k)}"


def eigenvalue_id(i: int) -> str:
    """The id of the i-th smallest eigenvalue (i from 1): lambda1, lambda2, ..."""
    return f"lambda{_index('lambda', i)}"


def gradient_id(
    name: str, j: int | None = None, i: int | None = None, *, shape: tuple[int, int] | None = None
) -> str:
    """The id of dL/d(name)[j, i], indices from 1.

    name "W1" needs the row j, the column i and the network's shape (hidden, inputs), the
    size of W1: dW1_12 while both are at most 9, dW1_1_11 (every entry) when either is 10 or
    more. "b1" and "w2" need the entry j: db1_3, dw2_3. "b2" takes none: db2.
    """
    if name not in ("W1", "b1", "w2", "b2"):
        raise ValueError(f"unknown parameter {name!r}: expected W1, b1, w2 or b2")
    if name == "W1":
        if shape is None:
            raise ValueError("W1: the network's shape (hidden, inputs) is needed")
        hidden, inputs = shape
        row, column = _index("W1 row", j, hidden), _index("W1 column", i, inputs)
        return f"dW1_{row}_{column}" if separated(hidden, inputs) else f"dW1_{row}{column}"
    if i is not None or shape is not None:
        raise ValueError(f"{name}: a vector or a number has no column and no shape")
    if name == "b2":
        if j is not None:
            raise ValueError("b2: a number has no index")
        return DB2
    return f"d{name}_{_index(name, j)}"


def w1_hint(name: str, known: Iterable[str]) -> str:
    """A hint for a name written as an unseparated W1 id (dW1_111) where the known ids
    separate row and column; '' otherwise."""
    if _UNSEPARATED_W1.fullmatch(name) is None:
        return ""
    if not any(_SEPARATED_W1.fullmatch(k) for k in known):
        return ""
    return (
        f" (a network with {SEPARATED_FROM} or more inputs or hidden units names W1's entries "
        "dW1_<row>_<column>, such as dW1_1_11)"
    )
