"""cache.py: a second build with the same structure does no symbolic differentiation."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import time

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from solgen.base import cache
from solgen.base.exprdata import NotAnExpression, from_srepr, to_srepr
from solgen.problems.network import derive as p1_network
from solgen.problems.network.fields import ACTIVATIONS


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SOLGEN_CACHE_DIR", str(tmp_path))
    p1_network.derive.cache_clear()
    yield tmp_path
    p1_network.derive.cache_clear()


def test_derivation_comes_from_disk_the_second_time(fresh_cache, monkeypatch):
    first = p1_network.derive("tanh")
    files = sorted(p.name for p in fresh_cache.glob("derive-tanh-*.json"))
    assert len(files) == 1
    p1_network.derive.cache_clear()

    def no_sympy(activation):
        raise AssertionError("differentiated again")

    monkeypatch.setattr(p1_network, "derive_uncached", no_sympy)
    second = p1_network.derive("tanh")
    assert second == first
    assert second.entry["W1"] == first.entry["W1"]


def test_a_corrupt_cache_entry_is_recomputed(fresh_cache):
    p1_network.derive("sigmoid")
    (entry,) = fresh_cache.glob("derive-sigmoid-*.json")
    entry.write_bytes(b"not a pickle")
    p1_network.derive.cache_clear()
    assert p1_network.derive("sigmoid") == p1_network.derive_uncached("sigmoid")


def test_the_key_follows_the_source(tmp_path):
    a = tmp_path / "a.py"
    a.write_text("x = 1\n", encoding="utf-8")
    key = cache.source_key("1.14", a)
    assert cache.source_key("1.14", a) == key
    assert cache.source_key("1.13", a) != key
    a.write_text("x = 2\n", encoding="utf-8")
    assert cache.source_key("1.14", a) != key


def test_an_empty_cache_dir_disables_the_cache(monkeypatch):
    monkeypatch.setenv("SOLGEN_CACHE_DIR", "")
    assert cache.cache_dir() is None
    cache.store("anything", 1)
    assert cache.load("anything") is None


class _Boom:
    """Unpickling this runs code: what a poisoned pickle cache would do."""

    def __reduce__(self):
        return (exec, ("import pathlib; pathlib.Path('PWNED').write_text('ran')",))


def test_a_planted_pickle_is_never_loaded(fresh_cache, tmp_path, monkeypatch):
    """The old cache unpickled derive-*.pickle: a file planted there ran code."""
    monkeypatch.chdir(tmp_path)
    key = "derive-tanh-" + cache.source_key(sp.__version__, p1_network.Path(p1_network.__file__))
    for suffix in (".pickle", ".json"):
        (fresh_cache / f"{key}{suffix}").write_bytes(pickle.dumps(_Boom()))
    assert p1_network.derive("tanh") == p1_network.derive_uncached("tanh")
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize(
    "planted",
    [
        '{"activation": "tanh"}',  # fields missing
        '{"activation": "relu", "f": "x"}',  # another activation
        "[" * 100_000,  # nested too deeply for the JSON parser
        "\"__import__('os').system('id')\"",  # a string, not a derivation
        "\x80\x09\x00",  # not UTF-8
        "",
    ],
)
def test_an_unreadable_entry_is_a_miss(fresh_cache, planted):
    key = "derive-tanh-" + cache.source_key(sp.__version__, p1_network.Path(p1_network.__file__))
    (fresh_cache / f"{key}.json").write_text(planted, encoding="utf-8", errors="surrogateescape")
    assert p1_network.derive("tanh") == p1_network.derive_uncached("tanh")


def test_a_directory_at_the_entry_path_is_a_miss(fresh_cache):
    key = "derive-relu-" + cache.source_key(sp.__version__, p1_network.Path(p1_network.__file__))
    (fresh_cache / f"{key}.json").mkdir()
    assert p1_network.derive("relu") == p1_network.derive_uncached("relu")
    assert (fresh_cache / f"{key}.json").is_file()  # replaced by the entry


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('id')",
        "Symbol('x').__class__",
        "Function('f')(Symbol('x')).func.__globals__",
        "Pow(Integer(10), Integer(10000000000000000000))",
        "Symbol('x', real=open)",
        "Symbol(*['x'])",
        "Add(Symbol('x'), lambda: 1)",
        "[Symbol('x')]",
        "eval('1')",
        "Mul(" * 200 + "Integer(1)" + ")" * 200,
    ],
)
def test_srepr_text_that_is_not_an_expression_is_refused(text):
    with pytest.raises(NotAnExpression):
        from_srepr(text)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_derivation_survives_the_round_trip_through_json(activation):
    derivation = p1_network.derive_uncached(activation)
    data = json.loads(json.dumps(p1_network.derivation_to_data(derivation)))
    assert p1_network.derivation_from_data(data, activation) == derivation


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_in_the_cache_are_a_miss(data):
    try:
        value = json.loads(data)
    except ValueError:
        return
    assert p1_network.derivation_from_data(value, "tanh") is None


def test_srepr_round_trip_of_the_constructors():
    x = sp.Symbol("x_{k}", real=True)
    f = sp.Function("f'")
    expr = sp.Max(0, x) + sp.exp(-x) * sp.tanh(x) ** 2 / 3 + sp.Heaviside(x, 0) * f(x) - sp.S.Half
    assert from_srepr(to_srepr(expr)) == expr


# --- crafted entries: the cache is checked data -----------------------------------------------


def _key(activation: str) -> str:
    return f"derive-{activation}-" + cache.source_key(
        sp.__version__, p1_network.Path(p1_network.__file__)
    )


def _plant(activation: str, **changes: sp.Expr) -> None:
    """Store the true derivation with some expressions changed, as a forger would: every
    expression built from the allowed constructors, the entry well-formed."""
    data = p1_network.derivation_to_data(p1_network.derive_uncached(activation))
    for path, expr in changes.items():
        table, _, name = path.partition("__")
        if name:
            data[table][name] = to_srepr(expr)
        else:
            data[table] = to_srepr(expr)
    cache.store(_key(activation), data)


def _replaced_warning(folder, activation: str) -> str:
    return (
        f"solgen: warning: the cached derivation {folder / (_key(activation) + '.json')} is not "
        "what solgen derives; it was derived again and replaced\n"
    )


def _build(tmp_path, capsys) -> tuple[int, str, str]:
    from solgen.cli import main

    out = tmp_path / "out"
    code = main(["build", "--no-pdf", "--out", str(out)])
    tex = (out / "solution.tex").read_text(encoding="utf-8") if code == 0 else ""
    return code, tex, capsys.readouterr().err


def test_a_forged_formula_is_never_printed(fresh_cache, tmp_path, capsys):
    """Numerically harmless for ReLU (f' is 0 or 1), so every check passed: exit 0 with
    dl/db printed as r_k w_j f'(z)^2."""
    r, w, x, fp = (
        p1_network.r_k,
        p1_network.w_j,
        p1_network.x_ki,
        p1_network.Fprime(p1_network.z_kj),
    )
    _plant("relu", display__b1=r * w * fp**2, display__W1=r * w * x * fp**2)
    code, tex, err = _build(tmp_path, capsys)
    assert code == 0
    assert err == _replaced_warning(fresh_cache, "relu")
    assert "f'(z_{kj})^{2}" not in tex
    assert "\\frac{\\partial \\ell_k}{\\partial b^{(1)}_{j}} = r_{k} w^{(2)}_{j} f'(z_{kj})," in tex
    # replaced on disk: the next process reads the true derivation, and says nothing
    p1_network.derive.cache_clear()
    assert p1_network.derive("relu") == p1_network.derive_uncached("relu")
    assert capsys.readouterr().err == ""


def test_a_symbol_of_raw_tex_is_never_typeset(fresh_cache, tmp_path, capsys):
    _plant("relu", local__dl_dy=sp.Symbol("\\textbf{PWNED}", real=True))
    code, tex, err = _build(tmp_path, capsys)
    assert code == 0
    assert err == _replaced_warning(fresh_cache, "relu")
    assert "PWNED" not in tex


def test_a_symbol_outside_solgens_names_is_not_an_expression():
    names = {"x_{k}"}
    assert from_srepr("Symbol('x_{k}', real=True)", names) == sp.Symbol("x_{k}", real=True)
    with pytest.raises(NotAnExpression, match=r"unknown symbol '\\\\textbf\{x\}'"):
        from_srepr("Symbol('\\\\textbf{x}', real=True)", names)
    with pytest.raises(NotAnExpression, match="unknown function 'g'"):
        from_srepr("Function('g')(Symbol('x_{k}', real=True))", names)


def test_a_wrong_entry_is_a_miss_not_a_failed_build(fresh_cache, tmp_path, capsys):
    """A wrong gradient formula failed every build's checks (exit 1), and stayed."""
    r, w, fp = p1_network.r_k, p1_network.w_j, p1_network.Fprime(p1_network.z_kj)
    _plant("relu", display__b1=2 * r * w * fp)
    code, _, err = _build(tmp_path, capsys)
    assert code == 0
    assert err == _replaced_warning(fresh_cache, "relu")
    p1_network.derive.cache_clear()
    code, _, err = _build(tmp_path, capsys)
    assert (code, err) == (0, "")


HUGE_POWER = """
import os, sys
os.environ["SOLGEN_CACHE_DIR"] = sys.argv[1]
import sympy as sp
from solgen.base import cache
from solgen.problems.network import derive as p1_network
key = "derive-tanh-" + cache.source_key(sp.__version__, p1_network.Path(p1_network.__file__))
data = p1_network.derivation_to_data(p1_network.derive_uncached("tanh"))
data["local"]["dl_dy"] = "Pow(Pow(Integer(10), Integer(1000000)), Integer(1000000))"
cache.store(key, data)
assert p1_network.derive("tanh") == p1_network.derive_uncached("tanh")
print("recomputed")
"""


def test_a_huge_power_in_an_entry_does_not_hang_the_build(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", HUGE_POWER, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.stdout == "recomputed\n"
    assert done.returncode == 0


@pytest.mark.parametrize(
    "text",
    [  # Pow(Pow(10, 10**6), 10**6), which never finished, is the subprocess test above
        "Pow(Integer(2), Integer(100000))",
        "Pow(Symbol('x'), Integer(1000000))",
        "Pow(Symbol('x'), Rational(1, 1000000))",
        "Pow(Integer(10), Symbol('x'))",
        "Mul(" + "Integer(1000000), " * 200 + "Integer(1))",
        "Symbol('x', evaluate=True)",
    ],
)
def test_numbers_are_bounded_before_they_are_made(text):
    start = time.monotonic()
    with pytest.raises(NotAnExpression):
        from_srepr(text)
    assert time.monotonic() - start < 1


def test_an_entry_whose_checksum_does_not_match_is_damaged(fresh_cache, capsys):
    cache.store("thing", {"a": 1})
    assert cache.load("thing") == {"a": 1}
    path = fresh_cache / "thing.json"
    entry = json.loads(path.read_text(encoding="utf-8"))
    assert set(entry) == {"key", "sha256", "value"}
    entry["value"] = {"a": 2}  # edited without its checksum
    path.write_text(json.dumps(entry), encoding="utf-8")
    assert cache.load("thing") is None
    moved = fresh_cache / "other.json"  # an entry copied under another key
    cache.store("thing", {"a": 1})
    path.rename(moved)
    assert cache.load("other") is None
    err = capsys.readouterr().err
    assert err == (
        f"solgen: warning: the cache entry {path} is damaged (its checksum does not match its "
        "content); it is recomputed and replaced\n"
        f"solgen: warning: the cache entry {moved} is damaged (it was stored under the key "
        "'thing'); it is recomputed and replaced\n"
    )
    assert cache.load("missing") is None
    assert capsys.readouterr().err == ""  # a missing entry is an ordinary miss


def test_every_derivation_passes_its_own_check(fresh_cache, capsys):
    for activation in ACTIVATIONS:
        derivation = p1_network.derive(activation)  # derived and stored
        p1_network.derive.cache_clear()
        assert p1_network.derive(activation) == derivation  # read back and verified
    assert capsys.readouterr().err == ""


RUNS_CODE = "__import__('pathlib').Path('PWNED').write_text('ran')"


@pytest.mark.parametrize(
    "text",
    [
        f'Max("{RUNS_CODE}", Integer(1))',
        f'exp("{RUNS_CODE}")',
        f'Function("f")("{RUNS_CODE}")',
        f'Heaviside("{RUNS_CODE}")',
        f'Integer("{RUNS_CODE}")',
    ],
)
def test_text_given_to_a_constructor_is_never_evaluated(text, tmp_path, monkeypatch):
    """SymPy sympifies a str given to Max, exp or an applied function: Python's eval."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(NotAnExpression, match="text is only the name of a Symbol or Function"):
        from_srepr(text)
    assert not (tmp_path / "PWNED").exists()


def test_a_planted_entry_runs_no_code(fresh_cache, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    data = p1_network.derivation_to_data(p1_network.derive_uncached("relu"))
    data["local"]["dy_db2"] = f'exp("{RUNS_CODE}")'
    cache.store(_key("relu"), data)
    assert p1_network.derive("relu") == p1_network.derive_uncached("relu")
    assert not (tmp_path / "PWNED").exists()
    assert capsys.readouterr().err == _replaced_warning(fresh_cache, "relu")
