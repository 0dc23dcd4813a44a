"""precision auto on a CPU with native bf16: both formats are timed at load, the faster is kept."""

from __future__ import annotations

import shutil
import time

import pytest
import torch

from model import calibrate
from model import precision as precision_module
from model.scorer import Scorer


def slow(ms: float):
    def forward(*inputs):
        time.sleep(ms / 1000)
    return forward


def test_the_faster_format_wins_by_a_clear_margin():
    # the fake passes sleep 0 or 4 ms: a ratio far from 1 either way
    choice, timing = calibrate.faster_format(slow(0), slow(4), features=None, vocabulary=100)
    assert choice == "fp32" and timing["bf16_over_fp32"] > 1
    assert len(timing["ms"]["bf16"]) == len(calibrate.SHAPES)
    choice, timing = calibrate.faster_format(slow(4), slow(0), features=7, vocabulary=100)
    assert choice == "bf16" and timing["bf16_over_fp32"] < 1


def test_example_inputs_are_bucket_shaped_padded_batches():
    ids, mask, features = calibrate.example_inputs(4, 10, 7, vocabulary=50)
    assert ids.shape == mask.shape == (4, 10) and features.shape == (4, 7)
    assert int(ids.max()) < 50 and mask[0].all() and not mask[-1].all()


@pytest.mark.parametrize("faster", ["bf16", "fp32"])
def test_scorer_load_keeps_the_format_that_timed_faster(tiny_model_dir, monkeypatch, faster):
    monkeypatch.setattr(precision_module, "native_bf16", lambda: True)
    monkeypatch.setattr(calibrate, "faster_format", lambda *args: (faster, {"bf16_over_fp32": 1.0}))
    scorer = Scorer.load(tiny_model_dir, device="cpu", quantize="off")
    assert scorer.precision == faster and scorer.calibration == {"bf16_over_fp32": 1.0}
    dtype = next(scorer.model.parameters()).dtype
    assert dtype == (torch.bfloat16 if faster == "bf16" else torch.float32)
    assert (scorer.traced is not None) == (faster == "bf16")
    assert scorer.predict(["gg", "PogChamp what a play"])[1].label in ("negative", "neutral", "positive")


def test_an_explicit_precision_is_never_timed(tiny_model_dir, monkeypatch):
    def refuse(*args):
        raise AssertionError("timed although the config names the precision")
    monkeypatch.setattr(calibrate, "faster_format", refuse)
    scorer = Scorer.load(tiny_model_dir, device="cpu", quantize="off", precision="bf16")
    assert scorer.precision == "bf16" and scorer.calibration is None


def test_the_real_timing_runs_on_the_tiny_model(tiny_model_dir, monkeypatch):
    monkeypatch.setattr(precision_module, "native_bf16", lambda: True)
    scorer = Scorer.load(tiny_model_dir, device="cpu", quantize="off")
    assert scorer.precision in ("bf16", "fp32")  # whichever this CPU runs faster
    assert scorer.calibration is not None and scorer.calibration["shapes"] == [[2, 10], [32, 16]]
    assert all(t > 0 for t in scorer.calibration["ms"]["fp32"] + scorer.calibration["ms"]["bf16"])


@pytest.mark.parametrize(("bf16_ms", "choice"), [([9.0, 60.0], "fp32"), ([8.0, 50.0], "bf16")])
def test_bf16_must_be_clearly_faster_so_a_near_tie_stays_fp32(monkeypatch, bf16_ms, choice):
    # mean ratios 0.95 (within 10% of fp32: fp32) and 0.83 (bf16)
    monkeypatch.setattr(calibrate, "median_ms", lambda forwards, inputs: {"fp32": [10.0, 60.0], "bf16": bf16_ms})
    assert calibrate.faster_format(slow(0), slow(0), features=None, vocabulary=10)[0] == choice


def test_a_tokenizer_larger_than_the_embeddings_is_timed_within_the_embeddings(tiny_model_dir, tmp_path,
                                                                              monkeypatch):
    from transformers import AutoTokenizer

    grown = shutil.copytree(tiny_model_dir, tmp_path / "grown")
    tokenizer = AutoTokenizer.from_pretrained(str(grown))
    tokenizer.add_tokens([f"newEmote{i}" for i in range(40)])  # entries the embedding matrix lacks
    tokenizer.save_pretrained(str(grown))
    monkeypatch.setattr(precision_module, "native_bf16", lambda: True)
    scorer = Scorer.load(grown, device="cpu", quantize="off")
    assert scorer.calibration is not None


def test_a_failed_timing_keeps_bf16_and_says_so(tiny_model_dir, monkeypatch, caplog):
    def broken(*args):
        raise RuntimeError("no such kernel")
    monkeypatch.setattr(precision_module, "native_bf16", lambda: True)
    monkeypatch.setattr(calibrate, "faster_format", broken)
    scorer = Scorer.load(tiny_model_dir, device="cpu", quantize="off")
    assert scorer.precision == "bf16" and scorer.calibration is None
    assert "timing it against fp32 failed: no such kernel" in caplog.text


def test_backend_auto_runs_onnx_when_the_timing_picks_fp32(tiny_model_dir, monkeypatch):
    pytest.importorskip("onnxruntime")
    monkeypatch.setattr(precision_module, "native_bf16", lambda: True)
    monkeypatch.setattr(calibrate, "faster_format", lambda *args: ("fp32", {"bf16_over_fp32": 1.2}))
    scorer = Scorer.load(tiny_model_dir, device="cpu", quantize="off", backend="auto")
    assert (scorer.precision, scorer.backend) == ("fp32", "onnx")
