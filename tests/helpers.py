"""Helpers shared by the tests (imported as `helpers`: pytest puts tests/ on sys.path)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import subprocess
import zlib
from pathlib import Path

# What `solgen build` writes into --out, by name (data/ holds the CSV files).
BUILD_OUTPUTS = [
    "assignment.pdf",
    "assignment.tex",
    "data",
    "results.json",
    "solution.pdf",
    "solution.tex",
]


def snapshot(directory: Path) -> dict[str, str]:
    """Every file under directory (hidden ones too), relative path -> sha256."""
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def override(tmp_path: Path, body: str) -> Path:
    """A template directory whose convnet.tex.j2 is body (to make LaTeX fail or hang)."""
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "convnet.tex.j2").write_text(body, encoding="utf-8")
    return templates


def live_processes_under(directory: Path) -> list[str]:
    """Processes (not zombies) whose working directory is inside directory."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cwd = os.readlink(proc / "cwd")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if state != "Z" and (cwd == str(directory) or cwd.startswith(f"{directory}/")):
            found.append(f"{proc.name} {cmdline}")
    return found


def pdf_content(path: Path) -> bytes:
    """A PDF's bytes with every compressed stream inflated (outline titles live in them)."""
    data = path.read_bytes()
    parts = [data]
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
        with contextlib.suppress(zlib.error):
            parts.append(zlib.decompress(stream))
    return b"".join(parts)


def pdf_string(text: str) -> bytes:
    """A PDF text string as pdfTeX writes an outline title: UTF-16BE, octal escapes."""
    data = b"\xfe\xff" + text.encode("utf-16-be")
    return b"(" + b"".join(b"\\%03o" % byte for byte in data) + b")"


def pdf_pages(path: Path) -> list[str]:
    """The text of each page of a PDF (pdftotext)."""
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")[:-1]  # pdftotext ends every page with a form feed
