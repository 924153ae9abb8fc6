"""Output files that appear complete or not at all, and the lock on an output directory."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from solgen.errors import Busy, InvalidInput


def atomic_write(path: Path, text: str) -> None:
    """Write a text file (UTF-8, LF) so that it appears complete or not at all."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write a file so that it appears complete or not at all."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are ordinary files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_output_file(path: Path, example: str) -> None:
    """-o FILE: InvalidInput unless it names a file in an existing folder."""
    if path.is_dir():
        raise InvalidInput([f"-o: {path} is a directory, expected a file name such as {example}"])
    if not path.parent.is_dir():
        raise InvalidInput([f"-o: the folder {path.parent} of {path.name} does not exist"])


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def exclusive(directory: Path) -> Iterator[int]:
    """Hold an exclusive lock on a directory (flock on the directory itself: no lock file).

    Yields the locked file descriptor: a forked child must close it, or the lock lives on
    in the child after the parent is gone (see pool.py).
    """
    fd = os.open(directory, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy(f"another solgen build is writing into {directory}; try again") from None
        yield fd
    finally:
        os.close(fd)  # closing releases the lock


SCRATCH_PREFIX = ".solgen-"
# Inside every folder solgen makes for its own work: clean-up deletes a .solgen-* folder only
# when this file is in it, never a user's (say their .solgen-templates).
SCRATCH_MARK = ".solgen-scratch"


def scratch_dir(parent: Path, label: str) -> Path:
    """A new, marked folder parent/.solgen-<label>-XXXXXXXX for solgen's own work."""
    path = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{label}-", dir=parent))
    (path / SCRATCH_MARK).write_bytes(b"")
    return path


def unmark(path: Path) -> None:
    """Make a staged scratch folder an ordinary one, just before it is renamed into place."""
    (path / SCRATCH_MARK).unlink(missing_ok=True)


def remove_leftover_scratch(directory: Path) -> None:
    """Delete the marked folders that earlier runs left in directory (a failed build keeps
    its log there; a killed one leaves everything). Call it holding the directory's lock."""
    for leftover in directory.glob(f"{SCRATCH_PREFIX}*"):
        if leftover.is_dir() and not leftover.is_symlink() and (leftover / SCRATCH_MARK).is_file():
            shutil.rmtree(leftover, ignore_errors=True)


def replace_dir(target: Path, staged: Path) -> None:
    """Put a staged directory in target's place: the old one is renamed away, then removed.

    A kill between the two renames leaves target missing (never half old, half new); the
    renamed-away copy sits in a marked scratch folder, which the next clean-up removes.
    """
    old = None
    unmark(staged)
    if target.exists() or target.is_symlink():
        old = scratch_dir(target.parent, "old")
        os.replace(target, old / target.name)
    os.replace(staged, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
