import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from intq.ir.graph import TensorType
from intq.ops import get_op
from intq.ops.integer import layernorm_attrs, layernorm_plan
from intq.ops.registry import normalize_attrs
from intq.quant.nonlinear.layernorm import i_layernorm, plan_i_layernorm

op = get_op("IntLayerNorm")


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 12), st.sampled_from([8, 16]), st.booleans(), st.data())
def test_int_layer_norm_runs_the_planned_kernel(n, in_bits, signed, data):
    rng = np.random.default_rng(n)
    plan = plan_i_layernorm(0.05, in_bits, n, rng.normal(1, 0.2, n), rng.normal(0, 0.1, n),
                            1e-5, 0.03, 8, signed)
    attrs = normalize_attrs("IntLayerNorm", layernorm_attrs(plan))
    rebuilt = layernorm_plan(attrs, plan.gain, plan.bias)
    assert (rebuilt.eps, rebuilt.out_shift, rebuilt.n) == (plan.eps, plan.out_shift, plan.n)
    lo = -(1 << (in_bits - 1))
    q = data.draw(hnp.arrays(np.int16, (3, n), elements=st.integers(lo, -lo - 1)))
    y = op.evaluate(attrs, q, plan.gain, plan.bias)[0]
    assert y.tobytes() == i_layernorm(q, plan).tobytes()
    assert y.dtype == (np.int8 if signed else np.uint8)
    t = op.infer(attrs, [TensorType(("N", n), "int16"), None, None], [None] * 3)
    assert t == [TensorType(("N", n), y.dtype.name)]
