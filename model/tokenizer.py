"""Training a byte-level BPE tokenizer (RoBERTa's kind): one copy for the tiny test model and for
training from scratch."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")  # RoBERTa's ids 0..4


def train_bpe_tokenizer(texts: Iterable[str], out_dir: Path, vocab_size: int, *, min_frequency: int = 2,
                        model_max_length: int | None = None, raw_dir: Path | None = None) -> Any:
    """Train on `texts`, save it in `out_dir` (its raw vocab.json / merges.txt in `raw_dir`, by
    default `out_dir/bpe`), and return it as a transformers RobertaTokenizer."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import RobertaTokenizer

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(list(texts), vocab_size=vocab_size, min_frequency=min_frequency,
                            special_tokens=list(SPECIAL_TOKENS), show_progress=False)
    raw_dir = raw_dir or out_dir / "bpe"
    raw_dir.mkdir(parents=True, exist_ok=True)
    bpe.save_model(str(raw_dir))
    options: dict[str, Any] = {} if model_max_length is None else {"model_max_length": model_max_length}
    tokenizer = RobertaTokenizer(vocab=str(raw_dir / "vocab.json"), merges=str(raw_dir / "merges.txt"),
                                 **options)
    tokenizer.save_pretrained(str(out_dir))
    return tokenizer
