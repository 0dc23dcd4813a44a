"""The baseline a model must beat: a plain lexicon classifier. A message's value is the mean
sentiment of the lexicon tokens it contains (exact case, lower case for slang, and the word part
of channel emotes such as `abcHype`); no known token means neutral. The polarity threshold is
chosen on dev."""

from __future__ import annotations

from collections.abc import Sequence

from model.lexicon import Lexicon
from mood.labels import LABELS, Score
from training.data import LabeledSet
from training.metrics import classification_report

THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(1, 13))  # 0.05 .. 0.6


class LexiconClassifier:
    """`predict(texts)` like a Scorer: label by the mean sentiment of the known tokens."""

    def __init__(self, lexicon: Lexicon, threshold: float = 0.2) -> None:
        self.lexicon = lexicon
        self.threshold = threshold

    def value(self, text: str) -> float | None:
        """Mean sentiment of the known tokens; None when the message has none."""
        hits = self.lexicon.hits(text)
        return sum(hits) / len(hits) if hits else None

    def predict(self, texts: Sequence[str]) -> list[Score]:
        scores = []
        for text in texts:
            value = self.value(text) or 0.0
            label = 2 if value >= self.threshold else 0 if value <= -self.threshold else 1
            probs = [0.0, 0.0, 0.0]
            probs[label] = 1.0
            scores.append(Score(LABELS[label], *probs, value=value))
        return scores


def fit_threshold(lexicon: Lexicon, texts: Sequence[str], gold: Sequence[int]) -> LexiconClassifier:
    """The classifier with the threshold that scores best (macro-F1) on `texts` (dev)."""
    best: tuple[float, float] | None = None
    for threshold in THRESHOLDS:
        classifier = LexiconClassifier(lexicon, threshold)
        predicted = [LABELS.index(s.label) for s in classifier.predict(texts)]
        f1 = classification_report(list(gold), predicted)["macro_f1"]
        if best is None or f1 > best[0]:
            best = (f1, threshold)
    assert best is not None
    return LexiconClassifier(lexicon, best[1])


def fitted_baseline(lexicon: Lexicon, labeled: LabeledSet) -> LexiconClassifier:
    """The lexicon-only classifier of a labeled set: its threshold chosen on dev, the default
    threshold where the set has no dev rows."""
    dev_texts, dev_gold = labeled.split("dev")
    return fit_threshold(lexicon, dev_texts, dev_gold) if dev_texts else LexiconClassifier(lexicon)
