"""Unit-test fixtures: the tiny model loaded as a Scorer. Unit tests open no sockets."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.scorer import Scorer


@pytest.fixture(scope="session")
def tiny_scorer(tiny_model_dir: Path) -> Scorer:
    return Scorer.load(tiny_model_dir, device="cpu", quantize="off")


@pytest.fixture
def no_model_hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """This machine as it is: no model hub, no opt-in, an empty Hugging Face cache. A
    from_pretrained on anything but a local directory fails the test instead of going online."""
    import huggingface_hub.constants
    import transformers

    monkeypatch.delenv("TWITCH_MOOD_ALLOW_HUB", raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    for auto in (transformers.AutoConfig, transformers.AutoTokenizer,
                 transformers.AutoModelForSequenceClassification):
        def guarded(source, *args, _load=auto.from_pretrained, **kwargs):
            if not Path(source).is_dir():
                pytest.fail(f"from_pretrained({source!r}) would look for a hub")
            return _load(source, *args, **kwargs)

        monkeypatch.setattr(auto, "from_pretrained", guarded)
