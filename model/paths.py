"""Where the shipped model and the shared data live."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "default"
DATA_DIR_ENV = "TWITCH_MOOD_DATA"


def shared_data_dir() -> Path:
    """`$TWITCH_MOOD_DATA`, else `../shared/data` beside the source checkout."""
    if os.environ.get(DATA_DIR_ENV):
        return Path(os.environ[DATA_DIR_ENV])
    return Path(__file__).resolve().parents[2] / "shared" / "data"


def default_corpus() -> Path:
    """The unlabeled Twitch chat corpus (one message per line)."""
    return shared_data_dir() / "chat_corpus_2025.txt"
