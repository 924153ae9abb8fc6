"""The restricted TeX of a problem statement as HTML with TeX for MathJax.

A statement is written once, as TeX, in its problem's statement template: the PDF includes it,
and the LMS exports render the same template and convert the TeX here. Only the part of LaTeX
that the statements use is converted; anything else is an error naming it (TexHtmlError), so
that no statement reaches an LMS half converted and a new construct in a template fails the
tests, not a quiz.

- Paragraphs (a blank line, \\par) become <p>; a single line break is a space.
- Math: $...$ and \\(...\\) become \\(...\\); \\[...\\] stays; the display environments gather,
  align and equation (starred or not) become \\[\\begin{gathered}...\\end{gathered}\\]
  (aligned, or nothing around an equation). Inside math the TeX is kept as MathJax reads it,
  whitespace runs made one space, but for solgen's layout macro \\solgenfit[scale]{...}, which
  gives way to its argument, and the dashes -- and --- in \\text{...}, which become – and —
  (MathJax's \\text makes no ligatures). Any other \\solgen macro is an error.
- Text: \\textbf, \\emph, \\textit, \\texttt become <strong>, <em>, <em>, <code>; itemize and
  enumerate become <ul> and <ol>, \\item <li>; a list whose items carry labels
  (\\item[(a)]) shows the labels instead of markers.
- Characters: ~ is a no-break space, \\, a narrow one, "\\ " a space; -- and --- are – and —,
  `` and '' are “ and ”, ` is ‘; \\% \\& \\# \\$ \\_ \\{ \\} are the characters; \\dots and \\ldots
  are …; so are the names of characters that latex.tex_escape writes (\\textless{} ...). A
  group {...} is its content; a % comment is dropped with its line end.

Every character of text and math is HTML-escaped (&, <, >), and every tag is closed: the
result is well-formed XML inside one element.

May import: the standard library only.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from solgen.base.errors import SolgenError


class TexHtmlError(SolgenError, ValueError):
    """TeX that the converter has no HTML for (or that is not well-formed)."""


# Display environments and the MathJax environment that replaces each inside \[ \].
DISPLAY = {
    "gather*": "gathered",
    "gather": "gathered",
    "align*": "aligned",
    "align": "aligned",
    "equation*": "",
    "equation": "",
}
LISTS = {"itemize": "ul", "enumerate": "ol"}
FONTS = {"textbf": "strong", "emph": "em", "textit": "em", "texttt": "code"}
NBSP = "\u00a0"
NARROW_NBSP = "\u202f"
# Control symbols and words that stand for one character (or none) in text.
SYMBOLS = {
    "%": "%",
    "&": "&",
    "#": "#",
    "$": "$",
    "_": "_",
    "{": "{",
    "}": "}",
    ",": NARROW_NBSP,
    " ": " ",
    "\n": " ",
    "@": "",
    "/": "",
}
WORDS = {
    "dots": "\u2026",
    "ldots": "\u2026",
    "textbackslash": "\\",
    "textasciicircum": "^",
    "textasciitilde": "~",
    "textless": "<",
    "textgreater": ">",
    "textbar": "|",
    "textquotedbl": '"',
    "textasciigrave": "`",
    "textendash": "\u2013",
    "textemdash": "\u2014",
    "texteuro": "\u20ac",
    "quad": "\u2003",
    "qquad": "\u2003\u2003",
}


@dataclass(frozen=True)
class _Token:
    """One piece of the text: "html" (inline HTML), "space", "par", "begin" / "end" of a list
    (value: ul or ol), "item" (value: its label's HTML, or None)."""

    kind: str
    value: str | None = None


def tex_to_html(tex: str) -> str:
    """A statement's TeX as HTML: paragraphs and lists, math for MathJax (see the module)."""
    tokens = _Scanner(tex).tokens(group=False)
    html_text, position = _flow(tokens, 0)
    if position != len(tokens):
        raise TexHtmlError(r"\end of a list that was not begun")
    return html_text


def math_html(tex: str) -> str:
    """The TeX of a formula as MathJax reads it, HTML-escaped (no delimiters added)."""
    return _escape(_math(tex))


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


# --- text: TeX to tokens ----------------------------------------------------------------------


class _Scanner:
    """Reads text-mode TeX from a position on, into tokens."""

    def __init__(self, source: str, position: int = 0) -> None:
        self.source = source
        self.position = position

    def error(self, message: str) -> TexHtmlError:
        line = self.source.count("\n", 0, self.position) + 1
        return TexHtmlError(f"line {line}: {message}")

    def tokens(self, group: bool) -> list[_Token]:
        """Tokens up to the end (or, in a group, up to its closing brace, consumed)."""
        out: list[_Token] = []
        src = self.source
        while self.position < len(src):
            char = src[self.position]
            if char == "}":
                if not group:
                    raise self.error("'}' closes no group")
                self.position += 1
                return out
            if char == "{":
                self.position += 1
                out.extend(self.tokens(group=True))
            elif char == "%":
                self._comment()
            elif char.isspace():
                out.append(self._whitespace())
            elif char == "$":
                out.append(self._dollar_math())
            elif char == "\\":
                out.extend(self._control())
            else:
                out.append(_Token("html", self._characters()))
        if group:
            raise self.error("a group '{' is not closed")
        return out

    def _comment(self) -> None:
        end = self.source.find("\n", self.position)
        self.position = len(self.source) if end < 0 else end + 1
        match = re.compile(r"[ \t]*").match(self.source, self.position)
        assert match is not None
        self.position = match.end()

    def _whitespace(self) -> _Token:
        match = re.compile(r"\s+").match(self.source, self.position)
        assert match is not None
        self.position = match.end()
        return _Token("par" if match.group(0).count("\n") >= 2 else "space")

    def _characters(self) -> str:
        """A run of ordinary characters, with TeX's ligatures, escaped."""
        match = re.compile(r"[^\\{}$%~\s]+|~").match(self.source, self.position)
        assert match is not None
        self.position = match.end()
        text = match.group(0)
        if text == "~":
            return NBSP
        special = re.search(r"[#^_&]", text)
        if special:
            raise self.error(f"{special.group(0)!r} outside math (write \\{special.group(0)})")
        text = text.replace("---", "\u2014").replace("--", "\u2013")
        text = text.replace("``", "\u201c").replace("''", "\u201d").replace("`", "\u2018")
        return _escape(text)

    def _skip_spaces(self) -> None:
        """The spaces after a control word (and one line end, but not a blank line)."""
        match = re.compile(r"[ \t]*(?:\n[ \t]*)?").match(self.source, self.position)
        assert match is not None
        if not self.source.startswith("\n", match.end()):
            self.position = match.end()

    def _control(self) -> list[_Token]:
        src = self.source
        match = re.compile(r"\\([A-Za-z]+|.)", re.S).match(src, self.position)
        if match is None:
            raise self.error("a backslash ends the text")
        self.position = match.end()
        name = match.group(1)
        if name == "(":
            return [_Token("html", "\\(" + math_html(self._until("\\)")) + "\\)")]
        if name == "[":
            return [_Token("html", "\\[" + math_html(self._until("\\]")) + "\\]")]
        if name == "\\":
            self._optional()
            return [_Token("html", "<br/>")]
        if name in SYMBOLS:
            text = SYMBOLS[name]
            return [_Token("space")] if text == " " else [_Token("html", _escape(text))]
        if not name.isalpha():
            raise self.error(f"no HTML for \\{name}")
        if name in ("begin", "end"):
            return [self._environment(name)]
        if name == "item":
            self._skip_spaces()
            label = self._optional()
            self._skip_spaces()
            return [_Token("item", None if label is None else _inline(label, "a label"))]
        if name == "par":
            return [_Token("par")]
        if name in FONTS:
            self._skip_spaces()
            inner = _inline(self._argument(f"\\{name}"), f"\\{name}")
            return [_Token("html", f"<{FONTS[name]}>{inner}</{FONTS[name]}>")]
        if name in WORDS:
            self._skip_spaces()
            return [_Token("html", _escape(WORDS[name]))]
        raise self.error(f"no HTML for \\{name}")

    def _environment(self, which: str) -> _Token:
        name = self._argument(f"\\{which}")
        if which == "begin" and name in DISPLAY:
            body = self._until(f"\\end{{{name}}}")
            inner = DISPLAY[name]
            if inner:
                body = f"\\begin{{{inner}}} {body.strip()} \\end{{{inner}}}"
            return _Token("html", "\\[" + math_html(body) + "\\]")
        if name in LISTS:
            return _Token(which, LISTS[name])
        raise self.error(f"no HTML for the environment {name}")

    def _until(self, end: str) -> str:
        """Math up to `end` (consumed), stepping over control symbols such as \\\\ and \\$."""
        src, start, position = self.source, self.position, self.position
        while position < len(src):
            if src.startswith(end, position):
                self.position = position + len(end)
                return src[start:position]
            position += 2 if src[position] == "\\" else 1
        raise self.error(f"math is not closed by {end}")

    def _dollar_math(self) -> _Token:
        if self.source.startswith("$$", self.position):
            self.position += 2
            return _Token("html", "\\[" + math_html(self._until("$$")) + "\\]")
        self.position += 1
        return _Token("html", "\\(" + math_html(self._until("$")) + "\\)")

    def _argument(self, what: str) -> str:
        """A braced argument's TeX (braces balanced), consumed."""
        if not self.source.startswith("{", self.position):
            raise self.error(f"{what} without a braced argument")
        end = _closing(self.source, self.position, "{", "}")
        if end is None:
            raise self.error(f"the argument of {what} is not closed")
        text = self.source[self.position + 1 : end]
        self.position = end + 1
        return text

    def _optional(self) -> str | None:
        """An optional [argument]'s TeX, consumed; None when there is none."""
        if not self.source.startswith("[", self.position):
            return None
        end = _closing(self.source, self.position, "[", "]")
        if end is None:
            raise self.error("an optional argument [...] is not closed")
        text = self.source[self.position + 1 : end]
        self.position = end + 1
        return text


def _closing(source: str, start: int, opening: str, closing: str) -> int | None:
    """The index of the delimiter that closes the one at start (control symbols skipped)."""
    depth, position = 0, start
    while position < len(source):
        char = source[position]
        if char == "\\":
            position += 2
            continue
        if char == opening:
            depth += 1
        elif char == closing:
            depth -= 1
            if depth == 0:
                return position
        position += 1
    return None


def _inline(tex: str, what: str) -> str:
    """Text-mode TeX that must stay within a line (an argument, a label) as HTML."""
    tokens = _Scanner(tex).tokens(group=False)
    if any(token.kind not in ("html", "space") for token in tokens):
        raise TexHtmlError(f"{what} holds a paragraph or a list: {tex!r}")
    return _join(tokens)


# --- tokens to paragraphs and lists -----------------------------------------------------------


def _join(tokens: list[_Token]) -> str:
    """Inline tokens as HTML: spaces merged, none at either end."""
    pieces: list[str] = []
    for token in tokens:
        if token.kind == "space":
            if pieces and pieces[-1] != " ":
                pieces.append(" ")
        elif token.value:
            pieces.append(token.value)
    while pieces and pieces[-1] == " ":
        pieces.pop()
    return "".join(pieces)


def _flow(tokens: list[_Token], position: int, in_item: bool = False) -> tuple[str, int]:
    """Paragraphs and lists from position up to a list's \\end (or an \\item, inside a list
    item), which is not consumed: (HTML, the position reached)."""
    blocks: list[tuple[bool, str]] = []  # (a paragraph, not a list; its HTML)
    line: list[_Token] = []

    def flush() -> None:
        text = _join(line)
        if text:
            blocks.append((True, text))
        line.clear()

    while position < len(tokens):
        token = tokens[position]
        if token.kind == "end" or (in_item and token.kind == "item"):
            break
        if token.kind == "item":
            raise TexHtmlError(r"\item outside a list")
        if token.kind == "par":
            flush()
            position += 1
        elif token.kind == "begin":
            flush()
            text, position = _list(tokens, position)
            blocks.append((False, text))
        else:
            line.append(token)
            position += 1
    flush()
    if in_item and len(blocks) == 1 and blocks[0][0]:
        return blocks[0][1], position  # an item of one paragraph needs no <p>
    return "".join(f"<p>{text}</p>" if paragraph else text for paragraph, text in blocks), position


def _list(tokens: list[_Token], position: int) -> tuple[str, int]:
    """A list from its \\begin token: (HTML, the position after its \\end)."""
    tag = tokens[position].value
    position += 1
    items: list[str] = []
    labelled: list[bool] = []
    while True:
        if position >= len(tokens):
            raise TexHtmlError("a list is not ended")
        token = tokens[position]
        if token.kind == "end":
            if token.value != tag:
                raise TexHtmlError("a list ends with another kind of list")
            position += 1
            break
        if token.kind == "space" or token.kind == "par":
            position += 1
            continue
        if token.kind != "item":
            raise TexHtmlError(r"text in a list before its first \item")
        text, position = _flow(tokens, position + 1, in_item=True)
        label = token.value
        labelled.append(label is not None)
        items.append(text if label is None else f"{label} {text}" if text else label)
    if not items:
        raise TexHtmlError(r"a list without an \item")
    style = ' style="list-style-type: none"' if all(labelled) else ""
    body = "".join(f"<li>{item}</li>" for item in items)
    return f"<{tag}{style}>{body}</{tag}>", position


# --- math -------------------------------------------------------------------------------------

_FIT = re.compile(r"\\solgenfit(?![A-Za-z])\s*(\[[^\]]*\])?\s*")
_SOLGEN = re.compile(r"\\solgen[A-Za-z]*")
_TEXT = re.compile(r"\\text\s*\{")
_COMMENT = re.compile(r"(?<!\\)%")


def _math(tex: str) -> str:
    """Formula TeX as MathJax reads it: \\solgenfit gone, dashes in \\text, one-space runs."""
    tex = _unwrap_fit(tex)
    leftover = _SOLGEN.search(tex)
    if leftover:
        raise TexHtmlError(f"no MathJax for {leftover.group(0)} in {tex.strip()[:60]!r}")
    if _COMMENT.search(tex.replace("\\\\", "")):
        raise TexHtmlError(f"a % comment in math: {tex.strip()[:60]!r}")
    tex = _text_dashes(tex)
    return re.sub(r"\s+", " ", tex).strip()


def _unwrap_fit(tex: str) -> str:
    """\\solgenfit[scale]{body} -> body, however deeply nested."""
    while True:
        match = _FIT.search(tex)
        if match is None:
            return tex
        start = match.end()
        if not tex.startswith("{", start):
            raise TexHtmlError(r"\solgenfit without a braced argument")
        end = _closing(tex, start, "{", "}")
        if end is None:
            raise TexHtmlError(r"the argument of \solgenfit is not closed")
        tex = tex[: match.start()] + tex[start + 1 : end] + tex[end + 1 :]


def _text_dashes(tex: str) -> str:
    """-- and --- inside \\text{...} as the dashes TeX's ligatures make of them."""
    out, position = [], 0
    for match in _TEXT.finditer(tex):
        if match.start() < position:
            continue
        end = _closing(tex, match.end() - 1, "{", "}")
        if end is None:
            raise TexHtmlError(f"\\text is not closed in {tex.strip()[:60]!r}")
        inner = tex[match.end() : end].replace("---", "\u2014").replace("--", "\u2013")
        out += [tex[position : match.end()], inner, "}"]
        position = end + 1
    return "".join(out) + tex[position:]
