"""Helpers shared by the tests (imported as `helpers`: pytest puts tests/ on sys.path)."""

from __future__ import annotations

import hashlib
from pathlib import Path


def snapshot(directory: Path) -> dict[str, str]:
    """Every file under directory (hidden ones too), relative path -> sha256."""
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }
