"""What every zoo architecture shares: a declared input signature and seeded random weights.

Tests, the demo and the benchmarks make inputs for, export and compare any zoo model through
this one interface, so none of them needs per-architecture code.
"""

from __future__ import annotations

import torch
from torch import nn

from intq.ir.graph import Dim


class ZooModule(nn.Module):
    """An ``nn.Module`` with one input named ``input`` and one output named ``output``.

    ``input_shape`` spells dynamic axes as symbols: ``"N"`` is the batch, other symbols
    (a sequence length ``"T"``, an image width ``"W"``) take their size from ``default_sizes``
    unless given. Integer inputs (token ids) are drawn from ``[0, input_high)``.
    """

    input_shape: tuple[Dim, ...] = ("N",)
    input_dtype: torch.dtype = torch.float32
    input_high: int = 0
    default_sizes: dict[str, int] = {}
    output_axes: dict[int, str] = {0: "N"}

    def example_inputs(self, batch: int = 2, seed: int = 0, **sizes: int) -> tuple[torch.Tensor]:
        """One random input batch; symbolic dims other than ``N`` come from ``sizes``."""
        dims = {**self.default_sizes, **sizes, "N": batch}
        shape = [dims[d] if isinstance(d, str) else d for d in self.input_shape]
        gen = torch.Generator().manual_seed(seed)
        if self.input_dtype.is_floating_point:
            return (torch.randn(shape, generator=gen, dtype=self.input_dtype),)
        return (torch.randint(0, self.input_high, shape, generator=gen, dtype=self.input_dtype),)

    def dynamic_axes(self) -> dict[str, dict[int, str]]:
        """The ``torch.onnx.export`` dynamic axes that keep every symbolic dim symbolic."""
        inputs = {axis: d for axis, d in enumerate(self.input_shape) if isinstance(d, str)}
        return {"input": inputs, "output": dict(self.output_axes)}


def randomize_norms(module: nn.Module) -> None:
    """Give norm layers non-trivial statistics and affine parameters.

    Freshly constructed BatchNorm has mean 0 and variance 1, which would hide any mistake in
    how an importer or a folding pass treats them.
    """
    with torch.no_grad():
        for layer in module.modules():
            if isinstance(layer, nn.modules.batchnorm._BatchNorm):
                layer.running_mean.normal_(0.0, 0.2)
                layer.running_var.uniform_(0.5, 2.0)
            if isinstance(layer, (nn.modules.batchnorm._BatchNorm, nn.LayerNorm)):
                layer.weight.uniform_(0.5, 1.5)
                layer.bias.normal_(0.0, 0.1)
