"""Helpers shared by the unit and end-to-end tests: fixture files, odd chat, a keyword scorer."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mood.labels import Score

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CHAT_LOGS = FIXTURES / "chatlogs"
SWING_LOG = FIXTURES / "swing_replay.csv"
SLANG_PROBE = FIXTURES / "slang_probe.csv"

ODD_TEXTS = [
    "",
    "   ",
    "a" * 600,
    "KEKW " * 120,
    "😂" * 300,
    "🔥💯🔥💯🔥💯🔥💯",
    "\u200b\u200c\u200d\ufeff",
    "po\u200bg\u200dchamp",
    "مرحبا بالجميع \u202eRTL\u202c",
    "\u0301",
    "ctrl\x00\x07\x1b[31mred",
    "line\nbreak\ttab",
    "@someone https://clips.twitch.tv/abc LUL",
]


class KeywordPredictor:
    """Deterministic stand-in for the model: 'good' is positive, 'bad' negative, else neutral."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def predict(self, texts: Sequence[str]) -> list[Score]:
        self.texts.extend(texts)
        scores = []
        for text in texts:
            low = text.lower()
            if "good" in low:
                scores.append(Score.from_probs(0.05, 0.05, 0.9))
            elif "bad" in low:
                scores.append(Score.from_probs(0.9, 0.05, 0.05))
            else:
                scores.append(Score.from_probs(0.1, 0.8, 0.1))
        return scores
