import io

import numpy as np
import pytest
from passcheck import assert_preserves, const, finish, op, ops_of

from intq.ir.graph import Graph
from intq.passes import DEFAULT_PREPARE, PassOptionError, prepare, registered_passes, run_passes

RNG = np.random.default_rng(2)


def small_cnn() -> Graph:
    g = Graph()
    x = g.add_input("x", "float32", ("N", 3, 6, 6))
    y = op(g, "Conv", [x, const(g, RNG.normal(size=(4, 3, 3, 3)))], kernel_shape=[3, 3])
    y = op(g, "BatchNormalization", [y, const(g, [1.0, 2, 3, 4]), const(g, [0.0, 1, 0, 1]),
                                     const(g, [0.5, 0, 0, 1]), const(g, [1.0, 2, 1, 2])])
    y = op(g, "Clip", [op(g, "Identity", [y]), const(g, 0.0)])
    target = op(g, "Concat", [op(g, "Unsqueeze", [op(g, "Gather", [
        op(g, "Shape", [y]), const(g, 0, "int64")]), const(g, [0], "int64")]),
        const(g, [-1], "int64")], axis=0)
    y = op(g, "Reshape", [op(g, "GlobalAveragePool", [y]), target])
    w = op(g, "Transpose", [const(g, RNG.normal(size=(2, 4)))], perm=[1, 0])
    return finish(g, op(g, "Gemm", [y, op(g, "Transpose", [w]), const(g, [0.5, -0.5])], transB=1))


def test_prepare_runs_the_default_order_and_keeps_outputs():
    after = assert_preserves(small_cnn(), prepare, exact=False)
    assert ops_of(after) == ["Add", "Conv", "MatMul", "Mul", "ReduceSum", "Relu", "Reshape"]
    assert DEFAULT_PREPARE[0] == "fold_constants"


def test_run_passes_prints_between_passes_and_logs():
    stream = io.StringIO()
    g = small_cnn()
    assert run_passes(g, ["remove_identity", "fold_batchnorm"], print_between=True, verbose=True,
                      stream=stream)
    text = stream.getvalue()
    assert "[intq] remove_identity: changed" in text
    assert "# after fold_batchnorm\ngraph " in text
    assert "BatchNormalization" not in text.split("# after fold_batchnorm")[1]


def test_options_reach_their_pass():
    g = small_cnn()
    run_passes(g, ["set_outputs"], options={"set_outputs": {"names": ["x"]}})
    assert g.nodes == [] and g.outputs == ["x"]


def test_fixed_point_group_repeats_until_a_round_changes_nothing():
    stream = io.StringIO()
    assert run_passes(small_cnn(), [("remove_identity", "fold_batchnorm"), "fuse_transposes"],
                      verbose=True, stream=stream)
    ran = [line.split(":")[0] for line in stream.getvalue().splitlines()]
    group = ["[intq] remove_identity", "[intq] fold_batchnorm"]
    assert ran == group * 2 + ["[intq] fuse_transposes"]


@pytest.mark.parametrize("names, options, message", [
    (["fold_constants", "fold_everything"], {}, "unknown pass 'fold_everything'; valid passes are"),
    (["fold_constants"], {"fold_constants": {"limit": 3}}, "has no option 'limit'"),
    (["fold_constants"], {"canonicalize": {}}, "not in"),
    (["set_outputs"], {}, "needs option"),
    ("fold_constants", {}, "must be a list"),
])
def test_bad_pass_requests_are_one_line_errors_before_anything_runs(names, options, message):
    g = small_cnn()
    before = str(g)
    with pytest.raises(PassOptionError, match=message) as info:
        run_passes(g, names, options=options)
    assert "\n" not in str(info.value)
    assert str(g) == before
    assert "fold_constants" in registered_passes()
