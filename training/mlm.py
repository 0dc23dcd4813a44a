"""Masked-language-model domain adaptation on unlabeled chat (after HF run_mlm.py).

Messages are normalised exactly as at scoring time, de-duplicated, tokenised, concatenated and
cut into fixed-length blocks (run_mlm's `group_texts`), so one step sees many short messages.
With `emote_tokens`, the lexicon's emote tokens join the vocabulary first (`training/vocab.py`)
and each message reaches the tokenizer as it does at scoring time (`ChatEncoder.model_text`:
a channel emote by its word part), so their embeddings are learned in context. Masking is
dynamic (a fresh mask per batch). `stream` adds the messages of a chat stream CSV to the corpus;
`emote_weight` N reads messages with an emote N times per pass (N - 1 extra passes over them, each
in its own order and blocks), so the emotes, which are rare in chat, are learned in more contexts.
The held-out masked-LM loss is measured before and
after training on the same blocks with the same masks, so "the loss fell" is a fair comparison.
"""

from __future__ import annotations

import logging
import math
import random
import shutil
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from model.encoding import ChatEncoder
from model.machine import machine_info
from model.paths import file_sha256
from model.tokenizer import train_bpe_tokenizer
from training.args import MlmArgs
from training.bases import SCRATCH_ROBERTA, resolve_base, scratch_roberta
from training.data import (
    DataError,
    evaluation_messages,
    read_corpus,
    read_labeled,
    read_stream,
    unique_messages,
    without_matches,
)
from training.report import base_name, write_json
from training.vocab import add_emote_tokens

log = logging.getLogger(__name__)
HELD_OUT_BLOCKS = 200


class BlockDataset(torch.utils.data.Dataset):
    """Fixed-length token blocks for the MLM collator."""

    def __init__(self, blocks: list[list[int]]) -> None:
        self.blocks = blocks

    def __len__(self) -> int:
        return len(self.blocks)

    def __getitem__(self, i: int) -> dict[str, list[int]]:
        return {"input_ids": self.blocks[i]}


class MaskedOnly(torch.nn.Module):
    """A masked-LM model whose head runs on the masked positions only.

    The head maps each position to the whole vocabulary (31k rows for MiniLM), and on CPU that
    product costs more than the encoder; the loss reads only the ~15% of positions that are
    masked. Same loss, same gradients, a fraction of the work. The wrapped model is the one saved."""

    def __init__(self, model: Any) -> None:
        super().__init__()
        self.model = model
        self.head = model.cls if hasattr(model, "cls") else model.lm_head  # BERT / RoBERTa

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                labels: torch.Tensor | None = None, **_: Any) -> dict[str, torch.Tensor]:
        hidden = self.model.base_model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        assert labels is not None, "MaskedOnly needs labels (the MLM collator's)"
        chosen = labels != -100
        logits = self.head(hidden[chosen])
        return {"loss": torch.nn.functional.cross_entropy(logits, labels[chosen])}


def group_texts(token_lists: list[list[int]], block_size: int) -> list[list[int]]:
    """Concatenate tokenised messages (with their special tokens) and cut full blocks."""
    flat = [token for tokens in token_lists for token in tokens]
    usable = len(flat) // block_size * block_size
    return [flat[i:i + block_size] for i in range(0, usable, block_size)]


def without_evaluation_messages(texts: list[str], labeled: Path) -> tuple[list[str], int]:
    """`texts` without the dev and test messages of a labeled CSV, in any letter case; and how
    many went."""
    kept = without_matches(texts, evaluation_messages(read_labeled(labeled)))
    return kept, len(texts) - len(kept)


def held_out_messages(token_lists: list[list[int]], held_blocks: set[int], block_size: int) -> set[int]:
    """Indices of the messages with a token in one of `held_blocks` (of `group_texts`' blocks)."""
    touched, start = set(), 0
    for i, tokens in enumerate(token_lists):
        end = start + len(tokens)
        if tokens and any(b in held_blocks for b in range(start // block_size, (end - 1) // block_size + 1)):
            touched.add(i)
        start = end
    return touched


def emote_passes(texts: list[str], token_lists: list[list[int]], held: set[int], lexicon: Path,
                 weight: int, block_size: int, seed: int) -> tuple[list[list[int]], int]:
    """`weight - 1` extra passes over the messages with an emote, emoji or channel emote, each
    pass in its own seeded order and cut into its own blocks, so a block never holds one message
    twice (its twin would give a masked token away). Messages of held-out blocks stay out.
    Returns the blocks and the number of messages repeated."""
    from training.subsets import emote_tokens, read_lexicon_kinds

    kinds = read_lexicon_kinds(lexicon)
    chosen = [i for i, text in enumerate(texts) if i not in held and emote_tokens(text, kinds)]
    blocks: list[list[int]] = []
    for extra in range(weight - 1):
        order = chosen[:]
        random.Random(seed * 1000 + extra).shuffle(order)
        blocks += group_texts([token_lists[i] for i in order], block_size)
    return blocks, len(chosen)


def load_base(args: MlmArgs, texts: list[str]) -> tuple[Any, Any]:
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    if args.base == SCRATCH_ROBERTA:
        tokenizer = train_bpe_tokenizer(texts, args.out, args.scratch.vocab_size,
                                        model_max_length=args.scratch.max_position_embeddings - 2)
        return tokenizer, scratch_roberta(tokenizer, args.scratch)
    source = resolve_base(args.base)
    return AutoTokenizer.from_pretrained(source), AutoModelForMaskedLM.from_pretrained(source)


@torch.no_grad()
def masked_lm_loss(model: Any, tokenizer: Any, blocks: list[list[int]], seed: int,
                   mlm_probability: float, batch_size: int = 32) -> float:
    """Mean masked-LM loss over `blocks` with masks drawn from `seed` (same masks every call)."""
    from transformers import DataCollatorForLanguageModeling

    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=mlm_probability, seed=seed)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    total, batches = 0.0, 0
    for start in range(0, len(blocks), batch_size):
        batch = collator([{"input_ids": b} for b in blocks[start:start + batch_size]])
        batch = {k: v.to(device) for k, v in batch.items()}
        total += MaskedOnly(model)(**batch)["loss"].item()
        batches += 1
    model.train(was_training)
    return total / max(batches, 1)


def keep_pooler(source: str, out: Path, prefix: str) -> int:
    """Copy the base's pooler weights into the saved MLM checkpoint.

    A masked-LM model has no pooler, so without this a classifier fine-tuned from the MLM output
    would start from a random pooler while one fine-tuned from the base keeps the pretrained
    one: an unfair comparison. Returns the number of tensors copied (0 when the base has none).
    """
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    weights = Path(source) / "model.safetensors"
    if not weights.is_file():  # a hub name or another weight format: nothing to copy
        return 0
    with safe_open(str(weights), "pt") as handle:
        pooler = {name: handle.get_tensor(name) for name in handle.keys()  # noqa: SIM118
                  if ".pooler." in f".{name}"}
    if not pooler:
        return 0
    target = out / "model.safetensors"
    state = load_file(str(target))
    for name, tensor in pooler.items():
        bare = name.removeprefix(f"{prefix}.")
        state[f"{prefix}.{bare}"] = tensor.contiguous()
    save_file(state, str(target), metadata={"format": "pt"})
    return len(pooler)


def train_mlm(args: MlmArgs) -> dict[str, Any]:
    """Run MLM adaptation; save model, tokenizer and `mlm_report.json` in `args.out`."""
    from transformers import DataCollatorForLanguageModeling, Trainer, TrainingArguments, set_seed

    started = time.monotonic()
    set_seed(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    lines = read_corpus(args.corpus, args.limit)
    stream_lines = read_stream(args.stream) if args.stream is not None else []
    if args.limit is not None:
        stream_lines = stream_lines[:max(0, args.limit - len(lines))]
    texts = unique_messages(lines + stream_lines)  # the corpus first: its held-out blocks stay put
    left_out = 0
    if args.leave_out is not None:
        texts, left_out = without_evaluation_messages(texts, args.leave_out)
        log.info("MLM: %d dev and test messages of %s left out", left_out, args.leave_out.name)
    tokenizer, model = load_base(args, texts)
    added_tokens = 0
    if args.emote_tokens:
        if args.lexicon is None:
            raise DataError("emote tokens need a lexicon (--lexicon)")
        added_tokens = add_emote_tokens(tokenizer, model, args.lexicon)
        log.info("MLM: %d emote tokens added to the tokenizer", added_tokens)
    encoder = ChatEncoder(tokenizer, args.block_size)
    encoded = tokenizer([encoder.model_text(t) for t in texts], truncation=True,
                        max_length=args.block_size)["input_ids"]
    blocks = group_texts(encoded, args.block_size)
    held_out_count = min(HELD_OUT_BLOCKS, max(1, len(blocks) // 20))
    if len(blocks) <= held_out_count:
        raise DataError(f"corpus {args.corpus} gives only {len(blocks)} blocks of {args.block_size} tokens")
    # Every 20th block is held out, spread over the whole corpus.
    held_out = blocks[::20][:held_out_count]
    held_ids = set(range(0, 20 * held_out_count, 20))
    train_blocks = [b for i, b in enumerate(blocks) if i not in held_ids]
    log.info("MLM: %d messages -> %d blocks of %d tokens (%d held out)", len(texts), len(blocks),
             args.block_size, len(held_out))
    repeated = 0
    if args.emote_weight > 1:
        if args.lexicon is None:
            raise DataError("--emote_weight needs a lexicon (--lexicon) to find the emotes; without one, "
                            "give --emote_weight 1 (train all: --mlm_emote_weight 1)")
        held = held_out_messages(encoded, held_ids, args.block_size)
        extra, repeated = emote_passes(texts, encoded, held, args.lexicon, args.emote_weight,
                                       args.block_size, args.seed)
        train_blocks += extra
        log.info("MLM: %d messages with emotes read %d times: %d more blocks", repeated,
                 args.emote_weight, len(extra))

    scratch_dir = Path(tempfile.mkdtemp(prefix="twitch-mood-mlm-"))  # Trainer wants an output_dir
    loss_before = masked_lm_loss(model, tokenizer, held_out, args.seed, args.mlm_probability)
    assert args.learning_rate is not None  # MlmArgs.__post_init__ picks it by start
    training_args = TrainingArguments(
        output_dir=str(scratch_dir), max_steps=args.steps,
        per_device_train_batch_size=args.batch_size, learning_rate=args.learning_rate,
        warmup_steps=math.ceil(args.steps * args.warmup_ratio), weight_decay=0.01,
        logging_steps=max(1, args.steps // 20), save_strategy="no", report_to=[], seed=args.seed,
        fp16=torch.cuda.is_available(), disable_tqdm=True, dataloader_num_workers=0,
        dataloader_pin_memory=torch.cuda.is_available(),
    )
    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=args.mlm_probability)
    trainer = Trainer(model=MaskedOnly(model), args=training_args, train_dataset=BlockDataset(train_blocks),
                      data_collator=collator)
    trainer.train()
    loss_after = masked_lm_loss(model, tokenizer, held_out, args.seed, args.mlm_probability)
    shutil.rmtree(scratch_dir, ignore_errors=True)

    model.save_pretrained(str(args.out))
    tokenizer.save_pretrained(str(args.out))
    if args.base != SCRATCH_ROBERTA:
        keep_pooler(resolve_base(args.base), args.out, model.base_model_prefix)
    report = {
        "stage": "mlm",
        "base": base_name(args.base),
        "corpus": {"path": args.corpus.name, "sha256": file_sha256(args.corpus), "messages": len(lines)},
        # What it read: the corpus's and the stream's messages, normalised, each once, less those left out.
        "text": {"unique_messages": len(texts), "blocks": len(blocks)},
        "stream": None if args.stream is None else {
            "path": args.stream.name, "sha256": file_sha256(args.stream), "messages": len(stream_lines)},
        "left_out": None if args.leave_out is None else {
            "path": args.leave_out.name, "sha256": file_sha256(args.leave_out), "messages": left_out},
        "emote_messages_repeated": repeated,
        "train_blocks": len(train_blocks),
        "emote_tokens_added": added_tokens,
        "hyperparameters": {k: v for k, v in asdict(args).items()
                            if k not in ("corpus", "out", "stream", "leave_out")
                            and (k != "scratch" or args.base == SCRATCH_ROBERTA)},
        "held_out_loss": {"before": loss_before, "after": loss_after},
        "train_loss_log": [round(e["loss"], 4) for e in trainer.state.log_history if "loss" in e],
        "duration_s": round(time.monotonic() - started, 1),
        "hardware": machine_info(),
    }
    write_json(args.out / "mlm_report.json", report)
    log.info("MLM: held-out loss %.3f -> %.3f in %.0f s", loss_before, loss_after, report["duration_s"])
    return report
