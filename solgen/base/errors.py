"""solgen's exceptions: one base, SolgenError, and the exit status of each.

Every exception class solgen defines derives from SolgenError, whatever module raises it
(compile.py, render.py, files.py, grade.py, ...), and says in `exit_status` what the command
line returns for it, as docs/CONTRACT.md's table has it: 2 invalid input, 1 anything else that
failed, 130 / 143 interrupted by SIGINT / SIGTERM. cli.py maps them to their message and exit
status in one place (one `except SolgenError`). A caller of the library catches them all with
`except SolgenError`.

Not SolgenErrors, as KeyboardInterrupt is not an Exception: Terminated (SIGTERM) and render.py's
_OutOfTime (a render's SIGALRM). They stand for a signal and must pass every `except Exception`
on their way out, so that cleanup runs; both are BaseExceptions.
"""

EXIT_FAILED = 1  # anything else that failed (a LaTeX error, no TeX for a PDF, a busy folder)
EXIT_INVALID = 2  # invalid input: the variant file, a field, an option, a roster, a template
EXIT_SIGINT = 130  # 128 + SIGINT
EXIT_SIGTERM = 143  # 128 + SIGTERM


class SolgenError(Exception):
    """Base of every exception solgen raises: exit status 1 unless a subclass says otherwise."""

    exit_status: int = EXIT_FAILED

    def lines(self) -> list[str]:
        """What the command line prints for it, one 'solgen: error: ' line each (cli._error
        caps them at messages.MAX_LINES)."""
        return [str(self)]


class Busy(SolgenError):
    """Another solgen process is writing into the same output directory; exit status 1."""


class InvalidInput(SolgenError):
    """Raised when the variant (file, --set or option) cannot be used; exit status 2."""

    exit_status = EXIT_INVALID

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)

    def lines(self) -> list[str]:
        return list(self.problems)


class UnreadableInput(SolgenError):
    """Text of the user's that cannot be read as what it must be: a number (numparse), a
    student's answer (grade, problem); exit status 2. Its readers usually make it an
    InvalidInput naming the row and column, or grade the cell as wrong (--lenient), first."""

    exit_status = EXIT_INVALID


class InvalidTemplate(SolgenError):
    """A template from --templates that cannot be used (render.py's UnescapedText,
    TemplateRefused, TemplateFailed, which are jinja2 TemplateErrors too); exit status 2.

    The command line gives every template error, jinja2's own too, exit status 2 with
    --templates and 1 without: a failure of solgen's own templates is solgen's (cli._run)."""

    exit_status = EXIT_INVALID


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that cleanup runs as for Ctrl-C (exit status 143).

    A BaseException, not a SolgenError: like KeyboardInterrupt it passes `except Exception`."""

    exit_status = EXIT_SIGTERM


class CheckFailed(SolgenError):
    """A self-check of a solution failed: nothing is written (exit status 1)."""

    def lines(self) -> list[str]:
        return [f"a self-check of the solution failed, so nothing was written: {self}"]


class DerivationError(CheckFailed):
    """A derivation's own verification failed (a derived form is not what it must be)."""

    def __init__(self, message: str) -> None:
        super().__init__(f"derivation: {message}")


class InterruptedAfterWrite(SolgenError):
    """SIGINT or SIGTERM that arrived while a build moved its outputs in: they are complete.

    Exit status 130 (SIGINT) or 143 (SIGTERM), as the signal was."""

    exit_status = EXIT_SIGINT

    def __init__(self, signal_exception: BaseException) -> None:
        super().__init__("interrupted after the new outputs were in place")
        self.terminated = isinstance(signal_exception, Terminated)
        self.exit_status = EXIT_SIGTERM if self.terminated else EXIT_SIGINT

    def lines(self) -> list[str]:
        return ["interrupted just after the new outputs were moved into place; they are complete"]


def interrupt_status(exc: BaseException) -> int:
    """The exit status of a SIGINT (KeyboardInterrupt) or SIGTERM (Terminated): 130 or 143."""
    return EXIT_SIGTERM if isinstance(exc, Terminated) else EXIT_SIGINT
