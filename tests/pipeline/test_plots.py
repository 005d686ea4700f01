"""The report's plots: PNG bytes, and the clipped share the histogram plot states."""

import numpy as np
import pytest

from intq.calibration.registry import make_observer

pytest.importorskip("matplotlib")

from intq.pipeline.plots import clipped_fraction, clipping_histograms, sqnr_chart  # noqa: E402


def layer(name, sqnr, integer=True):
    return {"tensor": name, "op": "Relu", "integer": integer, "bits": 8, "signed": False,
            "scale": 3.0 / 255, "sqnr_db": sqnr, "cosine": 0.99}


def test_sqnr_chart_is_a_png():
    rows = [layer("a", 40.0), layer("b" * 80, None), layer("c", 12.5, integer=False)]
    assert sqnr_chart(rows).startswith(b"\x89PNG")


def test_clipping_histograms():
    observer = make_observer("a", "minmax")
    observer.observe(np.abs(np.random.default_rng(0).normal(size=10_000)))
    assert clipped_fraction(observer, observer.max_abs * 2) == 0.0
    assert clipped_fraction(observer, 0.0) == 1.0
    assert 0.0 < clipped_fraction(observer, 3.0) < 0.01
    png = clipping_histograms([layer("a", 30.0)], {"a": observer})
    assert png.startswith(b"\x89PNG")
