"""preamble.py and its use in compile.py: a precompiled preamble sets the very same pages."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from solgen.document import preamble
from solgen.document.build import BuildOptions, build
from solgen.document.compile import CompileError, compile_tex
from solgen.document.variant import load_variant

DOCUMENT = (
    "\\documentclass{article}\n"
    "\\pdftrailerid{}\n"
    "\\usepackage{tikz}\n"
    "\\begin{document}\n"
    "Hello \\tikz\\draw (0,0) -- (1,1);\n"
    "\\end{document}\n"
)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("SOLGEN_CACHE_DIR", str(folder))
    return folder


def test_split_blanks_the_preamble_and_keeps_line_numbers():
    parts = preamble.split(DOCUMENT)
    assert parts is not None
    assert parts.preamble == "\\documentclass{article}\n\\pdftrailerid{}\n\\usepackage{tikz}\n"
    # \pdftrailerid is an output setting a format does not keep: it stays, on its own line
    assert parts.body == (
        "\n\\pdftrailerid{}\n\n"
        "\\begin{document}\n"
        "Hello \\tikz\\draw (0,0) -- (1,1);\n"
        "\\end{document}\n"
    )
    assert parts.body.count("\n") == DOCUMENT.count("\n")


@pytest.mark.parametrize(
    "source",
    [
        "\\documentclass{article}\nno document environment\n",
        "\\documentclass{article} \\begin{document} x \\end{document}\n",  # not at a line start
        "\\begin{document}\nx\n\\end{document}\n",  # no preamble at all
    ],
)
def test_split_needs_a_preamble_and_a_begin_document_line(source):
    assert preamble.split(source) is None


def test_dump_source_ends_with_dump():
    assert preamble.dump_source("\\documentclass{article}\n") == (
        "\\documentclass{article}\n\\dump\n"
    )


def test_no_format_without_a_cache(monkeypatch):
    monkeypatch.setenv("SOLGEN_CACHE_DIR", "")
    assert preamble.format_file("\\documentclass{article}\n") is None


def test_the_key_follows_the_preamble(cache):
    if shutil.which("kpsewhich") is None:
        pytest.skip("no TeX installation to key by")
    first = preamble.format_file("\\documentclass{article}\n")
    assert first is not None and first.parent == cache / "formats"
    assert first == preamble.format_file("\\documentclass{article}\n")
    assert first != preamble.format_file("\\documentclass{report}\n")


def _pages(pdf: Path, folder: Path) -> list[bytes]:
    """Every page rendered at 50 dpi (grey levels), for a pixel-exact comparison."""
    prefix = folder / pdf.stem
    subprocess.run(["pdftoppm", "-r", "50", "-gray", str(pdf), str(prefix)], check=True)
    return [p.read_bytes() for p in sorted(folder.glob(f"{pdf.stem}-*.pgm"))]


def _log_first_line(compiled_scratch: Path, name: str) -> str:
    return (compiled_scratch / f"{name}.log").read_text(encoding="latin-1").splitlines()[0]


@pytest.mark.tex
def test_the_format_is_made_once_and_sets_the_same_pages(cache, tmp_path):
    variant = load_variant(None)
    out_plain, out_fast = tmp_path / "tex", tmp_path / "pages"
    build(variant, BuildOptions(out_dir=out_plain, pdf=False))
    source = (out_plain / "solution.tex").read_text(encoding="utf-8")
    first = compile_tex(source, "solution", tmp_path, 120, precompiled=True)
    (fmt,) = (cache / "formats").glob("*.fmt")
    made = fmt.stat().st_ino
    second = compile_tex(source, "solution", tmp_path, 120, precompiled=True)
    assert fmt.stat().st_ino == made  # loaded, not made again (a new one replaces the file)
    for compiled in (first, second):
        assert "format=solgen-preamble" in _log_first_line(compiled.scratch, "solution")
    plain = compile_tex(source, "solution", tmp_path, 120)
    assert "format=pdflatex" in _log_first_line(plain.scratch, "solution")
    out_fast.mkdir()
    shutil.copy(second.pdf, out_fast / "fast.pdf")
    shutil.copy(plain.pdf, out_fast / "plain.pdf")
    fast_pages = _pages(out_fast / "fast.pdf", out_fast)
    assert len(fast_pages) >= 5
    assert fast_pages == _pages(out_fast / "plain.pdf", out_fast)


@pytest.mark.tex
def test_errors_name_the_line_of_the_full_document(cache, tmp_path):
    broken = DOCUMENT.replace("Hello", "Hello \\undefinedcommand")
    with pytest.raises(CompileError) as caught:
        compile_tex(broken, "doc", tmp_path, 60, precompiled=True)
    assert str(caught.value).startswith("doc.tex:5: Undefined control sequence")
    # the failed compile with the format was retried the plain way; the format is kept
    assert len(list((cache / "formats").glob("*.fmt"))) == 1
    assert caught.value.log.read_text(encoding="latin-1").startswith("This is pdfTeX")
    assert "format=pdflatex" in caught.value.log.read_text(encoding="latin-1").splitlines()[0]


@pytest.mark.tex
def test_a_corrupt_format_is_discarded_and_the_document_still_compiles(cache, tmp_path):
    compile_tex(DOCUMENT, "doc", tmp_path, 60, precompiled=True)
    (fmt,) = (cache / "formats").glob("*.fmt")
    fmt.write_bytes(b"not a format")
    compiled = compile_tex(DOCUMENT, "doc", tmp_path, 60, precompiled=True)
    assert compiled.pdf.read_bytes().startswith(b"%PDF-")
    assert "format=pdflatex" in _log_first_line(compiled.scratch, "doc")
    assert not fmt.exists()
    marker = preamble.failed_marker(fmt)
    assert marker.read_text(encoding="utf-8") == (
        "doc.tex failed with this format and compiled without it\n"
    )
    again = compile_tex(DOCUMENT, "doc", tmp_path, 60, precompiled=True)  # not made again
    assert "format=pdflatex" in _log_first_line(again.scratch, "doc")
    assert not fmt.exists()


@pytest.mark.tex
def test_a_preamble_that_cannot_be_dumped_is_compiled_plainly(cache, tmp_path):
    # \dump inside a group is an error; LaTeX itself only warns about the open group
    odd = DOCUMENT.replace("\\usepackage{tikz}\n", "\\usepackage{tikz}\n\\begingroup\n")
    compiled = compile_tex(odd, "doc", tmp_path, 60, precompiled=True)
    assert "format=pdflatex" in _log_first_line(compiled.scratch, "doc")
    (marker,) = (cache / "formats").glob("*.failed")
    assert "dump inside a group" in marker.read_text(encoding="utf-8")
    assert not list((cache / "formats").glob("*.fmt"))
    assert not list((cache / "formats").glob(".dump-*"))  # no leftovers


def test_only_solgensown_preamble_is_precompiled(tmp_path):
    from solgen.document.build import own_preamble

    assert own_preamble(None)
    assert own_preamble(tmp_path)  # overrides of other templates keep our preamble
    (tmp_path / "base.tex.j2").write_text("((* extends 'solgen/base.tex.j2' *))\n")
    assert not own_preamble(tmp_path)


def test_prune_keeps_the_most_recently_used_formats(tmp_path):
    import os

    for age, name in enumerate(["a", "b", "c", "d", "e", "f"]):
        fmt = tmp_path / f"{name}.fmt"
        fmt.write_bytes(b"x")
        os.utime(fmt, (1_000_000 - age * 100, 1_000_000 - age * 100))  # a newest, f oldest
    preamble.touch(tmp_path / "e.fmt")  # used just now
    (tmp_path / "z.failed").write_text("marker")
    removed = preamble.prune(tmp_path, keep=4)
    assert sorted(p.name for p in removed) == ["d.fmt", "f.fmt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "a.fmt",
        "b.fmt",
        "c.fmt",
        "e.fmt",
        "z.failed",
    ]


def _writes(*names: str) -> str:
    """TeX that writes 'x' into each named file (through \\openout, as a template may)."""
    return "\\newwrite\\w" + "".join(
        f"\\immediate\\openout\\w={name}\\immediate\\write\\w{{x}}\\immediate\\closeout\\w\\relax "
        for name in names
    )


@pytest.mark.tex
def test_a_document_cannot_write_into_the_cached_format(cache, tmp_path):
    """The scratch folder held a link to the cache's format: \\openout through it overwrote
    the format, and every later build fell back to the slow path."""
    compile_tex(DOCUMENT, "doc", tmp_path, 60, precompiled=True)
    (fmt,) = (cache / "formats").glob("*.fmt")
    made = fmt.read_bytes()
    hostile = DOCUMENT.replace("Hello", _writes("solgen-preamble.fmt", fmt.name) + "Hello")
    compiled = compile_tex(hostile, "doc", tmp_path, 60, precompiled=True)
    assert "format=solgen-preamble" in _log_first_line(compiled.scratch, "doc")
    assert fmt.read_bytes() == made
    assert not list((cache / "formats").glob("*.failed"))
    assert [p.name for p in compiled.scratch.iterdir() if p.is_symlink()] == []
    again = compile_tex(DOCUMENT, "doc", tmp_path, 60, precompiled=True)
    assert "format=solgen-preamble" in _log_first_line(again.scratch, "doc")


@pytest.mark.tex
def test_a_document_cannot_write_by_absolute_path_or_above_its_folder(cache, tmp_path):
    compile_tex(DOCUMENT, "doc", tmp_path, 60, precompiled=True)
    (fmt,) = (cache / "formats").glob("*.fmt")
    made = fmt.read_bytes()
    for target in (str(fmt), f"../cache/formats/{fmt.name}"):
        with pytest.raises(CompileError, match="I can't write on file"):
            hostile = DOCUMENT.replace("Hello", _writes(target) + "Hello")
            compile_tex(hostile, "doc", tmp_path, 60, precompiled=True)
    assert fmt.read_bytes() == made
    assert not list((cache / "formats").glob("*.failed"))


@pytest.mark.tex
def test_inputs_are_copied_so_tex_cannot_write_through_them(tmp_path):
    """The inputs (the students' PDFs of a combined document) were links into the batch."""
    original = tmp_path / "student.pdf"
    original.write_bytes(b"the student's PDF\n")
    hostile = DOCUMENT.replace("Hello", _writes("in.pdf") + "Hello")
    compiled = compile_tex(hostile, "doc", tmp_path, 60, inputs={"in.pdf": original})
    assert original.read_bytes() == b"the student's PDF\n"
    assert (compiled.scratch / "in.pdf").read_text(encoding="utf-8") == "x\n"
    assert not (compiled.scratch / "in.pdf").is_symlink()


def test_tex_makes_no_fonts_or_formats_outside_its_folder():
    from solgen.document.compile import latexmk_command, tex_environment

    env = tex_environment(Path("/cache/formats"))
    assert env["TEXFORMATS"] == "/cache/formats"
    assert [env[f"MKTEX{kind}"] for kind in ("TFM", "PK", "MF", "FMT")] == ["0"] * 4
    assert (env["openout_any"], env["openin_any"], env["TEXMFOUTPUT"]) == ("p", "p", "")
    assert "$pdflatex=q/pdflatex -no-parse-first-line -fmt=abc %O %S/" in latexmk_command(
        "x.tex", fmt="abc"
    )
    assert "TEXFORMATS" not in tex_environment()


@pytest.mark.tex
def test_a_cache_folder_kpathsea_cannot_search_compiles_the_plain_way(tmp_path, monkeypatch):
    monkeypatch.setenv("SOLGEN_CACHE_DIR", str(tmp_path / "a:b"))
    compiled = compile_tex(DOCUMENT, "doc", tmp_path, 60, precompiled=True)
    assert "format=pdflatex" in _log_first_line(compiled.scratch, "doc")
    assert not (tmp_path / "a:b" / "formats").exists()
