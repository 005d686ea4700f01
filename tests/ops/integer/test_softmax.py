import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from intq.ir.graph import TensorType
from intq.ops import get_op
from intq.ops.integer import softmax_attrs, softmax_plan
from intq.ops.registry import normalize_attrs
from intq.quant.nonlinear.softmax import i_softmax, plan_i_softmax

op = get_op("IntSoftmax")


@settings(max_examples=50, deadline=None)
@given(st.floats(1e-3, 1.0), st.sampled_from([8, 12, 16]), st.sampled_from([8, 16]),
       st.data())
def test_int_softmax_runs_the_planned_kernel(scale, in_bits, out_bits, data):
    plan = plan_i_softmax(scale, in_bits, out_bits)
    attrs = normalize_attrs("IntSoftmax", softmax_attrs(plan, axis=1))
    assert softmax_plan(attrs) == plan
    lo = -(1 << (in_bits - 1))
    q = data.draw(hnp.arrays(np.int32, (2, 5, 3), elements=st.integers(lo, -lo - 1)))
    mask = data.draw(hnp.arrays(np.bool_, (1, 5, 1)))
    for given_mask in (None, mask):
        y = op.evaluate(attrs, q, given_mask)[0]
        assert y.tobytes() == i_softmax(q, plan, 1, given_mask).tobytes()
        if given_mask is not None:
            assert (y[np.broadcast_to(mask, q.shape)] == 0).all()
    t = op.infer(attrs, [TensorType(("N", 5, 3), "int32"), None], [None, None])
    assert t == [TensorType(("N", 5, 3), "uint8" if out_bits == 8 else "uint16")]


@settings(max_examples=150, deadline=None)
@given(scale=st.floats(1e-3, 2.0), in_bits=st.sampled_from([8, 12, 16]),
       out_bits=st.sampled_from([8, 16, 24]), axis=st.sampled_from([-1, 1, 0]),
       with_mask=st.booleans(), data=st.data())
def test_fast_softmax_is_the_reference(scale, in_bits, out_bits, axis, with_mask, data):
    """The compiled row kernel (``evaluate_fast``) gives the reference's bytes, with and
    without masks, on rows full of the masking minimum or of extremes."""
    plan = plan_i_softmax(scale, in_bits, out_bits)
    attrs = normalize_attrs("IntSoftmax", softmax_attrs(plan, axis=axis))
    lo = -(1 << (in_bits - 1))
    shape = tuple(data.draw(st.integers(1, 6)) for _ in range(3))
    values = st.integers(lo, -lo - 1) | st.sampled_from([lo, -lo - 1, 0])
    q = data.draw(hnp.arrays(np.int32, shape, elements=values))
    mask = data.draw(hnp.arrays(np.bool_, (1, shape[1], 1))) if with_mask else None
    want = op.evaluate(attrs, q, mask)[0]
    got = op.evaluate_fast(attrs, q, mask)[0]
    assert got.dtype == want.dtype and got.shape == want.shape
    assert got.tobytes() == want.tobytes()
