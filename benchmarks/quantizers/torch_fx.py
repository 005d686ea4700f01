"""PyTorch FX graph-mode PTQ with the default x86 qconfig mapping (fbgemm/onednn kernels).

Its saved size is the ``torch.save`` of the converted model's state dict, which is what a user
would ship beside the model code (written only to be measured, never loaded).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file
from torch.ao.quantization import get_default_qconfig_mapping
from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

from benchmarks.models import MODELS, build_untrained
from benchmarks.quantizers.base import Job, Predict


class TorchFx:
    quantizes = True

    def __init__(self, job: Job) -> None:
        torch.backends.quantized.engine = "x86"
        self.float_model = build_untrained(MODELS[job.model])
        self.float_model.load_state_dict(load_file(job.weights))
        self.float_model.eval()
        self.path = job.out_dir / "model.pt"

    def quantize(self, calib: list[np.ndarray]) -> Path:
        example = (torch.from_numpy(calib[0][:1]),)
        prepared = prepare_fx(self.float_model, get_default_qconfig_mapping("x86"), example)
        with torch.no_grad():
            for batch in calib:
                prepared(torch.from_numpy(batch))
        self.model = convert_fx(prepared)
        torch.save(self.model.state_dict(), self.path)
        return self.path

    @contextmanager
    def session(self, threads: int) -> Iterator[Predict]:
        previous = torch.get_num_threads()
        torch.set_num_threads(threads)

        def predict(x: np.ndarray) -> np.ndarray:
            with torch.no_grad():
                return self.model(torch.from_numpy(x)).numpy()

        try:
            yield predict
        finally:
            torch.set_num_threads(previous)
