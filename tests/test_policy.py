"""policy.py: a grading policy's mistakes, every one reported, at most 20 lines and a count."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from solgen.base.errors import InvalidInput
from solgen.cli import main
from solgen.grading.policy import read_policy

ITEMS = {"loss", "y1", "dW1_11", "db2"}


def test_every_mistake_of_a_policy_is_listed(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text("[points]\n" + "".join(f"nope{i} = 1\n" for i in range(25)), "utf-8")
    with pytest.raises(InvalidInput) as info:
        read_policy(path, ITEMS)
    assert info.value.problems == [
        f"--policy {path}: points.nope{i}: unknown item or group" for i in range(25)
    ]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("policy") / "practice"
    assert main(["batch", "--count", "1", "--seed", "3", "--no-pdf", "--out", str(out)]) == 0
    return out


def test_a_policy_with_25_mistakes_prints_20_lines_and_5_more(seeded, tmp_path, capsys):
    policy = tmp_path / "policy.toml"
    policy.write_text("[points]\n" + "".join(f"nope{i} = 1\n" for i in range(25)), "utf-8")
    answers = tmp_path / "a.csv"
    answers.write_text("id,loss\n3,1\n", "utf-8")
    out = tmp_path / "g.csv"
    args = ["grade", "--key", str(seeded), "--answers", str(answers), "-o", str(out)]
    assert main([*args, "--policy", str(policy)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        *(
            f"solgen: error: --policy {policy}: points.nope{i}: unknown item or group"
            for i in range(20)
        ),
        "solgen: error: and 5 more",
    ]
    assert not out.exists() and not out.with_name("g-feedback").exists()
    assert json.loads((seeded / "answers.json").read_text("utf-8"))  # the key is untouched
