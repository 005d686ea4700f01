"""User-facing errors.

Every error a user can cause (bad file, unsupported op, wrong input) is an ``IntqError`` whose
message is one line naming the thing at fault and what to do. The CLI prints it and exits 2.
"""


class IntqError(Exception):
    """Base class of all errors caused by the user's input; printed as one line."""


class ModelFormatError(IntqError):
    """A model file that cannot be read: not ONNX, truncated, corrupt, inconsistent."""


class UnsupportedOpError(IntqError):
    """An op type (or an attribute value of it) that intq does not implement."""


class InputError(IntqError):
    """Inputs given to a model do not fit it: wrong count, shape, dtype, NaN."""


class GraphError(IntqError):
    """A graph that violates the IR's invariants (cycle, dangling value, duplicate name)."""


class MissingDependencyError(IntqError):
    """An optional package a feature needs is not installed; the message says what to install."""


class IntqWarning(UserWarning):
    """Something the user should know that does not stop the work: a model left partly float."""
