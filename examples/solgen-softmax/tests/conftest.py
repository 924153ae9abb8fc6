"""Fixtures of the softmax problem's tests: the problem registered with solgen (by its entry
point when the package is installed, else by a patched registry), the default result, and a
Jinja2 environment that finds the package's templates as solgen's stages will."""

from __future__ import annotations

from collections.abc import Iterator

import jinja2
import pytest
from solgen_softmax import PROBLEM
from solgen_softmax.solve import SoftmaxResult

from solgen.document import render
from solgen.document.render import environment
from solgen.problems import registry

SECTION = "problem4"


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """solgen's registry with "softmax" in it: the installed entry point, or the same entry
    (module:attribute) added to the built-in table for this test."""
    _forget()
    if "softmax" not in registry.registered():
        monkeypatch.setitem(registry.BUILTIN, "softmax", "solgen_softmax:PROBLEM")
        _forget()
    yield
    monkeypatch.undo()
    _forget()


def _forget() -> None:
    """Drop what solgen remembers of the registry: the problems and their templates."""
    registry.registered.cache_clear()
    registry.problem.cache_clear()
    render.problem_template.cache_clear()  # solgen's template loader
    render.problem_templates.cache_clear()
    render.environment.cache_clear()


@pytest.fixture(scope="session")
def default_result() -> SoftmaxResult:
    """The default exercise, solved."""
    errors: list[str] = []
    inp = PROBLEM.parse(PROBLEM.default(), SECTION, errors)
    assert errors == [] and inp is not None
    return PROBLEM.solve(inp)


@pytest.fixture(scope="session")
def env() -> jinja2.Environment:
    """solgen's environment (its delimiters, StrictUndefined, escaping at use) with the
    package's templates found first."""
    ours = environment(None)
    assert ours.loader is not None
    loader = jinja2.ChoiceLoader([jinja2.PackageLoader("solgen_softmax", "."), ours.loader])
    return ours.overlay(loader=loader)
