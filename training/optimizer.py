"""The fine-tuning optimizer and weight averaging (training/sentiment.py): AdamW with the lexicon
head at its own rate and, optionally, layer-wise learning-rate decay (`--layer_lr_decay`); an
exponential moving average of the weights as a Trainer callback (`--ema_decay`)."""

from __future__ import annotations

import re
from typing import Any

import torch
from transformers import TrainerCallback

from training.args import SentimentArgs

LAYER = re.compile(r"\.layer\.(\d+)\.")  # an encoder layer's parameters: `...encoder.layer.3.attention...`
WARMUP = 10  # weight averaging: step t averages with min(decay, (1 + t) / (WARMUP + t))


def layer_depth(name: str, top: int) -> int:
    """Where a parameter sits in the encoder: 0 for the embeddings, i + 1 for layer i, `top` for the
    rest (pooler, classifier)."""
    if ".embeddings." in f".{name}":
        return 0
    found = LAYER.search(name)
    return int(found.group(1)) + 1 if found else top


def optimizer(model: Any, args: SentimentArgs) -> torch.optim.Optimizer:
    """AdamW; the lexicon head (zero at the start, a few weights) learns at its own rate. With
    `layer_lr_decay` under 1, each encoder layer learns at that share of the rate of the one above
    it, the embeddings below the lowest (the pooler and classifier at the full rate)."""
    named = list(model.named_parameters())
    top = max((int(found.group(1)) for name, _ in named if (found := LAYER.search(name))), default=-1) + 2
    groups: dict[tuple[float, float], list[torch.nn.Parameter]] = {}
    head = (args.head_learning_rate, 0.0)
    for name, p in named:
        if name.startswith("lexicon_head."):
            key = head
        else:
            rate = args.learning_rate * args.layer_lr_decay ** (top - layer_depth(name, top))
            key = (rate, 0.0 if any(k in name for k in ("bias", "LayerNorm", "norm")) else 0.01)
        groups.setdefault(key, []).append(p)
    # The encoder's groups from the top layer down, the head last: Trainer logs the first group's rate.
    order = sorted(groups, key=lambda key: (key == head, -key[0]))
    return torch.optim.AdamW([{"params": groups[key], "lr": key[0], "weight_decay": key[1]} for key in order],
                             lr=args.learning_rate)


class WeightAverage(TrainerCallback):
    """An exponential moving average of the trainable weights, as a Trainer callback: updated after
    each optimizer step, put in the model's place at each epoch's end (so dev scores it, the
    checkpoint holds it, and after the last epoch the model is the average), and the trained weights
    put back when the next epoch begins. Step t averages with min(decay, (1 + t) / (WARMUP + t)), so
    the start weighs little; at step 3,000 that is 0.997 (about the last 300 steps), whatever a larger
    decay asks."""

    def __init__(self, model: torch.nn.Module, decay: float) -> None:
        self.decay = decay
        self.params = {name: p for name, p in model.named_parameters() if p.requires_grad}
        self.average: dict[str, torch.Tensor] = {}
        self.trained: dict[str, torch.Tensor] | None = None

    @torch.no_grad()
    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        # Here, not in __init__: by now Trainer has put the model on its device.
        self.average = {name: p.detach().clone() for name, p in self.params.items()}

    @torch.no_grad()
    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        decay = min(self.decay, (1 + state.global_step) / (WARMUP + state.global_step))
        for name, p in self.params.items():
            self.average[name].lerp_(p.detach(), 1.0 - decay)

    @torch.no_grad()
    def on_epoch_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.trained = {name: p.detach().clone() for name, p in self.params.items()}
        for name, p in self.params.items():
            p.copy_(self.average[name])

    @torch.no_grad()
    def on_epoch_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.trained is not None:
            for name, p in self.params.items():
                p.copy_(self.trained[name])
            self.trained = None
