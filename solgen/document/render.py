"""The one Jinja2 environment: LaTeX-safe delimiters, strict undefined, escaping at use.

Templates from --templates are input, not code. They are read from their folder only (no
links, no FIFOs), rendered in Jinja2's immutable sandbox with bounded numbers, texts and
ranges, and in a child process with a wall-clock timeout and a memory limit, so that no
template can hang, exhaust or crash a build: every failure is a TemplateError naming the
template and its line (exit status 2). solgen's own templates render in-process.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import gc
import json
import math
import os
import re
import resource
import select
import signal
import stat
import sys
import time
from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any, NoReturn

import jinja2
import jinja2.exceptions
import jinja2.sandbox
import jinja2.utils

from solgen.base.errors import InvalidTemplate
from solgen.base.messages import abbreviated, plural
from solgen.markup.latex import Tex, tex_escape
from solgen.markup.names import name_preamble, name_tex
from solgen.problems.registry import problem, registered

TEMPLATE_PACKAGE = ("solgen.templates", ".")  # templates/ in the checkout (see pyproject.toml)
DOCUMENT = "base.tex.j2"
COMBINED = "combined.tex.j2"
KEY_BLOCK = "keyblock.tex.j2"
KEY = "key.tex.j2"

# The bounds on rendering a document from --templates (solgen's own render in about 20 ms).
RENDER_SECONDS = 20.0  # wall clock; the child is killed RENDER_GRACE seconds later
RENDER_GRACE = 5.0
RENDER_MEMORY = 1 << 30  # bytes of address space a render may add to the process's
MAX_TEMPLATE = 1 << 20  # bytes of one template file
MAX_OUTPUT = 64 << 20  # characters of one rendered document (solgen's are well below 1 MB)
MAX_DIGITS = 1000  # of an integer a template computes with * or **
MAX_LENGTH = 1_000_000  # of a text or list a template makes with *
MAX_RANGE = jinja2.sandbox.MAX_RANGE  # numbers in a range()
MAX_PARAGRAPHS = 100  # of lipsum()
MAX_WORDS = 1000  # of a lipsum() paragraph


class ProblemTemplates(jinja2.BaseLoader):
    """Every registered problem's templates, each read from its own package under the name it
    declares: NAME.tex.j2 or NAME-PART.tex.j2 for the problem NAME (the registry holds them
    to that), so that only the problem a template names is loaded."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        found = problem_template(template)
        if found is None:
            raise jinja2.TemplateNotFound(template)
        text = found.read_text(encoding="utf-8")
        return text, None, lambda: True

    def list_templates(self) -> list[str]:
        return sorted(problem_templates())


@functools.cache
def problem_template(template: str) -> Any:
    """The file (an importlib.resources Traversable) of a problem's template, or None: found
    in the problem that the name names, longest registered name first."""
    for name in sorted(registered(), key=len, reverse=True):
        if template == f"{name}.tex.j2" or template.startswith(f"{name}-"):
            declared = problem(name)
            if template in declared.templates.values():
                return resources.files(declared.package).joinpath(template)
    return None


@functools.cache
def problem_templates() -> dict[str, Any]:
    """Template name -> its file, over every registered problem (loads them all)."""
    return {
        file_name: resources.files(problem(name).package).joinpath(file_name)
        for name in registered()
        for file_name in problem(name).templates.values()
    }


class UnescapedText(jinja2.TemplateError, InvalidTemplate):
    """Plain text reached the output without |tex_escape."""


class TemplateRefused(jinja2.TemplateError, InvalidTemplate):
    """A file in the --templates folder that solgen does not read: a link, not a regular file,
    too large, not UTF-8."""


class TemplateFailed(jinja2.TemplateError, InvalidTemplate):
    """A template from --templates went past a bound (time, memory, a number, a text, a range)
    or failed in Python (an IndexError, ...)."""


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


# --- the --templates folder: its own regular files, nothing a link points at ----------------


class TemplateFolder(jinja2.BaseLoader):
    """The templates of a --templates folder: its own regular files of UTF-8 text.

    Every step of a template's path is opened relative to the folder with O_NOFOLLOW, so a
    link (to a file or a folder, planted before or swapped in meanwhile) is refused, never
    followed; O_NONBLOCK keeps a FIFO from blocking the open. The folder itself may be a link:
    the user named it.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.closed = False  # while solgen's own templates are compiled (see _compile_ours)

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        if self.closed:
            raise jinja2.TemplateNotFound(template)
        pieces = jinja2.loaders.split_template_path(template)  # refuses '..'
        text, mtime = _read_template(self.root, pieces, template)
        path = self.root.joinpath(*pieces)

        def uptodate() -> bool:
            try:
                return os.lstat(path).st_mtime_ns == mtime
            except OSError:
                return False

        return text, str(path), uptodate

    def list_templates(self) -> list[str]:
        return []  # not needed: solgen asks for templates by name


_OPEN = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


def _read_template(root: Path, pieces: list[str], template: str) -> tuple[str, int]:
    """The text and modification time of root/pieces, refusing anything but a regular file."""
    try:
        folder = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        raise jinja2.TemplateNotFound(template) from None
    opened = [folder]
    try:
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            try:
                opened.append(
                    os.open(piece, _OPEN | (0 if last else os.O_DIRECTORY), dir_fd=opened[-1])
                )
            except OSError as exc:
                if exc.errno == errno.ENOENT:
                    raise jinja2.TemplateNotFound(template) from None
                found = _what_is(opened[-1], piece)
                if found is None:
                    raise TemplateRefused(f"{template}: cannot be read: {exc.strerror}") from None
                raise TemplateRefused(_not_a_file(root, template, found)) from None
        info = os.fstat(opened[-1])
        if not stat.S_ISREG(info.st_mode):
            raise TemplateRefused(_not_a_file(root, template, _kind(info.st_mode)))
        if info.st_size > MAX_TEMPLATE:
            raise TemplateRefused(
                f"{template}: expected a template of at most {MAX_TEMPLATE:,} bytes, "
                f"found {info.st_size:,} bytes"
            )
        data = os.read(opened[-1], MAX_TEMPLATE + 1)
    except jinja2.TemplateNotFound:  # an OSError too
        raise
    except OSError as exc:
        raise TemplateRefused(f"{template}: cannot be read: {exc.strerror}") from None
    finally:
        for fd in opened:
            os.close(fd)
    try:
        return data.decode("utf-8"), info.st_mtime_ns
    except UnicodeDecodeError as exc:
        raise TemplateRefused(
            f"{template}: expected UTF-8 text, found the byte 0x{data[exc.start]:02x} "
            f"at offset {exc.start}"
        ) from None


def _not_a_file(root: Path, template: str, found: str) -> str:
    return f"{template}: expected a file inside the --templates folder {root}, found {found}"


def _what_is(folder: int, name: str) -> str | None:
    """What name in folder is, when it is not a regular file or a folder (for a message)."""
    try:
        info = os.stat(name, dir_fd=folder, follow_symlinks=False)
        if stat.S_ISLNK(info.st_mode):
            return f"a symbolic link to {os.readlink(name, dir_fd=folder)}"
    except OSError:
        return None
    kind = _kind(info.st_mode)
    return None if kind == "a folder" else kind


def _kind(mode: int) -> str:
    kinds = [
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
    ]
    return next((name for test, name in kinds if test(mode)), "not a regular file")


# --- the sandbox: bounded numbers, texts, ranges ---------------------------------------------


class _Sandbox(jinja2.sandbox.ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox, with * and ** checked before Python computes them (an
    intercepted operator is never folded at compile time either)."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        if operator == "**":
            _check_power(left, right)
        else:
            _check_product(left, right)
        return super().call_binop(context, operator, left, right)


def _digits(log10: float) -> str:
    return f"about {math.floor(log10) + 1:,}" if log10 < 1e18 else "more than 10**18"


def _too_many_digits(expression: str, log10: float) -> NoReturn:
    raise TemplateFailed(
        f"{expression} would have {_digits(log10)} digits; a template's numbers may have at "
        f"most {MAX_DIGITS:,}"
    )


def _log10(number: int) -> float:
    return math.log10(abs(number)) if number else 0.0


def _check_power(base: Any, exponent: Any) -> None:
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
        try:
            log10 = exponent * _log10(base)
        except OverflowError:
            log10 = math.inf
        if log10 >= MAX_DIGITS:
            _too_many_digits(f"{_short(base)} ** {_short(exponent)}", log10)


def _check_product(left: Any, right: Any) -> None:
    if isinstance(left, int) and isinstance(right, int):
        log10 = _log10(left) + _log10(right)
        if log10 >= MAX_DIGITS:
            _too_many_digits(f"{_short(left)} * {_short(right)}", log10)
        return
    sequence, count = (left, right) if isinstance(right, int) else (right, left)
    if isinstance(count, int) and isinstance(sequence, (str, list, tuple)):
        length = len(sequence) * max(count, 0)
        if length > MAX_LENGTH:
            raise TemplateFailed(
                f"{_short(left)} * {_short(right)} would be {length:,} long; a template's "
                f"texts and lists may be at most {MAX_LENGTH:,} long"
            )


def _short(value: Any) -> str:
    """A value as a message quotes it: at most 40 characters, a huge number by its size."""
    if isinstance(value, int) and abs(value) >= 10**40:
        return f"(a number of {_digits(_log10(value))} digits)"
    return abbreviated(repr(value), 40)


def _range(*args: int) -> range:
    numbers = range(*args)
    try:
        count = f"{len(numbers):,}"
        small = len(numbers) <= MAX_RANGE
    except OverflowError:  # more than sys.maxsize
        count, small = "far more than that many", False
    if not small:
        raise TemplateFailed(
            f"range({', '.join(_short(a) for a in args)}) has {count} numbers; a template's "
            f"ranges may have at most {MAX_RANGE:,}"
        )
    return numbers


def _lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
    """Jinja2's lipsum, with at most MAX_PARAGRAPHS paragraphs of at most MAX_WORDS words."""
    if not (0 <= n <= MAX_PARAGRAPHS and 1 <= min < max <= MAX_WORDS):
        raise TemplateFailed(
            f"lipsum({_short(n)}, ..., {_short(min)}, {_short(max)}): expected at most "
            f"{MAX_PARAGRAPHS} paragraphs of 1 to {MAX_WORDS:,} words (the minimum below "
            "the maximum)"
        )
    return str(jinja2.utils.generate_lorem_ipsum(n, html, min, max))


@functools.lru_cache(maxsize=8)
def environment(template_dir: Path | None = None) -> jinja2.Environment:
    """The Jinja2 environment: a user's template directory first, then solgen's own.

    solgen's templates are also reachable as 'solgen/<name>', so an override can extend
    the original and replace single blocks. Cached in memory: compiling the templates takes
    about 0.07 s. Not on disk: Jinja2's bytecode cache is marshalled code, and a cache must be
    data that nobody can turn into code by writing a file.
    """
    ours = jinja2.ChoiceLoader([jinja2.PackageLoader(*TEMPLATE_PACKAGE), ProblemTemplates()])
    loaders: list[jinja2.BaseLoader] = []
    if template_dir is not None:
        loaders.append(TemplateFolder(template_dir))
    loaders += [ours, jinja2.PrefixLoader({"solgen": ours})]
    # Templates from --templates are input, not code: the sandbox keeps them from Python's
    # internals (cycler.__init__.__globals__.os ...), and the immutable one from changing
    # the context they are handed.
    env = _Sandbox(
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
    env.globals["range"] = _range
    env.globals["lipsum"] = _lipsum
    env.filters["tex_escape"] = tex_escape
    env.filters["tex_name"] = name_tex
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
    template of the same context (a key block).

    With template_dir (--templates), in a child process bounded in time and memory (see
    _render_bounded); solgen's own templates render here.
    """
    if template_dir is None:
        return environment(None).get_template(template).render(context)
    _compile_ours(template_dir)
    return _render_bounded(environment(template_dir), template, context)


# solgen's templates that a build renders with --templates (combined and key are ours only).
def _rendered() -> tuple[str, ...]:
    return (DOCUMENT, "body.tex.j2", *problem_templates(), KEY_BLOCK)


@functools.lru_cache(maxsize=8)
def _compile_ours(template_dir: Path) -> None:
    """Compile solgen's own templates in this process once, so that a render's child compiles
    only the user's: each under its own name, or as 'solgen/<name>' where the user's folder
    overrides it (the override most likely extends it). The user's folder is closed
    meanwhile: no file of theirs is compiled here (Jinja2 evaluates constant expressions
    while compiling, and 9**9**9 never finishes)."""
    env = environment(template_dir)
    folder = next(
        loader
        for loader in env.loader.loaders  # type: ignore[union-attr]
        if isinstance(loader, TemplateFolder)
    )
    folder.closed = True
    try:
        for name in _rendered():
            overridden = os.path.lexists(template_dir / name)
            env.get_template(f"solgen/{name}" if overridden else name)
    finally:
        folder.closed = False


class _OutOfTime(BaseException):
    """The render's wall-clock time is up (raised by SIGALRM in the child)."""


def _out_of_time(signum: int, frame: object) -> None:
    raise _OutOfTime


def _render_bounded(env: jinja2.Environment, template: str, context: dict[str, Any]) -> str:
    """Render in a forked child with RENDER_MEMORY more address space and RENDER_SECONDS of
    wall-clock time, then killed. The child sends back the text, or the failure with its
    template and line, as JSON through a pipe; the failure is raised here as a TemplateError.

    Why a child: a template can make Python compute for ever in one C call (a power, a
    repetition, a format width) where no signal handler runs, or take all memory; only a
    process of its own can be stopped whatever it does and be given a memory limit of its own.
    The sandbox's bounds on * and ** and ranges give those common cases a plain message first.
    """
    read_fd, write_fd = os.pipe()
    gc.freeze()  # the child's collector leaves the parent's objects alone: fewer copied pages
    try:
        pid = os.fork()
    except OSError:
        gc.unfreeze()
        os.close(read_fd)
        os.close(write_fd)
        raise
    if pid == 0:
        os.close(read_fd)
        _child(env, template, context, write_fd)
    gc.unfreeze()
    os.close(write_fd)
    reaped = False
    try:
        data = _read_reply(read_fd, time.monotonic() + RENDER_SECONDS + RENDER_GRACE)
        if data is None:  # out of time: the alarm did not stop it (a long C call)
            os.kill(pid, signal.SIGKILL)
        status = os.waitpid(pid, 0)[1]
        reaped = True
    finally:
        os.close(read_fd)
        if not reaped:  # interrupted (Ctrl-C, SIGTERM): the child goes too
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    if data is None:
        limit = RENDER_SECONDS + RENDER_GRACE
        raise TemplateFailed(
            f"{template}: rendering did not finish within {limit:g} s and was stopped"
        )
    try:
        reply = json.loads(data)
    except ValueError:
        reply = None
    if not isinstance(reply, dict):
        raise TemplateFailed(f"{template}: rendering ended without a result ({_ended(status)})")
    if "text" in reply:
        return str(reply["text"])
    _raise_failure(reply)


def _child(env: jinja2.Environment, template: str, context: dict[str, Any], fd: int) -> NoReturn:
    """The render's child: bound itself, render, write the reply to fd, exit; never returns."""
    code = 1
    try:
        _limit_this_process()
        _write_all(fd, json.dumps(_render_reply(env, template, context)).encode("ascii"))
        code = 0
    finally:
        os._exit(code)


def _ended(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        with contextlib.suppress(ValueError):
            return f"signal {signal.Signals(number).name}"
        return f"signal {number}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"


_PR_SET_PDEATHSIG = 1


def _limit_this_process() -> None:
    """The child's bounds: memory, CPU time, an alarm; it dies with its parent (Linux)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    size = _address_space()
    if size is not None:
        _lower_limit(resource.RLIMIT_AS, size + RENDER_MEMORY)
    _lower_limit(resource.RLIMIT_CPU, math.ceil(RENDER_SECONDS + RENDER_GRACE) + 1)
    signal.signal(signal.SIGALRM, _out_of_time)
    signal.setitimer(signal.ITIMER_REAL, RENDER_SECONDS)


def _lower_limit(which: int, value: int) -> None:
    hard = resource.getrlimit(which)[1]
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(which, (value, value))


def _address_space() -> int | None:
    """This process's virtual memory size in bytes (Linux), None elsewhere."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _render_reply(
    env: jinja2.Environment, template: str, context: dict[str, Any]
) -> dict[str, Any]:
    """In the child: the rendered text, or what failed and where, as JSON-able data."""
    # Keep tracebacks as they are: Jinja2 rewrites them (compiling code for every template
    # frame), which is slow for a deep recursion and can itself fail after a MemoryError.
    env.handle_exception = _reraise  # type: ignore[method-assign]
    try:
        text = env.get_template(template).render(context)
        signal.setitimer(signal.ITIMER_REAL, 0)
    except BaseException as exc:
        signal.setitimer(signal.ITIMER_REAL, 0)
        return _failure(exc)
    if len(text) > MAX_OUTPUT:
        return {
            "error": "TemplateFailed",
            "message": f"{template}: the rendered document has {len(text):,} characters; "
            f"at most {MAX_OUTPUT:,} are allowed",
        }
    return {"text": str(text)}


def _reraise(source: str | None = None) -> NoReturn:
    raise  # called from Jinja2's except clause: re-raises the exception it handles


# The failures a child reports by class; any other exception is a TemplateFailed.
_CLASSES: dict[str, type[jinja2.TemplateError]] = {
    cls.__name__: cls
    for cls in (
        jinja2.exceptions.TemplateSyntaxError,
        jinja2.exceptions.TemplateNotFound,
        jinja2.exceptions.UndefinedError,
        jinja2.exceptions.SecurityError,
        jinja2.exceptions.TemplateRuntimeError,
        UnescapedText,
        TemplateRefused,
        TemplateFailed,
    )
}


def _failure(exc: BaseException) -> dict[str, Any]:
    """A render's exception as data: its class, message, and the innermost template line."""
    where = _template_frame(exc.__traceback__)
    if isinstance(exc, jinja2.TemplateSyntaxError):
        where = (exc.filename or exc.name or "", exc.lineno)
    kind = next((c.__name__ for c in type(exc).__mro__ if c.__name__ in _CLASSES), None)
    if isinstance(exc, jinja2.TemplateNotFound):
        message = f"{exc.name}: no such template in the --templates folder or solgen's"
    elif kind is not None:
        message = str(exc.message or exc) if isinstance(exc, jinja2.TemplateError) else str(exc)
    elif isinstance(exc, _OutOfTime):
        message = f"rendering took longer than {RENDER_SECONDS:g} s and was stopped"
    elif isinstance(exc, MemoryError):
        message = f"rendering needed more than {RENDER_MEMORY >> 20:,} MB of memory and was stopped"
    elif isinstance(exc, RecursionError):
        message = "recursion too deep (a macro or include that calls itself without end?)"
    else:
        message = f"{type(exc).__name__}: {exc}"[:500]
    reply: dict[str, Any] = {"error": kind or "TemplateFailed", "message": message}
    if isinstance(exc, jinja2.TemplateSyntaxError):
        reply["name"] = exc.name
    if where is not None:
        reply["file"], reply["line"] = where
    return reply


def _template_frame(tb: TracebackType | None) -> tuple[str, int] | None:
    """The template file and line of the innermost template frame of a traceback."""
    found = None
    while tb is not None:
        template = tb.tb_frame.f_globals.get("__jinja_template__")
        if isinstance(template, jinja2.Template) and template.filename:
            found = (template.filename, template.get_corresponding_lineno(tb.tb_lineno))
        tb = tb.tb_next
    return found


def _raise_failure(reply: dict[str, Any]) -> NoReturn:
    """Raise the child's failure here, as its class, from a frame at its template line (so
    that the report names the line as for a render in this process)."""
    cls = _CLASSES.get(str(reply.get("error")), TemplateFailed)
    message = str(reply.get("message"))
    file, line = reply.get("file"), reply.get("line")
    exc: jinja2.TemplateError
    if cls is jinja2.TemplateSyntaxError:
        name = reply.get("name")
        exc = jinja2.TemplateSyntaxError(
            message, int(line or 1), str(name) if name else None, str(file) if file else None
        )
    elif cls is jinja2.TemplateNotFound:
        exc = jinja2.TemplateNotFound(message.split(":")[0], message)
    else:
        exc = cls(message)
    if (
        isinstance(file, str)
        and isinstance(line, int)
        and line >= 1
        and cls is not jinja2.TemplateSyntaxError
    ):
        code = compile("\n" * (line - 1) + "raise failure", file, "exec")
        exec(code, {"failure": exc})
    raise exc


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_reply(fd: int, deadline: float) -> bytes | None:
    """Everything the child writes until it exits; None when the deadline passes first."""
    chunks: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


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


def key_document(title: str, subtitle: str, blocks: list[str], names: list[str]) -> str:
    """key.pdf's TeX: every variant's key block (TeX made by its build), under a title
    (names: the names the blocks print, for the preamble lines their scripts need)."""
    template = environment(None).get_template(KEY)
    return template.render(
        {
            "title": title,
            "subtitle": subtitle,
            "count": len(blocks),
            "plural": Tex("" if len(blocks) == 1 else "s"),
            "blocks": [Tex(block) for block in blocks],
            "names_preamble": name_preamble(names),
        }
    )


_PLAIN = re.compile(r"[A-Za-z0-9_.-]+")
