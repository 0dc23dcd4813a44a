"""The shipped checkpoint in model/default: small, complete, and right about Twitch slang and emotes."""

from __future__ import annotations

import json

import pytest

from model.paths import DEFAULT_MODEL_DIR
from model.scorer import Scorer
from mood.labels import LABELS
from tests.helpers import ODD_TEXTS, SLANG_PROBE
from training.data import read_labeled

MAX_BYTES = 50 * 1024 * 1024


@pytest.fixture(scope="module")
def default_scorer() -> Scorer:
    return Scorer.load("default")  # as the bot loads it: fp32 on CPU


def test_default_checkpoint_is_small_safetensors_with_tokenizer_and_report():
    files = {p.name: p.stat().st_size for p in DEFAULT_MODEL_DIR.iterdir() if p.is_file()}
    assert "model.safetensors" in files and "tokenizer.json" in files and "config.json" in files
    assert sum(files.values()) < MAX_BYTES
    report = json.loads((DEFAULT_MODEL_DIR / "training_report.json").read_text())
    assert report["metrics"]["test"]["macro_f1"] >= 0.70


def test_default_model_reads_slang_and_emotes_from_every_era(default_scorer):
    probe = read_labeled(SLANG_PROBE)
    texts, gold = probe.split("test")
    predicted = [LABELS.index(s.label) for s in default_scorer.predict(texts)]
    wrong = [(t, LABELS[g], LABELS[p]) for t, g, p in zip(texts, gold, predicted, strict=True) if g != p]
    accuracy = 1 - len(wrong) / len(texts)
    assert accuracy >= 0.85, f"probe accuracy {accuracy:.2f}; wrong: {wrong}"


def test_default_model_scores_odd_chat_without_crashing(default_scorer):
    scores = default_scorer.predict(ODD_TEXTS)
    assert len(scores) == len(ODD_TEXTS)
    assert all(-1.0 <= s.value <= 1.0 for s in scores)
