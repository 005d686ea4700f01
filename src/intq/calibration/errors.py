"""The calibration layer's user-facing error."""

from intq.errors import IntqError


class CalibrationError(IntqError):
    """Calibration data or settings that cannot yield ranges: NaN/Inf, no data, bad options."""
