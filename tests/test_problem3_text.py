"""Problem 3's solution as a design answer: its justification, where the parameters are, the
comparison with the rules' designs, the layers shown once, an honest figure, one answer box."""

from __future__ import annotations

import math
import re
from fractions import Fraction

import pytest

from solgen.document.build import render_documents, solve
from solgen.document.variant import load_variant
from solgen.markup.latex import GROUP_FROM
from solgen.problems.convnet.draw import draw
from solgen.problems.convnet.figures import DOUBLING_CM, TALLEST_CM, feature_maps

SEED_LAYERS = "[{conv=5,filters=8},{pool=2},{conv=5,filters=32},{pool=2},{conv=2,filters=64}]"


def _sets(seed: int) -> list[str]:
    """A drawn variant (as a roster student gets it: the layers given) as --set overrides."""
    table = draw(seed)
    layers = ",".join(
        "{pool=2}" if "pool" in layer else f"{{conv={layer['conv']},filters={layer['filters']}}}"
        for layer in table["layers"]  # type: ignore[attr-defined]
    )
    return [
        f"problem3.input={table['input']}",
        f"problem3.target={table['target']}",
        f"problem3.kernel_sizes={table['kernel_sizes']}",
        f"problem3.layers=[{layers}]",
    ]


def _problem3(*sets: str) -> str:
    """Problem 3's solution, from 'Solution.' to its end, in the rendered solution .tex."""
    variant = load_variant(sets=list(sets))
    tex = render_documents(variant, solve(variant))["solution"]
    part = tex.split("Convolutional networks", 1)[1]
    return part.split("\\begin{solution}", 1)[1].split("\\end{solution}", 1)[0]


def _flat(tex: str) -> str:
    return " ".join(tex.split())


# the kinds of variant these tests read: the seed (given layers), designed, drawn ones
DEFAULT: tuple[str, ...] = ()
DESIGNED = ("problem3.kernel_sizes=[3,5,7]",)
SINGLE_KERNEL = tuple(_sets(286))  # kernels (3,): 94x94x1 -> 4x4x8
EVEN_KERNELS = tuple(_sets(74))  # kernels (2, 4, 6): 47x47x3 -> 8x8x80
HALVED_FILTERS = tuple(_sets(129))  # filters 2, 5, 10, 20: halving, not doubling
KINDS = [DEFAULT, DESIGNED, SINGLE_KERNEL, EVEN_KERNELS, HALVED_FILTERS]


def test_the_drawn_variants_are_the_ones_described():
    assert draw(286)["kernel_sizes"] == [3] and draw(286)["target"] == [4, 4, 8]
    assert draw(74)["kernel_sizes"] == [2, 4, 6] and draw(74)["input"] == [47, 47, 3]
    filters = [layer["filters"] for layer in draw(129)["layers"] if "conv" in layer]  # type: ignore[attr-defined]
    assert filters == [2, 5, 10, 20]


def test_the_default_design_is_justified_and_its_parameters_located():
    tex = _flat(_problem3())
    assert (
        "so the kernels must leave an even side before every pooling (here $28 \\times 28$ and "
        "$10 \\times 10$) and the last layer must end at $4 \\times 4$, as a $2 \\times 2$ "
        "convolution takes $5 \\times 5$ to $4 \\times 4$." in tex
    )
    assert (
        "Its filters, $8, 32, 64$, end with the target's 64 channels, which only the last "
        "convolution can set (a pooling keeps the channels)." in tex
    )
    assert (
        "The largest share sits in conv 3, the last convolution: $8256$ of the $15{,}296$ "
        "parameters, about $54\\%$. It joins the most channels, $32$ in and $64$ out," in tex
    )


def test_the_seeds_design_against_the_rules_is_no_contradiction():
    """15,296 (5-5-2, filters 8-32-64) below the rules' best 24,352 (5-3-3, 16-32-64)."""
    tex = _flat(_problem3())
    assert (
        "This design is outside them: its $2 \\times 2$ kernel is not in the list; its filters "
        "$8, 32, 64$ are not the rules' $16, 32, 64$. The best of the 2 designs under the rules "
        "(kernels $5, 3, 3$, filters $16, 32, 64$, ending with a convolution) has $24{,}352$ "
        "parameters, $9056$ more than this design's $15{,}296$. That the given design is "
        "smaller is no contradiction: the minimum is taken over the rules, and the rules exclude "
        "it. With its own filters, $8, 32, 64$, the best design with kernels from the list "
        "(kernels $5, 3, 3$) has $21{,}440$ parameters, $6144$ more;" in tex
    )
    # 5-3-3 with 8-32-64: 5^2*3*8+8 + 3^2*8*32+32 + 3^2*32*64+64
    assert 25 * 3 * 8 + 8 + 9 * 8 * 32 + 32 + 9 * 32 * 64 + 64 == 21_440


def test_the_designed_answer_argues_minimal_and_compares_the_runner_up():
    tex = _flat(_problem3(*DESIGNED))
    assert (
        "The search lists every sequence the rules allow, and the rules fix the filters once "
        "the number of convolutions is known, so the first row is the smallest design "
        "\\emph{under these rules}." in tex
    )
    assert (
        "Our answer is the first, with $24{,}352$ parameters: $78{,}496$ fewer than the "
        "runner-up (kernels $5, 7$, filters $32, 64$, ending with a pooling), which has "
        "$102{,}848$. Compare their heaviest layers: ours is conv 3 ($3 \\times 3$, "
        "$32 \\to 64$) with $18{,}496$, the runner-up's conv 2 ($7 \\times 7$, $32 \\to 64$) "
        "with $100{,}416$." in tex
    )
    assert "\\emph{Compared with other designs.}" not in tex  # the search already compared


def test_a_single_kernel_roster_design_is_justified():
    tex = _flat(_problem3(*SINGLE_KERNEL))
    assert (
        "(here $92 \\times 92$, $44 \\times 44$, $20 \\times 20$ and $8 \\times 8$) and the "
        "last layer must end at $4 \\times 4$, as the last pooling halves $8 \\times 8$ to "
        "$4 \\times 4$." in tex
    )
    assert "every kernel is $3 \\times 3$;" in tex
    assert "This design is the only one under these rules that reaches $4 \\times 4$." in tex
    assert (
        "The largest share sits in conv 4, the last convolution: $296$ of the $402$ "
        "parameters, about $74\\%$." in tex
    )


def test_an_even_kernel_roster_design_is_the_best_of_its_rules():
    tex = _flat(_problem3(*EVEN_KERNELS))
    assert "every kernel is $2 \\times 2$, $4 \\times 4$ or $6 \\times 6$;" in tex
    assert (
        "This design is the best of the 4 that reach $8 \\times 8$ under them. The runner-up "
        "(kernels $2, 6, 2$, filters $20, 40, 80$, ending with a convolution) has $41{,}980$ "
        "parameters, $14{,}080$ more; its heaviest layer is conv 2 ($6 \\times 6$, "
        "$20 \\to 40$) with $28{,}840$." in tex
    )
    # 47 -> 46 -> 23 -> 18 -> 9 -> 8: 2^2*3*20+20 + 6^2*20*40+40 + 2^2*40*80+80
    assert 4 * 3 * 20 + 20 + 36 * 20 * 40 + 40 + 4 * 40 * 80 + 80 == 41_980
    assert "as a $2 \\times 2$ convolution takes $9 \\times 9$ to $8 \\times 8$." in tex


def test_a_given_design_ranked_below_the_best_says_so():
    tex = _flat(
        _problem3("problem3.layers=[{conv=5,filters=32},{pool=2},{conv=7,filters=64},{pool=2}]")
    )
    assert (
        "Of the 2 designs that reach $4 \\times 4$ under them, this one is number 2 by "
        "parameters; the best (kernels $5, 3, 3$, filters $16, 32, 64$, ending with a "
        "convolution) has $24{,}352$ parameters, $78{,}496$ fewer." in tex
    )


def test_layers_that_do_not_alternate_are_named_outside_the_rules():
    tex = _flat(
        _problem3(
            "problem3.layers=[{conv=3,filters=8},{conv=3,filters=16},{pool=2},"
            "{conv=5,filters=32},{pool=2},{conv=2,filters=64}]"
        )
    )
    assert (
        "This design is outside them: its layers do not alternate from a convolution; its "
        "$2 \\times 2$ kernel is not in the list. The best" in tex
    )


def test_the_filter_rule_is_halving_not_doubling():
    """The old text said the filters double; 2, 5, 10, 20 do not."""
    for sets in ((*HALVED_FILTERS[:3],), HALVED_FILTERS):
        tex = _flat(_problem3(*sets))
        assert "double" not in tex.replace("channels doubles", "")
        assert "has half the filters of the next (rounded down, at least one)" in tex


def test_the_heaviest_layer_is_explained_only_by_a_true_reason():
    """Here the heaviest convolution has the fewest channels: its 9x9 kernel makes it heavy."""
    tex = _flat(
        _problem3(
            "problem3.target=[11,11,40]",
            "problem3.layers=[{conv=9,filters=32},{pool=2},{conv=2,filters=40}]",
        )
    )
    assert (
        "The largest share sits in conv 1: $7808$ of the $12{,}968$ parameters, about $60\\%$. "
        "Its $9 \\times 9$ kernel is the largest," in tex
    )
    assert "joins the most channels" not in tex


def test_an_exact_share_is_not_called_about():
    tex = _flat(
        _problem3(
            "problem3.input=[10,10,1]",
            "problem3.target=[4,4,8]",
            "problem3.layers=[{conv=3,filters=4},{pool=2},{conv=1,filters=8}]",
        )
    )
    assert "$40$ of the $80$ parameters, $50\\%$." in tex


ROW = re.compile(
    r"(conv|pool) (\d+) & \$(\d+) \\times \d+\$ & \$[^$]*\$ & \$(\d+) \\times "
    r"(\d+) \\times (\d+)\$ & \$([^$]*)\$ & (?:\$([^$]*)\$)? \\\\"
)


def _grouped(n: int) -> str:
    """12880 -> 12{,}880 and 8256 -> 8256, as the document groups digits (from 10,000 on)."""
    return f"{n:,}".replace(",", "{,}") if n >= GROUP_FROM else str(n)


def _recount(input_shape: list[int], kernels_and_filters: list[tuple[int, int] | None]):
    """Each layer's parameters, recomputed from the layer list alone (None is a pooling)."""
    channels, counts = input_shape[2], []
    for layer in kernels_and_filters:
        if layer is None:
            counts.append(0)
            continue
        k, f = layer
        counts.append(k * k * channels * f + f)
        channels = f
    return counts


@pytest.mark.parametrize("sets", KINDS)
def test_every_share_is_its_recomputed_count_over_the_total(sets):
    tex = _problem3(*sets)
    rows = ROW.findall(tex)
    assert rows, "no layer rows"
    variant = load_variant(sets=list(sets))
    p3 = solve(variant).result_of("problem3")
    spec = [
        (layer.kernel, layer.out_shape[2]) if layer.kind == "conv" else None for layer in p3.layers
    ]
    counts = _recount(list(p3.input), spec)
    total = sum(counts)
    assert len(rows) == len(counts)
    for (kind, _, _, _, _, _, params, share), count in zip(rows, counts, strict=True):
        assert params.endswith(f"= {_grouped(count)}") or (kind, params) == (
            "pool",
            "0",
        )
        if kind == "conv":
            percent = Fraction(100 * count, total)
            expected = (
                "{<}1" if percent < Fraction(1, 2) else str(math.floor(percent + Fraction(1, 2)))
            )
            assert share == expected
        else:
            assert share == ""
    assert f"& ${_grouped(total)}$ & $100$" in tex
    heaviest = max(c for c in counts)
    if sum(1 for c in counts if c) > 1:
        percent = Fraction(100 * heaviest, total)
        word = "" if percent.denominator == 1 else "about "
        rounded = math.floor(percent + Fraction(1, 2))
        text = (
            f"${_grouped(heaviest)}$ of the ${_grouped(total)}$ parameters, {word}${rounded}\\%$."
        )
        assert text in _flat(tex)


@pytest.mark.parametrize("sets", KINDS)
def test_the_layers_are_shown_once(sets):
    """One table and the figure: no list of the layers, each layer's count derived once."""
    tex = _problem3(*sets)
    assert "\\begin{itemize}" not in tex and "\\item" not in tex
    assert tex.count("\\begin{table}") == (2 if "Searching all designs" in tex else 1)
    assert tex.count("\\begin{figure}") == 1
    for derivation in re.findall(r"\d+\^2 \\cdot \d+ \\cdot \d+ \+ \d+ = [\d{},]+", tex):
        assert tex.count(derivation) == 1
    assert tex.count("\\label{tab:layers}") == 1


@pytest.mark.parametrize("sets", KINDS)
def test_floats_stand_between_paragraphs(sets):
    """A float inside a paragraph is set after the line that holds it: 'It is [Table] our
    answer.' Each table and figure has a blank line before and after it."""
    tex = _problem3(*sets)
    for env in ("table", "figure"):
        assert tex.count(f"\\begin{{{env}}}") == tex.count(f"\n\n\\begin{{{env}}}")
        assert tex.count(f"\\end{{{env}}}") == tex.count(f"\\end{{{env}}}\n\n")


@pytest.mark.parametrize("sets", KINDS)
def test_the_final_answers_are_one_box(sets):
    tex = _problem3(*sets)
    assert tex.count("\\begin{finalanswers}") == 1 and "\\boxed" not in tex
    box = tex.split("\\begin{finalanswers}{Final answers}", 1)[1].split("\\end{finalanswers}")[0]
    p3 = solve(load_variant(sets=list(sets))).result_of("problem3")
    for layer in p3.layers:
        shape = " \\times ".join(map(str, layer.out_shape))
        assert f"${shape}$" in box
    assert f"{_grouped(p3.total_params)}$." in box
    assert box.count("$\\to$") == len(p3.layers) - 1


def test_the_default_answer_box():
    box = _problem3().split("\\begin{finalanswers}{Final answers}\n", 1)[1]
    assert box.startswith(
        "Design (filters in parentheses): conv $5 \\times 5$~(8) $\\to$ pool $\\to$ conv "
        "$5 \\times 5$~(32) $\\to$ pool $\\to$ conv $2 \\times 2$~(64).\\par\n"
        "Feature maps after each layer: $28 \\times 28 \\times 8$, $14 \\times 14 \\times 8$, "
        "$10 \\times 10 \\times 32$, $5 \\times 5 \\times 32$, $4 \\times 4 \\times 64$.\\par\n"
        "Learnable parameters: $608 + 6432 + 8256 = 15{,}296$.\n\\end{finalanswers}"
    )


def test_the_general_size_formula_comes_before_its_special_cases():
    tex = _problem3()
    general = tex.index("\\Bigl\\lfloor \\frac{H_{\\text{in}} - k + 2p}{s} \\Bigr\\rfloor + 1")
    assert general < tex.index("H_{\\text{out}} = H_{\\text{in}} - k + 1")
    assert "$H_{\\text{out}} = \\lfloor H_{\\text{in}} / 2 \\rfloor$" in tex


@pytest.mark.parametrize("sets", KINDS)
def test_the_figure_is_drawn_to_its_stated_scales(sets):
    p3 = solve(load_variant(sets=list(sets))).result_of("problem3")
    boxes = feature_maps(p3)
    tallest = max(b.shape[0] for b in boxes)
    for box in boxes:
        assert box.height == pytest.approx(TALLEST_CM * box.shape[0] / tallest)  # proportional
        assert box.width == pytest.approx(DOUBLING_CM * (1 + math.log2(box.shape[2])))
    assert (
        "A box's height is in proportion to the map's height $H$, and its width grows by the "
        "same step each time the number of channels doubles (a logarithmic scale)"
        in _flat(_problem3(*sets))
    )


def test_one_channel_and_one_rule_design_are_in_the_singular():
    tex = _flat(
        _problem3(
            "problem3.target=[4,4,1]",
            "problem3.layers=[{conv=5,filters=8},{pool=2},{conv=5,filters=32},{pool=2},"
            "{conv=2,filters=1}]",
        )
    )
    assert "end with the target's one channel, which only the last" in tex
    assert "1 channels" not in tex
    only = _flat(_problem3("problem3.kernel_sizes=[3,5]", f"problem3.layers={SEED_LAYERS}"))
    assert (
        "The only design under the rules (kernels $5, 3, 3$, filters $16, 32, 64$, ending with "
        "a convolution) has $24{,}352$ parameters, $9056$ more than this design's "
        "$15{,}296$." in only
    )
    assert "of the 1 designs" not in only
