"""Text that is not UTF-8: UTF-16 and UTF-32, told apart before decoding (variants, rosters)."""

from __future__ import annotations

_BYTE_ORDER_MARKS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


def wide_encoding(data: bytes) -> str | None:
    """UTF-16 or UTF-32, recognised by a byte-order mark or by a NUL in every other byte."""
    for mark, name in _BYTE_ORDER_MARKS:
        if data.startswith(mark):
            return name
    head = data[:200]
    if len(head) >= 4 and b"\x00" not in head[0::2] and set(head[1::2]) == {0}:
        return "UTF-16"  # little-endian without a mark: ASCII letters, each followed by NUL
    if len(head) >= 4 and b"\x00" not in head[1::2] and set(head[0::2]) == {0}:
        return "UTF-16"  # big-endian without a mark
    return None
