import json
import shutil
from pathlib import Path

import pytest
import torch

from model import buckets
from model import checkpoint as scorer_module
from model import precision as precision_module
from model.buckets import SUB_BATCH_TOKENS
from model.buckets import sub_batches as _sub_batches
from model.errors import ModelLoadError
from model.precision import resolve_precision, use_quantization
from model.scorer import Scorer
from mood.labels import LABELS, Score
from tests.helpers import ODD_TEXTS


def test_batched_scores_equal_one_at_a_time(tiny_scorer, corpus_lines):
    texts = corpus_lines[:80] + ODD_TEXTS
    batched = tiny_scorer.predict(texts)
    single = [tiny_scorer.predict([t])[0] for t in texts]
    for b, s in zip(batched, single, strict=True):
        assert b.label == s.label
        assert abs(b.value - s.value) < 1e-4
        assert abs(b.positive - s.positive) < 1e-4
    # The check can fail: the tiny model gives different texts different scores.
    assert len({round(s.value, 3) for s in batched}) > len(texts) // 2


def test_score_value_is_positive_minus_negative(tiny_scorer):
    for score in tiny_scorer.predict(["that was insane", "L streamer", "what time is it"]):
        assert score.label in LABELS
        assert abs(score.negative + score.neutral + score.positive - 1) < 1e-5
        assert score.value == pytest.approx(score.positive - score.negative)
        assert -1 <= score.value <= 1
        probs = [score.negative, score.neutral, score.positive]
        assert score.label == LABELS[probs.index(max(probs))]


def test_results_keep_input_order_across_sub_batches(tiny_scorer, monkeypatch, corpus_lines):
    texts = corpus_lines[:50]
    expected = tiny_scorer.predict(texts)
    monkeypatch.setattr(buckets, "SUB_BATCH_ROWS", 3)
    values = [s.value for s in tiny_scorer.predict(texts)]
    assert values == pytest.approx([s.value for s in expected], abs=1e-4)


def test_sub_batches_group_similar_lengths():
    lengths = [5, 50, 6, 7, 48, 49, 5]
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    chunks = list(_sub_batches(order, lengths))
    assert sorted(i for c in chunks for i in c) == list(range(len(lengths)))
    for chunk in chunks:
        assert max(lengths[i] for i in chunk) * len(chunk) <= SUB_BATCH_TOKENS


def test_odd_chat_text_is_scored(tiny_scorer):
    scores = tiny_scorer.predict(ODD_TEXTS)
    assert len(scores) == len(ODD_TEXTS)
    assert all(isinstance(s, Score) and -1 <= s.value <= 1 for s in scores)


def test_empty_input_gives_empty_output(tiny_scorer):
    assert tiny_scorer.predict([]) == []


def test_quantized_model_scores_close_to_float(tiny_model_dir, corpus_lines):
    quantized = Scorer.load(tiny_model_dir, device="cpu", quantize="on")
    plain = Scorer.load(tiny_model_dir, device="cpu", quantize="off")
    assert quantized.quantized and not plain.quantized
    layers = {name for name, module in quantized.model.named_modules() if "quantized" in type(module).__module__}
    assert layers and all("attention" not in name for name in layers)
    q, p = quantized.predict(corpus_lines[:40]), plain.predict(corpus_lines[:40])
    assert sum(a.label == b.label for a, b in zip(q, p, strict=True)) >= 30


def test_precision_auto_is_fp16_on_cuda_and_bf16_on_cpus_that_compute_it(monkeypatch):
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert resolve_precision("auto", cuda, quantized=False) == "fp16"
    assert resolve_precision("fp32", cuda, quantized=False) == "fp32"
    monkeypatch.setattr(precision_module, "native_bf16", lambda: True)
    assert resolve_precision("auto", cpu, quantized=False) == "bf16"  # live chat and analyze alike
    assert resolve_precision("auto", cpu, quantized=False, torch_backend=False) == "fp32"  # ONNX Runtime
    assert resolve_precision("auto", cpu, quantized=True) == "int8"  # an int8 model stays int8
    monkeypatch.setattr(precision_module, "native_bf16", lambda: False)
    assert resolve_precision("auto", cpu, quantized=False) == "fp32"  # emulated bf16 is slower
    assert resolve_precision("bf16", cpu, quantized=False) == "bf16"  # asked for explicitly


def test_bf16_scores_close_to_fp32(tiny_model_dir, corpus_lines):
    half = Scorer.load(tiny_model_dir, device="cpu", quantize="off", precision="bf16")
    full = Scorer.load(tiny_model_dir, device="cpu", quantize="off", precision="fp32")
    assert (half.precision, full.precision) == ("bf16", "fp32")
    assert next(half.model.parameters()).dtype == torch.bfloat16  # converted once, not autocast per call
    h, f = half.predict(corpus_lines[:40]), full.predict(corpus_lines[:40])
    # A random tiny model amplifies rounding (on the shipped model the largest difference is 0.025).
    assert sum(abs(a.value - b.value) for a, b in zip(h, f, strict=True)) / len(h) < 0.03
    assert sum(a.label == b.label for a, b in zip(h, f, strict=True)) >= 36


@pytest.mark.parametrize(
    ("remove", "message"),
    [
        (["config.json"], "missing config.json"),
        (["model.safetensors"], "missing its weights"),
        (["tokenizer.json", "vocab.json"], "missing its tokenizer"),
    ],
)
def test_broken_model_directory_names_the_missing_file(tiny_model_dir, tmp_path, remove, message):
    broken = tmp_path / "broken"
    shutil.copytree(tiny_model_dir, broken)
    for name in remove:
        (broken / name).unlink()
    with pytest.raises(ModelLoadError, match=message) as info:
        Scorer.load(broken)
    assert str(broken) in str(info.value)


def test_a_max_length_other_than_the_models_training_is_named_in_one_warning(tiny_model_dir, tmp_path, caplog):
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    with caplog.at_level("WARNING", logger="model.scorer"):
        Scorer.load(model, max_length=64)  # no training_report.json: nothing to compare with
        assert not caplog.records
        (model / "training_report.json").write_text(json.dumps({"hyperparameters": {"max_length": 64}}))
        Scorer.load(model, max_length=64)
        assert not caplog.records
        Scorer.load(model, max_length=32)
    assert [r.getMessage() for r in caplog.records] == [
        f"model {model} was fine-tuned on messages of up to 64 tokens and is scored at 32 (model.max_length): "
        "longer messages are cut"]
    (model / "training_report.json").write_text("{not json")
    assert Scorer.load(model, max_length=32).max_length == 32  # an unreadable report is no reason to refuse


def test_missing_model_directory_is_named(tmp_path):
    with pytest.raises(ModelLoadError, match="does not exist") as info:
        Scorer.load(tmp_path / "nope")
    assert "nope" in str(info.value)


def test_mistyped_model_name_fails_without_looking_for_a_hub(no_model_hub):
    with pytest.raises(ModelLoadError) as info:
        Scorer.load("nosuchdir")
    message = str(info.value)
    assert "'nosuchdir'" in message and "\n" not in message
    assert "TWITCH_MOOD_ALLOW_HUB=1" in message


def test_hub_names_come_from_the_local_cache_unless_the_hub_is_allowed(monkeypatch):
    monkeypatch.setattr(scorer_module, "in_hub_cache", lambda name: True)
    monkeypatch.delenv("TWITCH_MOOD_ALLOW_HUB", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    assert scorer_module.resolve_source("org/name") == ("org/name", True)
    monkeypatch.setenv("TWITCH_MOOD_ALLOW_HUB", "1")
    assert scorer_module.resolve_source("org/name") == ("org/name", False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # the Hugging Face switch still wins
    assert scorer_module.resolve_source("org/name") == ("org/name", True)


def test_corrupt_weights_name_the_directory(tiny_model_dir, tmp_path):
    broken = tmp_path / "corrupt"
    shutil.copytree(tiny_model_dir, broken)
    (broken / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(ModelLoadError, match="cannot load") as info:
        Scorer.load(broken)
    assert str(broken) in str(info.value)


def test_two_class_model_is_refused(tiny_model_dir, tmp_path):
    other = tmp_path / "two-class"
    shutil.copytree(tiny_model_dir, other)
    config = json.loads((other / "config.json").read_text())
    config["id2label"] = {"0": "bad", "1": "good"}
    config["label2id"] = {"bad": 0, "good": 1}
    (other / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError, match="3-class"):
        Scorer.load(other)


def test_missing_default_model_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setattr(scorer_module, "DEFAULT_MODEL_DIR", tmp_path / "default")
    with pytest.raises(ModelLoadError, match="shipped default model"):
        Scorer.load("default")


def test_cuda_request_without_cuda_is_a_clear_error(tiny_model_dir, monkeypatch):
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    with pytest.raises(ModelLoadError, match="no CUDA device"):
        Scorer.load(tiny_model_dir, device="cuda")


def test_auto_device_is_cpu_without_cuda(tiny_model_dir, monkeypatch):
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    assert Scorer.load(Path(tiny_model_dir), device="auto").device.type == "cpu"


def test_quantization_is_int8_on_cpu_only_when_asked():
    assert use_quantization("on", torch.device("cpu"))
    assert not use_quantization("auto", torch.device("cpu"))  # int8 cost 0.05 test macro-F1
    assert not use_quantization("auto", torch.device("cuda"))
    assert not use_quantization("on", torch.device("cuda"))
    assert not use_quantization("off", torch.device("cpu"))
