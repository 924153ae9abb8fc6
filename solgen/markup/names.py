"""Students' names as TeX: each script in its own font encoding or CJK font, the preamble
lines a document's names need, and the fallback for a name nothing installed can set."""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Iterable
from itertools import groupby

from solgen.base.charset import cjk_family, name_encoding, unprintable_in_name
from solgen.markup.latex import Tex, tex_escape

# The first line of the names' preamble lines: the precompiled format ends before it (so that
# every document shares the one format; preamble.split cuts here).
AFTER_FORMAT = "% the names' scripts (loaded after the precompiled format)"
# What the preamble loads for each encoding a name needs (after everything else, so that the
# document's own T1 stays the default encoding and the precompiled format stays the same).
_PACKAGES = {
    "T5": r"\usepackage[T5,T1]{fontenc}",
    "LGR": r"\usepackage[LGR,T1]{fontenc}",
    # cmap-cyr-vf: the CMCYR fonts' ToUnicode map, so that a PDF's Russian text can be found
    "LCYW": "\\usepackage{cmap-cyr-vf}\n\\usepackage[LCYW,T1]{fontenc}",
    "CJK": r"\usepackage{CJKutf8}",
}

# The letters T5 holds (t5enc.dfu): ASCII's and Vietnamese's; a word of them alone, such as
# Nguyễn, is set in T5 whole rather than switching encodings at each accented letter.
_T5_RANGES = (
    (0x00C0, 0x00C3), (0x00C8, 0x00CA), (0x00CC, 0x00CD), (0x00D2, 0x00D5), (0x00D9, 0x00DA),
    (0x00DD, 0x00DD), (0x00E0, 0x00E3), (0x00E8, 0x00EA), (0x00EC, 0x00ED), (0x00F2, 0x00F5),
    (0x00F9, 0x00FA), (0x00FD, 0x00FD), (0x0102, 0x0103), (0x0110, 0x0111), (0x0128, 0x0129),
    (0x0168, 0x0169), (0x01A0, 0x01A1), (0x01AF, 0x01B0), (0x1EA0, 0x1EF9),
)  # fmt: skip
_T5_LATIN = frozenset(string.ascii_letters + string.digits + "-.,").union(
    chr(code) for low, high in _T5_RANGES for code in range(low, high + 1)
)


def printable(name: str) -> bool:
    """Whether every character of the name can be set (else it prints as printed_name says)."""
    return not unprintable_in_name(name)


def printed_name(name: str, student_id: str) -> str:
    """What the sheets and key.pdf print for a student: the name, or the id in its place when
    some character of the name cannot be set."""
    return name if printable(name) else student_id


def name_tex(name: str) -> Tex:
    """A name as TeX: each run of one script in its encoding's group or its CJK environment
    (a character nothing installed sets prints as '?', as tex_escape prints it)."""
    if isinstance(name, Tex):
        return name
    text = unicodedata.normalize("NFC", str(name))
    family = cjk_family(text)
    out = []
    # A space or comma is a T1 run of its own: LGR would set Latin letters as Greek ones.
    pairs = zip(text, _encodings(text), strict=True)
    for encoding, chars in groupby(pairs, key=lambda pair: pair[1]):
        run = "".join(char for char, _ in chars)
        if encoding == "CJK" and family is not None:
            out.append(rf"\begin{{CJK}}{{UTF8}}{{{family}}}{run}\end{{CJK}}")
        elif encoding in ("T5", "LGR"):
            out.append(rf"{{\fontencoding{{{encoding}}}\selectfont {run}}}")
        elif encoding == "LCYW":
            # LCYW is Windows-1251 and has no utf8 definitions: each letter as its code
            codes = "".join(f'\\char"{char.encode("cp1251")[0]:02X}{{}}' for char in run)
            out.append(rf"{{\fontencoding{{LCYW}}\fontfamily{{cmr}}\selectfont {codes}}}")
        else:
            out.append(tex_escape(run))
    return Tex("".join(out))


def _encodings(text: str) -> list[str | None]:
    """Each character's encoding; a Vietnamese word is set in T5 whole (kerning, accents of
    one design) when T5 holds all its letters."""
    encodings = [name_encoding(char) for char in text]
    start = 0
    for word in text.split(" "):
        end = start + len(word)
        if "T5" in encodings[start:end] and all(char in _T5_LATIN for char in word):
            encodings[start:end] = ["T5"] * len(word)
        start = end + 1
    return encodings


def name_preamble(names: Iterable[str]) -> Tex:
    """The preamble lines that the names need (nothing for names in T1 alone)."""
    needed = {name_encoding(c) for name in names for c in unicodedata.normalize("NFC", name)}
    lines = [line for encoding, line in _PACKAGES.items() if encoding in needed]
    return Tex("\n".join([AFTER_FORMAT, *lines]) if lines else "")
