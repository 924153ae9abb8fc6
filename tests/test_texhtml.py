"""texhtml: the statements' restricted TeX as HTML for MathJax, one exact string per case."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from solgen.markup.texhtml import TexHtmlError, math_html, tex_to_html

CASES = [
    # paragraphs: a line break is a space, a blank line (or \par) a new paragraph
    ("One\ntwo.\n\n\nThree.", "<p>One two.</p><p>Three.</p>"),
    ("One\\par Two", "<p>One</p><p>Two</p>"),
    ("  \n padded \n  ", "<p>padded</p>"),
    ("", ""),
    # inline math
    ("a $x < y$ b", "<p>a \\(x &lt; y\\) b</p>"),
    ("a \\(x \\& y\\) b", "<p>a \\(x \\&amp; y\\) b</p>"),
    ("$a$$b$", "<p>\\(a\\)\\(b\\)</p>"),
    ("cost \\$5, $x = \\$5$", "<p>cost $5, \\(x = \\$5\\)</p>"),
    # display math, kept inside its paragraph; whitespace runs become one space
    ("to\n\\[\n  y = 1,\n  \\qquad z\n\\]\nwhere", "<p>to \\[y = 1, \\qquad z\\] where</p>"),
    ("$$x^2$$", "<p>\\[x^2\\]</p>"),
    ("\\[\\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix}\\]",
     "<p>\\[\\begin{bmatrix} 1 &amp; 2 \\\\ 3 &amp; 4 \\end{bmatrix}\\]</p>"),
    # display environments
    ("\\begin{gather*}\n  a \\\\\n  b\n\\end{gather*}",
     "<p>\\[\\begin{gathered} a \\\\ b \\end{gathered}\\]</p>"),
    ("\\begin{align*} a &= b \\end{align*}",
     "<p>\\[\\begin{aligned} a &amp;= b \\end{aligned}\\]</p>"),
    ("\\begin{equation*} e \\end{equation*}", "<p>\\[e\\]</p>"),
    # solgen's layout macro gives way to its argument; dashes in \text
    ("\\[\\solgenfit{x = 1,}\\]", "<p>\\[x = 1,\\]</p>"),
    ("$\\solgenfit[0.9]{\\frac{a}{b}}$", "<p>\\(\\frac{a}{b}\\)</p>"),
    ("$\\solgenfit{a \\solgenfit{b}}$", "<p>\\(a b\\)</p>"),
    ("$\\text{---}\\; x \\;\\text{a--b}$", "<p>\\(\\text{\u2014}\\; x \\;\\text{a\u2013b}\\)</p>"),
    ("$a - -b$", "<p>\\(a - -b\\)</p>"),
    # fonts
    ("\\textbf{bold \\emph{it}} and \\texttt{code}",
     "<p><strong>bold <em>it</em></strong> and <code>code</code></p>"),
    ("\\textit{x}", "<p><em>x</em></p>"),
    # lists
    ("\\begin{itemize}\n  \\item One.\n  \\item Two $x$.\n\\end{itemize}",
     "<ul><li>One.</li><li>Two \\(x\\).</li></ul>"),
    ("Then\n\\begin{enumerate}\n\\item A\n\\item B\n\\end{enumerate}\nafter.",
     "<p>Then</p><ol><li>A</li><li>B</li></ol><p>after.</p>"),
    ("\\begin{enumerate}\n  \\item[(a)] Compute.\n  \\item[(b)] Explain.\n\\end{enumerate}",
     '<ol style="list-style-type: none"><li>(a) Compute.</li><li>(b) Explain.</li></ol>'),
    ("\\begin{itemize}\\item[$\\ast$] a \\item b\\end{itemize}",
     "<ul><li>\\(\\ast\\) a</li><li>b</li></ul>"),
    ("\\begin{itemize}\\item One.\n\nTwo.\\end{itemize}",
     "<ul><li><p>One.</p><p>Two.</p></li></ul>"),
    ("\\begin{itemize}\\item a\\begin{enumerate}\\item b\\end{enumerate}\\end{itemize}",
     "<ul><li><p>a</p><ol><li>b</li></ol></li></ul>"),
    # characters
    ("a~b", "<p>a\u00a0b</p>"),
    ("5\\,\\%", "<p>5\u202f%</p>"),
    ("a\\ b", "<p>a b</p>"),
    ("1--2---3 - 4", "<p>1\u20132\u20143 - 4</p>"),
    ("``quoted'' `single'", "<p>\u201cquoted\u201d \u2018single'</p>"),
    ("\\& \\# \\$ \\_ \\{ \\}", "<p>&amp; # $ _ { }</p>"),
    ("\\dots{} and \\ldots", "<p>\u2026 and \u2026</p>"),
    ("\\dots and", "<p>\u2026and</p>"),  # TeX: a control word eats the spaces after it
    ("\\textless{}b\\textgreater{} \\textbackslash{} \\textbar{} \\texteuro{}",
     "<p>&lt;b&gt; \\ | \u20ac</p>"),
    ("a{}b {[}c{]}", "<p>ab [c]</p>"),
    ("<b> \\& co", "<p>&lt;b&gt; &amp; co</p>"),
    ("line\\\\next", "<p>line<br/>next</p>"),
    ("a % a comment\n   b", "<p>a b</p>"),
    ("100\\% sure", "<p>100% sure</p>"),
]  # fmt: skip


@pytest.mark.parametrize(("tex", "expected"), CASES)
def test_converts(tex, expected):
    html = tex_to_html(tex)
    assert html == expected
    ET.fromstring(f"<div>{html}</div>")  # well-formed inside one element


def test_math_html_is_the_formula_as_mathjax_reads_it():
    assert math_html("\n  a <\n b  & \\solgenfit{c}\n") == "a &lt; b &amp; c"


ERRORS = [
    ("\\foo", r"line 1: no HTML for \foo"),
    ("a\n\\begin{tabular}{ll}", "line 2: no HTML for the environment tabular"),
    ("a # b", "line 1: '#' outside math (write \\#)"),
    ("x_1", "line 1: '_' outside math (write \\_)"),
    ("a & b", "line 1: '&' outside math (write \\&)"),
    ("a $x", "line 1: math is not closed by $"),
    ("\\[ x", "line 1: math is not closed by \\]"),
    ("{a", "line 1: a group '{' is not closed"),
    ("a}", "line 1: '}' closes no group"),
    ("\\textbf x", "line 1: \\textbf without a braced argument"),
    ("\\item a", r"\item outside a list"),
    ("\\begin{itemize} a \\end{itemize}", r"text in a list before its first \item"),
    ("\\begin{itemize}\\item a", "a list is not ended"),
    ("\\begin{itemize}\\item a\\end{enumerate}", "a list ends with another kind of list"),
    ("\\end{itemize}", r"\end of a list that was not begun"),
    ("$\\solgenstep{x}$", r"no MathJax for \solgenstep in '\\solgenstep{x}'"),
    ("$a % b$", "a % comment in math: 'a % b'"),
    ("\\textbf{a\n\nb}", "\\textbf holds a paragraph or a list: 'a\\n\\nb'"),
    ("$\\solgenfit x$", r"\solgenfit without a braced argument"),
]


@pytest.mark.parametrize(("tex", "message"), ERRORS)
def test_what_it_cannot_convert_is_an_error_naming_it(tex, message):
    with pytest.raises(TexHtmlError) as caught:
        tex_to_html(tex)
    assert str(caught.value) == message
