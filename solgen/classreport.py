"""The class report: how many distinct values each problem has, and the spread of the answers.

In the spirit of R/exams' stresstest_exercise: before sheets go out, an instructor sees
whether students share data (and who), and whether the answers vary within a sane range.
"""

from __future__ import annotations

import statistics
import tomllib
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from solgen.files import NotReadable, read_regular
from solgen.manifest import Manifest
from solgen.tomlinput import MAX_VARIANT_BYTES

# What makes two variants' problems the same for a student: the data, not the wording.
IDENTITY = {
    "problem 1 (network and data)": ("problem1", ("X", "t", "W1", "b1", "w2", "b2", "activation")),
    "problem 2 (matrix A)": ("problem2", ("A",)),
    "problem 3 (input, target, kernels)": ("problem3", ("input", "target", "kernel_sizes")),
}


def _variant(path: Path) -> dict[str, Any] | None:
    """A student's variant.toml, read as checked data (a regular file of bounded size: a FIFO
    or /dev/zero there never blocks or floods the report), or None."""
    try:
        text = read_regular(path, MAX_VARIANT_BYTES).decode("utf-8")
        return tomllib.loads(text, parse_float=Decimal)
    except (OSError, NotReadable, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None


def _number(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:.4g}"


def _spread(values: Sequence[float]) -> str:
    if not values:
        return "none"
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"{_number(low)} / {_number(mid)} / {_number(high)}"


def class_report(out: Path, manifest: Manifest, answers: dict[str, dict[str, Any]]) -> str:
    """The report's text (also written to DIR/report.txt)."""
    ids = sorted(manifest.records)
    who = "students" if manifest.kind == "roster" else "variants"
    lines = [f"Class report: {len(ids)} {who}, {len(answers)} with answers."]
    variants = {i: _variant(out / manifest.records[i].folder / "variant.toml") for i in ids}
    lines.append("Distinct data (no two should share):")
    shared_lines = []
    for label, (section, names) in IDENTITY.items():
        groups: dict[str, list[str]] = defaultdict(list)
        for variant_id, data in variants.items():
            if data is not None:
                table = data.get(section, {})
                groups[repr([table.get(n) for n in names])].append(variant_id)
        lines.append(f"  {label}: {len(groups)} distinct among {sum(map(len, groups.values()))}")
        for members in groups.values():
            if len(members) > 1:
                shared_lines.append(f"  {label}: shared by {', '.join(members)}")
    if shared_lines:
        lines.append("Shared data:")
        lines += shared_lines
    p1 = [a["problem1"] for a in answers.values()]
    p2 = [a["problem2"] for a in answers.values()]
    p3 = [a["problem3"] for a in answers.values()]
    activations: dict[str, int] = defaultdict(int)
    for entry in p1:
        activations[entry["activation"]] += 1
    eta = [e["eta_max"] for e in p2 if e["eta_max"] is not None]
    rational = sum(1 for e in p2 if e["eta_max_exact"] and "sqrt" not in e["eta_max_exact"])
    lines += [
        "Spread of the key answers (min / median / max):",
        f"  loss: {_spread([e['loss'] for e in p1])}",
        f"  |dL/db2|: {_spread([abs(e['grad']['b2']) for e in p1])}",
        f"  eta_max: {_spread(eta)} ({rational} rational, {len(eta) - rational} with a surd,"
        f" {len(p2) - len(eta)} without a bound)",
        f"  total_params: {_spread([e['total_params'] for e in p3])}",
        "  activations: " + ", ".join(f"{k} {v}" for k, v in sorted(activations.items())),
    ]
    edited = [i for i in ids if manifest.records[i].hand_edited]
    if edited:
        lines.append(f"Hand-edited variant.toml (kept): {', '.join(edited)}")
    if manifest.expected:
        off = [i for i in ids if i not in set(manifest.expected)]
        if off:
            where = "on the roster" if manifest.kind == "roster" else "among the batch's seeds"
            lines.append(f"Not {where} any more (kept as built): {', '.join(off)}")
    missing = [i for i in ids if i not in answers]
    if missing:
        lines.append(f"Without answers (results.json missing or damaged): {', '.join(missing)}")
    return "\n".join(lines) + "\n"
