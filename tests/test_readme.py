"""The README stays a user's page: short, and every relative link in it leads somewhere."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

# [text](target) and ![alt](target), the target up to its first space or closing parenthesis
# (a title such as "..." may follow). Code spans and fenced blocks are left out first.
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`[^`\n]*`")


def links(text: str) -> list[str]:
    """Every link target of a Markdown text, outside code."""
    text = CODE_SPAN.sub("", FENCE.sub("", text))
    return LINK.findall(text)


def is_relative(target: str) -> bool:
    return not re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", target) and not target.startswith("#")


def heading_anchors(markdown: Path) -> set[str]:
    """The anchors GitHub gives a Markdown file's headings: lower case, punctuation dropped,
    spaces as hyphens."""
    anchors = set()
    for line in FENCE.sub("", markdown.read_text(encoding="utf-8")).splitlines():
        heading = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if heading:
            words = re.sub(r"[^\w\- ]", "", heading.group(1).lower())
            anchors.add(words.replace(" ", "-"))
    return anchors


def test_the_readme_is_shorter_than_200_lines():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) < 200, f"README.md has {len(lines)} lines; move detail to docs/"


def test_the_readme_links_to_its_picture_and_docs():
    targets = links(README.read_text(encoding="utf-8"))
    assert "docs/solution-page-2.png" in targets
    assert "docs/CONTRACT.md" in {t.split("#")[0] for t in targets}


def test_every_relative_link_in_the_readme_points_to_an_existing_file():
    targets = [t for t in links(README.read_text(encoding="utf-8")) if is_relative(t)]
    assert targets
    missing = []
    for target in targets:
        path, _, anchor = target.partition("#")
        file = ROOT / path
        exists = file.is_file()
        if exists and anchor and file.suffix == ".md":
            exists = anchor in heading_anchors(file)
        if not exists:
            missing.append(target)
    assert not missing, f"README.md links to what does not exist: {missing}"


def test_the_link_finder_sees_links_images_and_anchors_but_not_code():
    text = (
        "See [a](docs/A.md), ![pic](docs/p.png) and [b](docs/B.md#part-two);\n"
        "`[not](a-link.md)` and [web](https://example.org).\n"
        "```\n[nor](this.md)\n```\n"
    )
    assert links(text) == ["docs/A.md", "docs/p.png", "docs/B.md#part-two", "https://example.org"]
    assert [t for t in links(text) if is_relative(t)] == [
        "docs/A.md",
        "docs/p.png",
        "docs/B.md#part-two",
    ]
