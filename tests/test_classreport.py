"""classreport.py: the class report reads variant.toml as checked data."""

from __future__ import annotations

import os
import threading

from solgen.course.classreport import _variant


def test_a_fifo_or_a_link_as_variant_toml_is_skipped_without_blocking(tmp_path):
    """read_text on a FIFO waits for a writer forever; the report must go on without it."""
    fifo = tmp_path / "variant.toml"
    os.mkfifo(fifo)
    found: list[object] = []
    reader = threading.Thread(target=lambda: found.append(_variant(fifo)), daemon=True)
    reader.start()
    reader.join(timeout=5)
    assert not reader.is_alive() and found == [None]
    real = tmp_path / "real.toml"
    real.write_text("[problem2]\nA = [[1, 0], [0, 2]]\n", encoding="utf-8")
    assert _variant(real) == {"problem2": {"A": [[1, 0], [0, 2]]}}
    link = tmp_path / "link.toml"
    link.symlink_to(real)
    assert _variant(link) is None
