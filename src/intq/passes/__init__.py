"""Preparation passes (MRT's first stage) over intq's IR, each one file, run by name.

Importing this package registers every pass; ``run_passes`` runs a named list and
``prepare`` the default preparation order.
"""

from intq.passes.input_shapes import attach_input_shapes
from intq.passes.canonicalize import canonicalize
from intq.passes.clamp_to_clip import clamp_to_clip
from intq.passes.eliminate_dead_code import eliminate_dead_code
from intq.passes.fold_batchnorm import fold_batchnorm
from intq.passes.fold_constants import fold_constants
from intq.passes.fuse_gelu import fuse_gelu
from intq.passes.fuse_l2_norm import fuse_l2_norm
from intq.passes.fuse_layernorm import fuse_layernorm
from intq.passes.fuse_softmax import fuse_softmax
from intq.passes.fuse_transposes import fuse_transposes
from intq.passes.gemm_to_matmul import gemm_to_matmul
from intq.passes.interface import rename_io, set_outputs
from intq.passes.isolate_softmax_masks import isolate_softmax_masks
from intq.passes.manager import DEFAULT_PREPARE, prepare, run_passes
from intq.passes.mean_to_sum import mean_to_sum
from intq.passes.pow_to_mul import pow_to_mul
from intq.passes.registry import PassOptionError, get_pass, register_pass, registered_passes
from intq.passes.remove_identity import remove_identity
from intq.passes.sub_div_to_add_mul import sub_div_to_add_mul

__all__ = [
    "DEFAULT_PREPARE", "PassOptionError", "attach_input_shapes", "canonicalize", "clamp_to_clip",
    "eliminate_dead_code", "fold_batchnorm", "fold_constants", "fuse_gelu", "fuse_l2_norm",
    "fuse_layernorm", "fuse_softmax", "fuse_transposes", "gemm_to_matmul", "get_pass",
    "isolate_softmax_masks", "mean_to_sum", "pow_to_mul", "prepare", "register_pass",
    "registered_passes", "remove_identity", "rename_io", "run_passes", "set_outputs",
    "sub_div_to_add_mul",
]
