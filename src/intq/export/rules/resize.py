"""IntResize as int64 ONNX: the kernel's sample points, two Gathers and one rounding.

Per resized axis the rule computes what ``ops.integer.resize.sample_points`` computes, at run
time so dynamic lengths work: the output length (a constant, or ONNX's own float32 shape
formula ``int(f32(n) * f32(scale))``, as ONNX Runtime's Resize sizes its output), ``Range``
of output indices, ``(max(a x + b, 0) 2^(F+1) + d) // (2d)`` clamped to ``(n - 1) 2^F`` (all
non-negative, so ONNX's truncating ``Div`` is the kernel's floor), the neighbours and weights.
The data only meets ``Gather``, int64 ``Mul``/``Add`` and the final rounding shift.
"""

from __future__ import annotations

from intq.export.builder import OnnxBuilder
from intq.export.int_arith import int64, maximum, minimum, round_shift
from intq.export.registry import export_rule
from intq.ir.graph import Node
from intq.ops.integer.resize import scale_fraction


@export_rule("int", "IntResize")
def int_resize(b: OnnxBuilder, node: Node) -> None:
    attrs = node.attrs
    rank = b.rank(node.inputs[0])
    frac = int(attrs["frac_bits"])
    lengths = list(attrs["lengths"]) or [None] * len(attrs["axes"])
    x = b.get(node.inputs[0])
    acc = int64(b, x)
    for axis, scale, length in zip(attrs["axes"], attrs["scales"], lengths):
        lo, hi, f = sample_points(b, x, int(axis), float(scale), length, attrs["mode"], frac)
        shape = b.const([-1 if i == axis else 1 for i in range(rank)], "int64", "along")
        w_hi = b.op("Reshape", [f, shape], hint="w_hi")
        w_lo = b.op("Sub", [b.const(1 << frac, "int64", "one"), w_hi], hint="w_lo")
        acc = b.op("Add", [b.op("Mul", [b.op("Gather", [acc, lo], axis=int(axis)), w_lo]),
                           b.op("Mul", [b.op("Gather", [acc, hi], axis=int(axis)), w_hi])],
                   hint="interpolated")
    out = round_shift(b, acc, frac * len(attrs["axes"]))
    b.set(node.outputs[0], b.cast(out, b.dtype(x)))


def sample_points(b: OnnxBuilder, x: str, axis: int, scale: float, length: int | None,
                  mode: str, frac: int) -> tuple[str, str, str]:
    """``(lo, hi, f)`` tensors for one axis, as ``ops.integer.resize.sample_points``."""
    def c(value: int, hint: str) -> str:
        return b.const(value, "int64", hint)

    n_in = b.op("Gather", [b.op("Shape", [x], "int64", "shape"), c(axis, "axis")], hint="n_in")
    if length is not None:
        n_out = c(int(length), "n_out")
    else:
        grown = b.op("Mul", [b.cast(n_in, "float32"), b.const(scale, "float32", "scale")])
        n_out = b.cast(grown, "int64")
    many = b.op("Greater", [n_out, c(1, "one")], "bool", "many")
    zero = c(0, "zero")
    s = scale_fraction(scale)
    p, q = s.numerator, s.denominator
    if mode == "asymmetric":
        a, offset, d = c(q, "a"), zero, c(p, "d")
    elif mode == "half_pixel":
        a, offset, d = c(2 * q, "a"), c(q - p, "b"), c(2 * p, "d")
    elif mode == "pytorch_half_pixel":
        a = b.op("Where", [many, c(2 * q, "a"), zero], "int64", "a")
        offset = b.op("Where", [many, c(q - p, "b"), zero], "int64", "b")
        d = c(2 * p, "d")
    elif mode == "align_corners":
        a = b.op("Where", [many, b.op("Sub", [n_in, c(1, "one")]), zero], "int64", "a")
        offset, d = zero, maximum(b, b.op("Sub", [n_out, c(1, "one")]), c(1, "one"))
    else:
        raise b.unsupported(f"coordinate mode '{mode}'")
    index = b.op("Range", [zero, n_out, c(1, "one")], "int64", "index")
    numerator = maximum(b, b.op("Add", [b.op("Mul", [a, index]), offset]), zero)
    numerator = b.op("Add", [b.op("Mul", [numerator, c(1 << (frac + 1), "two_f")]), d])
    last = b.op("Sub", [n_in, c(1, "one")], hint="last")
    position = minimum(b, b.op("Div", [numerator, b.op("Mul", [d, c(2, "two")])]),
                       b.op("Mul", [last, c(1 << frac, "one_f")]))
    lo = b.op("Div", [position, c(1 << frac, "one_f")], hint="lo")
    f = b.op("Sub", [position, b.op("Mul", [lo, c(1 << frac, "one_f")])], hint="f")
    hi = minimum(b, b.op("Add", [lo, c(1, "one")]), last)
    return lo, hi, f
