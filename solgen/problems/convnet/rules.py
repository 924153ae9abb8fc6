"""The convnet problem's rules for a design, in one object: the statement and the sheet's "How to
answer" print them, the LMS question words them, and grade refuses a student's design that
breaks them (naming the rule).

The rules are those the variant's own answer keeps, so the key is always right by them: the
layers alternate, starting with a convolution, whenever the key's do (a designed or drawn
variant's always do; so do the default's); the kernels are the variant's kernel_sizes and no
other whenever the key uses only those (a designed or drawn variant's always does). The
default assignment's layers end with a 2x2 convolution while its kernel_sizes are 3, 5 and 7:
there, as in the assignment it comes from ("e.g., 3x3, 5x5 or 7x7"), the sizes are examples
and any kernel that fits is allowed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from solgen.base.messages import listed
from solgen.problems.convnet.fields import ConvnetInput, Layer

# How a student writes a design (the answer form's layers column, Moodle's text box).
SYNTAX = (
    "`conv`$k$`:`$F$ for a $k \\times k$ convolution with $F$ filters, `pool` for a "
    "$2 \\times 2$ max-pooling, in order"
)
SYNTAX_PLAIN = "write conv5:8 for a 5x5 convolution with 8 filters, pool for 2x2 max-pooling"
ALTERNATE = "convolutions and poolings alternate, starting with a convolution"


def describe_layer(layer: Layer) -> str:
    """'conv 5x5, 32 filters' or 'pool 2x2', for messages."""
    if layer.kind == "pool":
        return "pool 2x2"
    return f"conv {layer.kernel}x{layer.kernel}, {layer.filters} filters"


def alternates(kinds: Sequence[str]) -> bool:
    """Whether layers of these kinds alternate, starting with a convolution."""
    return all(kind == ("conv" if i % 2 == 0 else "pool") for i, kind in enumerate(kinds))


@dataclass(frozen=True)
class DesignRules:
    """What a design must keep besides fitting its shapes: the kernel sizes it may use (None:
    any that fits) and whether its layers alternate, starting with a convolution."""

    kernels: tuple[int, ...] | None
    alternate: bool

    def kernel_text(self, sizes: Sequence[int] | None = None) -> str:
        """'3x3, 5x5 or 7x7' (plain text) of these sizes, the allowed ones by default."""
        names = [f"{k}x{k}" for k in (sizes if sizes is not None else self.kernels or ())]
        return listed(names, "or")

    def broken(self, layers: Sequence[Layer]) -> str | None:
        """The first rule these layers break, naming the layer as a variant's message does
        (layers[1] (conv 3x3, 8 filters): ...); None when they keep every rule."""
        for index, layer in enumerate(layers):
            where = f"layers[{index}] ({describe_layer(layer)})"
            if self.alternate and index == 0 and layer.kind != "conv":
                return f"{where}: the first layer must be a convolution ({ALTERNATE})"
            if self.alternate and index and layer.kind == layers[index - 1].kind:
                previous = "convolution" if layer.kind == "conv" else "pooling"
                return f"{where}: follows a {previous} ({ALTERNATE})"
            if (
                self.kernels is not None
                and layer.kind == "conv"
                and layer.kernel not in self.kernels
            ):
                return (
                    f"{where}: kernel {layer.kernel}x{layer.kernel} is not allowed; "
                    f"the kernels are {self.kernel_text()}"
                )
        return None

    def how(self) -> str:
        """The rules for the sheet's line (text with $math$)."""
        parts = [ALTERNATE] if self.alternate else []
        if self.kernels is not None:
            sizes = [f"${k} \\times {k}$" for k in self.kernels]
            parts.append(f"kernels {listed(sizes, 'or')} only")
        return "; ".join(parts)

    def example(self) -> str:
        """A design written as a student writes it (not an answer: its shapes are not checked)."""
        kernel = self.kernels[0] if self.kernels else 3
        return f"`conv{kernel}:16 pool conv{kernel}:32`" if self.alternate else f"`conv{kernel}:16`"


def rules_for(kernel_sizes: Sequence[int], key: Sequence[tuple[str, int]]) -> DesignRules:
    """The rules the key's layers ((kind, kernel), in order) keep, with these kernel sizes."""
    only = all(kernel in kernel_sizes for kind, kernel in key if kind == "conv")
    return DesignRules(tuple(kernel_sizes) if only else None, alternates([k for k, _ in key]))


def rules_of(inp: ConvnetInput) -> DesignRules:
    """The rules of a variant: its given layers' (see rules_for); a designed one's keep both."""
    if inp.layers is None:
        return DesignRules(inp.kernel_sizes, True)
    return rules_for(inp.kernel_sizes, [(layer.kind, layer.kernel) for layer in inp.layers])
