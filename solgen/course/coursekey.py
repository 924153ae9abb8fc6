"""The course key: a secret that, with a student's id, decides the student's variant."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

from solgen.base.errors import InvalidInput

KEY_BITS = 256
_PREFIX = "sgk1-"
_KEY_LINE = re.compile(rf"{_PREFIX}([0-9a-f]{{{KEY_BITS // 4},}})")
_HEADER = (
    "# solgen course key. Keep it secret and keep a copy: whoever holds it can regenerate\n"
    "# every student's variant and worked solution from the roster; without it nobody can.\n"
)


def new_key_text() -> str:
    """A fresh random key (256 bits from the operating system's CSPRNG) as the key file's text."""
    return f"{_HEADER}{_PREFIX}{secrets.token_hex(KEY_BITS // 8)}\n"


def write_new_key(path: Path) -> None:
    """Create the key file, readable and writable by its owner only; never overwrite one."""
    if path.is_dir():
        raise InvalidInput([f"-o: {path} is a directory, expected a file name"])
    try:
        # O_EXCL: an existing key (perhaps the only copy) is never replaced.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InvalidInput(
            [f"-o: {path} exists; a course key is never overwritten (choose another name)"]
        ) from None
    except OSError as exc:
        raise InvalidInput([f"-o: cannot create {path}: {exc.strerror}"]) from None
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(new_key_text())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def read_key(path: Path) -> bytes:
    """The secret of a key file; InvalidInput naming the file when it is not one."""
    if not path.is_file():
        what = "is a directory" if path.is_dir() else "does not exist"
        raise InvalidInput([f"--key: {path} {what}; make a key with: solgen key -o FILE"])
    try:
        data = path.read_bytes()[:10_000]
        text = data.decode("ascii")
    except OSError as exc:
        raise InvalidInput([f"--key: cannot read {path}: {exc.strerror}"]) from None
    except UnicodeDecodeError:
        raise InvalidInput([f"--key: {path} is not a solgen course key (not ASCII text)"]) from None
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    match = _KEY_LINE.fullmatch(lines[0]) if len(lines) == 1 else None
    if match is None:
        raise InvalidInput(
            [
                f"--key: {path} is not a solgen course key (expected one line "
                f"'{_PREFIX}' and {KEY_BITS // 4} or more hex digits, as 'solgen key' writes)"
            ]
        )
    return bytes.fromhex(match.group(1))


def student_seed(key: bytes, student_id: str) -> int:
    """HMAC-SHA256(key, id) as an integer: the seed of the student's variant."""
    message = b"solgen/student-variant/v1\0" + student_id.encode("utf-8")
    return int.from_bytes(hmac.new(key, message, hashlib.sha256).digest(), "big")


def fingerprint(key: bytes) -> str:
    """A short public tag of the key (it reveals nothing of it): tells whether a key changed."""
    return hmac.new(key, b"solgen/fingerprint/v1", hashlib.sha256).hexdigest()[:16]
