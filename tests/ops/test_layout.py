import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intq.errors import UnsupportedOpError
from intq.ir.graph import TensorType
from intq.ops import get_op

from .ort_reference import check_op, infer_types

rng = np.random.default_rng(8)


def randn(*shape: int) -> np.ndarray:
    return rng.standard_normal(shape).astype(np.float32)


def ints(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int64)


@pytest.mark.parametrize("target,allowzero", [
    ((0, -1), 0), ((-1, 256), 0), ((2, 4, 8, 8), 0), ((0, 0, 16), 0), ((-1,), 0),
    ((2, -1, 2), 0), ((2, 16, 4, 4), 1),
])
def test_reshape_matches_ort(target, allowzero):
    check_op("Reshape", [randn(2, 16, 4, 4), ints(*target)], {"allowzero": allowzero},
             consts=(1,))


def test_reshape_allowzero_keeps_zero_dims():
    check_op("Reshape", [randn(0, 3), ints(3, 0)], {"allowzero": 1}, consts=(1,))


@pytest.mark.parametrize("target,expected", [
    ((0, -1), ("N", 256)), ((-1, 256), ("N", 256)), ((0, 16, 16), ("N", 16, 16)),
    ((-1, 128), ("?", 128)), ((0, 4, -1), ("N", 4, 64)), ((-1,), ("?",)),
])
def test_reshape_infers_symbolic_dims(target, expected):
    x = TensorType(("N", 16, 4, 4), "float32")
    (out,) = infer_types("Reshape", {}, [x, TensorType((len(target),), "int64")],
                         [None, ints(*target)])
    assert out == TensorType(expected, "float32")


def test_reshape_with_unknown_target_knows_rank():
    (out,) = infer_types("Reshape", {}, [TensorType(("N", 4), "float32"),
                                         TensorType((3,), "int64")])
    assert out == TensorType(("?", "?", "?"), "float32")


@pytest.mark.parametrize("axis", [0, 1, 2, 3, -1, -4])
def test_flatten_matches_ort(axis):
    check_op("Flatten", [randn(2, 3, 4, 5)], {"axis": axis})


def test_flatten_infers_symbolic_batch():
    (out,) = infer_types("Flatten", {}, [TensorType(("N", 16, 4, 4), "float32")])
    assert out == TensorType(("N", 256), "float32")
    (out,) = infer_types("Flatten", {"axis": 2}, [TensorType(("N", 16, 4, 4), "float32")])
    assert out == TensorType(("?", 16), "float32")


@pytest.mark.parametrize("perm", [None, [0, 2, 1, 3], [3, 2, 0, 1]])
def test_transpose_matches_ort(perm):
    check_op("Transpose", [randn(2, 3, 4, 5)], {} if perm is None else {"perm": perm})


def test_transpose_infers_symbolic():
    (out,) = infer_types("Transpose", {"perm": [0, 2, 1]}, [TensorType(("N", "S", 8), "float32")])
    assert out == TensorType(("N", 8, "S"), "float32")


@pytest.mark.parametrize("axes", [None, [1], [-1, 1]])
def test_squeeze_matches_ort(axes):
    inputs = [randn(3, 1, 4, 1), None if axes is None else ints(*axes)]
    check_op("Squeeze", inputs, consts=(1,))


@pytest.mark.parametrize("axes", [[0], [-1], [1, 3], [0, -1]])
def test_unsqueeze_matches_ort(axes):
    check_op("Unsqueeze", [randn(3, 4), ints(*axes)], consts=(1,))


def test_squeeze_unsqueeze_infer_symbolic():
    x = TensorType(("N", 1, 8), "float32")
    (out,) = infer_types("Squeeze", {}, [x, TensorType((1,), "int64")], [None, ints(1)])
    assert out == TensorType(("N", 8), "float32")
    (out,) = infer_types("Unsqueeze", {}, [x, TensorType((2,), "int64")], [None, ints(0, -1)])
    assert out == TensorType((1, "N", 1, 8, 1), "float32")


@pytest.mark.parametrize("shape", [(2, 3, 4), (3, 1), (1, 1, 4), (4,)])
def test_expand_matches_ort(shape):
    check_op("Expand", [randn(3, 1), ints(*shape)], consts=(1,))


def test_expand_infers_symbolic():
    (out,) = infer_types("Expand", {}, [TensorType(("N", 1), "float32"),
                                        TensorType((2,), "int64")], [None, ints(1, 5)])
    assert out == TensorType(("N", 5), "float32")


def test_tile_matches_ort():
    check_op("Tile", [randn(2, 3), ints(3, 2)], consts=(1,))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concat_matches_ort(axis):
    shapes = [[2, 3, 4] for _ in range(3)]
    for i, s in enumerate(shapes):
        s[axis] += i
    check_op("Concat", [randn(*s) for s in shapes], {"axis": axis})


def test_concat_infers_symbolic():
    (out,) = infer_types("Concat", {"axis": 1}, [TensorType(("N", 3), "float32"),
                                                 TensorType(("N", 5), "float32")])
    assert out == TensorType(("N", 8), "float32")
    (out,) = infer_types("Concat", {"axis": 0}, [TensorType(("N", 3), "float32"),
                                                 TensorType((2, 3), "float32")])
    assert out == TensorType(("?", 3), "float32")


@pytest.mark.parametrize("size,split,num_outputs,count", [
    (6, [2, 3, 1], None, 3), (6, None, 3, 3), (7, None, 4, 4), (6, [6], None, 1),
])
def test_split_matches_ort(size, split, num_outputs, count):
    attrs = {"axis": 1}
    if num_outputs:
        attrs["num_outputs"] = num_outputs
    inputs = [randn(2, size, 3), None if split is None else ints(*split)]
    check_op("Split", inputs, attrs, consts=(1,), num_outputs=count)


def test_split_needs_sizes_or_count():
    with pytest.raises(UnsupportedOpError, match="num_outputs"):
        get_op("Split").evaluate({"axis": 0, "num_outputs": None}, randn(4))


def test_split_infers_symbolic_batch():
    outs = infer_types("Split", {"axis": 1}, [TensorType(("N", 6), "float32"),
                                              TensorType((2,), "int64")], [None, ints(2, 4)])
    assert outs == [TensorType(("N", 2), "float32"), TensorType(("N", 4), "float32")]


@st.composite
def slice_cases(draw):
    shape = draw(st.lists(st.integers(1, 6), min_size=1, max_size=3))
    axes = draw(st.permutations(range(len(shape))).map(
        lambda p: p[:draw(st.integers(1, len(shape)))]))
    starts, ends, steps = [], [], []
    for _ in axes:
        starts.append(draw(st.integers(-9, 9)))
        ends.append(draw(st.sampled_from([-9, -3, -1, 0, 2, 5, 9, 2**63 - 1, -2**63])))
        steps.append(draw(st.sampled_from([1, 2, 3, -1, -2])))
    negative_axes = draw(st.booleans())
    axes = [a - len(shape) if negative_axes else a for a in axes]
    return shape, starts, ends, axes, steps


@settings(max_examples=80, deadline=None)
@given(slice_cases())
def test_slice_matches_ort(case):
    shape, starts, ends, axes, steps = case
    inputs = [randn(*shape), ints(*starts), ints(*ends), ints(*axes), ints(*steps)]
    check_op("Slice", inputs, consts=(1, 2, 3, 4))


def test_slice_without_axes_and_steps():
    check_op("Slice", [randn(5, 4), ints(1, -3), ints(4, 100)], consts=(1, 2))


def test_slice_infers_symbolic():
    x = TensorType(("N", "S", 8), "float32")
    consts = [None, ints(0, 2), ints(2**63 - 1, 6), ints(1, 2), None]
    types = [x] + [TensorType((2,), "int64")] * 3 + [None]
    (out,) = infer_types("Slice", {}, types, consts)
    assert out == TensorType(("N", "S", 4), "float32")
    consts[1] = ints(1, 2)
    (out,) = infer_types("Slice", {}, types, consts)
    assert out == TensorType(("N", "?", 4), "float32")


@pytest.mark.parametrize("mode", ["constant", "reflect", "edge", "wrap"])
@pytest.mark.parametrize("pads,axes", [
    ((1, 2, 0, 1), None), ((0, 1, 2, 0, 2, 1), [0, 1, 2]), ((2, 1), [-1]), ((1, -1, 0, 2), None),
])
def test_pad_matches_ort(mode, pads, axes):
    x = randn(3, 4, 5) if axes is not None and len(axes) != 2 else randn(4, 5)
    if axes is None:
        x = randn(4, 5)
    inputs = [x, ints(*pads), np.array(1.5, np.float32) if mode == "constant" else None,
              None if axes is None else ints(*axes)]
    check_op("Pad", inputs, {"mode": mode}, consts=(1, 2, 3))


@pytest.mark.parametrize("mode", ["DCR", "CRD"])
def test_depth_to_space_matches_ort(mode):
    check_op("DepthToSpace", [randn(2, 8, 3, 4)], {"blocksize": 2, "mode": mode})


def test_space_to_depth_matches_ort():
    check_op("SpaceToDepth", [randn(2, 3, 4, 6)], {"blocksize": 2})


def test_expand_with_dynamic_shape_keeps_non_broadcast_dims():
    (out,) = infer_types("Expand", {}, [TensorType((1, 1, 32), "float32"),
                                        TensorType((3,), "int64")])
    assert out == TensorType(("?", "?", 32), "float32")


def test_concat_with_unknown_rank_input_keeps_rank():
    (out,) = infer_types("Concat", {"axis": 1}, [TensorType(None, "float32"),
                                                 TensorType(("N", 3, 8), "float32")])
    assert out == TensorType(("?", "?", "?"), "float32")
