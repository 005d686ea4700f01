import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from intq.ops.integer.blocks import block_of, blocks, full_rank

SHAPES = st.lists(st.integers(0, 9), max_size=4).map(tuple)


@settings(deadline=None)
@given(SHAPES, st.integers(1, 50))
def test_blocks_cover_every_element_once_in_c_order(shape, limit):
    seen = np.zeros(shape, dtype=np.int64)
    order = []
    flat = np.arange(seen.size).reshape(shape)
    for index in blocks(shape, limit):
        seen[index] += 1
        order.extend(np.ravel(flat[index]).tolist())
    assert (seen == 1).all()
    assert order == list(range(seen.size))


@settings(deadline=None)
@given(SHAPES.filter(lambda s: len(s) > 0 and 0 not in s), st.integers(1, 50), st.data())
def test_block_of_a_broadcast_operand_matches_the_block_of_its_broadcast(shape, limit, data):
    kept = data.draw(st.lists(st.booleans(), min_size=len(shape), max_size=len(shape)))
    small = np.arange(int(np.prod([d if k else 1 for d, k in zip(shape, kept)]))).reshape(
        [d if k else 1 for d, k in zip(shape, kept)])
    wide = np.broadcast_to(small, shape)
    for index in blocks(shape, limit):
        part = np.broadcast_to(block_of(small, index), wide[index].shape)
        assert np.array_equal(part, wide[index])


def test_full_rank_prepends_unit_axes():
    assert full_rank(np.zeros((3, 4)), 4).shape == (1, 1, 3, 4)
    assert full_rank(np.zeros(()), 2).shape == (1, 1)
