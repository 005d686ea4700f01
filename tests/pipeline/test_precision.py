"""Per-tensor precision, sizes and exact parts of a quantized graph."""

from intq.pipeline.precision import (accumulator_bits, exact_parts, model_sizes,
                                     parameter_count, precision_table)

from .quantized_digits import quantized


def test_precision_table_follows_the_proof():
    _, model = quantized()
    rows = precision_table(model.graph)
    kinds = {row.kind for row in rows}
    assert kinds == {"constant", "activation", "accumulator"}
    for row in rows:
        assert row.bound is not None and row.proven_bits <= row.bits
        assert row.bound < 2 ** row.bits
    accumulators = [row for row in rows if row.kind == "accumulator"]
    assert all(row.scale_text.startswith("per-channel") for row in accumulators)
    assert accumulator_bits(rows) == max(row.proven_bits for row in accumulators) <= 32


def test_four_bit_weights_take_half_the_bytes():
    _, int8 = quantized()
    _, w4 = quantized(weight_bits=4)
    sizes8, sizes4 = model_sizes(int8.graph), model_sizes(w4.graph)
    assert parameter_count(int8.graph) == parameter_count(w4.graph) == 21386
    assert sizes8["float"] == sizes4["float"] >= 21386 * 4
    weights = sum(a.size for n, a in int8.graph.constants.items()
                  if a.dtype.name == "int8" and int8.graph.values[n].quant is not None)

    def quantized_bytes(model, sizes):  # Requantize's m/k may collapse differently
        return sizes["integer"] - sum(a.nbytes for n, a in model.graph.constants.items()
                                      if model.graph.values[n].quant is None)

    assert quantized_bytes(int8, sizes8) - quantized_bytes(w4, sizes4) == weights // 2


def test_exact_parts():
    _, model = quantized()
    assert exact_parts(model.graph) == {"exact": True, "integer_nodes": 13, "float_nodes": {}}
    _, restored = quantized(restore_ops=("MaxPool",))
    parts = exact_parts(restored.graph)
    assert not parts["exact"] and set(parts["float_nodes"].values()) == {"restore_ops"}
