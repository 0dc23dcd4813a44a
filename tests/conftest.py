"""Shared fixtures: corpus lines from ../shared/data and a tiny random RoBERTa built on the fly."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from model.paths import default_corpus
from model.scorer import Scorer
from model.tiny import build_tiny_model


@pytest.fixture(scope="session")
def corpus_lines() -> list[str]:
    corpus = default_corpus()
    assert corpus.is_file(), f"tests need the shared corpus at {corpus} (or set TWITCH_MOOD_DATA)"
    with corpus.open(encoding="utf-8") as handle:
        return [line.rstrip("\n") for line in itertools.islice(handle, 400)]


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory, corpus_lines: list[str]) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"), corpus_lines)


@pytest.fixture(scope="session")
def tiny_scorer(tiny_model_dir: Path) -> Scorer:
    return Scorer.load(tiny_model_dir, device="cpu", quantize="off")


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
