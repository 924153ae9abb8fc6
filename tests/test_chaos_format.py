"""A real full disk and the precompiled preamble (issue 22): run by `make chaos`, not `make test`.

Mounts small tmpfs file systems (root only) and builds with PDFs:
- the cache on a 5 MB tmpfs: the 7 MB format cannot be dumped, and that is no failed format;
- the output on a 7 MB tmpfs that is full while the compile with the format runs and has room
  again for the plain compile (a latexmk stand-in frees it): the format is kept;
- the output on a full tmpfs: exit status 1 naming the disk error, the format kept.

    SOLGEN_CHAOS=1 .venv/bin/pytest tests/test_chaos_format.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.tex,
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get("SOLGEN_CHAOS") != "1", reason="make chaos runs it"),
]

LATEXMK = """#!/bin/sh
"$SOLGEN_TEST_LATEXMK" "$@"
status=$?
rm -f "$SOLGEN_TEST_FILLER"
exit $status
"""


@pytest.fixture
def tmpfs(tmp_path) -> Iterator[object]:
    mounted: list[Path] = []

    def mount(name: str, size: str) -> Path:
        where = tmp_path / name
        where.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
            capture_output=True,
            check=False,
        )
        if os.geteuid() != 0 or done.returncode != 0:
            pytest.skip("needs root to mount a tmpfs")
        mounted.append(where)
        return where

    yield mount
    for where in mounted:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


def fill(folder: Path, leave: int) -> Path:
    """A file that leaves about `leave` bytes free on folder's file system."""
    space = os.statvfs(folder)
    filler = folder / "filler"
    with open(filler, "wb") as handle:
        handle.write(b"\0" * max(0, space.f_bavail * space.f_frsize - leave))
    return filler


def build(out: Path, cache: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "solgen", "build", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "SOLGEN_CACHE_DIR": str(cache), **env},
        check=False,
    )


def formats(cache: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((cache / "formats").iterdir())}


def test_a_cache_too_full_for_the_format_is_no_failed_format(tmp_path, tmpfs):
    cache = tmpfs("cache", "5m")
    for _ in range(2):
        done = build(tmp_path / "out", cache)
        assert done.returncode == 0, done.stderr
        assert list((cache / "formats").iterdir()) == []  # no .failed, no .dump-* left
        assert "solgen: warning: the precompiled preamble " in done.stderr
        assert "could not be made (! Could not write " in done.stderr


def test_a_compile_on_a_full_disk_keeps_the_format(tmp_path, tmpfs):
    cache = tmp_path / "cache"
    assert build(tmp_path / "first", cache).returncode == 0
    made = formats(cache)
    assert [name[-4:] for name in made] == [".fmt"]
    disk = tmpfs("out", "7m")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "latexmk").write_text(LATEXMK, encoding="utf-8")
    (bin_dir / "latexmk").chmod(0o755)
    filler = fill(disk, 100_000)
    done = build(
        disk / "out",
        cache,
        PATH=f"{bin_dir}:{os.environ['PATH']}",
        SOLGEN_TEST_LATEXMK=str(shutil.which("latexmk")),
        SOLGEN_TEST_FILLER=str(filler),
    )
    assert done.returncode == 0, done.stderr
    assert formats(cache) == made
    assert "failed with a disk error" in done.stderr
    assert "and the format is kept" in done.stderr


def test_a_full_disk_fails_the_build_naming_the_error_and_keeps_the_format(tmp_path, tmpfs):
    cache = tmp_path / "cache"
    assert build(tmp_path / "first", cache).returncode == 0
    made = formats(cache)
    disk = tmpfs("out", "7m")
    fill(disk, 100_000)
    done = build(disk / "out", cache)
    assert done.returncode == 1
    assert formats(cache) == made
    assert "Traceback" not in done.stderr
    assert "No space left on device" in done.stderr
    assert str(disk / "out") in done.stderr
