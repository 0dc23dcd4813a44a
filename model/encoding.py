"""The one text path from chat message to model input, shared by training and scoring.

`ChatEncoder.encode(texts)` normalises each message (`model/text.py`), tokenises it, and, for a
checkpoint trained with lexicon features, computes them from the normalised text with the
lexicon in force (the checkpoint's own, merged with a streamer's `model.emotes`). A checkpoint
whose tokenizer has emote tokens of its own (`training/vocab.py`) reads a channel emote by its
word part: `abcHype` reaches the model as the token `Hype`, the same for every channel. Training
(`training/sentiment.py`) and the runtime `Scorer` both call it, so `abcHype abcHype` reaches the
model as the same ids and features in both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from model.lexicon import Lexicon, WordParts
from model.text import normalize


@dataclass
class Encoded:
    """Model inputs of a list of messages: token ids per message, lexicon features per message."""

    input_ids: list[list[int]]
    features: list[list[float]] | None  # None: the model reads no lexicon features


class ChatEncoder:
    """Message text to model input: normalise, tokenise, lexicon features (where the model reads them)."""

    def __init__(self, tokenizer: Any, max_length: int, lexicon: Lexicon | None = None) -> None:
        self.tokenizer, self.max_length, self.lexicon = tokenizer, max_length, lexicon
        # Tokens added to the checkpoint's vocabulary (emotes, emoji, channel-emote word parts).
        self.emote_words = frozenset(tokenizer.get_added_vocab()) - set(tokenizer.all_special_tokens)
        self.word_parts = WordParts(self.emote_words)

    def model_text(self, normalized: str, lexicon: Lexicon | None = None) -> str:
        """What the tokenizer reads of a normalised message: each channel emote whose word part
        is one of the checkpoint's emote tokens replaced by that part (`abcHype` -> `Hype`),
        except a word the lexicon in force lists as it is typed (a streamer's own `zorpBLEP`
        stays itself, and its row decides how it reads)."""
        if not self.emote_words:
            return normalized
        own = (lexicon or self.lexicon or Lexicon()).entries
        return " ".join(word if word in own else channel_word(word, self.word_parts)
                        for word in normalized.split(" "))

    def encode(self, texts: Sequence[str], lexicons: Sequence[Lexicon | None] | None = None) -> Encoded:
        """`lexicons[i]`, where given and not None, replaces the encoder's lexicon for text i
        (a channel with its own emotes)."""
        normalized = [normalize(t) for t in texts]
        chosen = lexicons or [None] * len(normalized)
        ids = self.tokenizer([self.model_text(t, own) for t, own in zip(normalized, chosen, strict=True)],
                             truncation=True, max_length=self.max_length)["input_ids"]
        if self.lexicon is None:
            return Encoded(ids, None)
        features = [(own or self.lexicon).features(text)
                    for text, own in zip(normalized, chosen, strict=True)]
        return Encoded(ids, features)


def channel_word(word: str, emote_words: WordParts) -> str:
    """`abcHype` (or `abcHYPE`, `abcHypee`, `abcBigHype`) -> `Hype` when `Hype` is an emote token;
    any other word unchanged."""
    if word in emote_words.words:
        return word
    known = emote_words.of_emote(word)
    return known if known is not None else word
