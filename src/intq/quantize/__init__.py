"""MRT's quantization stage: float graph + calibration → integer-only graph, and its model.

``api.quantize`` runs the whole flow; ``lower.lower`` visits the float graph and applies the
lowering rules of ``rules/`` (one file per op family); ``config`` holds the typed settings;
``model.QuantizedModel`` runs, saves and loads the result.
"""

from intq.quantize.api import quantize
from intq.quantize.config import CalibrationConfig, LayerConfig, QuantConfig
from intq.quantize.errors import QuantConfigError, QuantizeError
from intq.quantize.model import QuantizedModel, load

__all__ = ["CalibrationConfig", "LayerConfig", "QuantConfig", "QuantConfigError",
           "QuantizeError", "QuantizedModel", "load", "quantize"]
