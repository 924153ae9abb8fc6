"""Problem 3, designed: every alternating conv/pool sequence from input to target, ranked."""

from __future__ import annotations

from dataclasses import dataclass

from solgen.base.errors import InvalidInput
from solgen.base.messages import dimensions, plural
from solgen.problems.convnet.fields import ConvnetInput, Layer

# A search that finds more designs than this is a sign of a badly posed variant.
MAX_DESIGNS = 100_000


@dataclass(frozen=True)
class Design:
    """One valid sequence: conv k1, pool, conv k2, pool, ..., conv km [, pool], with filters."""

    kernels: tuple[int, ...]
    filters: tuple[int, ...]
    final_pool: bool
    params: int

    @property
    def depth(self) -> int:
        """Number of layers (convolutions and poolings)."""
        return 2 * len(self.kernels) - 1 + int(self.final_pool)

    def rank_key(self) -> tuple[int, int, tuple[int, ...]]:
        """Fewest parameters, then fewest layers, then smallest kernels (in order)."""
        return (self.params, self.depth, self.kernels)

    def layers(self) -> tuple[Layer, ...]:
        """The design as variant layers."""
        out: list[Layer] = []
        for i, (kernel, filters) in enumerate(zip(self.kernels, self.filters, strict=True)):
            if i:
                out.append(Layer(kind="pool", kernel=2))
            out.append(Layer(kind="conv", kernel=kernel, filters=filters))
        if self.final_pool:
            out.append(Layer(kind="pool", kernel=2))
        return tuple(out)


@dataclass(frozen=True)
class Sequence:
    """A spatially valid kernel sequence, before filters are chosen."""

    kernels: tuple[int, ...]
    final_pool: bool


def sequences(
    size: tuple[int, int],
    target: tuple[int, int],
    kernels: tuple[int, ...],
    section: str = "problem3",  # the variant's table, for the message when there are too many
) -> tuple[list[Sequence], set[tuple[int, int]]]:
    """Every valid kernel sequence from size to target, and every size some sequence reaches.

    A conv k turns (h, w) into (h - k + 1, w - k + 1) and needs k <= h, w; a pool halves both
    sides and needs them even. Each conv-pool pair at least halves the sides, so the search
    ends. First every size is explored once (which sizes lead to the target), then only the
    paths through such sizes are followed to list the sequences.
    """
    reachable: set[tuple[int, int]] = set()
    leads_to_target: dict[tuple[int, int], bool] = {}

    def explore(h: int, w: int) -> bool:
        """Whether the target can be reached from (h, w), where a convolution comes next.

        Memoised on the size: each size is explored once, however many paths lead to it, so
        an unreachable target costs (number of sizes) x (number of kernels), not exponential.
        """
        if (h, w) in leads_to_target:
            return leads_to_target[(h, w)]
        hit = False
        for k in kernels:
            if k > h or k > w:
                continue
            ch, cw = h - k + 1, w - k + 1
            reachable.add((ch, cw))
            hit |= (ch, cw) == target
            if ch % 2 or cw % 2:
                continue
            reachable.add((ch // 2, cw // 2))
            hit |= (ch // 2, cw // 2) == target
            hit |= explore(ch // 2, cw // 2)
        leads_to_target[(h, w)] = hit
        return hit

    found: list[Sequence] = []

    def collect(h: int, w: int, prefix: tuple[int, ...]) -> None:
        for k in kernels:
            if k > h or k > w:
                continue
            ch, cw = h - k + 1, w - k + 1
            path = (*prefix, k)
            if (ch, cw) == target:
                found.append(Sequence(kernels=path, final_pool=False))
            if ch % 2 or cw % 2:
                continue
            ph, pw = ch // 2, cw // 2
            if (ph, pw) == target:
                found.append(Sequence(kernels=path, final_pool=True))
            if len(found) > MAX_DESIGNS:
                raise InvalidInput(
                    [
                        f"{section}.kernel_sizes: more than {MAX_DESIGNS:,} designs reach the "
                        "target; allow fewer kernel sizes"
                    ]
                )
            if leads_to_target[(ph, pw)]:  # only paths that can still end at the target
                collect(ph, pw, path)

    if explore(size[0], size[1]):
        collect(size[0], size[1], ())
    return found, reachable


def doubling_filters(count: int, out_channels: int) -> tuple[int, ...]:
    """..., C/4, C/2, C: the filters double up to the target's channels (at least 1 each)."""
    return tuple(max(1, out_channels >> (count - 1 - i)) for i in range(count))


def conv_layer_params(
    kernels: tuple[int, ...], filters: tuple[int, ...], in_channels: int
) -> tuple[int, ...]:
    """Each convolution's weights k^2 C_in C_out plus its C_out biases, in order."""
    counts, channels = [], in_channels
    for kernel, out in zip(kernels, filters, strict=True):
        counts.append(kernel * kernel * channels * out + out)
        channels = out
    return tuple(counts)


def conv_params(kernels: tuple[int, ...], filters: tuple[int, ...], in_channels: int) -> int:
    """Weights k^2 C_in C_out plus C_out biases, summed over the convolutions."""
    return sum(conv_layer_params(kernels, filters, in_channels))


def designs(inp: ConvnetInput) -> list[Design]:
    """All valid designs, best first; InvalidInput naming the nearest sizes when none exists."""
    size, target = (inp.input[0], inp.input[1]), (inp.target[0], inp.target[1])
    found, reachable = sequences(size, target, inp.kernel_sizes, inp.section)
    allowed = ", ".join(map(str, inp.kernel_sizes))
    if not found:

        def distance(s: tuple[int, int]) -> tuple[int, tuple[int, int]]:
            return (abs(s[0] - target[0]) + abs(s[1] - target[1]), s)

        nearest = sorted(reachable, key=distance)
        hint = ", ".join(dimensions(s) for s in nearest[:3]) or "none"
        raise InvalidInput(
            [
                f"{inp.section}.target: {dimensions(target)} cannot be reached from "
                f"{dimensions(size)} by alternating convolutions (kernels {allowed}) and 2x2 "
                f"poolings; the nearest reachable sizes are {hint}"
            ]
        )
    if inp.filters is not None:
        convs = len(inp.filters)
        counts = sorted({len(s.kernels) for s in found})
        found = [s for s in found if len(s.kernels) == convs]
        if not found:
            raise InvalidInput(
                [
                    f"{inp.section}.filters: {plural(convs, 'entry')} "
                    f"ask{'s' if convs == 1 else ''} "
                    f"for {plural(convs, 'convolution')}, but the designs that reach "
                    f"{dimensions(target)} have {' or '.join(map(str, counts))} "
                    f"convolution{'' if counts == [1] else 's'}"
                ]
            )
    result = []
    for seq in found:
        filters = inp.filters or doubling_filters(len(seq.kernels), inp.target[2])
        params = conv_params(seq.kernels, filters, inp.input[2])
        result.append(Design(seq.kernels, tuple(filters), seq.final_pool, params))
    return sorted(result, key=Design.rank_key)
