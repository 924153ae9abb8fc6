"""Which characters pdflatex (T1 fonts, utf8 input) can set: the rule input validation applies."""

from __future__ import annotations

import unicodedata

# Latin Extended-A letters that LaTeX's utf8 input with T1 fonts does not define (checked
# one by one with pdflatex: "Unicode character ... not set up for use with LaTeX").
_UNDEFINED_IN_T1 = frozenset("\u0126\u0127\u0138\u013f\u0140\u0149\u0166\u0167\u017f")
# Punctuation beyond Latin-1 that tex_escape writes as a command: dashes, curly quotes,
# the ellipsis and the euro sign.
BY_COMMAND = frozenset("\u2013\u2014\u2018\u2019\u201c\u201d\u2026\u20ac")


def settable(char: str) -> bool:
    """Whether pdflatex with T1 fonts and utf8 input can set this character."""
    code = ord(char)
    if 0x20 <= code < 0x7F or char in BY_COMMAND:
        return True
    return 0xA0 <= code <= 0x17F and char not in _UNDEFINED_IN_T1


def unsettable_characters(text: str) -> list[str]:
    """Characters of the text that pdflatex cannot set (they would print as '?')."""
    found = []
    for char in unicodedata.normalize("NFC", text):
        # line breaks become spaces, control and format characters are dropped: both harmless
        if char in "\t\n\r" or unicodedata.category(char) in ("Cc", "Cf"):
            continue
        if not settable(char) and char not in found:
            found.append(char)
    return found
