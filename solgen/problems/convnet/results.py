"""The convnet problem's section of results.json, in the shape the contract fixes."""

from __future__ import annotations

from typing import Any

from solgen.problems.convnet.derive import ConvnetResult, LayerResult

# results.json lists the best designs; all of them can be thousands.
DESIGNS_LISTED = 10


def _layer_dict(layer: LayerResult) -> dict[str, Any]:
    if layer.kind == "pool":
        return {"type": "pool", "kernel": 2, "output": list(layer.out_shape), "params": 0}
    return {
        "type": "conv",
        "kernel": layer.kernel,
        "in_channels": layer.in_shape[2],
        "out_channels": layer.out_shape[2],
        "output": list(layer.out_shape),
        "params": layer.params,
        "weights": layer.weights,
        "biases": layer.biases,
    }


def section(p3: ConvnetResult) -> dict[str, Any]:
    """Its section of results.json."""
    out: dict[str, Any] = {
        "input": list(p3.input),
        "target": list(p3.target),
        "designed": p3.designed,
        "layers": [_layer_dict(layer) for layer in p3.layers],
        "total_params": p3.total_params,
    }
    if p3.designed:
        out["designs_total"] = len(p3.designs)
        out["designs"] = [
            {
                "kernels": list(d.kernels),
                "filters": list(d.filters),
                "final_pool": d.final_pool,
                "layers": d.depth,
                "total_params": d.params,
            }
            for d in p3.designs[:DESIGNS_LISTED]
        ]
    return out
