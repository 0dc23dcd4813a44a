"""A tiny randomly initialised RoBERTa classifier, for tests and timing runs only.

Its tokenizer is trained on the texts given, its weights are random (its labels mean nothing),
and its initialisation is wide enough that different texts get visibly different scores, so
tests comparing two scoring paths can actually fail.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def build_tiny_model(out_dir: str | Path, texts: Iterable[str], *, seed: int = 0,
                     layers: int = 2, hidden: int = 32, vocab_size: int = 800) -> Path:
    """Train a byte-level BPE tokenizer on `texts`, save it with a random 3-class RoBERTa."""
    import torch
    import transformers
    from transformers import RobertaConfig, RobertaForSequenceClassification

    from model.tokenizer import train_bpe_tokenizer

    transformers.utils.logging.disable_progress_bar()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = train_bpe_tokenizer(texts, out, vocab_size, min_frequency=1, raw_dir=out)
    config = RobertaConfig(
        vocab_size=len(tokenizer), hidden_size=hidden, num_hidden_layers=layers,
        num_attention_heads=2, intermediate_size=hidden * 2, max_position_embeddings=514,
        initializer_range=0.5,  # 3 labels, from id2label
        id2label={0: "negative", 1: "neutral", 2: "positive"},
        label2id={"negative": 0, "neutral": 1, "positive": 2},
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(seed)
    RobertaForSequenceClassification(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
