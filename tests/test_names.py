"""Every name prints: each script's TeX, the preamble it needs, the fallback and its warning,
and a class batch whose sheets, key.pdf and bookmarks hold every name (pdftotext)."""

from __future__ import annotations

import re
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from solgen.base.charset import CJK_FAMILIES, cjk_family, unprintable_in_name
from solgen.cli import main
from solgen.course.roster import read_roster
from solgen.markup.names import name_preamble, name_tex, printed_name

NAMES = {
    "v1": "Nguyễn, Thị Ánh",
    "v2": "Trần Đức Thắng",
    "r1": "Иванова, Мария",
    "g1": "Παπαδόπουλος, Νίκος",
    "c1": "王, 芳",
    "t1": "陳大文",
    "j1": "山田, 太郎",
    "j2": "さくら",
    "k1": "김, 민준",
    "l1": "Łukasz Dvořák Iğdır İ ı þ ð ß",
}
ARABIC = "أحمد علي"
# Every tone mark on every Vietnamese vowel, upper and lower case, with ơ ư đ.
VIETNAMESE = "".join(chr(c) for c in range(0x1EA0, 0x1EFA)) + "ƠơƯưĐđ"


@pytest.mark.parametrize(
    ("name", "tex"),
    [
        ("Ada Lovelace", "Ada Lovelace"),
        ("Trần Đức", r"{\fontencoding{T5}\selectfont Trần} {\fontencoding{T5}\selectfont Đức}"),
        ("Łukasz Nguyễn", r"Łukasz {\fontencoding{T5}\selectfont Nguyễn}"),
        (
            "Παπαδόπουλος, Νίκος",
            r"{\fontencoding{LGR}\selectfont Παπαδόπουλος}, {\fontencoding{LGR}\selectfont Νίκος}",
        ),
        ("Яр", r'{\fontencoding{LCYW}\fontfamily{cmr}\selectfont \char"DF{}\char"F0{}}'),
        ("王, 芳", r"\begin{CJK}{UTF8}{gbsn}王\end{CJK}, \begin{CJK}{UTF8}{gbsn}芳\end{CJK}"),
        ("陳大文", r"\begin{CJK}{UTF8}{bsmi}陳大文\end{CJK}"),
        ("山田さくら", r"\begin{CJK}{UTF8}{min}山田さくら\end{CJK}"),
        (
            "김 민준",
            r"\begin{CJK}{UTF8}{nanummj}김\end{CJK} \begin{CJK}{UTF8}{nanummj}민준\end{CJK}",
        ),
        ("A & B_1", r"A \& B\_1"),
    ],
)
def test_name_tex(name, tex):
    assert name_tex(name) == tex


def test_the_preamble_loads_what_the_names_need_and_nothing_for_latin():
    assert name_preamble(["Ada", "Łukasz Dvořák", "Jürgen"]) == ""
    assert name_preamble(["Ada", "王", "Νίκος"]).split("\n") == [
        "% the names' scripts (loaded after the precompiled format)",
        r"\usepackage[LGR,T1]{fontenc}",
        r"\usepackage{CJKutf8}",
    ]


def test_a_name_no_font_sets_prints_as_the_id():
    assert unprintable_in_name(ARABIC) == ["أ", "ح", "م", "د", "ع", "ل", "ي"]
    assert unprintable_in_name("Ada \u2713") == ["\u2713"]
    assert unprintable_in_name("Олексій") == ["і"]  # Ukrainian: not among CMCYR's letters
    assert [unprintable_in_name(name) for name in NAMES.values()] == [[]] * len(NAMES)
    assert unprintable_in_name(VIETNAMESE) == []
    assert printed_name(ARABIC, "a1") == "a1"
    assert printed_name("Ada \u2713", "a2") == "a2"
    assert printed_name("김, 민준", "k1") == "김, 민준"


def test_kana_prefers_japanese_and_hangul_korean():
    assert cjk_family("山田") == "gbsn"
    assert cjk_family("山田さくら") == "min"
    assert cjk_family("김") == "nanummj"
    assert cjk_family("畑") == "min"  # a Japanese kanji no Chinese font holds


def test_the_roster_keeps_a_name_no_font_sets_and_warns(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(f'id,name\nk1,"김, 민준"\na1,{ARABIC}\na2,Ada \u2713\n', encoding="utf-8")
    notes: list[str] = []
    students = read_roster(path, notes)
    assert [(s.id, s.name) for s in students] == [
        ("k1", "김, 민준"),
        ("a1", ARABIC),
        ("a2", "Ada \u2713"),
    ]
    assert notes == [
        "roster row 3: warning: pdflatex cannot set أ (U+0623), ح (U+062D), م (U+0645), "
        "د (U+062F), ع (U+0639) in the name of 'a1'; its sheets and key.pdf print the id in "
        "place of the name",
        "roster row 4: warning: pdflatex cannot set \u2713 (U+2713) in the name of 'a2'; its "
        "sheets and key.pdf print the id in place of the name",
    ]


def test_an_unprintable_author_in_a_variant_is_refused(tmp_path, capsys):
    rc = main(["build", "--set", f'meta.author="{ARABIC}"', "--out", str(tmp_path), "--no-pdf"])
    assert rc == 2
    assert capsys.readouterr().err.splitlines()[0] == (
        "solgen: error: meta.author: pdflatex cannot set أ (U+0623), ح (U+062D), م (U+0645), "
        "د (U+062F), ع (U+0639); expected Latin (Vietnamese too), Greek, Cyrillic, Chinese, "
        "Japanese or Korean letters, digits and punctuation"
    )


def _tfm_chars(path: Path) -> set[int]:
    """The characters a TeX font metric file holds (a char_info word with a width)."""
    data = path.read_bytes()
    _, header, first, last = struct.unpack(">4H", data[:8])
    return {c for c in range(first, last + 1) if data[4 * (6 + header + c - first)] != 0}


@pytest.mark.tex
def test_cjkfonts_txt_is_what_the_installed_fonts_hold():
    """solgen/base/cjkfonts.txt: one line per 256 characters of a font, a bitmap of those it
    holds. If this fails after a TeX Live update, print these lines into the file."""
    prefixes = {"gbsn": "gbsnu", "bsmi": "bsmiu", "min": "udmj", "nanummj": "nanummjm"}
    assert tuple(prefixes) == CJK_FAMILIES
    lines = []
    for family, prefix in prefixes.items():
        names = [f"{prefix}{high:02x}.tfm" for high in range(256)]
        found = subprocess.run(["kpsewhich", *names], capture_output=True, text=True).stdout
        for path in map(Path, found.split()):
            bits = sum(1 << c for c in _tfm_chars(path))
            lines.append(f"{family} {path.stem[len(prefix) :]} {bits:064x}")
    data = Path(__file__).parent.parent / "solgen" / "base" / "cjkfonts.txt"
    assert data.read_text(encoding="ascii").splitlines() == lines


def outline_titles(pdf: Path) -> list[str]:
    """The bookmarks of a PDF: its UTF-16 strings, in the file or its compressed streams."""
    data = pdf.read_bytes()
    texts = [data]
    for match in re.finditer(rb"stream\r?\n", data):
        try:
            texts.append(
                zlib.decompressobj().decompress(data[match.end() : match.end() + (1 << 22)])
            )
        except zlib.error:
            continue
    found = []
    for text in texts:
        for m in re.finditer(rb"\((\\376\\377(?:\\.|[^\\)])*)\)|<(FEFF[0-9A-Fa-f]*)>", text):
            if m.group(1) is not None:
                raw = re.sub(rb"\\([0-7]{1,3})", lambda x: bytes([int(x.group(1), 8)]), m.group(1))
            else:
                raw = bytes.fromhex(m.group(2).decode())
            found.append(raw[2:].decode("utf-16-be"))
    return found


def pdftext(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout


@pytest.mark.tex
@pytest.mark.slow
def test_every_name_prints_on_the_sheets_key_and_bookmarks(tmp_path, capsys):
    key = tmp_path / "key.txt"
    assert main(["key", "-o", str(key)]) == 0
    roster = tmp_path / "roster.csv"
    rows = [*NAMES.items(), ("a1", ARABIC)]
    roster.write_text(
        "id,name\n" + "".join(f'{i},"{name}"\n' for i, name in rows), encoding="utf-8"
    )
    out = tmp_path / "class"
    assert main(["batch", "--roster", str(roster), "--key", str(key), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "batch: roster row 12: warning: pdflatex cannot set أ (U+0623)" in printed
    key_text = pdftext(out / "key.pdf")
    for student_id, name in NAMES.items():
        for sheet in ("solution.pdf", "assignment.pdf"):
            assert name in pdftext(out / student_id / sheet).splitlines(), (student_id, sheet)
        assert f"{name} ID {student_id}" in key_text or student_id in ("j1", "t1")
    # Fake-bold CJK (the key's headings) is drawn twice; pdftotext sees gaps in some of it.
    assert re.search(r"山田\s*,\s*太\s*郎 ID j1", key_text)
    assert re.search(r"陳\s*大\s*文 ID t1", key_text)
    assert "a1" in pdftext(out / "a1" / "assignment.pdf").splitlines()
    assert "a1 ID a1" in key_text
    bookmarks = [f"{i} {name}" for i, name in sorted(rows)]
    assert outline_titles(out / "all-solutions.pdf") == bookmarks
    assert outline_titles(out / "all-assignments.pdf") == bookmarks
