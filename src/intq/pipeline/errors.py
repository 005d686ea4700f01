"""The pipeline's user-facing errors (one line each, printed by the CLI with exit code 2)."""

from intq.errors import IntqError


class PipelineConfigError(IntqError):
    """A config file or ``--set`` override that is malformed: bad TOML, unknown key, wrong type."""


class DataError(IntqError):
    """A model, calibration or evaluation source that cannot be read or does not fit the model."""


class CheckpointError(IntqError):
    """``--start`` asked to resume from a stage whose predecessors' checkpoints are missing or
    were made with other settings."""
