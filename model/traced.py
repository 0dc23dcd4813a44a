"""The forward pass as a frozen TorchScript graph, for bf16 on CPU.

A chat message is a few tokens, so one forward pass is ~200 small ops with Python between
each; in eager mode the Hugging Face modules cost about as much time as the arithmetic of one
message. A traced and frozen graph runs the same ops without Python between them, and
torch.jit.freeze lets oneDNN fuse bf16 ops. bf16 gained throughput and single-message latency
at the same labels; fp32 gained nothing measurable, so it stays eager (model/README.md).

The graph is traced once per model with a padded example batch, so the masking code records
its padded path; no shape is baked in (a test scores every bucket shape against eager mode).
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import torch

log = logging.getLogger(__name__)


class Logits(torch.nn.Module):
    """The classifier's logits from positional tensors (what torch.jit.trace records; eager
    mode called the same way)."""

    def __init__(self, model: Any) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                lexicon_features: torch.Tensor | None = None) -> torch.Tensor:
        extra = {} if lexicon_features is None else {"lexicon_features": lexicon_features}
        return self.model(input_ids=input_ids, attention_mask=attention_mask, **extra).logits


def trace_forward(model: Any, features: int | None) -> Any | None:
    """A frozen graph taking (input_ids, attention_mask[, lexicon_features]) and giving logits,
    or None (logged) where this model cannot be traced: it then runs in eager mode."""
    ids = torch.ones((2, 8), dtype=torch.long)
    mask = torch.ones((2, 8), dtype=torch.long)
    mask[1, 4:] = 0  # a padded row: the graph must keep the attention mask
    example: tuple[torch.Tensor, ...] = (ids, mask)
    if features is not None:
        example = (ids, mask, torch.zeros((2, features)))
    try:
        with torch.inference_mode(), warnings.catch_warnings():
            # TracerWarnings name Python branches on shapes; the test checks every bucket shape.
            warnings.simplefilter("ignore")
            traced = torch.jit.trace(Logits(model).eval(), example, check_trace=False,
                                     strict=False)
            return torch.jit.freeze(traced)
    except Exception as exc:  # any Hugging Face architecture may be loaded; eager still works
        log.warning("model runs in eager mode: tracing failed: %s", " ".join(str(exc).split())[:200])
        return None
