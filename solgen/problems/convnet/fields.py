"""The convnet problem's variant fields: the shapes, the allowed kernels, the given layers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from solgen.base.fields import int_list, positive_int
from solgen.base.messages import describe


@dataclass(frozen=True)
class Layer:
    """One layer of problem 3: a valid convolution or a 2x2/stride-2 max-pooling."""

    kind: Literal["conv", "pool"]
    kernel: int
    filters: int | None = None


@dataclass(frozen=True)
class ConvnetInput:
    """Input and target shapes (height, width, channels), allowed kernels, and given layers."""

    input: tuple[int, int, int]
    target: tuple[int, int, int]
    kernel_sizes: tuple[int, ...]
    layers: tuple[Layer, ...] | None  # None: solgen designs the architecture
    filters: tuple[int, ...] | None
    # its table in the variant file, for messages found while solving (parse sets it)
    section: str = field(default="problem3", compare=False)


def _layer(value: Any, field: str, errors: list[str]) -> Layer | None:
    if not isinstance(value, dict):
        errors.append(
            f"{field}: expected a table {{conv = K, filters = F}} or {{pool = 2}}, "
            f"found {describe(value)}"
        )
        return None
    keys = set(value)
    if keys == {"pool"}:
        size = positive_int(value["pool"], f"{field}.pool", errors)
        if size is not None and size != 2:
            errors.append(f"{field}.pool: expected 2 (2x2 max-pooling, stride 2), found {size}")
            return None
        return None if size is None else Layer(kind="pool", kernel=2)
    if keys == {"conv", "filters"}:
        kernel = positive_int(value["conv"], f"{field}.conv", errors)
        filters = positive_int(value["filters"], f"{field}.filters", errors)
        if kernel is None or filters is None:
            return None
        return Layer(kind="conv", kernel=kernel, filters=filters)
    if keys == {"conv"}:
        errors.append(f"{field}: a conv layer needs filters (e.g. {{conv = 5, filters = 8}})")
        return None
    errors.append(
        f"{field}: expected the keys conv and filters, or pool, "
        f"found {', '.join(sorted(keys)) or 'none'}"
    )
    return None


def parse(table: dict[str, Any], section: str, errors: list[str]) -> ConvnetInput | None:
    """The shapes, kernels and layers from a merged table, or None with every problem in errors."""
    shape_in = int_list(table["input"], f"{section}.input", errors, length=3)
    target = int_list(table["target"], f"{section}.target", errors, length=3)
    kernels = int_list(table["kernel_sizes"], f"{section}.kernel_sizes", errors)
    layers: tuple[Layer, ...] | None = None
    if "layers" in table:
        raw = table["layers"]
        if not isinstance(raw, list) or not raw:
            errors.append(
                f"{section}.layers: expected a non-empty list of layer tables, "
                f"found {describe(raw)}"
            )
            return None
        parsed = [_layer(item, f"{section}.layers[{i}]", errors) for i, item in enumerate(raw)]
        if any(p is None for p in parsed):
            return None
        layers = tuple(p for p in parsed if p is not None)
    filters = (
        int_list(table["filters"], f"{section}.filters", errors) if "filters" in table else None
    )
    if shape_in is None or target is None or kernels is None:
        return None
    if "filters" in table and filters is None:
        return None
    if filters is not None and filters[-1] != target[2]:
        errors.append(
            f"{section}.filters: the last convolution makes the output channels, so the last "
            f"entry must be {section}.target's {target[2]} channels, found {filters[-1]}"
        )
        return None
    if filters is not None and layers is not None:
        errors.append(
            f"{section}.filters: only used to design an architecture; remove it or layers"
        )
        return None
    return ConvnetInput(
        input=(shape_in[0], shape_in[1], shape_in[2]),
        target=(target[0], target[1], target[2]),
        kernel_sizes=tuple(sorted(set(kernels))),
        layers=layers,
        filters=filters,
        section=section,
    )
