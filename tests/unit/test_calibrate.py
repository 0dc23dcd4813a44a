"""precision auto on a CPU with native bf16: both formats are timed at load, the faster is kept."""

from __future__ import annotations

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
