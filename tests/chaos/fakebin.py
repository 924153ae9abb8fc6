"""A folder of stand-ins for latexmk, put first on PATH, to stop solgen at a chosen phase.

`latexmk` here runs the real one, except for the documents named in $SOLGEN_CHAOS_HANG
(comma-separated, such as "key"): for those it writes $SOLGEN_CHAOS_MARK (a file the test
waits for) and sleeps until killed, as LaTeX busy on a long document would.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

SCRIPT = """#!/bin/sh
for arg in "$@"; do :; done
name=$(basename "$arg" .tex)
case ",$SOLGEN_CHAOS_HANG," in
  *",$name,"*) : > "$SOLGEN_CHAOS_MARK"; exec sleep 600 ;;
esac
exec {real} "$@"
"""


def fake_latexmk(folder: Path) -> Path:
    """folder/latexmk, which hangs for $SOLGEN_CHAOS_HANG's documents; returns folder."""
    real = shutil.which("latexmk")
    if real is None:
        raise RuntimeError("latexmk is not installed")
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "latexmk"
    script.write_text(SCRIPT.format(real=real), encoding="utf-8")
    script.chmod(0o755)
    return folder


def environment(folder: Path, hang: str, mark: Path) -> dict[str, str]:
    """os.environ with the stand-ins first on PATH."""
    env = dict(os.environ)
    env["PATH"] = f"{folder}{os.pathsep}{env.get('PATH', '')}"
    env["SOLGEN_CHAOS_HANG"] = hang
    env["SOLGEN_CHAOS_MARK"] = str(mark)
    return env
