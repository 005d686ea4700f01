"""A small, deterministic classifier training loop for zoo models on the shipped datasets.

Used by the demo, the end-to-end tests and the benchmarks, so all three train the same way.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from intq.zoo.datasets import Dataset


def train_classifier(model: nn.Module, data: Dataset, *, epochs: int = 10, batch_size: int = 64,
                     lr: float = 3e-3, seed: int = 0, progress: bool = True) -> nn.Module:
    """Train ``model`` with Adam and cosine decay; return it in eval mode. Deterministic for a
    given seed on one thread count."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.from_numpy(data.x_train)
    y = torch.from_numpy(data.y_train)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * ((len(x) + batch_size - 1) // batch_size)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    bar = tqdm(total=steps, desc="training", unit="step", disable=not progress, leave=False)
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=gen)
        for start in range(0, len(x), batch_size):
            idx = order[start:start + batch_size]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            sched.step()
            bar.update()
            bar.set_postfix(loss=f"{loss.item():.3f}", refresh=False)
    bar.close()
    return model.eval()


def accuracy(logits: np.ndarray, labels: np.ndarray, k: int = 1) -> float:
    """Top-k accuracy in percent."""
    topk = np.argsort(-logits, axis=1)[:, :k]
    return float(100.0 * np.mean(np.any(topk == labels[:, None], axis=1)))
