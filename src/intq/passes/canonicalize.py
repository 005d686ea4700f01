"""``canonicalize``: rewrite equivalent op forms into the one form later stages handle.

The rewrites run in an order that matters: Identity/Dropout first (they hide patterns),
GELU, layer-norm and softmax fusion before ``mean_to_sum`` and ``sub_div_to_add_mul`` (which would
otherwise break up the ReduceMean, Sub and Div those patterns are made of).
"""

from __future__ import annotations

from intq.ir.graph import Graph
from intq.passes.clamp_to_clip import clamp_to_clip
from intq.passes.fuse_gelu import fuse_gelu
from intq.passes.fuse_l2_norm import fuse_l2_norm
from intq.passes.fuse_layernorm import fuse_layernorm
from intq.passes.fuse_softmax import fuse_softmax
from intq.passes.gemm_to_matmul import gemm_to_matmul
from intq.passes.mean_to_sum import mean_to_sum
from intq.passes.pow_to_mul import pow_to_mul
from intq.passes.registry import register_pass
from intq.passes.remove_identity import remove_identity
from intq.passes.sub_div_to_add_mul import sub_div_to_add_mul

REWRITES = (remove_identity, gemm_to_matmul, clamp_to_clip, fuse_gelu, fuse_layernorm,
            fuse_l2_norm, fuse_softmax, pow_to_mul, mean_to_sum, sub_div_to_add_mul)


@register_pass
def canonicalize(graph: Graph) -> bool:
    changed = False
    for rewrite in REWRITES:
        changed |= rewrite(graph)
    return changed
