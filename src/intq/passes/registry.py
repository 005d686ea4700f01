"""The pass registry: every preparation pass is a function found by its name.

A pass is ``fn(graph, **options) -> bool``: it edits ``graph`` in place, returns whether it
changed anything, and leaves the nodes topologically ordered with shapes re-inferred. Naming
passes lets configs, the CLI and ``run_passes`` refer to them as plain strings.
"""

from __future__ import annotations

from collections.abc import Callable

from intq.errors import IntqError

Pass = Callable[..., bool]

_PASSES: dict[str, Pass] = {}


class PassOptionError(IntqError):
    """A pass asked for something that does not exist: an unknown pass, option or tensor."""


def register_pass(fn: Pass) -> Pass:
    """Decorator registering ``fn`` under its function name."""
    if fn.__name__ in _PASSES:
        raise ValueError(f"pass '{fn.__name__}' registered twice")
    _PASSES[fn.__name__] = fn
    return fn


def get_pass(name: str) -> Pass:
    try:
        return _PASSES[name]
    except KeyError:
        raise PassOptionError(f"unknown pass '{name}'; valid passes are: "
                              f"{', '.join(registered_passes())}") from None


def registered_passes() -> list[str]:
    return sorted(_PASSES)
