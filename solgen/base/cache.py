"""A small on-disk cache of data (SymPy derivations as text), keyed so it cannot go stale.

An entry is JSON: {"key": the name it was stored under, "sha256": a hash of that key and the
value, "value": ...}. An entry that is damaged (not JSON, edited, copied under another key) is
reported once on stderr and is a miss; the caller recomputes it and stores it again. The hash
is no signature (solgen is public, anyone can compute it): whoever reads a value still checks
what it means (the network problem verifies every derivation it reads back).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from solgen.base.files import atomic_write_bytes

MAX_ENTRY = 1_000_000  # bytes; a derivation is a few kB

_warned: set[str] = set()


def warn(message: str) -> None:
    """Print 'solgen: warning: message' on stderr, once per process (control characters
    escaped, as in error messages)."""
    if message in _warned:
        return
    _warned.add(message)
    text = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in message)
    print(f"solgen: warning: {text}", file=sys.stderr)


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


def path_of(name: str) -> Path | None:
    """Where the entry `name` is kept; None without a cache."""
    folder = cache_dir()
    return None if folder is None else folder / f"{name}.json"


def _checksum(name: str, value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(f"{name}\0{text}".encode("ascii")).hexdigest()


def load(name: str) -> Any | None:
    """A cached JSON value, or None: missing (silently), or damaged (reported, then a miss).

    The cache holds data only: a file planted in a shared cache can at worst be a wrong
    answer to a question the caller checks, never code that runs.
    """
    path = path_of(name)
    if path is None:
        return None
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_ENTRY + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return _damaged(path, exc.strerror or str(exc))
    if len(data) > MAX_ENTRY:
        return _damaged(path, f"larger than {MAX_ENTRY:,} bytes")
    try:
        entry = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeError are both
        return _damaged(path, "not JSON")
    if not isinstance(entry, dict) or set(entry) != {"key", "sha256", "value"}:
        return _damaged(path, "not a cache entry")
    if entry["key"] != name:
        return _damaged(path, f"it was stored under the key {str(entry['key'])[:80]!r}")
    try:
        expected = _checksum(name, entry["value"])
    except (ValueError, RecursionError):
        return _damaged(path, "not a cache entry")
    if entry["sha256"] != expected:
        return _damaged(path, "its checksum does not match its content")
    return entry["value"]


def _damaged(path: Path, why: str) -> Any:
    warn(f"the cache entry {path} is damaged ({why}); it is recomputed and replaced")
    return None


def store(name: str, value: Any) -> None:
    """Cache a JSON value; a cache that cannot be written is simply not used."""
    path = path_of(name)
    if path is None:
        return
    entry = {"key": name, "sha256": _checksum(name, value), "value": value}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir() and not path.is_symlink():  # not an entry: nothing else would replace it
            shutil.rmtree(path)
        atomic_write_bytes(path, json.dumps(entry).encode("utf-8"))
    except OSError:
        return
