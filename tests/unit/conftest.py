"""Unit-test fixtures: the tiny model loaded as a Scorer. Unit tests open no sockets."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.scorer import Scorer


@pytest.fixture(scope="session")
def tiny_scorer(tiny_model_dir: Path) -> Scorer:
    return Scorer.load(tiny_model_dir, device="cpu", quantize="off")
