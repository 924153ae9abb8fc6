"""render.py and the templates: strict environment, escaping at use, overrides, the one switch."""

from __future__ import annotations

import jinja2
import pytest

from solgen.document.build import render_documents, solve
from solgen.document.render import UnescapedText, environment
from solgen.document.variant import load_variant


def render_string(source: str, **context) -> str:
    return environment().from_string(source).render(context)


def test_plain_text_must_be_escaped():
    with pytest.raises(UnescapedText, match="use \\|tex_escape"):
        render_string("((( name )))", name="50% off")
    assert render_string("((( name|tex_escape )))", name="50% off") == r"50\% off"


def test_undefined_variables_are_errors():
    with pytest.raises(jinja2.UndefinedError):
        render_string("((( missing|tex_escape )))")


def test_comments_and_blocks_use_latex_safe_delimiters():
    assert render_string("((= note =))((* if 1 *))x((* endif *)) {a} %b") == "x {a} %b"


@pytest.fixture(scope="module")
def seed_documents() -> dict[str, str]:
    variant = load_variant()
    return render_documents(variant, solve(variant))


def test_solution_and_sheet_from_one_template(seed_documents):
    solution, sheet = seed_documents["solution"], seed_documents["assignment"]
    assert "\\begin{solution}" in solution
    assert "\\begin{solution}" not in sheet
    assert "1.0185" in solution and "1.0185" not in sheet
    # the statements are identical: the sheet is the solution minus the solution blocks
    for marker in (
        "Problem 1. Calculating gradients",
        "Problem 2. Gradient descent",
        "Problem 3. Convolutional networks",
    ):
        assert marker in solution and marker in sheet


def test_meta_is_escaped_once():
    variant = load_variant(sets=['meta.author="A & B_{1}"'])
    tex = render_documents(variant, solve(variant))["solution"]
    assert r"A \& B\_\{1\}" in tex


def test_template_override_extends_ours(tmp_path):
    (tmp_path / "convnet.tex.j2").write_text(
        "((* extends 'solgen/convnet.tex.j2' *))\n"
        "((* block statement *))Design a small CNN, please.((* endblock *))\n",
        encoding="utf-8",
    )
    variant = load_variant()
    tex = render_documents(variant, solve(variant), template_dir=tmp_path)["solution"]
    assert "Design a small CNN, please." in tex
    assert "Give a sequence of alternating" not in tex
    assert "15{,}296" in tex  # our solution block is still there


def test_template_output_is_tex_for_super_macros_and_set_blocks(tmp_path):
    (tmp_path / "child.tex.j2").write_text(
        "((* extends 'parent.tex.j2' *))((* block b *))[((( super() )))]((* endblock *))",
        encoding="utf-8",
    )
    (tmp_path / "parent.tex.j2").write_text(
        "((* macro m() *))\\emph{m}((* endmacro *))"
        "((* set s *))\\textbf{s}((* endset *))"
        "((* block b *))P((( m() )))((( s )))((* endblock *))",
        encoding="utf-8",
    )
    env = environment(tmp_path)
    assert env.get_template("child.tex.j2").render() == "[P\\emph{m}\\textbf{s}]"


def test_combined_document_lists_each_pdf_with_a_bookmark():
    from solgen.document.render import combine

    tex = combine([("a1-solution.pdf", "a1 Zoë")])
    # UTF-16BE with a byte-order mark, every byte an octal escape: "a1 Zoë"
    title = r"\376\377\000\141\000\061\000\040\000\132\000\157\000\353"
    assert f"\\pdfoutline goto name{{variant1}} count 0 {{\\detokenize{{{title}}}}}%\n" in tex
    assert "\\pdfdest name{variant1} fit" in tex and "]{a1-solution.pdf}\n" in tex


@pytest.mark.parametrize("text", ["a}b", "x{", "\\relax", "%", "Noether, Emmy", "Łukasz 😀"])
def test_bookmark_titles_reach_tex_as_digits_only(text):
    from solgen.document.render import pdf_string

    tex = pdf_string(text)
    assert tex.startswith("\\detokenize{\\376\\377") and tex.endswith("}")
    body = tex[len("\\detokenize{") : -1]
    assert set(body) <= set("\\01234567")
    octets = bytes(int(chunk, 8) for chunk in body.split("\\")[1:])
    assert octets.decode("utf-16") == text  # the BOM tells the byte order back


@pytest.mark.parametrize("name", ["a}b.pdf", "a b.pdf", "a\\relax.pdf", "../x.pdf"])
def test_combined_document_refuses_file_names_that_would_need_escaping(name):
    from solgen.document.render import combine

    with pytest.raises(ValueError, match="not a plain file name"):
        combine([(name, "Variant 1")])


@pytest.mark.parametrize(
    ("count", "noun", "text"),
    [
        (1, "channel", "one channel"),
        (3, "channel", "3 channels"),
        (1, "input feature map", "one input feature map"),
        (64, "feature map", "64 feature maps"),
        (2, "entry", "2 entries"),
        (0, "filter", "0 filters"),
    ],
)
def test_counted_nouns(count, noun, text):
    from solgen.document.render import counted

    assert counted(count, noun) == text


def _documents(*sets):
    from solgen.document.build import render_documents, solve
    from solgen.document.variant import load_variant

    variant = load_variant(None, list(sets))
    return render_documents(variant, solve(variant))["solution"]


def test_one_of_a_kind_is_written_in_the_singular():
    tex = _documents(
        "problem3.input=[32,32,1]", "problem3.target=[4,4,16]", "problem2.A=[[1,0],[0,-1]]"
    )
    assert "The input is an image of size $32 \\times 32$ with one channel." in tex
    assert "$S$ has one negative eigenvalue," in tex
    assert "1 feature maps" not in tex and "1 channels" not in tex
    singular = _documents("problem2.A=[[1,0],[0,0]]")
    assert "No eigenvalue is negative, but one eigenvalue is zero" in singular


def test_the_gradient_entry_is_named_by_its_row_and_column():
    tex = _documents()
    assert "Entry $(j, i)$ of $\\partial L / \\partial W^{(1)}$ (row $j$, column $i$) is" in tex
    assert "Column $j$ of $\\partial L / \\partial W^{(1)}$'s row $j$" not in tex


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_smooth_activations_are_not_described_as_switching_on(activation):
    tex = _documents(f"problem1.activation={activation}")
    assert "switch it on" not in tex and "on for $k" not in tex and "off for every" not in tex
    assert "with $z_{kj} > 0$, where $f$ is above its value at $0$." in tex
    relu = _documents()
    assert "that switch it on ($z_{kj} > 0$)." in relu and "on for $k = " in relu


def _appendix_entries(tex: str, name: str) -> list[list[str]]:
    """The rows of every appendix block of one matrix, in order (blocks side by side joined)."""
    import re

    head = re.escape(f"\\noindent${name}$, rows ") + r"(\d+)--(\d+)(?:, columns? [\d-]+)?:\n"
    body = r"\\\[ \\solgenfit\{\\begin\{bmatrix\}\n(.*?)\n\\end\{bmatrix\}\} \\\]"
    pattern = head + body
    rows: dict[int, list[str]] = {}
    for match in re.finditer(pattern, tex, re.S):
        top = int(match.group(1))
        for offset, line in enumerate(match.group(3).split(" \\\\\n")):
            rows.setdefault(top + offset, []).extend(cell.strip() for cell in line.split("&"))
    return [rows[k] for k in sorted(rows)]


def test_a_large_network_prints_every_entry_in_an_appendix(tmp_path):
    from solgen.cli import main
    from solgen.document.build import render_documents, solve
    from solgen.document.variant import load_variant
    from solgen.markup.latex import fmt_number

    path = tmp_path / "v.toml"
    assert (
        main(
            [
                "variant",
                "--seed",
                "11",
                "--samples",
                "40",
                "--inputs",
                "12",
                "--hidden",
                "10",
                "-o",
                str(path),
            ]
        )
        == 0
    )
    variant = load_variant(path)
    solution = solve(variant)
    documents = render_documents(variant, solution)
    sheet = documents["assignment"]
    assert "the appendix at the end lists every entry of" in sheet
    assert _appendix_entries(sheet, "X") == [
        [fmt_number(v) for v in row] for row in variant.input_of("problem1").X
    ]
    assert _appendix_entries(sheet, "W^{(1)}") == [
        [fmt_number(v) for v in row] for row in variant.input_of("problem1").W1
    ]
    assert "\\noindent$\\mathbf{t}$, entries 1--40: $(" in sheet
    assert "\\partial L / \\partial W^{(1)}$, rows" not in sheet  # no answers on the sheet
    grad = _appendix_entries(documents["solution"], "\\partial L / \\partial W^{(1)}")
    assert grad == [
        [fmt_number(v) for v in row] for row in solution.result_of("problem1").exact.grad["W1"]
    ]
    assert "Appendix: the full data" not in _documents()  # the seed's data fit on the page
    files = (
        "\\texttt{data/X.csv}, \\texttt{data/t.csv}, \\texttt{data/W1.csv}, "
        "\\texttt{data/b1.csv}, \\texttt{data/w2.csv}, \\texttt{data/b2.csv} beside\nthis sheet"
    )
    assert files in sheet  # the large sheet points at the CSV files the build writes
    assert "data/X.csv" not in _documents()


@pytest.mark.parametrize("A", ["[[1,3],[3,1]]", "[[0,0],[0,0]]", "[[5,2],[2,2]]"])
def test_the_statement_never_presumes_a_minimum(A):
    tex = _documents(f"problem2.A={A}")
    assert "that minimises\n\\[" not in tex and "We run gradient descent on" in tex
    if A == "[[5,2],[2,2]]":  # positive definite: one minimiser, and the statement says so
        assert "converge to\nthe minimiser of $f$ from every starting point?" in tex
    else:
        assert "converge to\na minimiser of $f$ from every starting point (if $f$ has one)?" in tex
    zero = "\\ \\text{for every } \\mathbf{u}," in tex
    assert zero == (A == "[[0,0],[0,0]]")


def test_the_characteristic_polynomial_is_not_repeated_when_factoring_changes_nothing():
    zero = _documents("problem2.A=[[0,0],[0,0]]")
    assert "= \\lambda^{2}\n  = 0," in zero and "= \\lambda^{2}\n  = \\lambda^{2}" not in zero
    seed = _documents()
    factored = "= (\\lambda - 6) (\\lambda - 1)\n"
    assert "= \\lambda^{2} - 7 \\lambda + 6\n  " + factored in seed


def test_the_optimal_step_does_not_reuse_the_loss_L():
    tex = _documents()
    assert "2/(\\mu + L)" not in tex
    assert "$m = 2\\lambda_{\\min}$ and $M = 2\\lambda_{\\max}$ of the Hessian" in tex
    assert "the familiar $2/(m + M)$" in tex


def test_the_solution_says_what_its_approximations_mean():
    """Exact decimals (0.2496) print in full, approximations (0.245499) to SIGNIFICANT digits:
    the reader is told which is which, once, under the title."""
    from solgen.document.build import render_documents, solve
    from solgen.document.variant import load_variant

    variant = load_variant()
    documents = render_documents(variant, solve(variant))
    note = "A number after $=$ is exact; after $\\approx$ it is rounded to 6 significant digits."
    assert note in documents["solution"]
    assert note not in documents["assignment"]


@pytest.mark.parametrize(("count", "word"), [(0, "are"), (1, "is"), (2, "are")])
def test_agree_picks_the_word_for_the_count(count, word):
    from solgen.document.render import agree

    assert agree(count, "is", "are") == word


def test_agree_takes_plain_words_only():
    from solgen.document.render import agree

    with pytest.raises(ValueError, match=r"agree: expected a plain word, found '\\\\x'"):
        agree(2, "is", "\\x")
