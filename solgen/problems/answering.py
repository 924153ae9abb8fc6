"""How to answer: the one wording of the rules a student's answers are graded by.

The sheet's "How to answer" section (document/context.py renders it), the LMS questions
(lmshtml.precision_text) and grade (a policy whose precision differs from the sheets' is
said) all word a tolerance here, from the very Tolerance that marking applies, so that what is
printed and what is graded cannot drift apart. A problem's own lines (its answers, where each
sits, its syntax) come from its `how_to_answer` hook.

May import: the standard library and solgen's problem interface; never a stage, never a problem.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from solgen.problems.problem import Item, Tolerance

# A value whose rounding tells significant digits from decimal places: 0.00901 (3 significant
# digits) is right, 0.009 (3 decimal places) is not.
ROUNDING_EXAMPLE = 0.00901234
EXACT_EXAMPLES = "`1/6` or `sqrt(2)/4`"  # exact forms numparse reads (never evaluated as code)


def tolerance_phrases(tolerance: Tolerance) -> list[str]:
    """What an answer must be within to count, one phrase per way it may be (none: exactly)."""
    phrases = []
    if tolerance.digits > 0:
        phrases.append(f"rounded to at least {tolerance.digits} significant digits")
    if tolerance.relative > 0:
        phrases.append(f"within {tolerance.relative * 100:g} % of the exact value")
    if tolerance.absolute > 0:
        phrases.append(f"within {tolerance.absolute:g} of the exact value")
    return phrases


def precision_text(tolerances: Iterable[Tolerance], subject: str = "every number") -> str:
    """'Give {subject} rounded to at least 3 significant digits.' (or exactly), for these
    tolerances together; no value is given away."""
    phrases: list[str] = []
    for tolerance in dict.fromkeys(tolerances):
        phrases.extend(tolerance_phrases(tolerance))
    unique = list(dict.fromkeys(phrases))
    if not unique:
        return f"Give {subject} exactly."
    return f"Give {subject} " + " or ".join(unique) + "."


def rounding_example(tolerance: Tolerance) -> tuple[str, str] | None:
    """('0.00901', '0.009'): ROUNDING_EXAMPLE rounded to the tolerance's significant digits
    (accepted) and to as many decimal places (refused), as Tolerance.width decides; None
    when the tolerance would not tell them apart."""
    digits = tolerance.digits
    if digits <= 0:
        return None
    right, wrong = f"{ROUNDING_EXAMPLE:.{digits}g}", f"{ROUNDING_EXAMPLE:.{digits}f}"
    width = tolerance.width(ROUNDING_EXAMPLE)
    if (
        abs(float(right) - ROUNDING_EXAMPLE) > width
        or abs(float(wrong) - ROUNDING_EXAMPLE) <= width
    ):
        return None
    return right, wrong


def common_tolerance(items: Sequence[Item]) -> Tolerance:
    """The tolerance of most of these number items (the sheet's general rule); the default
    when there is none."""
    counted = Counter(item.tolerance for item in items if item.kind == "number")
    return counted.most_common(1)[0][0] if counted else Tolerance()


def number_rule(tolerance: Tolerance) -> str:
    """The general rule for numbers (a line: text with `typed text`): how precise, and that
    an exact form is fine."""
    sentence = precision_text([tolerance])[:-1]
    example = rounding_example(tolerance)
    if example is not None:
        sentence += f" (`{example[0]}`, not `{example[1]}`)"
    if tolerance.digits > 0 or tolerance.relative > 0 or tolerance.absolute > 0:
        sentence += f", or exactly ({EXACT_EXAMPLES})"
    return sentence + "."


def own_rule(items: Sequence[Item], general: Tolerance) -> str:
    """What a line's number items need beyond the general rule ('exactly', say); '' when
    they follow it."""
    own = [item.tolerance for item in items if item.kind == "number" and item.tolerance != general]
    if not own:
        return ""
    return precision_text(own, "it")[len("Give it ") : -1]


# A piece of a line: inline math between $ signs, or what a student types between backquotes.
_PIECE = re.compile(r"\$([^$]*)\$|`([^`]*)`")


def pieces(how: str) -> list[tuple[str, str]]:
    """A line (plain text with $math$ and `typed text`) split into ("text" | "math" | "code",
    text) pieces: the sheet sets the math and types the code, an LMS puts the math between
    \\( \\) and the code in <code>, a plain message keeps both as they are."""
    out: list[tuple[str, str]] = []
    position = 0
    for match in _PIECE.finditer(how):
        if match.start() > position:
            out.append(("text", how[position : match.start()]))
        if match.group(1) is not None:
            out.append(("math", match.group(1)))
        else:
            out.append(("code", match.group(2)))
        position = match.end()
    if position < len(how):
        out.append(("text", how[position:]))
    return out


def plain(how: str) -> str:
    """A line as plain text, for a message: the math and the typed text as they are written."""
    return "".join(text for _, text in pieces(how))
