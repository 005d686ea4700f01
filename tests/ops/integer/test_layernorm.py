import numpy as np
import pytest
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


@settings(max_examples=150, deadline=None)
@given(n=st.integers(1, 40), in_bits=st.sampled_from([8, 12, 16]), signed=st.booleans(),
       eps=st.sampled_from([0.0, 1e-12, 1e-5, 1e-2]), axis=st.sampled_from([-1, 0]),
       dtype=st.sampled_from([np.int8, np.int16, np.int32]), data=st.data())
def test_fast_layer_norm_is_the_reference(n, in_bits, signed, eps, axis, dtype, data):
    """The compiled row kernel (``evaluate_fast``) gives the reference's bytes, including
    constant rows and extreme values, and the reference's error for inputs outside the
    declared range."""
    rng = np.random.default_rng(n + in_bits)
    plan = plan_i_layernorm(data.draw(st.floats(1e-3, 1.0)), in_bits, n,
                            rng.normal(1, 0.5, n), rng.normal(0, 0.5, n), eps,
                            data.draw(st.floats(1e-3, 1.0)), 8, signed)
    attrs = normalize_attrs("IntLayerNorm", layernorm_attrs(plan, axis=axis))
    lo = -(1 << (in_bits - 1))
    hi = min(-lo - 1, np.iinfo(dtype).max)
    lo = max(lo, np.iinfo(dtype).min)
    info = np.iinfo(dtype)
    values = (st.integers(lo, hi) | st.sampled_from([lo, hi, 0])
              | st.integers(int(info.min), int(info.max)))  # some beyond the declared bits
    shape = (n, data.draw(st.integers(1, 4))) if axis == 0 else (data.draw(st.integers(1, 4)), n)
    q = data.draw(hnp.arrays(dtype, shape, elements=values))
    try:
        want = op.evaluate(attrs, q, plan.gain, plan.bias)[0]
    except ValueError as error:
        with pytest.raises(ValueError, match=str(error)[:20]):
            op.evaluate_fast(attrs, q, plan.gain, plan.bias)
        return
    got = op.evaluate_fast(attrs, q, plan.gain, plan.bias)[0]
    assert got.dtype == want.dtype and got.shape == want.shape
    assert got.tobytes() == want.tobytes()
