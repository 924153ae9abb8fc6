"""Fixtures shared by the tests: one build of the default variant, and a copy to break."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from solgen.cli import main


@pytest.fixture(scope="session")
def seed_build(tmp_path_factory) -> Path:
    """A --no-pdf build of the default variant, made once; tests copy it, never change it."""
    out = tmp_path_factory.mktemp("seed") / "out"
    assert main(["build", "--no-pdf", "--out", str(out)]) == 0
    return out


@pytest.fixture
def previous_build(seed_build, tmp_path) -> Path:
    """An output directory holding a previous build and a file of the user's (notes.txt)."""
    out = tmp_path / "out"
    shutil.copytree(seed_build, out)
    (out / "notes.txt").write_text("mine\n", encoding="utf-8")
    return out
