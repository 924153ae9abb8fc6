"""The derivation: SymPy's forms on generic symbols, each one exact string, and the check
that differentiates the written-out loss catches a wrong formula."""

from __future__ import annotations

from typing import Any

import pytest
import sympy as sp
from solgen_softmax.checks import wrong_derivatives
from solgen_softmax.derive import S, derive, z_c, z_i

from solgen.markup.latex import sym


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("loss", "-z_{c} + log(S)"),
        ("softmax", "exp(z_{i})/S"),
        ("dlogS", "exp(z_{i})/S"),
        ("dz_other", "exp(z_{i})/S"),
        ("dz_label", "-1 + exp(z_{c})/S"),
        ("dz", r"-\delta_{ic} + p_{i}"),
        ("dz_dW", "x_{j}"),
        ("dz_db", "1"),
        ("dW", r"x_{j}*(-\delta_{ic} + p_{i})"),
        ("db", r"-\delta_{ic} + p_{i}"),
    ],
)
def test_each_derived_form(name: str, expected: str) -> None:
    assert str(getattr(derive(), name)) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("loss", r"\log(S) - z_{c}"),
        ("dz_label", r"\frac{e^{z_{c}}}{S} - 1"),
        ("dz", r"p_{i} - \delta_{ic}"),
        ("dW", r"x_{j} (p_{i} - \delta_{ic})"),
    ],
)
def test_the_forms_print_in_textbook_order(name: str, expected: str) -> None:
    assert sym(getattr(derive(), name), order="rev-lex") == expected


def test_the_derived_derivative_is_the_derivative_of_the_loss() -> None:
    """Independently of derive(): differentiate -log(e^{z_c} / (e^{z_i} + e^{z_c} + R))."""
    rest = sp.Symbol("R", positive=True)
    for total, variable in ((sp.exp(z_i) + sp.exp(z_c) + rest, z_i), (sp.exp(z_c) + rest, z_c)):
        derivative = sp.diff(-sp.log(sp.exp(z_c) / total), variable)
        stated = derive().dz_other if variable == z_i else derive().dz_label
        assert sp.simplify(derivative - stated.subs(S, total)) == 0


@pytest.mark.parametrize("classes", [2, 3, 5, 10])
def test_the_written_out_loss_has_the_derived_gradient(classes: int) -> None:
    for c in range(classes):

        def formula(i: int, e: Any, total: Any, c: int = c) -> Any:
            return e / total - int(i == c)

        assert wrong_derivatives(classes, c, formula) == 0


def test_a_wrong_formula_is_caught() -> None:
    forgets_delta = wrong_derivatives(4, 2, lambda i, e, s: e / s)
    flipped = wrong_derivatives(4, 2, lambda i, e, s: int(i == 2) - e / s)
    off_by_one = wrong_derivatives(4, 2, lambda i, e, s: e / s - int(i == 1))
    assert (forgets_delta, flipped, off_by_one) == (1, 4, 2)
