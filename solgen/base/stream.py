"""Deterministic pseudo-random integers for drawing variants: the same seed and label give the
same numbers anywhere (no Python version, platform or hash randomisation in them).

May import: the standard library only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


class Stream:
    """Deterministic pseudo-random integers from SHA-256 of (seed, label, counter).

    Unlike random.Random, the numbers depend on nothing but the seed: not on the Python
    version, the platform, or hash randomisation.
    """

    def __init__(self, seed: int, label: str) -> None:
        self._key = f"solgen:{seed}:{label}"
        self._count = 0

    def integer(self, low: int, high: int) -> int:
        """A uniform integer in [low, high]."""
        self._count += 1
        digest = hashlib.sha256(f"{self._key}:{self._count}".encode()).digest()
        return low + int.from_bytes(digest[:16], "big") % (high - low + 1)

    def choice(self, items: Sequence[int]) -> int:
        """One of the items."""
        return items[self.integer(0, len(items) - 1)]
