"""Per-layer error: float tensors matched to their integer (or float) counterparts."""

from intq.pipeline.layer_error import layer_errors, match_tensors

from .quantized_digits import inputs, quantized


def test_int8_layers_are_close_to_float():
    graph, model = quantized()
    matches = {m.tensor: m for m in match_tensors(graph, model.graph)}
    assert matches["input"].target == "input_q" and matches["input"].op == "Input"
    relus = [m for m in matches.values() if m.op == "Relu"]
    assert len(relus) == 4 and all(not m.quant.signed for m in relus)
    errors = layer_errors(graph, model.graph, (inputs(20),), batch_size=8)
    assert [e.tensor for e in errors] == list(matches)
    assert all(e.integer and e.sqnr_db > 25 and e.cosine > 0.999 for e in errors)


def test_restored_nodes_are_compared_in_float():
    graph, model = quantized(restore_ops=("MaxPool",))
    errors = {e.tensor: e for e in layer_errors(graph, model.graph, (inputs(8),), 8)}
    pooled = [e for e in errors.values() if e.op == "MaxPool"]
    assert pooled and all(not e.integer and e.bits is None for e in pooled)
    assert all(e.sqnr_db > 20 for e in pooled)


def test_ticks_count_samples():
    graph, model = quantized()
    seen = []
    layer_errors(graph, model.graph, (inputs(10),), batch_size=4, tick=seen.append)
    assert seen == [4, 4, 2]
