"""``FloatModel``: an imported float graph with the reference executor behind ``.run``."""

from __future__ import annotations

import os

import numpy as np

from intq.ir.graph import Graph
from intq.ir.serialize import load_graph, save_graph
from intq.runtime.executor import run


class FloatModel:
    """A float model in intq's IR. ``run(*inputs)`` takes NumPy arrays, returns a list."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]:
        return run(self.graph, *inputs)

    @property
    def input_names(self) -> list[str]:
        return list(self.graph.inputs)

    @property
    def output_names(self) -> list[str]:
        return list(self.graph.outputs)

    def save(self, path: str | os.PathLike) -> None:
        save_graph(self.graph, path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> FloatModel:
        graph, _ = load_graph(path)
        return cls(graph)

    def __repr__(self) -> str:
        ins = ", ".join(f"{n}: {self.graph.values[n].type_str()}" for n in self.graph.inputs)
        outs = ", ".join(f"{n}: {self.graph.values[n].type_str()}" for n in self.graph.outputs)
        return (f"FloatModel({self.graph.name!r}, {len(self.graph.nodes)} nodes, "
                f"{self.graph.param_count()} params, ({ins}) -> ({outs}))")

    def __str__(self) -> str:
        return str(self.graph)
