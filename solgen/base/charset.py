"""Which characters pdflatex can set: T1 fonts for text (the rule input validation applies),
and for names also Vietnamese, Cyrillic, Greek, Chinese, Japanese and Korean."""

from __future__ import annotations

import functools
import unicodedata
from importlib import resources

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


# Names print in more scripts than other text: each script's letters are set in their own font
# encoding (Vietnamese T5 with Latin Modern, Greek LGR with the cbfonts, Russian LCYW with the
# CMCYR fonts) or, Chinese, Japanese and Korean, with CJKutf8 in a CJK font that holds every
# one of the name's characters. Only fonts whose metrics Debian ships count: pdflatex makes
# none (compile.py forbids mktextfm), which rules out T2A (its lh metrics are Metafont's).
# The ranges are the letters of t5enc.dfu and lgrenc.dfu and CMCYR's 66 Russian letters;
# test_names compiles every one of them.
_SCRIPT_RANGES = {
    "T5": ((0x01A0, 0x01A1), (0x01AF, 0x01B0), (0x1EA0, 0x1EF9)),
    "LCYW": ((0x0401, 0x0401), (0x0410, 0x044F), (0x0451, 0x0451)),
    "LGR": (
        (0x0386, 0x038A),
        (0x038C, 0x038C),
        (0x038E, 0x03A1),
        (0x03A3, 0x03CE),
        (0x1F00, 0x1F15),
        (0x1F18, 0x1F1D),
        (0x1F20, 0x1F45),
        (0x1F48, 0x1F4D),
        (0x1F50, 0x1F57),
        (0x1F59, 0x1F59),
        (0x1F5B, 0x1F5B),
        (0x1F5D, 0x1F5D),
        (0x1F5F, 0x1F7D),
        (0x1F80, 0x1FB4),
        (0x1FB6, 0x1FBC),
        (0x1FC2, 0x1FC4),
        (0x1FC6, 0x1FCC),
        (0x1FD0, 0x1FD3),
        (0x1FD6, 0x1FDB),
        (0x1FE0, 0x1FEC),
        (0x1FF2, 0x1FF4),
        (0x1FF6, 0x1FFC),
    ),
}
# CJK fonts in the order a name without kana or hangul tries them: simplified Chinese (Arphic
# SungtiL GB), traditional (Arphic Mingti2L Big5), Japanese (Wadalab Mincho); a name with kana
# tries Japanese first, one with hangul Korean (Nanum Myeongjo) first.
CJK_FAMILIES = ("gbsn", "bsmi", "min", "nanummj")
# What a name may be written in, for messages.
NAME_LETTERS = "Latin (Vietnamese too), Greek, Cyrillic, Chinese, Japanese or Korean letters"
# Where CJK fonts set a name's characters: the CJK blocks (the fonts also hold Cyrillic, Greek
# and symbols, but full-width, so those do not count).
_CJK_BLOCKS = (
    (0x1100, 0x11FF), (0x2E80, 0x2FDF), (0x3000, 0x30FF), (0x3130, 0x318F), (0x31F0, 0x31FF),
    (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0xF900, 0xFAFF), (0xFF00, 0xFFEF),
)  # fmt: skip
_KANA = ((0x3040, 0x30FF), (0x31F0, 0x31FF))
_HANGUL = ((0xAC00, 0xD7A3), (0x1100, 0x11FF), (0x3130, 0x318F))


def _within(code: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(low <= code <= high for low, high in ranges)


def name_encoding(char: str) -> str | None:
    """The font encoding that sets this character of a name: "T1" (the document's own),
    "T5", "LGR", "LCYW", "CJK" (some CJK font holds it), or None (nothing installed does)."""
    if settable(char):
        return "T1"
    code = ord(char)
    for encoding, ranges in _SCRIPT_RANGES.items():
        if _within(code, ranges):
            return encoding
    if _within(code, _CJK_BLOCKS) and any(code in _cjk_coverage()[f] for f in CJK_FAMILIES):
        return "CJK"
    return None


def cjk_family(text: str) -> str | None:
    """The one CJK font that holds every CJK character of a name (kana: Japanese first,
    hangul: Korean first), or None if no font holds them all."""
    codes = {ord(c) for c in text if name_encoding(c) == "CJK"}
    order = list(CJK_FAMILIES)
    if any(_within(code, _HANGUL) for code in codes):
        order.insert(0, order.pop(order.index("nanummj")))
    elif any(_within(code, _KANA) for code in codes):
        order.insert(0, order.pop(order.index("min")))
    coverage = _cjk_coverage()
    return next((family for family in order if codes <= coverage[family]), None)


def unprintable_in_name(text: str) -> list[str]:
    """Characters of a name that no installed font sets (the name prints as a fallback)."""
    found = [
        char for char in _visible(text) if name_encoding(char) is None and char not in "\t\n\r"
    ]
    if not found and cjk_family(text) is None:
        # each CJK character is in some font, but no one font holds them all
        found = [c for c in _visible(text) if name_encoding(c) == "CJK"]
    return list(dict.fromkeys(found))


def _visible(text: str) -> str:
    """NFC text without control and format characters (tex_escape drops those)."""
    normal = unicodedata.normalize("NFC", text)
    return "".join(c for c in normal if unicodedata.category(c) not in ("Cc", "Cf"))


@functools.cache
def _cjk_coverage() -> dict[str, frozenset[int]]:
    """Each CJK font's characters: cjkfonts.txt, read from the fonts' TeX metrics (TFM files;
    tests/test_names.py compares it with the installed fonts and tells how to remake it)."""
    found: dict[str, set[int]] = {family: set() for family in CJK_FAMILIES}
    text = resources.files("solgen.base").joinpath("cjkfonts.txt").read_text(encoding="ascii")
    for line in text.splitlines():
        family, high, bits = line.split()
        mask, base = int(bits, 16), int(high, 16) << 8
        found[family].update(base + low for low in range(256) if mask >> low & 1)
    return {family: frozenset(codes) for family, codes in found.items()}
