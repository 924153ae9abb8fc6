"""cache.py: a second build with the same structure does no symbolic differentiation."""

from __future__ import annotations

import json
import pickle

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from solgen import cache
from solgen.exprdata import NotAnExpression, from_srepr, to_srepr
from solgen.problems import p1_network
from solgen.variant import ACTIVATIONS


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
