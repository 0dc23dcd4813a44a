"""Emote-swap augmentation: training messages again, with each emote replaced by another lexicon
emote of the same kind and polarity, so every emote of the lexicon appears in real context.

Polarity buckets are strict: a swap keeps the sign of the token's sentiment and whether it is
polar (|sentiment| >= POLAR_THRESHOLD), so a swapped message keeps its label's reason. Channel
emotes (`abcHype`) keep their channel prefix and swap the word part among the `suffix` rows.
Slang is never swapped: its meaning depends on grammar. Replacements are drawn round-robin from
a shuffled pool per bucket, so rare emotes appear as often as common ones.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from model.lexicon import SUFFIX, Lexicon, channel_emote_part
from model.text import normalize
from training.subsets import EMOTE_KINDS
from training.weak import POLAR_THRESHOLD

SWAP_KINDS = EMOTE_KINDS | {SUFFIX}


def polarity(sentiment: float) -> int:
    """-2 negative, -1 mildly negative, 0 zero, 1 mildly positive, 2 positive."""
    if sentiment == 0:
        return 0
    sign = 1 if sentiment > 0 else -1
    return sign * (2 if abs(sentiment) >= POLAR_THRESHOLD else 1)


class EmoteSwapper:
    """Swaps emotes for others of the same (kind, polarity) bucket, drawn round-robin per bucket."""

    def __init__(self, lexicon: Lexicon, seed: int = 0) -> None:
        self.lexicon = lexicon
        self.rng = random.Random(seed)
        pools: dict[tuple[str, int], list[str]] = {}
        for token, (kind, value) in lexicon.entries.items():
            if kind in SWAP_KINDS and len(token.split()) == 1:
                pools.setdefault((kind, polarity(value)), []).append(token)
        for pool in pools.values():
            self.rng.shuffle(pool)
        self.pools = pools
        self._next = dict.fromkeys(pools, 0)

    def bucket(self, token: str) -> tuple[str, int] | None:
        """(kind, polarity) of a swappable token, or None."""
        entry = self.lexicon.entries.get(token)
        if entry is not None:
            kind, value = entry
            return (kind, polarity(value)) if kind in EMOTE_KINDS else None
        part = channel_emote_part(token)
        if part is not None and part in self.lexicon.suffixes:
            return (SUFFIX, polarity(self.lexicon.suffixes[part]))
        return None

    def _draw(self, key: tuple[str, int], avoid: str) -> str:
        pool = self.pools[key]
        for _ in range(2):  # at most one retry: a pool of one can only return itself
            token = pool[self._next[key] % len(pool)]
            self._next[key] += 1
            if token != avoid:
                return token
        return token

    def swap(self, text: str) -> str | None:
        """`text` with every swappable token replaced, or None when it has none."""
        words = text.split()
        changed = False
        for i, word in enumerate(words):
            key = self.bucket(word)
            if key is None or len(self.pools.get(key, ())) < 2:
                continue
            if key[0] == SUFFIX and word not in self.lexicon.entries:
                part = channel_emote_part(word)
                assert part is not None
                words[i] = word[: len(word) - len(part)] + self._draw(key, part)
            else:
                words[i] = self._draw(key, word)
            changed = True
        return " ".join(words) if changed else None


def swapped_examples(texts: Sequence[str], labels: Sequence[int], lexicon: Lexicon, copies: int,
                     seed: int = 0) -> tuple[list[str], list[int]]:
    """Up to `copies` swapped versions of each message with an emote, with its label."""
    swapper = EmoteSwapper(lexicon, seed)
    out_texts: list[str] = []
    out_labels: list[int] = []
    for text, label in zip(texts, labels, strict=True):
        normalized = normalize(text)
        for _ in range(copies):
            swapped = swapper.swap(normalized)
            if swapped is None:
                break
            out_texts.append(swapped)
            out_labels.append(label)
    return out_texts, out_labels
