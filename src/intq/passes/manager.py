"""The pass manager: run named passes in order, and ``prepare``, MRT's preparation stage.

A name list may hold a nested tuple/list, a fixed-point group: its passes repeat, in order,
until a whole round changes nothing (bounded by ``max_rounds``), for rewrites that enable
each other (folding exposes fusions, fusions expose folds).
"""

from __future__ import annotations

import inspect
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from intq.ir.graph import Graph
from intq.passes.registry import PassOptionError, get_pass

PassList = Sequence["str | PassList"]

DEFAULT_PREPARE: tuple[str, ...] = ("fold_constants", "canonicalize", "fold_batchnorm",
                                    "fuse_transposes", "fold_constants", "eliminate_dead_code")


def run_passes(graph: Graph, names: PassList, *,
               options: Mapping[str, Mapping[str, Any]] | None = None,
               print_between: bool = False, verbose: bool = False,
               stream: TextIO | None = None, max_rounds: int = 8) -> bool:
    """Run passes by name on ``graph`` in place; return whether any changed it.

    ``options`` maps a pass name to its keyword options. ``verbose`` logs each pass (time,
    node count) to ``stream`` (default stderr); ``print_between`` also prints the graph.
    """
    options = dict(options or {})
    _check(names, options)
    out = stream if stream is not None else sys.stderr
    runner = _Runner(graph, options, print_between, verbose, out, max_rounds)
    return runner.run_list(names)


def prepare(graph: Graph, passes: PassList = DEFAULT_PREPARE, **kwargs: Any) -> bool:
    """MRT's preparation stage: fold, canonicalize and simplify a float graph for quantization."""
    return run_passes(graph, passes, **kwargs)


class _Runner:
    def __init__(self, graph: Graph, options: dict, print_between: bool, verbose: bool,
                 out: TextIO, max_rounds: int) -> None:
        self.graph, self.options, self.out = graph, options, out
        self.print_between, self.verbose, self.max_rounds = print_between, verbose, max_rounds

    def run_list(self, names: PassList) -> bool:
        changed = False
        for item in names:
            changed |= self.run_group(item) if _is_group(item) else self.run_one(item)
        return changed

    def run_group(self, names: PassList) -> bool:
        changed = False
        for _ in range(self.max_rounds):
            if not self.run_list(names):
                break
            changed = True
        return changed

    def run_one(self, name: str) -> bool:
        before = len(self.graph.nodes)
        start = time.perf_counter()
        changed = bool(get_pass(name)(self.graph, **self.options.get(name, {})))
        self.graph.validate()
        if self.verbose:
            print(f"[intq] {name}: {'changed' if changed else 'no change'}, nodes {before} -> "
                  f"{len(self.graph.nodes)}, {time.perf_counter() - start:.3f}s", file=self.out)
        if self.print_between:
            print(f"# after {name}\n{self.graph}", file=self.out)
        return changed


def _is_group(item: Any) -> bool:
    return isinstance(item, (list, tuple))


def _flatten(names: PassList) -> list[str]:
    return [n for item in names for n in (_flatten(item) if _is_group(item) else [item])]


def _check(names: PassList, options: Mapping[str, Mapping[str, Any]]) -> None:
    """Reject unknown passes and options before any pass runs, so a typo costs nothing."""
    if isinstance(names, str):
        raise PassOptionError(f"passes must be a list of names, not the string '{names}'")
    flat = _flatten(names)
    for name in flat:
        get_pass(name)
    for name, opts in options.items():
        if name not in flat:
            raise PassOptionError(f"options given for pass '{name}', which is not in {flat}")
        params = inspect.signature(get_pass(name)).parameters
        accepted = [p for p in params if p != "graph"]
        for key in opts:
            if key not in accepted:
                raise PassOptionError(f"pass '{name}' has no option '{key}'; its options are "
                                      f"{accepted or 'none'}")
    for name in flat:
        params = inspect.signature(get_pass(name)).parameters
        missing = [p for p, spec in params.items() if p != "graph"
                   and spec.default is inspect.Parameter.empty and p not in options.get(name, {})]
        if missing:
            raise PassOptionError(f"pass '{name}' needs option(s) {missing}; give them in "
                                  f"options={{'{name}': {{...}}}}")
