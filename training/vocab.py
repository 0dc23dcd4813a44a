"""Emote tokens in the tokenizer: each emote, emoji, emoticon and channel-emote word part of the
lexicon becomes one token of its own, its embedding started from the words of its `meaning`.

MiniLM's uncased WordPiece vocabulary maps 228 of the lexicon's 229 emoji to `[UNK]` (the
model cannot tell 😂 from 😭) and cuts emotes into case-less pieces (`widepeepoSad` ->
`wide ##pee ##po ##sa ##d`). An added token is matched as typed, before lower-casing; names
match only as whole words, emoji anywhere. Slang stays with the word pieces: its words are
English. The encoder then reads a channel emote by its word part (`model/encoding.py`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from model.lexicon import SUFFIX
from training.data import DataError
from training.subsets import EMOTE_KINDS, is_emoji

TOKEN_KINDS = EMOTE_KINDS | {SUFFIX}


@dataclass(frozen=True)
class EmoteToken:
    token: str
    meaning: str


def read_emote_tokens(path: Path) -> list[EmoteToken]:
    """The lexicon's emote-kind rows (token, meaning), in file order, each token once."""
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if not {"token", "kind"} <= set(reader.fieldnames or []):
            raise DataError(f"lexicon {path} needs the columns token and kind for emote tokens")
        rows = [EmoteToken(row["token"].strip(), (row.get("meaning") or "").strip())
                for row in reader if row["kind"] in TOKEN_KINDS and row["token"].strip()]
    return list({row.token: row for row in rows}.values())


def add_emote_tokens(tokenizer: Any, model: Any, path: Path) -> int:
    """Add the lexicon's emote tokens to `tokenizer`, grow `model`'s embeddings to match, and
    start each new row at the mean embedding of its meaning's word pieces (and of its own pieces
    where they are not `[UNK]`). Returns the number of tokens added."""
    from tokenizers import AddedToken

    rows = [row for row in read_emote_tokens(path) if row.token not in tokenizer.get_vocab()]
    if not rows:
        return 0
    embeddings = model.get_input_embeddings().weight
    starts = [_start_vector(tokenizer, embeddings, row) for row in rows]
    added = tokenizer.add_tokens([AddedToken(row.token, single_word=not is_emoji(row.token), normalized=False)
                                  for row in rows])
    model.resize_token_embeddings(len(tokenizer), mean_resizing=False)
    weight = model.get_input_embeddings().weight
    with torch.no_grad():
        for row, start in zip(rows, starts, strict=True):
            weight[tokenizer.convert_tokens_to_ids(row.token)] = start
    return added


def _start_vector(tokenizer: Any, embeddings: torch.Tensor, row: EmoteToken) -> torch.Tensor:
    unknown = tokenizer.unk_token_id
    own = [i for i in tokenizer(row.token, add_special_tokens=False)["input_ids"] if i != unknown]
    meaning = [i for i in tokenizer(row.meaning, add_special_tokens=False)["input_ids"] if i != unknown]
    parts = [embeddings[ids].mean(0) for ids in (own, meaning) if ids]
    if not parts:  # no usable piece at all: the mean of the vocabulary
        return embeddings.mean(0).detach().clone()
    return torch.stack(parts).mean(0).detach().clone()
