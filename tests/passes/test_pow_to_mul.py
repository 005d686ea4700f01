from passcheck import assert_preserves, const, finish, op, ops_of

from intq.ir.graph import Graph
from intq.passes import pow_to_mul, remove_identity


def test_square_becomes_a_product_and_other_powers_stay():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 4))
    square = op(g, "Pow", [op(g, "Relu", [x]), const(g, 2.0)])
    cube = op(g, "Pow", [x, const(g, 3.0)])
    after = assert_preserves(finish(g, square, cube), pow_to_mul)
    assert ops_of(after) == ["Mul", "Pow", "Relu"]
    mul = next(n for n in after.nodes if n.op == "Mul")
    assert mul.inputs[0] == mul.inputs[1] and mul.outputs == [square]


def test_cast_to_its_own_dtype_disappears_and_a_real_cast_stays():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 4))
    same = op(g, "Cast", [op(g, "Relu", [x])], to="float32")
    finish(g, op(g, "Cast", [same], to="float16"))
    after = assert_preserves(g, remove_identity)
    assert ops_of(after) == ["Cast", "Relu"]
