"""Sentiment labels and one message's `Score`: plain data, importable without torch."""

from __future__ import annotations

from dataclasses import dataclass

LABELS = ("negative", "neutral", "positive")


@dataclass(frozen=True, slots=True)
class Score:
    """One message's sentiment: its label, the three probabilities and value = P(pos) - P(neg)."""

    label: str
    negative: float
    neutral: float
    positive: float
    value: float

    @classmethod
    def from_probs(cls, negative: float, neutral: float, positive: float) -> Score:
        probs = (negative, neutral, positive)
        label = LABELS[max(range(3), key=probs.__getitem__)]
        return cls(label, negative, neutral, positive, positive - negative)
