import numpy as np
import pytest
from passcheck import const, finish, op, random_feeds

from intq.ir.graph import Graph
from intq.passes import PassOptionError, rename_io, set_outputs
from intq.runtime.executor import execute


def chain() -> Graph:
    g = Graph()
    x = g.add_input("x", "float32", ("N", 4))
    h = op(g, "Relu", [op(g, "Mul", [x, const(g, 2.0)])])
    side = op(g, "Exp", [x])
    return finish(g, op(g, "Neg", [h]), side)


def test_rename_io_renames_inputs_and_outputs_everywhere():
    g = chain()
    feeds = random_feeds(g)
    want = list(execute(g, feeds).values())
    out0, out1 = g.outputs
    assert rename_io(g, inputs={"x": "image"}, outputs={out0: out1, out1: out0})
    g.validate()
    assert g.inputs == ["image"] and g.outputs == [out1, out0]
    got = execute(g, {"image": feeds["x"]})
    np.testing.assert_array_equal(got[out1], want[0])
    assert not rename_io(g, inputs={"image": "image"})


def test_rename_io_rejects_unknown_and_taken_names():
    g = chain()
    with pytest.raises(PassOptionError, match="'y' is not a model input"):
        rename_io(g, inputs={"y": "z"})
    relu = next(n for n in g.nodes if n.op == "Relu").outputs[0]
    with pytest.raises(PassOptionError, match="the name is taken"):
        rename_io(g, inputs={"x": relu})


def test_set_outputs_exposes_internal_tensors_and_prunes():
    g = chain()
    relu = next(n for n in g.nodes if n.op == "Relu").outputs[0]
    feeds = random_feeds(g)
    want = execute(g, feeds, outputs=[relu, "x"])
    assert set_outputs(g, [relu, "x"])
    g.validate()
    assert [n.op for n in g.nodes] == ["Mul", "Relu"]
    got = execute(g, feeds)
    assert list(got) == [relu, "x"]
    np.testing.assert_array_equal(got[relu], want[relu])
    assert not set_outputs(g, [relu, "x"])


def test_set_outputs_rejects_unknown_or_repeated_names():
    with pytest.raises(PassOptionError, match="'nope' is not a tensor"):
        set_outputs(chain(), ["nope"])
    with pytest.raises(PassOptionError, match="without repeats"):
        set_outputs(chain(), ["x", "x"])
