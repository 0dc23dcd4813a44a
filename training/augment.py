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
from collections.abc import Callable, Sequence

from model.lexicon import SUFFIX, Lexicon, WordParts, channel_emote_part
from model.text import normalize
from training.subsets import EMOTE_KINDS
from training.weak import POLAR_THRESHOLD, label_of

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
        value = emote_sentiment(self.lexicon, token)
        if value is None:
            return None
        entry = self.lexicon.entries.get(token)
        return (entry[0] if entry is not None else SUFFIX, polarity(value))

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


# Syllables of pseudo-words (`Zorp`, `wubFlib`). A few one-syllable ones are English words the
# lexicon lacks (`Big`, `Dog`): their entry then defines them, as a streamer's CSV would.
_ONSETS = ("b", "bl", "d", "dr", "f", "fl", "g", "gr", "k", "kl", "m", "n", "p", "pl", "qu", "sn",
           "t", "tr", "v", "w", "z", "zw")
_VOWELS = ("a", "e", "i", "o", "u", "oo", "ai")
_CODAS = ("", "b", "g", "k", "m", "mp", "nk", "p", "rp", "sh", "x", "z")


class EmoteInventor:
    """Invented emotes, and a polar sentiment for each, for `invented_examples`.

    Each word is new to the lexicon: not a lexicon token, not a channel emote of a known word part,
    not one of the checkpoint's emote tokens. Shapes: a capitalised pseudo-word of one or two
    syllables, half of them behind a lower-case channel prefix; never digits or two capitals in
    a row, which keeps them apart from the emotes `training.compare.streamer_emotes` checks."""

    def __init__(self, lexicon: Lexicon, emote_words: frozenset[str] = frozenset(), seed: int = 0) -> None:
        self.lexicon, self.emote_words = lexicon, emote_words
        self.emote_parts = WordParts(emote_words)
        self.rng = random.Random(seed)
        self.used: set[str] = set()
        polar = [value for token, (kind, value) in lexicon.entries.items()
                 if kind in SWAP_KINDS and abs(value) >= POLAR_THRESHOLD and len(token.split()) == 1]
        self.magnitudes = {1: [v for v in polar if v > 0], -1: [-v for v in polar if v < 0]}

    def pseudo_word(self) -> str:
        """A capitalised pseudo-word of one or two syllables."""
        syllables = self.rng.choice((1, 2, 2))
        return "".join(self.rng.choice(_ONSETS) + self.rng.choice(_VOWELS) + self.rng.choice(_CODAS)
                       for _ in range(syllables)).capitalize()

    def word(self) -> str:
        """A new emote: a capitalised pseudo-word, half of them behind a channel prefix."""
        return self.new(self._shape)

    def _shape(self) -> str:
        word = self.pseudo_word()
        if self.rng.random() < 0.5:
            word = self.pseudo_word().lower()[:4] + word
        return word

    def new(self, make: Callable[[], str]) -> str:
        """The first word `make` gives that is new (see the class)."""
        while True:
            word = make()
            if (word not in self.used and self.lexicon.sentiment(word) is None
                    and word not in self.emote_words and self.emote_parts.of_emote(word) is None):
                self.used.add(word)
                return word

    def sentiment(self, sign: int) -> float:
        """A polar sentiment of `sign`, its size drawn from the lexicon's polar emotes."""
        pool = self.magnitudes[sign] or [1.0]
        return sign * self.rng.choice(pool)


def emote_sentiment(lexicon: Lexicon, word: str) -> float | None:
    """The sentiment of an emote, emoji, emoticon or channel emote; None for slang and words."""
    entry = lexicon.entries.get(word)
    if entry is not None:
        return entry[1] if entry[0] in EMOTE_KINDS else None
    part = channel_emote_part(word)
    return lexicon.suffixes.get(part) if part is not None else None


def invented_examples(texts: Sequence[str], labels: Sequence[int], lexicon: Lexicon, count: int, *,
                      emote_words: frozenset[str] = frozenset(), seed: int = 0,
                      ) -> tuple[list[str], list[int], list[dict[str, float] | None]]:
    """Examples whose emote only its own lexicon entry explains: (texts, labels, entries), where
    entries[i] is the one-line lexicon to read texts[i] with (None: the lexicon alone).

    The encoder cannot know an invented emote, so these examples are where the lexicon head
    learns to carry a message on the features alone, both ways: the same text with an entry is
    polar, without one neutral (what a streamer's `model.emotes` CSV must do).

    - `count` invented emotes alone or repeated (`Zorp Zorp`), alternately positive and negative,
      labeled by their entry's sentiment; every other one also without its entry, labeled neutral;
    - up to `count` training messages (normalised) with a polar emote whose sign agrees with the
      label, that emote replaced by an invented one carrying the same sentiment: the features and
      the label stay the same, only the encoder loses the emote."""
    inventor = EmoteInventor(lexicon, emote_words, seed)
    out_texts: list[str] = []
    out_labels: list[int] = []
    out_entries: list[dict[str, float] | None] = []
    for i in range(count):
        word, value = inventor.word(), inventor.sentiment(1 if i % 2 == 0 else -1)
        text = " ".join([word] * inventor.rng.choice((1, 1, 2, 3)))
        out_texts.append(text)
        out_labels.append(label_of(value))
        out_entries.append({word: value})
        if i % 4 < 2:  # the same text without its entry: neutral
            out_texts.append(text)
            out_labels.append(label_of(0.0))
            out_entries.append(None)
    by_sign: dict[int, list[tuple[list[str], int, list[tuple[str, float]]]]] = {-1: [], 1: []}
    for text, label in zip(texts, labels, strict=True):
        sign = {0: -1, 2: 1}.get(label)
        if sign is None:
            continue
        words = normalize(text).split()
        polar = [(w, value) for w in dict.fromkeys(words)
                 if (value := emote_sentiment(lexicon, w)) is not None
                 and abs(value) >= POLAR_THRESHOLD and (value > 0) == (sign > 0)]
        if polar:
            by_sign[sign].append((words, label, polar))
    for pool in by_sign.values():
        inventor.rng.shuffle(pool)
    negatives = by_sign[-1][:count // 2]  # as many negative as positive where the data allows
    for words, label, polar in negatives + by_sign[1][:count - len(negatives)]:
        emote, value = inventor.rng.choice(polar)
        word = inventor.word()
        out_texts.append(" ".join(word if w == emote else w for w in words))
        out_labels.append(label)
        out_entries.append({word: value})
    return out_texts, out_labels, out_entries
