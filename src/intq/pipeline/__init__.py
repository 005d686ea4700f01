"""The ``intq quantize`` pipeline: MRT's staged flow driven by a TOML config file.

``config`` parses and validates the file into typed sections; ``pipeline.run_pipeline`` runs
the stages of ``stages`` (prepare → split → calibrate → quantize → merge → evaluate →
compile) with checkpoints (``checkpoints``) so a run resumes from any stage; ``sources`` reads
the model and data a config names; ``evaluate``, ``metrics`` and ``layer_error`` judge the
result; ``precision``, ``report`` and ``plots`` describe it. ``examples`` provides the models
and data the example configs in ``configs/`` name.
"""

from intq.pipeline.config import PipelineConfig, load_config
from intq.pipeline.pipeline import run_pipeline
from intq.pipeline.stages import STAGES

__all__ = ["STAGES", "PipelineConfig", "load_config", "run_pipeline"]
