"""precision auto on a CPU with native bf16: both formats are timed at load, in a child process,
and the faster is kept."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import pytest
import torch

from model import calibrate
from model import precision as precision_module
from model.scorer import Scorer

TIMING = {"ms": {"fp32": [10.0, 60.0], "bf16": [9.0, 61.0]}, "shapes": [[2, 10], [32, 16]],
          "bf16_over_fp32": 1.0}


def answer(choice: str):
    """A stand-in for the child process: its answer, without loading anything."""
    return lambda source: {"choice": choice, "timing": TIMING}


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
    monkeypatch.setattr(calibrate, "run_child", answer(faster))
    scorer = Scorer.load(tiny_model_dir, device="cpu", quantize="off")
    assert scorer.precision == faster and scorer.calibration == TIMING
    dtype = next(scorer.model.parameters()).dtype
    assert dtype == (torch.bfloat16 if faster == "bf16" else torch.float32)
    assert (scorer.traced is not None) == (faster == "bf16")
    assert scorer.predict(["gg", "PogChamp what a play"])[1].label in ("negative", "neutral", "positive")


def test_an_explicit_precision_is_never_timed(tiny_model_dir, monkeypatch):
    def refuse(*args):
        raise AssertionError("timed although the config names the precision")
    monkeypatch.setattr(calibrate, "run_child", refuse)
    scorer = Scorer.load(tiny_model_dir, device="cpu", quantize="off", precision="bf16")
    assert scorer.precision == "bf16" and scorer.calibration is None


def test_the_real_timing_runs_on_the_tiny_model_in_a_child_process(tiny_model_dir, monkeypatch, caplog):
    caplog.set_level("INFO", logger="model.calibrate")
    monkeypatch.setattr(precision_module, "native_bf16", lambda: True)
    children = []
    real = calibrate.run_child
    monkeypatch.setattr(calibrate, "run_child", lambda source: children.append(source) or real(source))
    monkeypatch.setattr(calibrate, "faster_format", lambda *args: pytest.fail("timed in the bot's process"))
    scorer = Scorer.load(tiny_model_dir, device="cpu", quantize="off")
    assert children == [str(tiny_model_dir)]
    assert scorer.precision in ("bf16", "fp32")  # whichever this CPU runs faster
    assert scorer.calibration is not None and scorer.calibration["shapes"] == [[2, 10], [32, 16]]
    assert all(t > 0 for t in scorer.calibration["ms"]["fp32"] + scorer.calibration["ms"]["bf16"])
    assert f"per pass (2x10, 32x16 tokens, timed now): {scorer.precision}" in caplog.text


def test_fp32_chosen_leaves_no_bf16_copy_or_graph_in_the_process(tiny_model_dir, monkeypatch):
    monkeypatch.setattr(precision_module, "native_bf16", lambda: True)
    monkeypatch.setattr(calibrate, "run_child", answer("fp32"))
    monkeypatch.setattr(calibrate, "bf16_forward", lambda *args, **kwargs: pytest.fail("bf16 built"))
    scorer = Scorer.load(tiny_model_dir, device="cpu", quantize="off")
    assert scorer.precision == "fp32" and scorer.traced is None


def test_bf16_chosen_converts_the_loaded_model_without_a_copy(tiny_model_dir, monkeypatch):
    monkeypatch.setattr(precision_module, "native_bf16", lambda: True)
    monkeypatch.setattr(calibrate, "run_child", answer("bf16"))
    copies = []
    real = calibrate.bf16_forward
    monkeypatch.setattr(calibrate, "bf16_forward",
                        lambda model, features, *, keep_fp32: copies.append(keep_fp32) or real(
                            model, features, keep_fp32=keep_fp32))
    assert Scorer.load(tiny_model_dir, device="cpu", quantize="off").precision == "bf16"
    assert copies == [False]


def test_the_child_answers_one_json_line_and_fails_with_one_line(tiny_model_dir, tmp_path, capsys):
    assert calibrate.main([str(tiny_model_dir)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and json.loads(out[0])["choice"] in ("bf16", "fp32")
    assert calibrate.main([str(tmp_path / "missing")]) == 1
    error = capsys.readouterr().err.strip()
    assert "\n" not in error and "ModelLoadError" in error and "missing" in error


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
    monkeypatch.setattr(calibrate, "run_child", broken)
    scorer = Scorer.load(tiny_model_dir, device="cpu", quantize="off")
    assert scorer.precision == "bf16" and scorer.calibration is None and scorer.traced is not None
    assert "timing it against fp32 failed: no such kernel" in caplog.text


@pytest.mark.parametrize(("script", "reason"), [
    ("import sys; print('ImportError: no module torch', file=sys.stderr); sys.exit(1)",
     "ImportError: no module torch"),
    ("print('not json')", "Expecting value"),
    ("import sys; sys.exit(3)", "exit status 3"),
])
def test_a_child_that_crashes_or_talks_nonsense_is_a_one_line_warning(monkeypatch, caplog, script, reason):
    real_run = subprocess.run
    monkeypatch.setattr(calibrate.subprocess, "run",
                        lambda command, **kwargs: real_run([sys.executable, "-c", script], **kwargs))
    assert calibrate.choose_format("model/default") == ("bf16", None)
    assert f"timing it against fp32 failed: {reason}" in caplog.text


def test_backend_auto_runs_onnx_when_the_timing_picks_fp32(tiny_model_dir, monkeypatch):
    pytest.importorskip("onnxruntime")
    monkeypatch.setattr(precision_module, "native_bf16", lambda: True)
    monkeypatch.setattr(calibrate, "run_child", answer("fp32"))
    scorer = Scorer.load(tiny_model_dir, device="cpu", quantize="off", backend="auto")
    assert (scorer.precision, scorer.backend) == ("fp32", "onnx")


def counting(choice: str, calls: list[str]):
    def child(source):
        calls.append(source)
        return {"choice": choice, "timing": TIMING}
    return child


def test_a_restart_on_the_same_cpu_reads_the_kept_answer(tiny_model_dir, monkeypatch, caplog):
    caplog.set_level("INFO", logger="model.calibrate")
    calls: list[str] = []
    monkeypatch.setattr(calibrate, "run_child", counting("fp32", calls))
    assert calibrate.choose_format(tiny_model_dir) == ("fp32", TIMING)
    assert calibrate.choose_format(tiny_model_dir) == ("fp32", TIMING)
    assert len(calls) == 1
    assert "timed now): fp32" in caplog.text and "timed before on this CPU): fp32" in caplog.text
    kept = calibrate.cache_file(tiny_model_dir)
    assert kept is not None and kept.is_file() and str(kept).startswith(str(calibrate.user_cache_dir()))


def test_another_cpu_or_onednn_setting_or_checkpoint_times_again(tiny_model_dir, tmp_path, monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(calibrate, "run_child", counting("bf16", calls))
    calibrate.choose_format(tiny_model_dir)
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX512_CORE_BF16")
    calibrate.choose_format(tiny_model_dir)
    monkeypatch.setattr(calibrate, "cpu_identity", lambda: "model name : Other CPU")
    calibrate.choose_format(tiny_model_dir)
    changed = shutil.copytree(tiny_model_dir, tmp_path / "changed", ignore=shutil.ignore_patterns("onnx"))
    (changed / "config.json").write_text((changed / "config.json").read_text() + " ", encoding="utf-8")
    calibrate.choose_format(changed)
    calibrate.choose_format(changed)
    assert len(calls) == 4


@pytest.mark.parametrize("content", ["{not json", '{"choice": "fp8", "timing": {}}', '{"choice": "bf16"}', "[]"])
def test_an_unreadable_kept_answer_is_timed_again_never_trusted(tiny_model_dir, monkeypatch, caplog, content):
    calls: list[str] = []
    monkeypatch.setattr(calibrate, "run_child", counting("fp32", calls))
    kept = calibrate.cache_file(tiny_model_dir)
    assert kept is not None
    kept.parent.mkdir(parents=True)
    kept.write_text(content, encoding="utf-8")
    assert calibrate.choose_format(tiny_model_dir) == ("fp32", TIMING) and len(calls) == 1
    assert "unreadable" in caplog.text and "timing again" in caplog.text
    assert json.loads(kept.read_text(encoding="utf-8"))["choice"] == "fp32"  # rewritten


def test_a_cache_that_cannot_be_written_only_costs_a_re_timing(tiny_model_dir, tmp_path, monkeypatch, caplog):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would go", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    calls: list[str] = []
    monkeypatch.setattr(calibrate, "run_child", counting("bf16", calls))
    assert calibrate.choose_format(tiny_model_dir)[0] == "bf16"
    assert calibrate.choose_format(tiny_model_dir)[0] == "bf16"
    assert len(calls) == 2 and "cannot keep the timing" in caplog.text


def test_bots_starting_at_once_each_keep_a_whole_answer(tmp_path, caplog):
    from concurrent.futures import ThreadPoolExecutor

    kept = tmp_path / "precision" / "answer.json"
    timing = {**TIMING, "padding": "x" * 200_000}  # long enough for writes to overlap
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: calibrate.keep_answer(kept, ("bf16", "fp32")[k % 2], timing), range(32)))
    assert "cannot keep" not in caplog.text
    assert calibrate.cached_answer(kept) is not None  # whole JSON, whoever wrote last
    assert [p.name for p in kept.parent.iterdir()] == ["answer.json"]  # no partial file left
