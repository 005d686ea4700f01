"""The calibration driver: which tensors it observes, exactness against observing by hand,
split-and-merge exactness, attention masks, bounded memory, progress and errors."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from intq.calibration import (OBSERVERS, CalibrationError, Observer, PercentileConfig,
                              calibrate, make_observer, shard, with_method)
from intq.calibration.percentile import PercentileObserver
from intq.ir.graph import Graph
from intq.ops import infer_shapes
from intq.ops.registry import normalize_attrs
from intq.runtime.executor import execute

METHODS = tuple(sorted(OBSERVERS))


def _node(graph: Graph, op: str, inputs: list, **attrs) -> str:
    """Append ``op``; array inputs become constants. Returns the output name."""
    names = [i if isinstance(i, str) else graph.add_constant("c", i) for i in inputs]
    name = graph.unique_name(op.lower())
    return graph.add_node(op, names, [name + "_out"], name=name,
                          attrs=normalize_attrs(op, attrs, name)).outputs[0]


def _finish(graph: Graph, *outputs: str) -> Graph:
    graph.outputs = list(outputs)
    infer_shapes(graph)
    graph.validate()
    return graph


def _mlp() -> Graph:
    """x -> MatMul -> Add -> Relu -> Mul; plus an integer side path (Shape) to ignore."""
    rng = np.random.default_rng(1)
    graph = Graph("mlp")
    graph.add_input("x", "float32", ("N", 4))
    h = _node(graph, "MatMul", ["x", rng.normal(size=(4, 6)).astype(np.float32)])
    h = _node(graph, "Add", [h, rng.normal(size=6).astype(np.float32)])
    r = _node(graph, "Relu", [h])
    y = _node(graph, "Mul", [r, np.float32(0.5)])
    shape = _node(graph, "Shape", ["x"])
    return _finish(graph, y, shape)


def _data(n: int = 64, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, 4)).astype(np.float32)


def _by_hand(graph: Graph, batches: list[np.ndarray], method: str = "entropy"
             ) -> dict[str, Observer]:
    """Observers fed straight from the executor's hook, the reference for ``calibrate``."""
    observers: dict[str, Observer] = {}

    def hook(name, array):
        if array.dtype.kind == "f":
            observers.setdefault(name, make_observer(name, method)).observe(array)

    for batch in batches:
        hook("x", batch)
        execute(graph, {"x": batch}, on_value=hook)
    return observers


def _same_state(a: Observer, b: Observer) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(np.array_equal(sa[k], sb[k]) for k in sa)


def _error(*args, **kwargs) -> str:
    kwargs.setdefault("progress", False)
    with pytest.raises(CalibrationError) as info:
        calibrate(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    return message


# ---- what is observed -------------------------------------------------------------------------
def test_observes_every_float_activation_exactly_as_the_executor_hook_sees_it():
    graph, x = _mlp(), _data()
    observers = calibrate(graph, x, batch_size=16, progress=False)
    floats = ["x"] + [n.outputs[0] for n in graph.nodes if n.op != "Shape"]
    assert list(observers) == floats
    assert not any(name in graph.constants for name in observers)
    reference = _by_hand(graph, [x[i:i + 16] for i in range(0, 64, 16)])
    for name, observer in observers.items():
        assert type(observer).method == "entropy"
        assert _same_state(observer, reference[name])
        assert observer.count == 64 * int(np.prod(graph.values[name].shape[1:]))


def test_tensors_option_selects_observers_in_graph_order():
    graph = _mlp()
    relu, matmul = graph.nodes[2].outputs[0], graph.nodes[0].outputs[0]
    observers = calibrate(graph, _data(), tensors=[relu, matmul], progress=False)
    assert list(observers) == [matmul, relu]
    assert "'nope'" in _error(graph, _data(), tensors=["nope"])
    constant = graph.nodes[0].inputs[1]
    assert f"'{constant}'" in _error(graph, _data(), tensors=[constant])
    shape = graph.nodes[-1].outputs[0]
    assert "floating-point" in _error(graph, _data(), tensors=[shape])


def test_method_names_and_configs():
    graph = _mlp()
    for method in METHODS:
        observers = calibrate(graph, _data(), method=method, progress=False)
        assert {type(o).method for o in observers.values()} == {method}
    observers = calibrate(graph, _data(), method=PercentileConfig(99.0), progress=False)
    assert all(isinstance(o, PercentileObserver) and o.config.percentile == 99.0
               for o in observers.values())
    assert "unknown calibration method" in _error(graph, _data(), method="kl")


def test_one_calibration_serves_every_method():
    graph, x = _mlp(), _data()
    base = calibrate(graph, x, method="minmax", progress=False)
    for method in METHODS:
        direct = calibrate(graph, x, method=method, progress=False)
        switched = with_method(base, method)
        assert list(switched) == list(direct)
        for name in direct:
            assert type(switched[name]) is type(direct[name])
            assert switched[name].threshold(8) == direct[name].threshold(8)


# ---- exact merging ----------------------------------------------------------------------------
@pytest.mark.parametrize("method", METHODS)
def test_two_halves_merged_equal_one_pass(method):
    graph, x = _mlp(), _data(96)
    whole = calibrate(graph, x, method=method, batch_size=16, progress=False)
    first = calibrate(graph, x[:48], method=method, batch_size=16, progress=False)
    second = calibrate(graph, x[48:], method=method, batch_size=16, progress=False)
    for name, observer in whole.items():
        merged = first[name].merge(second[name])
        assert _same_state(merged, observer)
        assert merged.threshold(8) == observer.threshold(8)
        assert (merged.min, merged.max) == (observer.min, observer.max)


def test_shards_merged_equal_one_pass():
    graph, x = _mlp(), _data(100)
    whole = calibrate(graph, x, batch_size=8, progress=False)
    parts = [calibrate(graph, shard(x, rank, 3), batch_size=8, progress=False)
             for rank in range(3)]
    for name, observer in whole.items():
        merged = parts[0][name].merge(parts[1][name]).merge(parts[2][name])
        assert _same_state(merged, observer)


def test_an_empty_shard_alone_is_an_empty_calibration_set():
    assert "empty" in _error(_mlp(), shard(_data(10), 1, 2))


# ---- attention masks --------------------------------------------------------------------------
T, D = 5, 8


def _attention(mask: np.ndarray | None = None) -> Graph:
    """Single-head attention. Padding mask from the input ``keep`` (1 keep, 0 pad) turned
    into -3.4e38 as HF exports do, or a constant additive ``mask`` (e.g. causal, -inf)."""
    rng = np.random.default_rng(3)
    graph = Graph("attention")
    graph.add_input("x", "float32", ("N", T, D))
    weight = [rng.normal(size=(D, D)).astype(np.float32) for _ in range(3)]
    q, k, v = (_node(graph, "MatMul", ["x", w]) for w in weight)
    scores = _node(graph, "MatMul", [q, _node(graph, "Transpose", [k], perm=[0, 2, 1])])
    scores = _node(graph, "Mul", [scores, np.float32(D ** -0.5)])
    if mask is None:
        graph.add_input("keep", "float32", ("N", T))
        pad = _node(graph, "Sub", [np.float32(1.0), "keep"])
        pad = _node(graph, "Mul", [pad, np.float32(-3.4e38)])
        pad = _node(graph, "Unsqueeze", [pad, np.array([1])])
        masked = _node(graph, "Add", [scores, pad])
    else:
        masked = _node(graph, "Add", [scores, mask])
    weights = _node(graph, "Softmax", [masked], axis=-1)
    return _finish(graph, _node(graph, "MatMul", [weights, v]))


def _attention_data(n: int = 12) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(4)
    keep = (np.arange(T) < rng.integers(1, T + 1, size=(n, 1))).astype(np.float32)
    return rng.normal(size=(n, T, D)).astype(np.float32), keep


def test_padding_mask_values_are_kept_out_of_softmax_input_statistics():
    graph, (x, keep) = _attention(), _attention_data()
    softmax = next(n for n in graph.nodes if n.op == "Softmax")
    scores = softmax.inputs[0]
    observers = calibrate(graph, (x, keep), batch_size=5, progress=False)
    values = execute(graph, {"x": x, "keep": keep}, outputs=[scores])[scores]
    assert values.min() < -1e38
    expected = make_observer(scores)
    expected.observe(values[values > -1e4])
    assert _same_state(observers[scores], expected)
    assert observers[scores].max_abs < 100
    assert observers[scores].count == int(keep.sum()) * T
    pad = next(n for n in graph.nodes if n.op == "Unsqueeze").inputs[0]
    assert observers[pad].max_abs > 1e38
    unmasked = calibrate(graph, (x, keep), exclude_below=None, progress=False)
    assert unmasked[scores].max_abs > 1e38


def test_infinite_causal_mask_is_excluded_but_not_without_the_option():
    causal = np.triu(np.full((T, T), -np.inf, np.float32), 1)
    graph, (x, _) = _attention(causal), _attention_data()
    softmax = next(n for n in graph.nodes if n.op == "Softmax")
    observers = calibrate(graph, x, progress=False)
    assert observers[softmax.inputs[0]].count == len(x) * T * (T + 1) // 2
    message = _error(graph, x, exclude_below=None)
    assert f"'{softmax.inputs[0]}'" in message and "NaN or Inf" in message
    assert "exclude_below" in _error(graph, x, exclude_below="low")


# ---- errors -----------------------------------------------------------------------------------
def _unary(op: str) -> Graph:
    graph = Graph(op.lower())
    graph.add_input("x", "float32", ("N", 4))
    return _finish(graph, _node(graph, "Relu", [_node(graph, op, ["x"])]))


@pytest.mark.parametrize("op", ["Sqrt", "Log", "Reciprocal"])
def test_nan_or_inf_inside_the_model_names_tensor_node_and_batch(op):
    graph = _unary(op)
    x = np.abs(_data()) + 0.5
    x[40, 2] = {"Sqrt": -1.0, "Log": 0.0, "Reciprocal": 0.0}[op]
    message = _error(graph, x, batch_size=16)
    node = graph.nodes[0]
    assert f"tensor '{node.outputs[0]}'" in message and f"'{node.name}' ({op})" in message
    assert "calibration batch 2" in message and "NaN or Inf" in message


def test_nan_or_inf_after_casting_an_input_to_the_model_dtype():
    message = _error(_mlp(), np.full((3, 4), 1e300))
    assert "tensor 'x' (model input)" in message and "batch 0" in message


def test_nan_in_the_data_names_input_and_batch():
    x = _data()
    x[50, 0] = np.nan
    message = _error(_mlp(), x, batch_size=16)
    assert "calibration batch 3" in message and "input 'x'" in message


def test_shape_mismatch_with_the_model_mentions_calibration():
    message = _error(_mlp(), np.zeros((8, 5), np.float32))
    assert message.startswith("calibration batch 0: input 'x' has shape (8, 5)")
    message = _error(_mlp(), [np.zeros((8, 4), np.float32), np.zeros((8, 4, 1), np.float32)])
    assert message.startswith("calibration batch 1: input 'x'")


def test_data_errors_reach_the_caller():
    assert "empty" in _error(_mlp(), [])
    assert "2 arrays" in _error(_mlp(), (_data(), _data()))


def test_distributed_needs_an_initialized_process_group():
    dist = pytest.importorskip("torch.distributed")
    if dist.is_initialized():
        pytest.skip("a process group is already running")
    assert "init_process_group" in _error(_mlp(), _data(), distributed=True)


# ---- progress ---------------------------------------------------------------------------------
def test_progress_bar_on_stderr_only_when_asked(capsys):
    calibrate(_mlp(), _data(), batch_size=16, progress=False)
    assert capsys.readouterr() == ("", "")
    calibrate(_mlp(), _data(), batch_size=16)
    out, err = capsys.readouterr()
    assert out == "" and "calibrating" in err and "64/64" in err and "sample" in err
    calibrate(_mlp(), (b for b in np.split(_data(), 4)))
    out, err = capsys.readouterr()
    assert out == "" and "4batch" in err.replace(" ", "")


# ---- bounded memory ---------------------------------------------------------------------------
def _peak(graph: Graph, batches: int) -> tuple[int, int]:
    """tracemalloc peak of calibrating ``batches`` generated batches, and the state size."""
    def generate():
        rng = np.random.default_rng(0)
        for _ in range(batches):
            yield rng.normal(size=(32, 4)).astype(np.float32)

    tracemalloc.start()
    try:
        observers = calibrate(graph, generate(), progress=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    state = sum(a.nbytes for o in observers.values() for a in o.state_dict().values())
    return peak, state


def test_memory_does_not_grow_with_the_number_of_batches():
    graph = _mlp()
    _peak(graph, 2)
    peak_1x, state_1x = _peak(graph, 20)
    peak_10x, state_10x = _peak(graph, 200)
    assert state_10x == state_1x
    assert peak_10x < 1.5 * peak_1x, (peak_1x, peak_10x)
