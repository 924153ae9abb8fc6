"""Problem 3: output shapes and learnable parameters of a conv/pool architecture, checked."""

from __future__ import annotations

from dataclasses import dataclass

from solgen.base.errors import InvalidInput
from solgen.base.messages import dimensions
from solgen.problems.convnet.design import Design, designs
from solgen.problems.convnet.fields import ConvnetInput, Layer
from solgen.problems.convnet.rules import describe_layer

Shape = tuple[int, int, int]  # height, width, channels


@dataclass(frozen=True)
class LayerResult:
    """One layer with its input and output shapes and its parameter count."""

    kind: str  # "conv" or "pool"
    kernel: int
    in_shape: Shape
    out_shape: Shape
    weights: int
    biases: int

    @property
    def params(self) -> int:
        """Weights plus biases."""
        return self.weights + self.biases


@dataclass(frozen=True)
class ConvnetResult:
    """The architecture, layer by layer, and its total number of learnable parameters."""

    input: Shape
    target: Shape
    kernel_sizes: tuple[int, ...]  # the sizes a design may use (for the statement)
    layers: tuple[LayerResult, ...]
    designed: bool  # True when solgen chose the layers, False when the variant gave them
    designs: tuple[Design, ...] = ()  # every valid design, best first (designed only)
    fixed_filters: bool = False  # the variant fixed the filters of the design

    @property
    def total_params(self) -> int:
        """All weights and biases."""
        return sum(layer.params for layer in self.layers)


def apply_layer(layer: Layer, shape: Shape) -> LayerResult | str:
    """The layer applied to a shape, or the reason it does not fit."""
    height, width, channels = shape
    if layer.kind == "conv":
        assert layer.filters is not None
        k = layer.kernel
        if k > height or k > width:
            return f"kernel {k}x{k} is larger than its {height}x{width} input"
        return LayerResult(
            kind="conv",
            kernel=k,
            in_shape=shape,
            out_shape=(height - k + 1, width - k + 1, layer.filters),
            weights=k * k * channels * layer.filters,
            biases=layer.filters,
        )
    if height < 2 or width < 2:
        return f"2x2 pooling needs at least a 2x2 input, found {height}x{width}"
    if height % 2 or width % 2:
        return f"2x2 pooling with stride 2 needs even sizes, found {height}x{width}"
    return LayerResult(
        kind="pool",
        kernel=2,
        in_shape=shape,
        out_shape=(height // 2, width // 2, channels),
        weights=0,
        biases=0,
    )


def check_layers(inp: ConvnetInput, layers: tuple[Layer, ...]) -> tuple[LayerResult, ...]:
    """Propagate the input through given layers; a misfit is invalid input naming the layer."""
    if not layers:
        raise InvalidInput([f"{inp.section}.layers: expected at least one layer, found none"])
    shape: Shape = inp.input
    results = []
    for index, layer in enumerate(layers):
        outcome = apply_layer(layer, shape)
        if isinstance(outcome, str):
            where = f"{inp.section}.layers[{index}]"
            raise InvalidInput([f"{where} ({describe_layer(layer)}): {outcome}"])
        results.append(outcome)
        shape = outcome.out_shape
    if shape != inp.target:
        raise InvalidInput(
            [
                f"{inp.section}.layers: the last layer ({describe_layer(layers[-1])}) outputs "
                f"{dimensions(shape)}, expected {inp.section}.target {dimensions(inp.target)}"
            ]
        )
    return tuple(results)


def solve(inp: ConvnetInput) -> ConvnetResult:
    """Check the given architecture, or design the best one, and count its parameters."""
    if inp.layers is not None:
        return ConvnetResult(
            input=inp.input,
            target=inp.target,
            kernel_sizes=inp.kernel_sizes,
            layers=check_layers(inp, inp.layers),
            designed=False,
        )
    ranked = tuple(designs(inp))
    return ConvnetResult(
        input=inp.input,
        target=inp.target,
        kernel_sizes=inp.kernel_sizes,
        layers=check_layers(inp, ranked[0].layers()),
        designed=True,
        designs=ranked,
        fixed_filters=inp.filters is not None,
    )
