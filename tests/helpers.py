"""Helpers shared by the tests (imported as `helpers`: pytest puts tests/ on sys.path)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def snapshot(directory: Path) -> dict[str, str]:
    """Every file under directory (hidden ones too), relative path -> sha256."""
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def override(tmp_path: Path, body: str) -> Path:
    """A template directory whose problem3.tex.j2 is body (to make LaTeX fail or hang)."""
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "problem3.tex.j2").write_text(body, encoding="utf-8")
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
