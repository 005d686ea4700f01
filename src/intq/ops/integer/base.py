"""What every integer op shares: output precision attributes, accumulator widths, range rules.

An integer op states, besides its kernels and shape rule, the range its outputs can take given
the ranges of its inputs (``value_range``). The overflow proof (``intq.runtime.overflow``)
only walks the graph and asks each op, so an op's range rule lives with its kernel.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np

from intq.errors import InputError

from intq.ir.graph import TensorType
from intq.ops.integer.ranges import IntRange
from intq.ops.registry import OpDef
from intq.quant.fixedpoint import int_range, storage_dtype

INT64_MAX = (1 << 63) - 1
Kernel = Callable[..., list[np.ndarray]]
"""A prepared fast kernel: takes the node's inputs (constants included), returns its outputs."""
ACC_BITS = (32, 64)
"""Accumulator widths an op may declare; the quantizer picks the narrower one the proof allows."""


def full_lo(attrs: dict[str, Any]) -> int:
    """Default ``lo``: the smallest value of the output precision (``bits``, ``signed``)."""
    return int_range(attrs.get("bits", 8), bool(attrs.get("signed", 1)))[0]


def full_hi(attrs: dict[str, Any]) -> int:
    """Default ``hi``: the largest value of the output precision."""
    return int_range(attrs.get("bits", 8), bool(attrs.get("signed", 1)))[1]


def out_dtype(attrs: dict[str, Any]) -> np.dtype:
    """Storage dtype of an output declared by ``bits``/``signed`` attributes."""
    return storage_dtype(attrs["bits"], bool(attrs["signed"]))


def clamp_bounds(attrs: dict[str, Any]) -> tuple[int, int]:
    """``(lo, hi)`` after checking they lie inside the output precision and are ordered."""
    full = int_range(attrs["bits"], bool(attrs["signed"]))
    lo, hi = int(attrs["lo"]), int(attrs["hi"])
    if not full[0] <= lo <= hi <= full[1]:
        raise ValueError(f"clamp [{lo}, {hi}] must be ordered and inside the "
                         f"{attrs['bits']}-bit {'signed' if attrs['signed'] else 'unsigned'} "
                         f"range {list(full)}")
    return lo, hi


def acc_dtype(attrs: dict[str, Any]) -> np.dtype:
    bits = attrs["acc_bits"]
    if bits not in ACC_BITS:
        raise ValueError(f"acc_bits must be 32 or 64, got {bits!r}")
    return np.dtype(f"int{bits}")


def to_accumulator(acc: np.ndarray, attrs: dict[str, Any], bound: int | None = None
                   ) -> np.ndarray:
    """An int64 result stored in the declared accumulator dtype; refuses to wrap.

    ``bound`` (a proven max ``|acc|`` of this data) skips the range scan when it fits.
    """
    dtype = acc_dtype(attrs)
    if dtype == acc.dtype:
        return acc
    info = np.iinfo(dtype)
    if bound is None or bound > info.max:
        if acc.size and (acc.min() < info.min or acc.max() > info.max):
            raise ValueError(f"accumulator values reach [{acc.min()}, {acc.max()}], beyond "
                             f"{dtype}; the inputs exceed their declared precision or "
                             "acc_bits must be 64")
    return acc.astype(dtype)


def guard_int64(bound: int, op: str) -> int:
    """``bound`` (a max ``|result|`` of this data) after refusing one int64 cannot hold, so the
    int64 reference never wraps either."""
    if bound > INT64_MAX:
        raise ValueError(f"{op} results may reach {bound}, beyond int64; the inputs exceed "
                         "their declared precision")
    return bound


def check_length(count: int, attrs: dict[str, Any], op: str) -> None:
    """Refuse a sum of more values than ``attrs["max_length"]``, the length the overflow proof
    assumed for a symbolic dimension (0: the sizes were static, nothing to check)."""
    limit = int(attrs.get("max_length", 0))
    if limit and count > limit:
        raise InputError(f"{op} sums {count} values, more than the {limit} its overflow proof "
                         "assumed for a symbolic dimension; quantize again with a larger "
                         "max_symbolic_length")


def max_abs(x: np.ndarray) -> int:
    """``max |x|`` as an exact Python int (0 for an empty array)."""
    if not x.size:
        return 0
    return max(int(x.max()), -int(x.min()))


class IntegerOp(OpDef):
    """An op of the quantized graph. ``accumulates`` marks ops whose output is a wide
    accumulator (dtype from ``acc_bits``) rather than a value of declared ``bits``."""

    accumulates: ClassVar[bool] = False

    def value_range(self, attrs: dict[str, Any], ranges: Sequence[IntRange | None],
                    consts: Sequence[np.ndarray | None], types: Sequence[TensorType | None]
                    ) -> list[IntRange | None]:
        """Sound ranges of the outputs given ranges of the integer inputs (``None`` for float
        or omitted inputs). Raises ``ValueError`` when an intermediate of the kernel could
        overflow int64 (for example ``acc * m`` beyond 2^62)."""
        raise NotImplementedError

    def prepare_fast(self, attrs: dict[str, Any], consts: Sequence[np.ndarray | None]
                     ) -> Kernel | None:
        """A kernel for one node, specialised for its attributes and constant inputs
        (``consts[i]`` is ``None`` for an input computed at run time), or ``None`` to run
        ``evaluate_fast``. The executor prepares it once per graph and reuses it while the
        node and its constants stay the same objects (constants are immutable); the kernel
        returns exactly the bytes ``evaluate_fast`` (hence ``evaluate``) returns, raising or
        falling back where they would."""
        return None

    def prepare_fused(self, attrs: dict[str, Any], consts: Sequence[np.ndarray | None],
                      then: str, then_attrs: dict[str, Any],
                      then_consts: Sequence[np.ndarray | None]) -> Kernel | None:
        """A kernel computing this node followed by its only consumer, a node of op type
        ``then`` whose input 0 is this node's output (``then_consts`` holds that node's
        constant inputs): takes this node's inputs, returns the consumer's outputs, exactly as
        running both would (including their errors). ``None`` when there is no such fusion."""
        return None


class ElementwiseIntegerOp(IntegerOp):
    """An integer op whose one output has its first input's shape and the storage dtype of its
    declared ``bits``/``signed``."""

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        return [TensorType(types[0].shape, out_dtype(attrs).name)]


def needs_range(ranges: Sequence[IntRange | None], index: int, what: str) -> IntRange:
    """Input ``index``'s range, or a ``ValueError`` when the input is not an integer tensor."""
    r = ranges[index] if index < len(ranges) else None
    if r is None:
        raise ValueError(f"{what} must be an integer tensor with a known range")
    return r


def as_rows(a: np.ndarray, axis: int) -> np.ndarray:
    """``a`` as contiguous rows ``(-1, a.shape[axis])``, ``axis`` moved last."""
    moved = np.moveaxis(a, axis, -1)
    return np.ascontiguousarray(moved).reshape(-1, moved.shape[-1])


def checked_rows(q: Any, axis: int, n: int | None, in_bits: int) -> np.ndarray | None:
    """``as_rows(q, axis)`` when ``q`` is a non-empty integer array whose ``axis`` exists
    (with ``n`` values, unless ``None``) and whose values lie in the signed ``in_bits``
    range, else ``None``: for compiled row kernels, which leave every other input to their
    op's reference (and its errors)."""
    if (not isinstance(q, np.ndarray) or q.dtype.kind not in "iu" or q.dtype == np.uint64
            or q.size == 0 or not -q.ndim <= axis < q.ndim
            or (n is not None and q.shape[axis] != n)):
        return None
    lo, hi = int_range(in_bits, True)
    if q.min() < lo or q.max() > hi:
        return None
    return as_rows(q, axis)


def from_rows(rows: np.ndarray, shape: tuple[int, ...], axis: int) -> np.ndarray:
    """The inverse of ``as_rows`` for an array of ``shape``."""
    moved = list(shape)
    moved.append(moved.pop(axis))
    return np.moveaxis(rows.reshape(moved), -1, axis)
