"""The one Jinja2 environment: LaTeX-safe delimiters, strict undefined, escaping at use."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jinja2
import jinja2.sandbox

from solgen.latex import Tex, tex_escape
from solgen.messages import plural

TEMPLATE_PACKAGE = ("solgen.templates", ".")  # templates/ in the checkout (see pyproject.toml)
DOCUMENT = "base.tex.j2"
COMBINED = "combined.tex.j2"
KEY_BLOCK = "keyblock.tex.j2"
KEY = "key.tex.j2"


class UnescapedText(jinja2.TemplateError):
    """Plain text reached the output without |tex_escape."""


def _finalize(value: Any) -> str:
    """Every ((( ))) must be TeX already (Tex) or a number; plain text must pass |tex_escape."""
    if isinstance(value, Tex):
        return value
    if isinstance(value, jinja2.Undefined):
        return str(value)  # StrictUndefined raises UndefinedError, naming the variable
    if isinstance(value, bool) or value is None:
        raise UnescapedText(f"{value!r} reached the output; test it with ((* if *)) instead")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        raise UnescapedText(f"unescaped text {value[:40]!r} reached the output; use |tex_escape")
    raise UnescapedText(f"a {type(value).__name__} reached the output; format it in context.py")


@functools.lru_cache(maxsize=8)
def environment(template_dir: Path | None = None) -> jinja2.Environment:
    """The Jinja2 environment: a user's template directory first, then solgen's own.

    solgen's templates are also reachable as 'solgen/<name>', so an override can extend
    the original and replace single blocks. Cached in memory: compiling the templates takes
    about 0.15 s. Not on disk: Jinja2's bytecode cache is marshalled code, and a cache must be
    data that nobody can turn into code by writing a file.
    """
    ours = jinja2.PackageLoader(*TEMPLATE_PACKAGE)
    loaders: list[jinja2.BaseLoader] = []
    if template_dir is not None:
        loaders.append(jinja2.FileSystemLoader(str(template_dir)))
    loaders += [ours, jinja2.PrefixLoader({"solgen": ours})]
    # Templates from --templates are input, not code: the sandbox keeps them from Python's
    # internals (cycler.__init__.__globals__.os ...), and the immutable one from changing
    # the context they are handed.
    env = jinja2.sandbox.ImmutableSandboxedEnvironment(
        loader=jinja2.ChoiceLoader(loaders),
        block_start_string="((*",
        block_end_string="*))",
        variable_start_string="(((",
        variable_end_string=")))",
        comment_start_string="((=",
        comment_end_string="=))",
        line_statement_prefix=None,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
    )
    env.filters["tex_escape"] = tex_escape
    env.filters["counted"] = counted
    env.filters["agree"] = agree
    # What a template renders (super(), macros, set blocks) is TeX already, not text.
    env.concat = _tex_concat  # type: ignore[method-assign]
    return env


def counted(count: int, noun: str) -> Tex:
    """'one channel', '3 channels', '1 ... ' never: the templates' one way to count things."""
    if count == 1:
        return Tex(f"one {noun}")
    return Tex(plural(count, noun))


def agree(count: int, one: str, many: str) -> Tex:
    """The word that agrees with a count: ((( n|agree("is", "are") ))) (plain words only)."""
    word = one if count == 1 else many
    if not word.isalpha():
        raise ValueError(f"agree: expected a plain word, found {word!r}")
    return Tex(word)


def _tex_concat(parts: Iterable[str]) -> Tex:
    return Tex("".join(parts))


def render(
    context: dict[str, Any], template_dir: Path | None = None, template: str = DOCUMENT
) -> str:
    """Render the document (solution or problem sheet, by context['solutions']), or another
    template of the same context (a key block)."""
    return environment(template_dir).get_template(template).render(context)


def pdf_string(text: str) -> Tex:
    """Text as a PDF text string for pdfTeX's \\pdfoutline: UTF-16BE, every byte an octal
    escape, so any name is safe (only backslashes and digits reach TeX)."""
    data = b"\xfe\xff" + text.encode("utf-16-be")
    return Tex("\\detokenize{" + "".join(f"\\{byte:03o}" for byte in data) + "}")


def combine(pdfs: list[tuple[str, str]]) -> str:
    """One document holding the pages of many PDFs, in order, with a bookmark each (batch).

    pdfs: (file name in LaTeX's working folder, bookmark title) pairs. The file names are
    made by the program from folder names (letters, digits, '.', '_', '-'); the titles may hold
    any text (students' names) and are written as escaped PDF strings.
    """
    for name, _ in pdfs:
        if not _PLAIN.fullmatch(name):
            raise ValueError(f"not a plain file name: {name!r}")
    template = environment(None).get_template(COMBINED)
    entries = [
        {"file": Tex(name), "title": pdf_string(title), "label": Tex(f"variant{i}")}
        for i, (name, title) in enumerate(pdfs, start=1)
    ]
    return template.render({"pdfs": entries})


def key_document(title: str, subtitle: str, blocks: list[str]) -> str:
    """key.pdf's TeX: every variant's key block (TeX made by its build), under a title."""
    template = environment(None).get_template(KEY)
    return template.render(
        {
            "title": title,
            "subtitle": subtitle,
            "count": len(blocks),
            "plural": Tex("" if len(blocks) == 1 else "s"),
            "blocks": [Tex(block) for block in blocks],
        }
    )


_PLAIN = re.compile(r"[A-Za-z0-9_.-]+")
