"""Output files that appear complete or not at all, bounded reads of regular files only, and
the locks on a directory (exclusive for a writer, shared for readers)."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import json
import os
import shutil
import signal
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from solgen.base.errors import Busy, InvalidInput, SolgenError


def atomic_write(path: Path, text: str) -> None:
    """Write a text file (UTF-8, LF) so that it appears complete or not at all."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write a file so that it appears complete or not at all.

    An OSError names path (a full disk raised 'No space left on device' naming no file).
    """
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:
        raise named(exc, path) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are ordinary files
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise named(exc, path) from None
        raise


def named(exc: OSError, path: Path) -> OSError:
    """The same error (errno, text) naming path, when it names no file of its own."""
    if exc.filename is not None:
        return exc
    return type(exc)(exc.errno, exc.strerror or str(exc), str(path))


# --- what is true if a signal stops solgen now ---------------------------------------------------


class _Said:
    """What to say on SIGINT or SIGTERM from now on ('': nothing was written yet, so 'the
    previous outputs are untouched' is true). Set by a command the moment its writes become
    visible (cli.py resets it for each command and prints it)."""

    after = ""


SAID = _Said()


def interrupted_from_now(message: str) -> None:
    """What a SIGINT or SIGTERM arriving from now on should print (it is true from now)."""
    SAID.after = message


# --- bounded reads of regular files -------------------------------------------------------------


class NotReadable(SolgenError):
    """A file that is not what solgen reads: missing, a link, a FIFO, a device, too large."""

    def __init__(self, path: Path, found: str) -> None:
        super().__init__(f"{path}: expected a regular file, found {found}")
        self.path = path
        self.found = found


def kind_of(mode: int) -> str:
    """What a file of this st_mode is, in words."""
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "a regular file" if stat.S_ISREG(mode) else "a special file"


def open_regular(path: Path) -> tuple[int, os.stat_result]:
    """An open descriptor of a regular file, and its fstat; NotReadable otherwise.

    O_NOFOLLOW: a symbolic link at path is refused, not followed (to /dev/zero, say);
    O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer for ever.
    """
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise NotReadable(path, "nothing (it does not exist)") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotReadable(path, "a symbolic link") from None
        raise NotReadable(path, f"a file that cannot be opened ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
    except OSError as exc:
        os.close(fd)
        raise NotReadable(path, f"a file that cannot be read ({exc.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise NotReadable(path, kind_of(info.st_mode))
    return fd, info


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of the regular file at path, which may hold at most limit bytes.

    Never more than limit + 1 bytes are read, whatever fstat said (a file may grow).
    NotReadable for anything else: nothing there, a link, a FIFO, a device, a larger file.
    """
    fd, info = open_regular(path)
    try:
        if info.st_size > limit:
            raise NotReadable(path, f"{info.st_size:,} bytes, more than the {limit:,} allowed")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            try:
                chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            except OSError as exc:
                raise NotReadable(path, f"a file that cannot be read ({exc.strerror})") from None
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise NotReadable(path, f"more than the {limit:,} bytes allowed")
        return b"".join(chunks)
    finally:
        os.close(fd)


# pdfTeX's own words when a write fails (it prints no "! " error line for them).
_TEX_WRITE_FAILURES = ("fwrite() failed", "I can't write on file", "No space left on device")
LOW_SPACE = 64 * 1024 * 1024  # bytes: below this, a failed write is taken for a full disk


def tex_write_failure(log: Path, written: Path) -> OSError | None:
    """The OSError behind a LaTeX run that failed writing (a full disk), naming the file it
    was writing, or None when its log shows no write failure. pdfTeX reports a failed
    write as '!pdfTeX error: ... fwrite() failed', which no error-line reader picks up."""
    try:
        text = read_regular(log, 64 * 1024 * 1024).decode("utf-8", "replace")
    except NotReadable:
        text = ""
    failed = next((m for m in _TEX_WRITE_FAILURES if m in text), None)
    free = free_space(written.parent)
    if failed is None and not (text == "" and free is not None and free < LOW_SPACE):
        return None
    where = f"{free // 1024:,} kB free there" if free is not None else "free space unknown"
    detail = f"pdfTeX could not write it: {failed or 'no log written'}; {where}; log {log}"
    if free is not None and free < LOW_SPACE:
        return OSError(errno.ENOSPC, f"No space left on device ({detail})", str(written))
    return OSError(errno.EIO, f"Write error ({detail})", str(written))


def free_space(directory: Path) -> int | None:
    """Bytes available to us on directory's file system (None if unknown)."""
    try:
        info = os.statvfs(directory)
    except OSError:
        return None
    return info.f_bavail * info.f_frsize


def is_real_dir(path: Path) -> bool:
    """Whether path is a directory itself (not a symbolic link to one)."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


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
    in the child after the parent is gone (see pool.py). Busy at once when another process
    holds the lock, exclusive (a writer) or shared (a reader: grade, export, merge).
    """
    fd = os.open(directory, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:  # a shared lock is free while only readers hold it: say which it is
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                raise Busy(f"another solgen build is writing into {directory}; try again") from None
            fcntl.flock(fd, fcntl.LOCK_UN)
            raise Busy(
                f"solgen is reading {directory} (grade, export or merge); try again when it is done"
            ) from None
        yield fd
    finally:
        os.close(fd)  # closing releases the lock


@contextlib.contextmanager
def shared(directory: Path, what: str = "--key") -> Iterator[None]:
    """Hold a shared lock on a batch directory while reading it (grade, export, merge).

    Readers share; a batch writing into the directory holds it exclusively, and then a reader
    fails at once (Busy, exit status 1) rather than read half-old keys or wait for a batch
    that may run for an hour. A batch started while a reader holds the lock fails the same way.
    """
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        yield  # not a directory we can open: the reader's own checks say what is wrong
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy(
                f"{what}: a solgen batch is writing into {directory}; it was not read (its "
                "answer keys are changing): run this again when the batch is done"
            ) from None
        yield
    finally:
        os.close(fd)


UNLOCKED_GRACE = 60.0  # seconds: an unlocked scratch folder this new may still be starting


@contextlib.contextmanager
def locked_scratch_dir(parent: Path, label: str) -> Iterator[Path]:
    """A marked scratch folder parent/.solgen-<label>-XXXXXXXX, locked (flock, exclusive) by
    this process while in use, so that remove_unlocked_scratch elsewhere leaves it alone.

    It is made and locked under another name (.solgen-<label>init-...), then renamed: a folder
    under the real name is locked from its first moment. The caller removes it when done;
    a killed process's folder is unlocked and the next remove_unlocked_scratch removes it.
    """
    start = scratch_dir(parent, f"{label}init")
    fd = os.open(start, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        path = start.with_name(f"{SCRATCH_PREFIX}{label}-{start.name.rsplit('-', 1)[1]}")
        os.rename(start, path)
        yield path
    finally:
        os.close(fd)


def remove_unlocked_scratch(directory: Path, label: str) -> list[Path]:
    """Delete the marked .solgen-<label>-* folders in directory that no process has locked
    (the scratch of a killed merge), and .solgen-<label>init-* folders older than a minute;
    return what was removed."""
    removed = []
    candidates = [(p, False) for p in directory.glob(f"{SCRATCH_PREFIX}{label}-*")]
    candidates += [(p, True) for p in directory.glob(f"{SCRATCH_PREFIX}{label}init-*")]
    for leftover, starting in candidates:
        if leftover.is_symlink() or not (leftover / SCRATCH_MARK).is_file():
            continue
        try:
            if starting:
                if time.time() - leftover.stat().st_mtime < UNLOCKED_GRACE:
                    continue
            else:
                fd = os.open(leftover, os.O_RDONLY | os.O_DIRECTORY)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                finally:
                    os.close(fd)
        except OSError:
            continue  # locked (in use), or gone
        shutil.rmtree(leftover, ignore_errors=True)
        removed.append(leftover)
    return removed


def check_writable(directory: Path, what: str) -> None:
    """InvalidInput (exit status 2) when nothing can be created in directory: a read-only file
    system, no permission. Creates and removes one empty file."""
    try:
        fd, probe = tempfile.mkstemp(prefix=f"{SCRATCH_PREFIX}probe-", dir=directory)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO):
            raise named(exc, directory) from None  # the disk, not the user's choice: status 1
        raise InvalidInput(
            [f"{what}: cannot write into {directory}: {exc.strerror or exc}"]
        ) from None
    os.close(fd)
    Path(probe).unlink(missing_ok=True)


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
    """Put a staged directory in target's place in one step, then remove the old one.

    On Linux the two are exchanged by one renameat2(RENAME_EXCHANGE): a reader finds the old
    folder or the new one, never none and never a mix. Elsewhere the old one is renamed away
    first: a kill between the two renames leaves target missing (never half old, half new).
    Either way the old copy sits in a marked scratch folder, which the next clean-up removes.
    """
    unmark(staged)
    if not (target.exists() or target.is_symlink()):
        os.replace(staged, target)
        return
    old = scratch_dir(target.parent, "old")
    if is_real_dir(target) and _exchange(staged, target):
        os.replace(staged, old / target.name)  # the old folder, now at the staged path
    else:
        os.replace(target, old / target.name)
        os.replace(staged, target)
    shutil.rmtree(old, ignore_errors=True)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    renameat2.argtypes += [ctypes.c_uint]
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False  # a file system or kernel without it: two renames
    raise OSError(code, os.strerror(code), str(b))


_STOPPING_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block is done, then act as they would have.

    For the steps that must not be cut in two by Ctrl-C or SIGTERM (renames that belong
    together, a record and its folder). Python runs signal handlers in the main thread
    whatever thread the kernel picked, so a held signal is recorded by a handler of our own
    (blocking it in one thread is not enough). Outside the main thread: nothing is held.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived: list[int] = []
    previous = {
        number: signal.signal(number, lambda signum, frame: arrived.append(signum))
        for number in _STOPPING_SIGNALS
    }
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        for first in arrived[:1]:
            handler = previous[signal.Signals(first)]
            if callable(handler):
                handler(first, None)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(first)


# --- a set of files moved in together (a build's outputs, a batch's class files) ---------------

COMMIT = ".solgen-commit"  # a complete set of outputs, being moved into place
COMMIT_LIST = ".outputs.json"  # in COMMIT: the names to move, written before COMMIT exists
COMMIT_OLD = ".old"  # in COMMIT: the outputs being replaced, moved out before any new one in


def finish_commit(out: Path) -> None:
    """Move a staged, complete set of outputs (out/COMMIT) into place, or do nothing.

    A build's outputs, or a batch's class files, are visible as a set: first every output
    being replaced is moved out of DIR (into COMMIT/.old), then every new one in, so that a
    reader between two renames sees some of the old outputs or some of the new, never a new
    results.json beside an old solution.pdf. SIGINT and SIGTERM wait until the last rename.
    A SIGKILL in between leaves COMMIT with the rest, and the next run on DIR finishes the
    move before it reads or writes anything else (each step is idempotent), so the outputs
    end up all new. (DIR holds the user's files too, so one rename of DIR cannot swap the set.)
    """
    commit = out / COMMIT
    if not commit.is_dir():
        return
    try:
        names = json.loads(read_regular(commit / COMMIT_LIST, 1 << 16).decode("utf-8"))
    except (NotReadable, ValueError):
        names = None
    if not isinstance(names, list) or not all(
        isinstance(n, str) and "/" not in n and n not in ("", ".", "..", COMMIT_OLD) for n in names
    ):
        shutil.rmtree(commit, ignore_errors=True)  # not one of ours, or never complete
        return
    with signals_held():
        old = commit / COMMIT_OLD
        old.mkdir(exist_ok=True)
        for name in names:  # out: every output that a new one replaces
            if (commit / name).exists() and (out / name).exists():
                os.replace(out / name, old / name)
        for name in names:  # in: every new output not moved yet (a kill may have moved some)
            staged = commit / name
            if staged.exists():
                os.replace(staged, out / name)
        shutil.rmtree(commit, ignore_errors=True)


class StagedSet:
    """Outputs of one run made in one scratch folder of DIR (created when the first one is
    staged), then moved in as a set by the commit above (COMMIT_LIST, then finish_commit),
    with SIGINT and SIGTERM held: a failure or a signal before the commit changes nothing in
    DIR. A batch's class files, grade's grades and feedback."""

    def __init__(self, out: Path, label: str = "class") -> None:
        self.out = out
        self.label = label  # the scratch folder's: .solgen-<label>-XXXXXXXX
        self.folder: Path | None = None
        self.names: list[str] = []  # as staged: a folder's name ends in /

    def _into(self) -> Path:
        if self.folder is None:
            self.folder = scratch_dir(self.out, self.label)
        return self.folder

    def data(self, name: str, data: bytes) -> None:
        """Stage a file, unless DIR's holds these bytes already (a rerun touches nothing)."""
        try:
            if read_regular(self.out / name, len(data)) == data:
                return
        except NotReadable:
            pass
        try:
            atomic_write_bytes(self._into() / name, data)
        except OSError as exc:  # named as the output it was to become (a full disk)
            raise type(exc)(exc.errno, exc.strerror or str(exc), str(self.out / name)) from None
        self.names.append(name)

    def text(self, name: str, text: str) -> None:
        """Stage a text file (UTF-8), unless DIR's holds this text already."""
        self.data(name, text.encode("utf-8"))

    def file(self, name: str, source: Path) -> None:
        """Stage a file made elsewhere in DIR (a compiled PDF), by renaming it."""
        os.replace(source, self._into() / name)
        self.names.append(name)

    def new_folder(self, name: str) -> Path:
        """A folder to fill (handout/, solutions/), staged under name."""
        path = self._into() / name
        path.mkdir()  # mkdir, not mkdtemp's 0700: the mode of an ordinary folder
        self.names.append(f"{name}/")
        return path

    def commit(self, written: list[str]) -> None:
        """Move every staged file into DIR together (nothing staged: nothing happens)."""
        if self.folder is None:
            return
        top = [name.rstrip("/") for name in self.names]
        atomic_write(self.folder / COMMIT_LIST, json.dumps(top))
        with signals_held():
            os.replace(self.folder, self.out / COMMIT)
            self.folder = None
            finish_commit(self.out)
            written += self.names

    def discard(self) -> None:
        """Remove what was staged (a failure or a signal before the commit)."""
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None
