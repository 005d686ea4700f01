import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from intq.calibration import MinMaxObserver
from intq.quant.dyadic import PRODUCT_LIMIT
from intq.quantize.scales import (activation_quant, common_multipliers, constant_quant,
                                  quantize_weight, requant_multipliers)

ratios = st.floats(min_value=1e-6, max_value=1e3).flatmap(
    lambda r: st.sampled_from([r, -r]))


@given(st.lists(ratios, min_size=1, max_size=4),
       st.lists(st.integers(1, 1 << 31), min_size=4, max_size=4))
def test_common_multipliers_fit_int64_and_approximate_the_ratios(reals, bounds):
    bounds = bounds[:len(reals)]
    ms, k = common_multipliers(reals, bounds)
    assert 0 <= k <= 62 and all(abs(m) < 1 << 31 for m in ms)
    assert sum(abs(m) * b for m, b in zip(ms, bounds)) <= PRODUCT_LIMIT
    largest = max(abs(r) for r in reals)
    for m, r in zip(ms, reals):
        assert abs(m / 2**k - r) <= 2.0 ** -k + 1e-9 * largest


@given(st.floats(min_value=1e-9, max_value=1e4), st.integers(1, 1 << 40))
def test_requant_multipliers_respect_the_accumulator_bound(real, bound):
    m, k = requant_multipliers(np.array([real]), bound)
    assert int(m[0]) * bound <= PRODUCT_LIMIT
    assert math.isclose(int(m[0]) / 2.0 ** int(k[0]), real, rel_tol=2.0 ** -8)


def test_tiny_ratios_are_raised_instead_of_failing():
    m, k = requant_multipliers(np.array([1e-30]), 100)
    assert int(m[0]) >= 1 and int(k[0]) <= 62


def test_activation_grid_is_unsigned_for_non_negative_tensors():
    observer = MinMaxObserver("t")
    observer.observe(np.array([0.0, 1.0, 2.55]))
    assert activation_quant(observer, 8) == activation_quant(observer, 8, non_negative=True)
    quant = activation_quant(observer, 8)
    assert (quant.bits, quant.signed) == (8, False) and math.isclose(quant.scale, 0.01)
    observer.observe(np.array([-1.27]))
    quant = activation_quant(observer, 8)
    assert quant.signed and math.isclose(quant.scale, 2.55 / 127)


def test_all_zero_tensors_get_a_usable_grid():
    observer = MinMaxObserver("zeros")
    observer.observe(np.zeros(4))
    assert activation_quant(observer, 8).scale > 0
    assert constant_quant(np.zeros(3), 8).scale > 0


def test_per_tensor_weights_repeat_one_scale():
    w = np.array([[1.0, -4.0], [0.5, 2.0]])
    q, scales = quantize_weight(w, 8, -1, per_channel=False)
    assert scales.tolist() == [4 / 127] * 2 and q.min() == -127
    q, scales = quantize_weight(w, 8, -1, per_channel=True)
    assert scales.tolist() == [1 / 127, 4 / 127]
