"""Fuzzing the loader and the CLI with arbitrary TOML-like structures (Hypothesis).

Whatever the variant holds, build_variant returns a Variant or raises InvalidInput, and
``solgen build --no-pdf`` exits 0 or 2 without a traceback and, on 2, writes nothing.

Numbers with huge exponents (1e1000000, 1e-999999999) are included: they once overflowed or
hung, and must be rejected quickly like any other invalid number.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from helpers import snapshot
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from solgen.base.errors import InvalidInput
from solgen.base.tomlinput import parse_toml
from solgen.cli import main
from solgen.document.variant import Variant, build_variant, fields_of
from solgen.problems.network.fields import ACTIVATIONS

FIELDS = fields_of()

FUZZ = settings(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
OUTPUTS = {"solution.tex", "assignment.tex", "results.json"}

# --- values ----------------------------------------------------------------------------------

names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,7}", fullmatch=True)
odd_names = st.text(min_size=0, max_size=6)  # quoted keys: spaces, dots, unicode, empty

small_ints = st.integers(min_value=-3, max_value=40)
ints = st.one_of(
    small_ints,
    small_ints,
    st.sampled_from([0, 1, 2, 4096, 4097, 10**6, 10**6 + 1, -(10**7), 2**63 - 1]),
)
good_decimals = st.one_of(
    st.decimals(min_value=-5, max_value=5, places=2, allow_nan=False, allow_infinity=False),
    st.decimals(min_value=-5, max_value=5, places=1, allow_nan=False, allow_infinity=False),
)
decimals = st.one_of(
    good_decimals,
    st.sampled_from(
        [
            Decimal("NaN"),
            Decimal("Infinity"),
            Decimal("-Infinity"),
            Decimal("1E+7"),
            Decimal("1E-31"),
            Decimal("1E-30"),
            Decimal("-0.0"),
            Decimal("1000000.0"),
            Decimal("0E-40"),
            Decimal("1E-2000"),
            Decimal("1E+2000"),
            Decimal("1E+1000000"),
            Decimal("-1E-999999999"),
            Decimal("0E-999999999"),
        ]
    ),
)
text_values = st.one_of(
    st.sampled_from([*ACTIVATIONS, "Relu", "", "x"]),
    st.text(max_size=12),
)
scalars = st.one_of(ints, decimals, st.booleans(), text_values)
numbers = st.one_of(small_ints, good_decimals, good_decimals, decimals)


def matrices(max_rows: int = 4, max_cols: int = 4) -> st.SearchStrategy[list[list[Any]]]:
    """Mostly rectangular matrices of numbers; sometimes ragged or empty."""
    rectangular = st.integers(1, max_cols).flatmap(
        lambda cols: st.lists(
            st.lists(numbers, min_size=cols, max_size=cols), min_size=1, max_size=max_rows
        )
    )
    ragged = st.lists(st.lists(numbers, max_size=max_cols), max_size=max_rows)
    return st.one_of(rectangular, rectangular, ragged)


vectors = st.lists(numbers, min_size=0, max_size=4)
shapes = st.lists(st.integers(0, 40), min_size=2, max_size=4)
layer = st.one_of(
    st.fixed_dictionaries({"conv": st.integers(0, 9), "filters": st.integers(0, 64)}),
    st.fixed_dictionaries({"pool": st.sampled_from([2, 2, 3, 0])}),
    st.dictionaries(st.sampled_from(["conv", "filters", "pool", "stride"]), ints, max_size=3),
)

# Values that fit a real field (so that many variants are valid), per field.
PLAUSIBLE: dict[str, st.SearchStrategy[Any]] = {
    "title": text_values,
    "author": text_values,
    "date": text_values,
    "student_id": text_values,
    "X": matrices(),
    "t": vectors,
    "W1": matrices(),
    "b1": vectors,
    "w2": vectors,
    "b2": numbers,
    "activation": text_values,
    "A": matrices(3, 3),
    "input": shapes,
    "target": shapes,
    "kernel_sizes": st.lists(st.integers(-1, 9), min_size=0, max_size=4),
    "layers": st.lists(layer, min_size=0, max_size=6),
    "filters": st.lists(st.integers(0, 64), min_size=0, max_size=4),
}


def anything(leaves: st.SearchStrategy[Any] = scalars) -> st.SearchStrategy[Any]:
    """Nested lists and inline tables of scalars."""
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.one_of(names, odd_names), inner, max_size=3),
        ),
        max_leaves=12,
    )


ALL_FIELDS = sorted({f for fields in FIELDS.values() for f in fields})


@st.composite
def section_tables(draw: st.DrawFn, section: str) -> dict[str, Any]:
    table: dict[str, Any] = {}
    real = list(FIELDS.get(section, ()))
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.integers(0, 9))
        if kind < 6 and real:
            field = draw(st.sampled_from(real))
            table[field] = draw(PLAUSIBLE[field])
        elif kind < 8:
            field = draw(st.sampled_from(ALL_FIELDS))  # a real field, maybe in the wrong section
            table[field] = draw(st.one_of(PLAUSIBLE[field], anything()))
        else:
            table[draw(st.one_of(names, odd_names))] = draw(anything())
    return table


@st.composite
def coherent_variants(draw: st.DrawFn) -> dict[str, Any]:
    """A variant whose shapes agree, so that it usually builds; then perhaps one field spoilt."""
    n, d, h = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    finite = st.one_of(small_ints, good_decimals)

    def vec(size: int) -> list[Any]:
        return draw(st.lists(finite, min_size=size, max_size=size))

    data: dict[str, Any] = {}
    if draw(st.booleans()):
        data["problem1"] = {
            "X": [vec(d) for _ in range(n)],
            "t": vec(n),
            "W1": [vec(d) for _ in range(h)],
            "b1": vec(h),
            "w2": vec(h),
            "b2": draw(finite),
            "activation": draw(st.sampled_from(ACTIVATIONS)),
        }
    if draw(st.booleans()):
        size = draw(st.integers(1, 3))
        data["problem2"] = {"A": [vec(size) for _ in range(size)]}
    if draw(st.booleans()):
        side = draw(st.integers(4, 40))
        kernels = draw(st.lists(st.integers(1, 7), min_size=1, max_size=3))
        reached = side  # walk conv, pool, conv, ... to a reachable target (usually)
        while draw(st.booleans()) or reached == side:
            fitting = [k for k in kernels if k <= reached]
            if not fitting:
                break
            reached -= draw(st.sampled_from(fitting)) - 1
            if reached % 2 or reached < 2 or not draw(st.booleans()):
                break
            reached //= 2
        data["problem3"] = {
            "input": [side, side, draw(st.integers(1, 4))],
            "target": [reached, reached, draw(st.integers(1, 64))],
            "kernel_sizes": kernels,
        }
    if data and draw(st.booleans()):
        section = draw(st.sampled_from(sorted(data)))
        field = draw(st.sampled_from(sorted(data[section])))
        data[section][field] = draw(st.one_of(PLAUSIBLE[field], anything()))
    return data


@st.composite
def random_variants(draw: st.DrawFn) -> dict[str, Any]:
    """A parsed variant: mostly real sections and fields, sometimes anything at all."""
    data: dict[str, Any] = {}
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.integers(0, 9))
        section = draw(st.sampled_from(list(FIELDS))) if kind < 8 else draw(names)
        if kind == 9:
            data[section] = draw(anything())  # a section that is not a table, or a random one
        else:
            data[section] = draw(section_tables(section))
    return data


variants = st.one_of(coherent_variants(), random_variants())


# --- a small TOML writer -----------------------------------------------------------------------

BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def toml_key(key: str) -> str:
    return key if BARE_KEY.fullmatch(key) else toml_string(key)


def toml_string(text: str) -> str:
    # JSON strings are TOML basic strings, except that TOML wants DEL escaped too.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if value.is_nan():
            return "nan"
        if value.is_infinite():
            return "-inf" if value < 0 else "inf"
        text = str(value)
        return text if any(c in text for c in ".eE") else f"{text}.0"
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items())
        return "{" + items + "}"
    raise TypeError(value)


def toml_document(data: dict[str, Any]) -> str:
    lines = [f"{toml_key(k)} = {toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for section, table in data.items():
        if isinstance(table, dict):
            lines.append(f"[{toml_key(section)}]")
            lines.extend(f"{toml_key(k)} = {toml_value(v)}" for k, v in table.items())
    return "\n".join(lines) + "\n"


def comparable(value: Any) -> Any:
    """NaN != NaN; compare through a representation that keeps everything else."""
    if isinstance(value, Decimal):
        return ("decimal", str(value)) if value.is_nan() else ("number", value)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("number", value)
    if isinstance(value, list):
        return [comparable(v) for v in value]
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items()}
    return value


# --- helpers -----------------------------------------------------------------------------------


def run_cli(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = main(argv)
    return rc, err.getvalue()


def check_build(extra: list[str], seed_build: Path, existing: bool) -> int:
    """Build into an output directory (a previous build, or none); check the invariants."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        if existing:
            shutil.copytree(seed_build, out)
            (out / "notes.txt").write_text("mine\n", encoding="utf-8")
        before = snapshot(out) if existing else None
        rc, err = run_cli(["build", "--no-pdf", "--out", str(out), *extra])
        event(f"exit status {rc}")
        assert rc in (0, 2), err
        assert "Traceback" not in err
        if rc == 2:
            assert err.startswith("solgen: error: ")
            if existing:
                assert snapshot(out) == before
            else:
                assert not out.exists()
        else:
            assert err == ""
            assert {p.name for p in out.iterdir()} >= OUTPUTS
            if existing:
                assert (out / "notes.txt").read_text(encoding="utf-8") == "mine\n"
        return rc


# --- the tests ---------------------------------------------------------------------------------


@settings(FUZZ, max_examples=60)
@given(data=variants)
def test_build_variant_returns_or_raises_invalid_input(data):
    try:
        variant = build_variant(data)
    except InvalidInput as exc:
        event("invalid")
        assert exc.problems
        assert all(isinstance(p, str) and p for p in exc.problems)
    else:
        event("valid")
        assert isinstance(variant, Variant)


@settings(FUZZ, max_examples=60)
@given(data=variants, existing=st.booleans())
def test_cli_on_a_variant_file(data, existing, seed_build):
    text = toml_document(data)
    assert comparable(parse_toml(text, "fuzz")) == comparable(data)  # the writer is right
    given_data = deep_copy(data)
    try:
        build_variant(data)
        loads = True
    except InvalidInput:
        loads = False
    assert comparable(data) == comparable(given_data)  # build_variant left its argument alone
    with tempfile.NamedTemporaryFile("w", suffix=".toml", encoding="utf-8", delete=False) as f:
        f.write(text)
    path = Path(f.name)
    try:
        rc = check_build(["--variant", str(path)], seed_build, existing)
    finally:
        path.unlink()
    if not loads:
        assert rc == 2  # the CLI never accepts what the loader rejects


def deep_copy(value: Any) -> Any:
    """A deep copy of a parsed variant."""
    if isinstance(value, list):
        return [deep_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: deep_copy(v) for k, v in value.items()}
    return value


# --set: random keys, and values that are random text or serialized structures.
set_keys = st.one_of(
    st.sampled_from([f"{s}.{f}" for s, fields in FIELDS.items() for f in fields]),
    st.builds(lambda s, f: f"{s}.{f}", st.sampled_from([*FIELDS, "problem4"]), names),
    st.text(alphabet="abcdemprtwxAWX1._= ", max_size=12),
)
plausible_sets = st.sampled_from([(s, f) for s, fields in FIELDS.items() for f in fields]).flatmap(
    lambda sf: PLAUSIBLE[sf[1]].map(lambda v: f"{sf[0]}.{sf[1]}={toml_value(v)}")
)
set_values = st.one_of(
    st.text(alphabet="[]{}\"',.=+-_0123456789eEinfatruelsxn \t\n#\\", max_size=20),
    st.text(max_size=10),
    st.sampled_from(["1e1000000", "1e-999999999", "-1E+99999999999999999", "0e-99999", "1_0.5"]),
    anything().map(toml_value),
    st.sampled_from(list(PLAUSIBLE)).flatmap(lambda f: PLAUSIBLE[f]).map(toml_value),
)


@settings(FUZZ, max_examples=40)
@given(
    sets=st.lists(
        st.one_of(
            plausible_sets,
            st.builds(lambda k, v: f"{k}={v}", set_keys, set_values),
            st.text(max_size=12),
        ),
        min_size=1,
        max_size=3,
    ),
    existing=st.booleans(),
)
def test_cli_set(sets, existing, seed_build):
    argv = [f"--set={s}" for s in sets]
    check_build(argv, seed_build, existing)
