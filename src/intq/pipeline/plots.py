"""The report's PNG plots: per-layer SQNR, and where the worst layers were clipped.

Drawn with matplotlib's object API on an Agg canvas (no pyplot, no global backend change), and
returned as PNG bytes so the caller writes them atomically.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from intq.calibration.histogram import BINS, from_bins
from intq.calibration.observer import Observer, qmax
from intq.pipeline.errors import PipelineConfigError

DISPLAY_BINS = 128
INTEGER_COLOR, FLOAT_COLOR, CLIP_COLOR = "#3b75af", "#ef8636", "#c03d3e"


def sqnr_chart(layers: Sequence[Mapping[str, Any]]) -> bytes:
    """Horizontal bars: SQNR (dB) of each compared tensor in graph order; exact ones marked."""
    figure, canvas = _figure(8, 1.2 + 0.24 * len(layers))
    ax = figure.add_subplot()
    finite = [row["sqnr_db"] for row in layers if row["sqnr_db"] is not None]
    top = max(finite, default=0.0)
    y = np.arange(len(layers))
    values = [row["sqnr_db"] if row["sqnr_db"] is not None else top for row in layers]
    colors = [INTEGER_COLOR if row["integer"] else FLOAT_COLOR for row in layers]
    ax.barh(y, values, color=colors)
    for index, row in enumerate(layers):
        if row["sqnr_db"] is None:
            ax.text(top, index, " exact", va="center", fontsize=7)
    ax.set_yticks(y, [_short(row["tensor"]) for row in layers], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("SQNR (dB), float tensor vs dequantized integer tensor")
    ax.set_title("Per-layer quantization error (higher is better; orange: float part)",
                 fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    return _png(figure, canvas)


def clipping_histograms(layers: Sequence[Mapping[str, Any]],
                        observers: Mapping[str, Observer]) -> bytes:
    """For each layer, the calibration histogram of |x| with the chosen clipping threshold
    (``scale * qmax``) and the share of values it clips."""
    figure, canvas = _figure(8, 2.4 * len(layers))
    for index, row in enumerate(layers, start=1):
        ax = figure.add_subplot(len(layers), 1, index)
        observer = observers[row["tensor"]]
        state = observer.state_dict()
        counts = state["counts"].reshape(DISPLAY_BINS, BINS // DISPLAY_BINS).sum(axis=1)
        exponent = int(state["exponent"])
        edges = np.array([from_bins(i * BINS / DISPLAY_BINS, exponent)
                          for i in range(DISPLAY_BINS + 1)])
        threshold = row["scale"] * qmax(row["bits"], not row["signed"])
        clipped = clipped_fraction(observer, threshold)
        ax.stairs(np.maximum(counts, 0.5), edges, fill=True, color=INTEGER_COLOR, baseline=0.5)
        ax.axvline(threshold, color=CLIP_COLOR, linestyle="--",
                   label=f"clip at {threshold:.4g} ({clipped:.3%} of values clipped)")
        ax.set_yscale("log")
        ax.set_xlim(0, max(observer.max_abs, threshold) * 1.05)
        ax.set_title(f"{_short(row['tensor'], 60)}  ({row['op']}, SQNR "
                     f"{row['sqnr_db']:.1f} dB)", fontsize=8)
        ax.set_xlabel("|x| seen in calibration", fontsize=7)
        ax.legend(fontsize=7)
        ax.tick_params(labelsize=7)
    return _png(figure, canvas)


def clipped_fraction(observer: Observer, threshold: float) -> float:
    """Share of the observed values whose |x| lies above ``threshold`` (bin resolution)."""
    state = observer.state_dict()
    counts = state["counts"]
    first = int(np.ceil(threshold / from_bins(1.0, int(state["exponent"]))))
    total = counts.sum()
    return float(counts[first:].sum() / total) if total else 0.0


def _figure(width: float, height: float) -> tuple[Any, Any]:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise PipelineConfigError("the report's plots need matplotlib: pip install matplotlib, "
                                  "or set output.plots = false") from None
    figure = Figure(figsize=(width, min(height, 60)), dpi=100)
    return figure, FigureCanvasAgg(figure)


def _png(figure: Any, canvas: Any) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    canvas.print_png(buffer)
    return buffer.getvalue()


def _short(name: str, width: int = 48) -> str:
    return name if len(name) <= width else "…" + name[-(width - 1):]
