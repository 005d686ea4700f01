"""The batch plan of a graph: which inputs carry samples, how many samples one run accepts.

Real models declare their batch in every way: a symbolic ``N`` (any batch), a fixed ``1``
(OpenVINO/TF exports, recurrent models with a state), or a fixed-shape input beside batched
ones (an LSTM state ``[1, 1, 128]`` next to ``[N, 576]`` frames). One plan serves every
place that feeds data: calibration, evaluation, ``QuantizedModel.run`` and ``intq run``.

- An input whose declared shape is fully fixed and which is given exactly that shape is fed
  **whole** to every run (a state, a constant mask), never cut or counted as samples.
- Every other input is **batched** on axis 0. If its declared axis 0 is a number ``k``, the
  model accepts exactly ``k`` samples per run; the data is cut into runs of ``k`` (the last
  one padded by repeating its last sample) and the padded rows are dropped from the outputs.
- Outputs are joined along their batch axis: the axis declared with the batch's symbol, or
  axis 0 when it is ``k`` or unknown, or the first unknown axis (an LSTM state
  ``[2, ?, 128]``), or the first axis of size ``k``.

Each sample then sees exactly the computation it sees when run alone, so cut-and-joined
results are identical to running sample by sample.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from intq.errors import InputError
from intq.ir.graph import Graph

Shape = tuple[int | str, ...] | None


def fed_whole(declared: Shape, array: np.ndarray) -> bool:
    """Whether an input is fed as it is to every run (fully fixed shape, given exactly)."""
    return (declared is not None and all(isinstance(d, int) for d in declared)
            and tuple(np.shape(array)) == tuple(declared))


@dataclass(frozen=True)
class BatchPlan:
    """How one set of input arrays is fed to a graph (see the module docstring)."""

    batched: tuple[bool, ...]
    """Per graph input: cut on axis 0 (True) or fed whole (False)."""
    size: int | None
    """Samples one run takes: a fixed ``k``, or ``None`` for any number."""
    output_axes: tuple[int | None, ...]
    """Per graph output: the axis that carries the samples (``None``: none found)."""

    def samples(self, arrays: Sequence[np.ndarray]) -> int:
        """Number of samples in ``arrays``: axis 0 of the first batched input (1 when every
        input is fed whole)."""
        return next((len(a) for a, cut in zip(arrays, self.batched) if cut), 1)

    def chunks(self, arrays: Sequence[np.ndarray], limit: int | None = None
               ) -> Iterator[tuple[list[np.ndarray], int]]:
        """Runs the model accepts, as (arrays, number of real samples). ``limit`` caps the
        samples per run of a model that takes any batch (memory), and is ignored by a model
        with a fixed batch. Inputs with different numbers of samples are given as they are,
        for ``bind_inputs`` to name the culprit."""
        total = self.samples(arrays)
        step = self.size or limit or total
        uneven = any(cut and len(a) != total for a, cut in zip(arrays, self.batched))
        if uneven or not any(self.batched) or total == 0 or total == self.size or (
                self.size is None and step >= total):
            yield list(arrays), total
            return
        for start in range(0, total, step):
            real = min(step, total - start)
            yield [self._cut(a, start, real, self.size or real) if cut else a
                   for a, cut in zip(arrays, self.batched)], real

    def join(self, parts: list[tuple[list[np.ndarray], int]], names: Sequence[str]
             ) -> list[np.ndarray]:
        """Outputs of every run joined along their batch axis, padded rows dropped."""
        if len(parts) == 1 and (self.size is None or parts[0][1] == self.size):
            return parts[0][0]
        joined = []
        for j, (name, axis) in enumerate(zip(names, self.output_axes)):
            if axis is None:
                raise InputError(f"output '{name}' has no batch axis, so runs of several "
                                 f"batches cannot be joined; give at most {self.size} "
                                 "sample(s) at once")
            joined.append(np.concatenate(
                [np.take(outs[j], np.arange(real), axis=axis) for outs, real in parts],
                axis=axis))
        return joined

    @staticmethod
    def _cut(array: np.ndarray, start: int, real: int, width: int) -> np.ndarray:
        rows = array[start:start + real]
        if real == width:
            return rows
        return np.concatenate([rows, np.repeat(rows[-1:], width - real, axis=0)])


def batch_plan(graph: Graph, arrays: Sequence[np.ndarray]) -> BatchPlan:
    """The plan for feeding ``arrays`` (one per graph input, in order) to ``graph``."""
    batched, fixed, symbols = [], set(), set()
    for name, array in zip(graph.inputs, arrays):
        declared = graph.values[name].shape
        # a 0-d array has no sample axis: fed whole, for ``bind_inputs`` to name its rank
        cut = np.ndim(array) > 0 and not fed_whole(declared, array)
        batched.append(cut)
        if cut and declared:
            (fixed if isinstance(declared[0], int) else symbols).add(declared[0])
    if len(fixed) > 1:
        raise InputError(f"inputs of graph '{graph.name}' declare different fixed batch sizes "
                         f"{sorted(fixed)}; intq cannot tell which axis carries the samples")
    size = fixed.pop() if fixed else None
    axes = tuple(_output_axis(graph.values[o].shape, size, symbols) for o in graph.outputs)
    return BatchPlan(tuple(batched), size, axes)


def _output_axis(shape: Shape, size: int | None, symbols: set) -> int | None:
    """The batch axis of an output: the inputs' batch symbol; else axis 0 when it is the
    batch size or unknown; else the first unknown axis (shape inference may lose a fixed
    batch); else the first axis of the fixed size."""
    if shape is None:
        return 0
    for axis, dim in enumerate(shape):
        if dim in symbols:
            return axis
    if shape and (shape[0] == size or isinstance(shape[0], str)):
        return 0
    unknown = [axis for axis, dim in enumerate(shape) if isinstance(dim, str)]
    sized = [axis for axis, dim in enumerate(shape) if size is not None and dim == size]
    return (unknown + sized + [None])[0]


def run_batched(graph: Graph, arrays: Sequence[np.ndarray],
                run_one: Callable[[list[np.ndarray]], list[np.ndarray]],
                limit: int | None = None) -> list[np.ndarray]:
    """``run_one`` over the runs ``graph`` accepts for ``arrays``, outputs joined."""
    arrays = [np.asarray(a) for a in arrays]
    plan = batch_plan(graph, arrays)
    parts = [(run_one(chunk), real) for chunk, real in plan.chunks(arrays, limit)]
    return plan.join(parts, graph.outputs)
