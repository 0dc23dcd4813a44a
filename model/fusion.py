"""Lexicon features in the classification head: logits = classifier logits + W·features + b.

The classifier's own head is linear in the pooled encoder output, so adding a learned linear
map of the lexicon features (`model/lexicon.py`) is a linear head over both. The head starts at
zero (the model begins as the plain classifier) and is trained with the encoder. A checkpoint
with it keeps the standard Hugging Face files and adds `lexicon_head.safetensors` and
`lexicon.csv`; config.json names the features under `lexicon_features`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from transformers.modeling_outputs import SequenceClassifierOutput

from model.lexicon import FEATURE_NAMES, N_FEATURES

HEAD_FILE = "lexicon_head.safetensors"


class LexiconFusion(torch.nn.Module):
    """A sequence classifier whose logits also read the message's lexicon features."""

    def __init__(self, base: Any) -> None:
        super().__init__()
        self.base = base
        self.lexicon_head = torch.nn.Linear(N_FEATURES, base.config.num_labels)
        torch.nn.init.zeros_(self.lexicon_head.weight)
        torch.nn.init.zeros_(self.lexicon_head.bias)

    @property
    def config(self) -> Any:
        return self.base.config

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                lexicon_features: torch.Tensor | None = None,
                labels: torch.Tensor | None = None) -> SequenceClassifierOutput:
        logits = self.base(input_ids=input_ids, attention_mask=attention_mask).logits
        if lexicon_features is not None:
            logits = logits + self.lexicon_head(lexicon_features.to(logits.dtype))
        return SequenceClassifierOutput(logits=logits)

    def save(self, directory: Path) -> None:
        """The base with save_pretrained (config.json names the features), the head beside it."""
        from safetensors.torch import save_file

        self.base.config.lexicon_features = list(FEATURE_NAMES)
        self.base.save_pretrained(str(directory))
        save_file({k: v.detach().float().contiguous() for k, v in self.lexicon_head.state_dict().items()},
                  str(directory / HEAD_FILE))

    def load_head(self, directory: Path) -> None:
        """The trained head from HEAD_FILE (the base comes from from_pretrained)."""
        from safetensors.torch import load_file

        self.lexicon_head.load_state_dict(load_file(str(directory / HEAD_FILE)))
