"""IntLogSoftmax runs its plan (attributes round-trip), along any axis, refusing inputs
outside its declared width."""

from __future__ import annotations

import numpy as np
import pytest

from intq.ops import get_op
from intq.ops.integer.logsoftmax import logsoftmax_attrs, logsoftmax_plan
from intq.ops.integer.ranges import IntRange
from intq.ops.registry import normalize_attrs
from intq.quant.nonlinear.logsoftmax import i_log_softmax, plan_i_log_softmax

op = get_op("IntLogSoftmax")


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_runs_the_planned_kernel(axis):
    plan = plan_i_log_softmax(0.05, 8, 0.04, 8)
    attrs = normalize_attrs("IntLogSoftmax", logsoftmax_attrs(plan, axis))
    assert logsoftmax_plan(attrs) == plan
    q = np.random.default_rng(axis % 3).integers(-128, 128, (4, 5, 6)).astype(np.int8)
    got = op.evaluate(attrs, q)[0]
    assert got.dtype == np.int8
    assert np.array_equal(got, i_log_softmax(q, plan, axis))
    assert np.array_equal(op.evaluate_fast(attrs, q)[0], got)


def test_refuses_inputs_wider_than_declared():
    attrs = normalize_attrs("IntLogSoftmax", logsoftmax_attrs(plan_i_log_softmax(0.05, 8,
                                                                                 0.04, 8)))
    with pytest.raises(ValueError, match="8-bit range"):
        op.evaluate(attrs, np.array([300, 0], np.int16))
    with pytest.raises(ValueError, match="exceeds the declared"):
        op.value_range(attrs, [IntRange.of(-300, 0)], [None], [None])
