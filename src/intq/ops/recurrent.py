"""Recurrent ops with ONNX semantics: LSTM, GRU and RNN.

Directions forward, reverse and bidirectional; optional B, sequence_lens, initial states and
(LSTM) peepholes; both layouts. Steps past a sequence's length leave its state unchanged and
output zeros, so a reverse pass over a short sequence starts at its own last element.
Input projections for all steps are one matmul; only the recurrence loops over time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np

from intq.errors import UnsupportedOpError
from intq.ir.graph import TensorType
from intq.ops.activations import sigmoid, softplus
from intq.ops.base import UNKNOWN, known_rank
from intq.ops.registry import OpDef, register

Activation = Callable[[np.ndarray], np.ndarray]

# name -> (function of x, alpha, beta; default alpha; default beta); None marks an unused parameter
_ACTIVATIONS: dict[str, tuple[Callable[..., np.ndarray], float | None, float | None]] = {
    "sigmoid": (lambda x, a, b: sigmoid(x), None, None),
    "tanh": (lambda x, a, b: np.tanh(x), None, None),
    "relu": (lambda x, a, b: np.maximum(x, 0), None, None),
    "affine": (lambda x, a, b: a * x + b, 1.0, 0.0),
    "leakyrelu": (lambda x, a, b: np.where(x >= 0, x, a * x), 0.01, None),
    "thresholdedrelu": (lambda x, a, b: np.where(x > a, x, 0), 1.0, None),
    "scaledtanh": (lambda x, a, b: a * np.tanh(b * x), 1.0, 1.0),
    "hardsigmoid": (lambda x, a, b: np.clip(a * x + b, 0, 1), 0.2, 0.5),
    "elu": (lambda x, a, b: np.where(x > 0, x, a * np.expm1(np.minimum(x, 0))), 1.0, None),
    "softsign": (lambda x, a, b: x / (1 + np.abs(x)), None, None),
    "softplus": (lambda x, a, b: softplus(x), None, None),
}


def activation_functions(attrs: dict[str, Any], defaults: Sequence[str], directions: int
                         ) -> list[Activation]:
    """The per-direction activation list; alphas/betas are consumed in order by the
    functions that take them."""
    names = list(attrs["activations"]) or list(defaults) * directions
    if len(names) != len(defaults) * directions:
        raise ValueError(f"expected {len(defaults) * directions} activations, got {names}")
    alphas = list(attrs["activation_alpha"])
    betas = list(attrs["activation_beta"])
    out = []
    for name in names:
        key = name.lower()
        if key not in _ACTIVATIONS:
            raise UnsupportedOpError(f"recurrent activation '{name}' is not supported")
        fn, alpha, beta = _ACTIVATIONS[key]
        if alpha is not None and alphas:
            alpha = alphas.pop(0)
        if beta is not None and betas:
            beta = betas.pop(0)
        a, b = np.float32(alpha or 0), np.float32(beta or 0)
        out.append(lambda x, fn=fn, a=a, b=b: fn(x, a, b).astype(x.dtype, copy=False))
    return out


class RecurrentOp(OpDef):
    """Shared attribute schema, layout handling and time loop; subclasses define one step."""

    gates: ClassVar[int] = 1
    default_activations: ClassVar[tuple[str, ...]] = ()
    attrs = {"activation_alpha": [], "activation_beta": [], "activations": [], "clip": None,
             "direction": "forward", "hidden_size": None, "layout": 0}

    def directions(self, attrs: dict[str, Any]) -> list[bool]:
        """For each direction, whether it runs backwards in time."""
        direction = attrs["direction"]
        if direction not in ("forward", "reverse", "bidirectional"):
            raise ValueError(f"{self.op_type} direction must be forward, reverse or "
                             f"bidirectional, got {direction!r}")
        return {"forward": [False], "reverse": [True], "bidirectional": [False, True]}[direction]

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray, w: np.ndarray, r: np.ndarray,
                 b: np.ndarray | None = None, sequence_lens: np.ndarray | None = None,
                 initial_h: np.ndarray | None = None, *extra: np.ndarray | None
                 ) -> list[np.ndarray]:
        batch_first = bool(attrs["layout"])
        if batch_first:
            x = x.transpose(1, 0, 2)
            initial_h = None if initial_h is None else initial_h.transpose(1, 0, 2)
            extra = self.batch_first_extras(extra)
        steps, batch = x.shape[:2]
        hidden = r.shape[-1]
        reverses = self.directions(attrs)
        acts = activation_functions(attrs, self.default_activations, len(reverses))
        per_dir = len(self.default_activations)
        lens = (np.full(batch, steps) if sequence_lens is None
                else np.asarray(sequence_lens).reshape(-1))
        ys, finals = [], []
        for d, reverse in enumerate(reverses):
            bias = (np.zeros(2 * self.gates * hidden, dtype=x.dtype) if b is None else b[d])
            h0 = np.zeros((batch, hidden), x.dtype) if initial_h is None else initial_h[d]
            state = self.initial_state(h0, extra, d)
            projected = np.matmul(x, w[d].T) + bias[:self.gates * hidden]
            step = self.step_function(attrs, r[d], bias[self.gates * hidden:], extra, d,
                                      acts[d * per_dir:(d + 1) * per_dir])
            y = np.zeros((steps, batch, hidden), dtype=x.dtype)
            for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
                active = (t < lens)[:, None]
                new_state = step(projected[t], state)
                state = tuple(np.where(active, n, s) for n, s in zip(new_state, state))
                y[t] = np.where(active, state[0], 0)
            ys.append(y)
            finals.append(state)
        y_all = np.stack(ys, axis=1)
        outputs = [y_all] + [np.stack([f[i] for f in finals]) for i in range(len(finals[0]))]
        if batch_first:
            outputs = [outputs[0].transpose(2, 0, 1, 3)] + [o.transpose(1, 0, 2)
                                                            for o in outputs[1:]]
        return outputs

    def batch_first_extras(self, extra: Sequence[np.ndarray | None]
                           ) -> tuple[np.ndarray | None, ...]:
        """Bring op-specific extra inputs from layout 1 to layout 0."""
        return tuple(extra)

    def initial_state(self, h0: np.ndarray, extra: Sequence[np.ndarray | None], d: int
                      ) -> tuple[np.ndarray, ...]:
        return (h0,)

    def step_function(self, attrs: dict[str, Any], r: np.ndarray, rb: np.ndarray,
                      extra: Sequence[np.ndarray | None], d: int, acts: list[Activation]
                      ) -> Callable[[np.ndarray, tuple[np.ndarray, ...]], tuple[np.ndarray, ...]]:
        raise NotImplementedError

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        x, r = types[0], types[2]
        dirs = len(self.directions(attrs))
        hidden = r.shape[-1] if known_rank(r) else attrs["hidden_size"] or UNKNOWN
        steps, batch = (x.shape[:2] if known_rank(x) else (UNKNOWN, UNKNOWN))
        if attrs["layout"]:
            batch, steps = steps, batch
            y, state = (batch, steps, dirs, hidden), (batch, dirs, hidden)
        else:
            y, state = (steps, dirs, batch, hidden), (dirs, batch, hidden)
        return [TensorType(y, x.dtype)] + [TensorType(state, x.dtype)] * (self.num_outputs - 1)


def _clipper(attrs: dict[str, Any]) -> Callable[[np.ndarray], np.ndarray]:
    limit = attrs["clip"]
    if limit is None:
        return lambda v: v
    bound = np.float32(limit)
    return lambda v: np.clip(v, -bound, bound)


@register
class LSTM(RecurrentOp):
    """Gates in ONNX order i, o, f, c; inputs X, W, R, B, sequence_lens, initial_h, initial_c,
    P (peepholes i, o, f); outputs Y, Y_h, Y_c."""

    op_type = "LSTM"
    attrs = {**RecurrentOp.attrs, "input_forget": 0}
    gates = 4
    default_activations = ("Sigmoid", "Tanh", "Tanh")
    num_outputs = 3

    def batch_first_extras(self, extra: Sequence[np.ndarray | None]
                           ) -> tuple[np.ndarray | None, ...]:
        c0 = extra[0] if extra else None
        return (None if c0 is None else c0.transpose(1, 0, 2), *extra[1:])

    def initial_state(self, h0: np.ndarray, extra: Sequence[np.ndarray | None], d: int
                      ) -> tuple[np.ndarray, ...]:
        c0 = extra[0] if extra else None
        return (h0, np.zeros_like(h0) if c0 is None else c0[d])

    def step_function(self, attrs: dict[str, Any], r: np.ndarray, rb: np.ndarray,
                      extra: Sequence[np.ndarray | None], d: int, acts: list[Activation]
                      ) -> Callable[[np.ndarray, tuple[np.ndarray, ...]], tuple[np.ndarray, ...]]:
        f, g, h = acts
        clip = _clipper(attrs)
        peep = extra[1][d] if len(extra) > 1 and extra[1] is not None else None
        hidden = r.shape[-1]
        r_t = r.T
        coupled = bool(attrs["input_forget"])

        def step(xw: np.ndarray, state: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
            h_prev, c_prev = state
            z = xw + np.matmul(h_prev, r_t) + rb
            zi, zo, zf, zc = (z[:, k * hidden:(k + 1) * hidden] for k in range(4))
            if peep is not None:
                zi = zi + peep[:hidden] * c_prev
                zf = zf + peep[2 * hidden:] * c_prev
            i = f(clip(zi))
            forget = 1 - i if coupled else f(clip(zf))
            c = forget * c_prev + i * g(clip(zc))
            if peep is not None:
                zo = zo + peep[hidden:2 * hidden] * c
            o = f(clip(zo))
            return o * h(c), c

        return step


@register
class GRU(RecurrentOp):
    """Gates in ONNX order z, r, h; ``linear_before_reset=1`` (what PyTorch exports) applies
    the reset gate after the recurrent matmul. Outputs Y, Y_h."""

    op_type = "GRU"
    attrs = {**RecurrentOp.attrs, "linear_before_reset": 0}
    gates = 3
    default_activations = ("Sigmoid", "Tanh")
    num_outputs = 2

    def step_function(self, attrs: dict[str, Any], r: np.ndarray, rb: np.ndarray,
                      extra: Sequence[np.ndarray | None], d: int, acts: list[Activation]
                      ) -> Callable[[np.ndarray, tuple[np.ndarray, ...]], tuple[np.ndarray, ...]]:
        f, g = acts
        clip = _clipper(attrs)
        hidden = r.shape[-1]
        r_zr, r_h = r[:2 * hidden].T, r[2 * hidden:].T
        rb_zr, rb_h = rb[:2 * hidden], rb[2 * hidden:]
        linear_before_reset = bool(attrs["linear_before_reset"])

        def step(xw: np.ndarray, state: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
            (h_prev,) = state
            zr = f(clip(xw[:, :2 * hidden] + np.matmul(h_prev, r_zr) + rb_zr))
            z, reset = zr[:, :hidden], zr[:, hidden:]
            if linear_before_reset:
                recurrent = reset * (np.matmul(h_prev, r_h) + rb_h)
            else:
                recurrent = np.matmul(reset * h_prev, r_h) + rb_h
            candidate = g(clip(xw[:, 2 * hidden:] + recurrent))
            return ((1 - z) * candidate + z * h_prev,)

        return step


@register
class RNN(RecurrentOp):
    """Plain recurrence H = f(X W^T + H R^T + b); outputs Y, Y_h."""

    op_type = "RNN"
    default_activations = ("Tanh",)
    num_outputs = 2

    def step_function(self, attrs: dict[str, Any], r: np.ndarray, rb: np.ndarray,
                      extra: Sequence[np.ndarray | None], d: int, acts: list[Activation]
                      ) -> Callable[[np.ndarray, tuple[np.ndarray, ...]], tuple[np.ndarray, ...]]:
        (f,) = acts
        clip = _clipper(attrs)
        r_t = r.T
        return lambda xw, state: (f(clip(xw + np.matmul(state[0], r_t) + rb)),)
