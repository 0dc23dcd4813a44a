"""Distant supervision from the emote/slang lexicon (`emote_lexicon.csv`: token,kind,sentiment,meaning).

Two sources of extra training examples, both labeled by the lexicon, never by hand:
- each lexicon token on its own ("BibleThump" -> negative), so emotes from every era have a
  meaning even when the labeled chat never shows them;
- unlabeled corpus messages whose lexicon tokens agree clearly on a polarity ("that play KEKW"
  -> positive). Messages of the labeled set (all splits) are excluded, in any letter case.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from pathlib import Path

from training.data import unique_messages, without_matches
from training.subsets import read_lexicon_kinds

POLAR_THRESHOLD = 0.4  # |sentiment| at or above this is a polar token


def read_lexicon(path: str | Path) -> dict[str, float]:
    """token -> sentiment in [-1, 1], read by `model.lexicon` (kinds dropped). Tokens are
    case-sensitive; slang rows are lower case."""
    return {token: value for token, (_, value) in read_lexicon_kinds(path).entries.items()}


def label_of(sentiment: float, threshold: float = POLAR_THRESHOLD) -> int:
    """0 negative, 1 neutral, 2 positive."""
    if sentiment >= threshold:
        return 2
    if sentiment <= -threshold:
        return 0
    return 1


def lexicon_hits(text: str, lexicon: dict[str, float]) -> list[float]:
    """Sentiments of the lexicon tokens in `text` (exact case, or lower case for slang)."""
    hits = []
    for word in text.split():
        value = lexicon.get(word)
        if value is None:
            value = lexicon.get(word.lower().strip(".,!?"))
        if value is not None:
            hits.append(value)
    return hits


def weak_label(text: str, lexicon: dict[str, float], threshold: float = 0.5) -> int | None:
    """A polar label when every hit agrees in sign and the mean is clear; otherwise None."""
    hits = lexicon_hits(text, lexicon)
    if not hits:
        return None
    if all(h > 0 for h in hits) or all(h < 0 for h in hits):
        mean = sum(hits) / len(hits)
        if abs(mean) >= threshold:
            return 2 if mean > 0 else 0
    return None


def token_examples(lexicon: dict[str, float]) -> tuple[list[str], list[int]]:
    """Every lexicon token alone, labeled by its sentiment."""
    tokens = sorted(lexicon)
    return tokens, [label_of(lexicon[t]) for t in tokens]


def corpus_examples(lines: Iterable[str], lexicon: dict[str, float], exclude: Iterable[str],
                    limit: int, seed: int = 0) -> tuple[list[str], list[int]]:
    """Up to `limit` weakly labeled corpus messages, as many negative as positive where the
    corpus allows (positive emotes are far more common)."""
    by_label: dict[int, list[str]] = {0: [], 2: []}
    for text in without_matches(unique_messages(list(lines)), exclude):
        label = weak_label(text, lexicon)
        if label is not None:
            by_label[label].append(text)
    rng = random.Random(seed)
    for texts in by_label.values():
        rng.shuffle(texts)
    negatives = by_label[0][:limit // 2]
    positives = by_label[2][:limit - len(negatives)]
    texts = negatives + positives
    labels = [0] * len(negatives) + [2] * len(positives)
    return texts, labels
