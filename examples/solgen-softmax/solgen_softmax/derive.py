"""The softmax cross-entropy's derivatives, derived by SymPy on generic symbols and verified.

As solgen's network problem does, the derivation works on one generic entry: the logit z_i
being differentiated, the label's logit z_c, and a symbol R for the exponentials of every
other logit (which z_i does not touch), so that the result holds for any number of classes.
It is done twice, for i != c and for i = c; then S = sum_j e^{z_j} is named again and each
case is proved equal (sp.simplify of the difference is 0) to the one formula

    dL/dz_i = p_i - delta_ic,   p_i = e^{z_i} / S,

and the chain rule through z_i = W_ij x_j + b_i + (the other terms) gives dL/dW_ij and
dL/db_i, each proved equal to (p_i - delta_ic) x_j and p_i - delta_ic.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sympy as sp

from solgen.base.errors import DerivationError

# Display names double as SymPy symbol names, so sympy.latex prints textbook notation.
z_i = sp.Symbol("z_{i}", real=True)
z_c = sp.Symbol("z_{c}", real=True)
S = sp.Symbol("S", positive=True)  # sum_j e^{z_j}
R = sp.Symbol("R", positive=True)  # the exponentials of the logits other than z_i and z_c
p_i = sp.Symbol("p_{i}", positive=True)
delta = sp.Symbol(r"\delta_{ic}", real=True)  # 1 when i = c, else 0
W_ij = sp.Symbol("W_{ij}", real=True)
x_j = sp.Symbol("x_{j}", real=True)
b_i = sp.Symbol("b_{i}", real=True)
rest = sp.Symbol("r_{i}", real=True)  # the terms of z_i that do not involve W_ij and b_i


def loss_of(label_logit: sp.Expr, total: sp.Expr) -> sp.Expr:
    """L = -log p_c = -log(e^{z_c} / S): the cross-entropy of one sample of class c."""
    return -sp.log(sp.exp(label_logit) / total)


@dataclass(frozen=True)
class Derivation:
    """What SymPy derived, each form verified."""

    loss: sp.Expr  # L = log S - z_c (from -log(e^{z_c}/S) by expand_log)
    softmax: sp.Expr  # p_i = e^{z_i} / S
    dlogS: sp.Expr  # d(log S)/dz_i = e^{z_i} / S
    dz_other: sp.Expr  # dL/dz_i for i != c, as SymPy derived it (S named)
    dz_label: sp.Expr  # dL/dz_c, as SymPy derived it (S named)
    dz: sp.Expr  # the one formula: p_i - delta_ic
    dz_dW: sp.Expr  # dz_i/dW_ij = x_j
    dz_db: sp.Expr  # dz_i/db_i = 1
    dW: sp.Expr  # (p_i - delta_ic) x_j
    db: sp.Expr  # p_i - delta_ic


def _equal(a: sp.Expr, b: sp.Expr) -> bool:
    return bool(sp.simplify(a - b) == 0)


def _named(expr: sp.Expr, others: sp.Expr) -> sp.Expr:
    """expr with R written as S - (the exponentials that are not R)."""
    return sp.factor_terms(expr.subs(R, S - others))


@functools.cache
def derive() -> Derivation:
    """Differentiate the cross-entropy by SymPy and verify every form (DerivationError if a
    form is not what it must be)."""
    softmax = sp.exp(z_i) / S
    dz = p_i - delta
    with_p = {p_i: softmax}
    # The loss in S and z_c.
    loss = sp.expand_log(loss_of(z_c, S))
    if not _equal(loss, sp.log(S) - z_c):
        raise DerivationError(f"-log(e^(z_c)/S) is {loss}, not log S - z_c")
    # d(log S)/dz_i, with S = e^{z_i} + R' (R' not touching z_i).
    dlogS = sp.diff(sp.log(sp.exp(z_i) + R), z_i).subs(R, S - sp.exp(z_i))
    if not _equal(dlogS, softmax):
        raise DerivationError(f"d(log S)/dz_i is {dlogS}, not e^(z_i)/S")
    # i != c: S = e^{z_i} + e^{z_c} + R.
    other = sp.diff(loss_of(z_c, sp.exp(z_i) + sp.exp(z_c) + R), z_i)
    dz_other = _named(other, sp.exp(z_i) + sp.exp(z_c))
    if not _equal(dz_other, dz.subs(with_p).subs(delta, 0)):
        raise DerivationError(f"dL/dz_i (i != c) is {dz_other}, not p_i")
    # i = c: S = e^{z_c} + R.
    same = sp.diff(loss_of(z_c, sp.exp(z_c) + R), z_c)
    dz_label = _named(same, sp.exp(z_c))
    if not _equal(dz_label, dz.subs(with_p).subs({delta: 1, z_i: z_c})):
        raise DerivationError(f"dL/dz_c is {dz_label}, not p_c - 1")
    # The chain rule through z_i = W_ij x_j + b_i + r_i, both cases.
    z_expr = W_ij * x_j + b_i + rest
    dz_dW = sp.diff(z_expr, W_ij)
    dz_db = sp.diff(z_expr, b_i)
    dW = dz * dz_dW
    db = dz * dz_db
    cases = (
        (loss_of(z_c, sp.exp(z_expr) + sp.exp(z_c) + R), sp.exp(z_i) + sp.exp(z_c), 0),
        (loss_of(z_expr, sp.exp(z_expr) + R), sp.exp(z_i), 1),  # i = c: z_c is z_i
    )
    for case_loss, others, label in cases:
        back = {rest: z_i - W_ij * x_j - b_i}  # name z_i again
        for parameter, formula in ((W_ij, dW), (b_i, db)):
            derived = _named(sp.diff(case_loss, parameter).subs(back), others)
            expected = formula.subs(with_p).subs(delta, label)
            if not _equal(derived, expected):
                raise DerivationError(f"dL/d{parameter} is {derived}, not {expected}")
    return Derivation(
        loss=loss,
        softmax=softmax,
        dlogS=dlogS,
        dz_other=dz_other,
        dz_label=dz_label,
        dz=dz,
        dz_dW=dz_dW,
        dz_db=dz_db,
        dW=dW,
        db=db,
    )
