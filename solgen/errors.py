"""The one exception for invalid input: a list of messages, each naming a field."""


class Busy(Exception):
    """Another solgen process is writing into the same output directory; exit status 1."""


class InvalidInput(Exception):
    """Raised when the variant (file, --set or option) cannot be used; exit status 2."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that cleanup runs as for Ctrl-C."""


class CheckFailed(Exception):
    """A self-check of a solution failed: nothing is written (exit status 1)."""


class DerivationError(CheckFailed):
    """A derivation's own verification failed (a derived form is not what it must be)."""

    def __init__(self, message: str) -> None:
        super().__init__(f"derivation: {message}")


class InterruptedAfterWrite(Exception):
    """SIGINT or SIGTERM that arrived while a build moved its outputs in: they are complete."""

    def __init__(self, signal_exception: BaseException) -> None:
        super().__init__("interrupted after the new outputs were in place")
        self.terminated = isinstance(signal_exception, Terminated)
