import numpy as np
import pytest

from intq.errors import GraphError
from intq.ir.graph import Graph


def small_graph() -> Graph:
    g = Graph("g")
    g.add_input("x", "float32", ("N", 4))
    w = g.add_constant("w", np.ones((4, 3), np.float32))
    mm = g.add_node("MatMul", ["x", w], ["h"])
    g.add_node("Relu", mm.outputs, ["y"])
    g.outputs = ["y"]
    return g


def test_construction_is_valid_and_named_uniquely():
    g = small_graph()
    g.validate()
    assert g.unique_name("x") != "x"
    assert g.unique_name("fresh") == "fresh"
    assert [n.op for n in g.nodes] == ["MatMul", "Relu"]
    assert g.param_count() == 12
    assert g.op_histogram() == {"MatMul": 1, "Relu": 1}


def test_toposort_restores_order_and_detects_cycles():
    g = small_graph()
    g.nodes.reverse()
    with pytest.raises(GraphError, match="before it is defined"):
        g.validate()
    g.toposort()
    g.validate()
    assert [n.op for n in g.nodes] == ["MatMul", "Relu"]
    g.nodes[0].inputs[0] = "y"
    with pytest.raises(GraphError, match="cycle"):
        g.toposort()


def test_toposort_names_dangling_input():
    g = small_graph()
    g.nodes[1].inputs = ["nowhere"]
    with pytest.raises(GraphError, match="'nowhere'"):
        g.toposort()


def test_replace_uses_keeps_output_names():
    g = small_graph()
    relu = g.nodes[1]
    g.remove_node(relu)
    g.replace_uses("y", "h")
    g.validate()
    assert g.outputs == ["y"]
    assert g.nodes[-1].outputs == ["y"]


def test_replace_uses_with_input_inserts_identity():
    g = small_graph()
    g.nodes.clear()
    g.replace_uses("y", "x")
    assert g.nodes[-1].op == "Identity" and g.nodes[-1].outputs == ["y"]


def test_prune_drops_unused_nodes_and_constants():
    g = small_graph()
    g.add_constant("unused", np.zeros(3, np.float32))
    g.add_node("Relu", ["x"], ["dead"])
    assert g.prune() == 1
    assert "unused" not in g.constants and "dead" not in g.values
    g.validate()


def test_copy_is_independent():
    g = small_graph()
    c = g.copy()
    c.nodes[0].attrs["k"] = 1
    c.outputs.append("h")
    assert g.nodes[0].attrs == {} and g.outputs == ["y"]


def test_printing_shows_types_and_ops():
    text = str(small_graph())
    assert "%x: float32[N,4]" in text
    assert "= MatMul(%x, w:float32[4,3])" in text
    assert "Relu(%h)" in text


def test_duplicate_producer_rejected():
    g = small_graph()
    with pytest.raises(GraphError, match="produced twice"):
        g.add_node("Relu", ["x"], ["h"])
