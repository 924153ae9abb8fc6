"""Reading a variant as TOML: the file (size, encoding), nesting depth, exact decimals, --set."""

from __future__ import annotations

import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

from solgen.base.encodings import wide_encoding
from solgen.base.errors import InvalidInput
from solgen.base.messages import abbreviated

# Read before parsing: parsing TOML takes time in proportion to its size, and a variant at the
# limits of variant.MAX_WORK and MAX_UNITS needs far less (1000 x 200 x 250 in tenths is 1.1 MB).
MAX_VARIANT_BYTES = 4 * 1024 * 1024
MAX_NESTING = 8  # brackets and braces inside one another: a matrix needs 2, layers 2


def nesting_depth(text: str) -> int:
    """How deeply TOML arrays and inline tables nest in text (strings and comments skipped)."""
    depth = deepest = 0
    quote = ""
    i = 0
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\" and quote == '"':
                i += 1  # an escaped character, perhaps a quote
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "#":
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
        i += 1
    return deepest


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """Parse TOML text with every float read as an exact Decimal."""
    depth = nesting_depth(text)
    if depth > MAX_NESTING:
        raise InvalidInput(
            [f"{source}: arrays nested {depth} deep, expected at most {MAX_NESTING}"]
        )
    try:
        return tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput([f"{source}: not valid TOML: {_readable_keys(str(exc))}"]) from None
    except ValueError as exc:  # an integer of more than 4300 digits
        raise InvalidInput([f"{source}: {_unreadable_value(exc)}"]) from None


# tomllib names keys as Python tuples: "Cannot declare ('meta',) twice".
_KEY_TUPLE = re.compile(r"\(('[^']*'(?:, '[^']*')*),?\)")


def _readable_keys(message: str) -> str:
    """tomllib's message with its keys written as in TOML: meta, not ('meta',)."""
    return _KEY_TUPLE.sub(lambda m: ".".join(re.findall(r"'([^']*)'", m.group(1))), message)


def _unreadable_value(exc: ValueError) -> str:
    """Why a syntactically valid value could not be read (Python's digit limit)."""
    digits = re.search(r"value has (\d+) digits", str(exc))
    if digits is None:
        return f"a value cannot be read: {exc}"
    return f"a number has {digits.group(1)} digits, expected a number of magnitude at most 1e6"


def read_variant_file(path: Path, option: str = "--variant") -> dict[str, Any]:
    """Read and parse a variant file (or another TOML input, given by `option`: such as an
    --assignment file), turning every file-level failure into InvalidInput naming `option`."""
    if not path.exists():
        raise InvalidInput([f"{option}: the file {path} does not exist"])
    if path.is_dir():
        raise InvalidInput([f"{option}: {path} is a directory, expected a TOML file"])
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_VARIANT_BYTES + 1)
    except OSError as exc:
        raise InvalidInput([f"{option}: cannot read {path}: {exc.strerror}"]) from None
    if len(data) > MAX_VARIANT_BYTES:
        raise InvalidInput(
            [
                f"{option}: {path} is larger than {MAX_VARIANT_BYTES // 1024 // 1024} MB, "
                "expected a variant file of at most that size"
            ]
        )
    encoding = wide_encoding(data)
    if encoding is not None:
        raise InvalidInput(
            [f"{option}: {path} is {encoding} text, expected UTF-8 (save it as UTF-8)"]
        )
    if b"\x00" in data:
        raise InvalidInput([f"{option}: {path} is a binary file, expected a TOML text file"])
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark is harmless
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            [f"{option}: {path} is not UTF-8 text (byte {exc.start}: {data[exc.start]:#04x})"]
        ) from None
    return parse_toml(text, str(path))


def parse_set(assignment: str) -> tuple[str, str, Any]:
    """Parse one ``--set section.field=VALUE``; the value is a TOML value (bare text allowed)."""
    key, sep, raw = assignment.partition("=")
    parts = [part.strip() for part in key.split(".")]
    key = ".".join(parts)
    if not sep or len(parts) != 2 or not all(parts):
        raise InvalidInput(
            [f"--set {assignment}: expected SECTION.FIELD=VALUE (e.g. meta.date='Due 5 December')"]
        )
    raw = raw.strip()
    if "\n" in raw or "\r" in raw:
        raise InvalidInput(
            [f"--set {key}: expected one TOML value on one line, found a line break"]
        )
    depth = nesting_depth(raw)
    if depth > MAX_NESTING:
        raise InvalidInput(
            [f"--set {key}: arrays nested {depth} deep, expected at most {MAX_NESTING}"]
        )
    try:
        value = tomllib.loads(f"value = {raw}", parse_float=Decimal)["value"]
    except ValueError as exc:  # TOMLDecodeError, or an integer of more than 4300 digits
        if not isinstance(exc, tomllib.TOMLDecodeError):
            raise InvalidInput([f"--set {key}: {_unreadable_value(exc)}"]) from None
        if raw[:1] in '[{"' or raw[:1].isdigit() or raw[:1] in "+-.":
            raise InvalidInput(
                [f"--set {key}: the value {abbreviated(raw, 60)!r} is not valid TOML: {exc}"]
            ) from None
        value = raw  # bare text, e.g. --set meta.author=Ada
    return parts[0], parts[1], value
