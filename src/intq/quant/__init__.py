"""Integer primitives of quantization: scales, dyadic requantization, bounds, nonlinear kernels.

Pure functions on NumPy integer arrays. Floats appear only at compile time (choosing scales,
multipliers, tables); every run-time function here is integer in, integer out.
"""

from intq.quant.bounds import add_bound, bits_for_bound, matmul_bound
from intq.quant.dyadic import (
    dyadic_from_real,
    dyadic_per_channel,
    mult_bits_for_bound,
    requantize,
    requantize_fits_int64,
)
from intq.quant.fixedpoint import int_range, round_half_up_shift, saturate, storage_dtype
from intq.quant.qparams import (
    dequantize,
    quantize,
    quantize_bias,
    quantize_weight_per_channel,
    symmetric_scale,
)

__all__ = [
    "add_bound", "bits_for_bound", "dequantize", "dyadic_from_real", "dyadic_per_channel",
    "int_range", "matmul_bound", "mult_bits_for_bound", "quantize", "quantize_bias",
    "quantize_weight_per_channel", "requantize", "requantize_fits_int64", "round_half_up_shift",
    "saturate", "storage_dtype", "symmetric_scale",
]
