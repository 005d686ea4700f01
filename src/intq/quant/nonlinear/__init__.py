"""Integer-only nonlinear ops, each a compile-time plan (floats allowed) and an integer kernel.

Narrow inputs use lookup tables (``lut``); wide inputs (int32 after a matmul) use I-BERT's
integer polynomial and Newton kernels (``exp``, ``softmax``, ``gelu``, ``sqrt``, ``layernorm``).
"""

from intq.quant.nonlinear.exp import ExpPlan, i_exp, plan_i_exp
from intq.quant.nonlinear.gelu import GeluPlan, i_gelu, plan_i_gelu
from intq.quant.nonlinear.layernorm import LayerNormPlan, i_layernorm, plan_i_layernorm
from intq.quant.nonlinear.lut import apply_lut, build_lut
from intq.quant.nonlinear.softmax import SoftmaxPlan, i_softmax, plan_i_softmax
from intq.quant.nonlinear.sqrt import i_sqrt

__all__ = [
    "ExpPlan", "GeluPlan", "LayerNormPlan", "SoftmaxPlan", "apply_lut", "build_lut", "i_exp",
    "i_gelu", "i_layernorm", "i_softmax", "i_sqrt", "plan_i_exp", "plan_i_gelu",
    "plan_i_layernorm", "plan_i_softmax",
]
