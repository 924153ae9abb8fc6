"""A small on-disk cache of data (SymPy derivations as text), keyed so it cannot go stale."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from solgen.files import atomic_write_bytes

MAX_ENTRY = 1_000_000  # bytes; a derivation is a few kB


def cache_dir() -> Path | None:
    """$SOLGEN_CACHE_DIR, else $XDG_CACHE_HOME/solgen or ~/.cache/solgen; None if disabled ('')."""
    explicit = os.environ.get("SOLGEN_CACHE_DIR")
    if explicit is not None:
        return Path(explicit) if explicit else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "solgen"


def source_key(*parts: str | Path) -> str:
    """A hash of strings and of files' contents: change either and the key changes."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(Path(part).read_bytes() if isinstance(part, Path) else part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:24]


def load(name: str) -> Any | None:
    """A cached JSON value, or None (missing, unreadable, not JSON: recompute).

    The cache holds data only: a file planted in a shared cache can at worst be a wrong
    answer to a question the caller checks, never code that runs.
    """
    folder = cache_dir()
    if folder is None:
        return None
    try:
        with open(folder / f"{name}.json", "rb") as handle:
            data = handle.read(MAX_ENTRY + 1)
        if len(data) > MAX_ENTRY:
            return None
        return json.loads(data.decode("utf-8"))
    except (OSError, ValueError, RecursionError):  # JSONDecodeError and UnicodeError are both
        return None


def store(name: str, value: Any) -> None:
    """Cache a JSON value; a cache that cannot be written is simply not used."""
    folder = cache_dir()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(folder / f"{name}.json", json.dumps(value).encode("utf-8"))
    except OSError:
        return
