"""The softmax problem solved: the logits exactly, every answer's exact form (SymPy), and its
float64 correctly rounded (FLINT's arb balls, at more bits until every rounding is decided).

Every answer is an exponential of rationals, so none is rational (unless all logits tie): the
exact forms are SymPy expressions, the derived formulas with the logits put in. The balls
never subtract nearly equal numbers: with t = sum_{j != c} e^{z_j - z_c},

    p_i = 1 / sum_j e^{z_j - z_i},   L = log1p(t),   dL/dz_c = p_c - 1 = -t / (1 + t),

each difference z_j - z_i exact (Fractions) before it enters a ball, so the balls stay tight
whatever the logits' size (|z| up to 1e7 is valid input).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import flint
import mpmath
import sympy as sp

from solgen.base.certified import ball_of, float_of_ball
from solgen_softmax.derive import Derivation, S, delta, derive, p_i, x_j, z_c, z_i
from solgen_softmax.variant import SoftmaxInput, logits

START_BITS = 128  # the balls' first working precision (about 38 digits)
MAX_BITS = 4096  # an answer still undecided there is reported by a check, not hidden


@dataclass(frozen=True)
class Answers:
    """The answers of one precision: balls, or their floats, or their midpoints."""

    probabilities: tuple[Any, ...]
    loss: Any
    dz: tuple[Any, ...]
    dW: tuple[tuple[Any, ...], ...]
    db: tuple[Any, ...]


@dataclass(frozen=True)
class SoftmaxResult:
    """Everything the solution states."""

    inp: SoftmaxInput
    derivation: Derivation
    z: tuple[Fraction, ...]  # the logits, exactly
    exact: Answers  # SymPy expressions (the derived formulas, evaluated at the logits)
    balls: Answers  # flint.arb balls at `bits`, each holding its answer
    floats: Answers  # each answer's float64, correctly rounded (a midpoint if undecided)
    values: Answers  # the balls' midpoints (mpmath numbers), for the document's digits
    shifted_sum: Any  # sum_j e^{z_j - m}, m = max z (the stable form's sum; a midpoint)
    log_shifted_sum: Any  # log sum_j e^{z_j - m} (a midpoint)
    bits: int  # the working precision that decided every float
    undecided: tuple[str, ...]  # answers still undecided at MAX_BITS

    @property
    def C(self) -> int:
        """The number of classes."""
        return self.inp.C

    @property
    def d(self) -> int:
        """The number of inputs."""
        return self.inp.d

    @property
    def label(self) -> int:
        """The sample's class, 1-based."""
        return self.inp.label


def _rational(value: Fraction) -> sp.Rational:
    return sp.Rational(value.numerator, value.denominator)


def exact_answers(inp: SoftmaxInput, z: tuple[Fraction, ...], deriv: Derivation) -> Answers:
    """The derived formulas with the logits put in: SymPy expressions, exact."""
    c = inp.label - 1
    logit = [_rational(v) for v in z]
    total = sp.Add(*(sp.exp(v) for v in logit))
    p = tuple(deriv.softmax.subs({z_i: v, S: total}) for v in logit)
    # The derived forms of each case (dz_other for i != c, dz_label for i = c), checked by
    # derive() to be the one formula p_i - delta_ic.
    dz = tuple(
        deriv.dz_label.subs({z_c: v, S: total})
        if i == c
        else deriv.dz_other.subs({z_i: v, S: total})
        for i, v in enumerate(logit)
    )
    loss = deriv.loss.subs({S: total, z_c: logit[c]})
    x = [_rational(v) for v in inp.x]
    dW = tuple(
        tuple(deriv.dW.subs({p_i: p[i], delta: int(i == c)}).subs(x_j, v) for v in x)
        for i in range(inp.C)
    )
    db = tuple(deriv.db.subs({p_i: p[i], delta: int(i == c)}) for i in range(inp.C))
    return Answers(p, loss, dz, dW, db)


def _balls(inp: SoftmaxInput, z: tuple[Fraction, ...]) -> Answers:
    """Every answer as an arb ball at the current precision."""
    c = inp.label - 1
    C = inp.C

    def exp_difference(j: int, i: int) -> flint.arb:
        return flint.arb(1) if z[j] == z[i] else ball_of(z[j] - z[i]).exp()

    p = [1 / sum((exp_difference(j, i) for j in range(C)), flint.arb(0)) for i in range(C)]
    t = sum((exp_difference(j, c) for j in range(C) if j != c), flint.arb(0))
    loss = t.log1p()
    dz = [-t / (1 + t) if i == c else p[i] for i in range(C)]
    x = [ball_of(v) for v in inp.x]
    dW = tuple(tuple(dz[i] * v for v in x) for i in range(C))
    return Answers(tuple(p), loss, tuple(dz), dW, tuple(dz))


def _names(inp: SoftmaxInput) -> Answers:
    """Each answer's name, for a report of the undecided ones."""
    C, d = inp.C, inp.d
    return Answers(
        tuple(f"p[{i + 1}]" for i in range(C)),
        "L",
        tuple(f"dL/dz[{i + 1}]" for i in range(C)),
        tuple(tuple(f"dL/dW[{i + 1},{j + 1}]" for j in range(d)) for i in range(C)),
        tuple(f"dL/db[{i + 1}]" for i in range(C)),
    )


def _flat(answers: Answers) -> list[Any]:
    return [
        *answers.probabilities,
        answers.loss,
        *answers.dz,
        *(v for row in answers.dW for v in row),
        *answers.db,
    ]


def _mapped(answers: Answers, f: Any) -> Answers:
    return Answers(
        tuple(map(f, answers.probabilities)),
        f(answers.loss),
        tuple(map(f, answers.dz)),
        tuple(tuple(map(f, row)) for row in answers.dW),
        tuple(map(f, answers.db)),
    )


def _decided(ball: flint.arb) -> float:
    value = float_of_ball(ball)
    return float(ball.mid()) if value is None else value


def certified(
    inp: SoftmaxInput, z: tuple[Fraction, ...]
) -> tuple[Answers, Answers, int, tuple[str, ...]]:
    """The balls, their correctly rounded floats, the precision that decided them all and
    the names of any still undecided at MAX_BITS."""
    names = _flat(_names(inp))
    bits = START_BITS
    while True:
        # Inside the precision: a ball's ends are rounded to the working precision.
        with flint.ctx.workprec(bits):
            balls = _balls(inp, z)
            floats = _mapped(balls, _decided)
            undecided = tuple(
                name
                for name, ball in zip(names, _flat(balls), strict=True)
                if float_of_ball(ball) is None
            )
        if not undecided or bits >= MAX_BITS:
            return balls, floats, bits, undecided
        bits *= 2


def _midpoint(ball: flint.arb) -> Any:
    return mpmath.mpf(tuple(int(v) for v in ball.mid().man_exp()))


def _shifted(z: tuple[Fraction, ...]) -> tuple[flint.arb, flint.arb]:
    """sum_j e^{z_j - m} = 1 + rest (m = max z) and its log, as log1p(rest): a rest of
    e^-1e7 is kept (|z| up to 1e7 is valid input)."""
    top = max(z)
    rest = sum((ball_of(v - top).exp() for v in z if v != top), flint.arb(z.count(top) - 1))
    return 1 + rest, rest.log1p()


def solve(inp: SoftmaxInput) -> SoftmaxResult:
    """Derive, evaluate exactly and certify: the softmax problem's result."""
    deriv = derive()
    z = logits(inp.W, inp.b, inp.x)
    balls, floats, bits, undecided = certified(inp, z)
    with flint.ctx.workprec(bits):
        shifted_sum, log_shifted_sum = _shifted(z)
    with mpmath.workprec(bits):
        values = _mapped(balls, _midpoint)
        shifted = (_midpoint(shifted_sum), _midpoint(log_shifted_sum))
    return SoftmaxResult(
        inp=inp,
        derivation=deriv,
        z=z,
        exact=exact_answers(inp, z, deriv),
        balls=balls,
        floats=floats,
        values=values,
        shifted_sum=shifted[0],
        log_shifted_sum=shifted[1],
        bits=bits,
        undecided=undecided,
    )
