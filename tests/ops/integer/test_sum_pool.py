import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from intq.ir.graph import TensorType
from intq.ops import get_op
from intq.ops.registry import normalize_attrs

op = get_op("IntSumPool")


@st.composite
def pool_cases(draw):
    rank = draw(st.sampled_from([1, 2]))
    kernel = [draw(st.integers(1, 3)) for _ in range(rank)]
    attrs = normalize_attrs("IntSumPool", {
        "kernel_shape": kernel, "strides": [draw(st.integers(1, 3)) for _ in kernel],
        "dilations": [draw(st.integers(1, 2)) for _ in kernel],
        "pads": [draw(st.integers(0, k - 1)) for k in kernel * 2], "acc_bits": 64})
    spatial = [draw(st.integers((k - 1) * d + 1, 7)) for k, d in zip(kernel, attrs["dilations"])]
    dtype = draw(st.sampled_from([np.int8, np.uint8, np.int32]))
    x = draw(hnp.arrays(dtype, (draw(st.integers(1, 2)), draw(st.integers(1, 3)), *spatial)))
    return x, attrs


def window_sums(x, attrs):
    rank = x.ndim - 2
    pads = attrs["pads"]
    xp = np.pad(x.astype(object), [(0, 0), (0, 0), *zip(pads[:rank], pads[rank:])])
    k, s, d = attrs["kernel_shape"], attrs["strides"], attrs["dilations"]
    out = [(xp.shape[2 + i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(rank)]
    y = np.zeros((*x.shape[:2], *out), dtype=object)
    for pos in itertools.product(*map(range, out)):
        for tap in itertools.product(*map(range, k)):
            src = tuple(p * st_ + t * dd for p, st_, t, dd in zip(pos, s, tap, d))
            y[(..., *pos)] += xp[(..., *src)]
    return y


@settings(max_examples=80, deadline=None)
@given(pool_cases())
def test_sum_pool_is_the_zero_padded_window_sum_on_both_paths(case):
    x, attrs = case
    want = window_sums(x, attrs).tolist()
    ref = op.evaluate(attrs, x)[0]
    fast = op.evaluate_fast(attrs, x)[0]
    assert ref.tolist() == want and fast.tobytes() == ref.tobytes()


def test_sum_pool_over_count_include_pad_average_is_average_pool():
    """Divided by the kernel size, the sum is AveragePool with count_include_pad."""
    x = np.arange(2 * 3 * 5 * 5, dtype=np.int8).reshape(2, 3, 5, 5)
    geometry = {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}
    total = op.evaluate(normalize_attrs("IntSumPool", geometry), x)[0]
    average = get_op("AveragePool").evaluate(
        normalize_attrs("AveragePool", {**geometry, "count_include_pad": 1}),
        x.astype(np.float64))[0]
    assert np.array_equal(total / 9, average)
    t = op.infer(normalize_attrs("IntSumPool", geometry), [TensorType(("N", 3, 5, 5), "int8")],
                 [None])
    assert t == [TensorType(("N", 3, 3, 3), "int32")]
