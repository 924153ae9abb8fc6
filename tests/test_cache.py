"""cache.py: a second build with the same structure does no symbolic differentiation."""

from __future__ import annotations

import pytest

from solgen import cache
from solgen.problems import p1_network


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SOLGEN_CACHE_DIR", str(tmp_path))
    p1_network.derive.cache_clear()
    yield tmp_path
    p1_network.derive.cache_clear()


def test_derivation_comes_from_disk_the_second_time(fresh_cache, monkeypatch):
    first = p1_network.derive("tanh")
    files = sorted(p.name for p in fresh_cache.glob("derive-tanh-*.pickle"))
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
    (entry,) = fresh_cache.glob("derive-sigmoid-*.pickle")
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
