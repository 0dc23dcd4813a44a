"""The ONNX Runtime backend and its export cache, and the fixed shape buckets."""

from __future__ import annotations

import json
import logging
import random
import shutil
import statistics
from pathlib import Path
from types import SimpleNamespace

import pytest

from model.buckets import ROW_BUCKETS, width_buckets
from model.encoding import Encoded
from model.errors import ModelLoadError
from model.onnx_backend import INT8_FILE, MANIFEST_FILE, MODEL_FILE
from model.scorer import Scorer
from tests.helpers import ODD_TEXTS


@pytest.fixture(scope="module")
def exported(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the tiny model with its ONNX export cached beside it."""
    directory = tmp_path_factory.mktemp("onnx") / "tiny"
    shutil.copytree(tiny_model_dir, directory)
    Scorer.load(directory, device="cpu", quantize="off", precision="fp32", backend="onnx")
    return directory


def test_onnx_scores_within_1e4_of_torch(exported, corpus_lines):
    texts = corpus_lines[:150] + ODD_TEXTS
    onnx = Scorer.load(exported, device="cpu", quantize="off", precision="fp32", backend="onnx")
    torch_scorer = Scorer.load(exported, device="cpu", quantize="off", precision="fp32", backend="torch")
    assert (onnx.backend, torch_scorer.backend) == ("onnx", "torch") and onnx.model is None
    for a, b in zip(onnx.predict(texts), torch_scorer.predict(texts), strict=True):
        assert a.label == b.label
        assert abs(a.negative - b.negative) < 1e-4 and abs(a.positive - b.positive) < 1e-4
    assert len({round(s.value, 3) for s in onnx.predict(texts)}) > len(texts) // 2  # not all alike


@pytest.mark.parametrize("damage", ["corrupt", "stale", "manifest"])
def test_a_damaged_export_cache_is_detected_rebuilt_and_never_used(exported, tmp_path, caplog, damage):
    directory = tmp_path / "model"
    shutil.copytree(exported, directory)
    cache = directory / "onnx"
    good = (cache / MODEL_FILE).read_bytes()
    if damage == "corrupt":  # a truncated export: its hash no longer matches the manifest
        (cache / MODEL_FILE).write_bytes(good[: len(good) // 2])
    elif damage == "stale":  # the checkpoint changed after the export
        config = json.loads((directory / "config.json").read_text())
        config["twitch_mood_note"] = "retrained"
        (directory / "config.json").write_text(json.dumps(config))
    else:
        (cache / MANIFEST_FILE).write_text("{not json")
    with caplog.at_level(logging.INFO, logger="model.onnx_backend"):
        scorer = Scorer.load(directory, device="cpu", quantize="off", precision="fp32", backend="onnx")
    reason = {"corrupt": "corrupt: model.onnx does not match", "stale": "stale: the checkpoint changed",
              "manifest": "manifest is unreadable"}[damage]
    assert any(reason in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records), caplog.text
    if damage == "corrupt":  # the truncated file was replaced, not used
        assert (cache / MODEL_FILE).read_bytes() != good[: len(good) // 2]
    manifest = json.loads((cache / MANIFEST_FILE).read_text())
    from model.onnx_backend import cache_problem, checkpoint_key

    assert cache_problem(cache, checkpoint_key(directory)) is None and manifest["onnx_sha256"]
    assert len(scorer.predict(["PogChamp", "that was awful"])) == 2


class ShapeRecorder:
    """Stands in for the network: records each input shape, answers neutral."""

    def __init__(self) -> None:
        self.shapes: set[tuple[int, int]] = set()

    def __call__(self, input_ids, attention_mask, **_):
        import torch

        self.shapes.add(tuple(input_ids.shape))
        assert attention_mask.shape == input_ids.shape
        return SimpleNamespace(logits=torch.zeros((input_ids.shape[0], 3)))


def test_shape_buckets_bound_the_shapes_that_reach_the_model(tiny_model_dir):
    """1,000 batches of random size (1-150) and message length (1-64 tokens) go through
    Scorer.predict; the shapes reaching the model stay within the buckets."""
    scorer = Scorer.load(tiny_model_dir, device="cpu", quantize="off", precision="fp32")
    assert scorer.bucketed  # on CPU every path pads to a bucket
    assert Scorer.load(tiny_model_dir, device="cpu", quantize="off", precision="bf16").bucketed
    recorder = ShapeRecorder()
    scorer.model, scorer.bucketed = recorder, True
    rng = random.Random(0)
    sizes = []
    for _ in range(1000):
        ids = [[5] * rng.randint(1, scorer.max_length) for _ in range(rng.randint(1, 150))]
        scorer.encoder.encode = lambda texts, lexicons=None, ids=ids: Encoded(ids, None)
        assert len(scorer.predict(["x"] * len(ids))) == len(ids)
        sizes.append(len(ids))
    widths = width_buckets(scorer.max_length)
    assert {rows for rows, _ in recorder.shapes} <= set(ROW_BUCKETS)
    assert {width for _, width in recorder.shapes} <= set(widths)
    assert len(recorder.shapes) <= len(ROW_BUCKETS) * len(widths)
    assert len(set(sizes)) > 120  # the batches really had many different sizes

    unbucketed = ShapeRecorder()  # batches alike without buckets: one shape per new size
    scorer.model, scorer.bucketed = unbucketed, False
    for _ in range(1000):
        ids = [[5] * rng.randint(1, scorer.max_length) for _ in range(rng.randint(1, 150))]
        scorer.encoder.encode = lambda texts, lexicons=None, ids=ids: Encoded(ids, None)
        scorer.predict(["x"] * len(ids))
    assert len(unbucketed.shapes) > 3 * len(recorder.shapes)


def int8_ops(path: Path) -> set[str]:
    import onnx

    return {node.op_type for node in onnx.load(str(path)).graph.node}


def median_gap(scorer: Scorer, reference: Scorer, texts: list[str]) -> float:
    gaps = [abs(a.value - b.value) for a, b in zip(scorer.predict(texts), reference.predict(texts), strict=True)]
    assert max(gaps) > 0  # int8 does move the scores
    return statistics.median(gaps)


def test_onnx_runs_8_bit_weights_unless_quantize_is_off(exported, corpus_lines):
    fp32 = Scorer.load(exported, device="cpu", quantize="off", precision="fp32", backend="onnx")
    int8 = Scorer.load(exported, device="cpu", precision="fp32", backend="onnx")  # quantize: auto
    assert (fp32.precision, fp32.quantized) == ("fp32", False) and (int8.precision, int8.quantized) == ("int8", True)
    assert "MatMulNBits" in int8_ops(exported / "onnx" / INT8_FILE)
    assert "MatMulNBits" not in int8_ops(exported / "onnx" / MODEL_FILE)
    assert median_gap(int8, fp32, corpus_lines[:100] + ODD_TEXTS) < 0.05


def test_backend_auto_runs_the_int8_copy_side_by_side_where_fp32_runs_on_cpu(exported):
    scorer = Scorer.load(exported, device="cpu", precision="fp32", backend="auto", workers=2, threads=2)
    assert (scorer.backend, scorer.precision, scorer.pool.workers, scorer.concurrency) == ("onnx", "int8", 2, 2)
    assert scorer.onnx.session.get_session_options().intra_op_num_threads == 1  # one core per pass
    assert Scorer.load(exported, device="cpu", precision="bf16", backend="auto").backend == "torch"
    # quantize: on is int8 whatever the precision: ONNX Runtime's under auto, torch's under torch
    assert (Scorer.load(exported, device="cpu", quantize="on", precision="bf16", backend="auto").backend,
            Scorer.load(exported, device="cpu", quantize="on", backend="torch").precision) == ("onnx", "int8")


@pytest.mark.parametrize("damage", ["corrupt", "stale"])
def test_a_damaged_int8_copy_is_detected_rebuilt_and_never_used(exported, tmp_path, caplog, damage):
    directory = tmp_path / "model"
    shutil.copytree(exported, directory)
    Scorer.load(directory, device="cpu", precision="fp32", backend="onnx")
    cache = directory / "onnx"
    good = (cache / INT8_FILE).read_bytes()
    if damage == "corrupt":
        (cache / INT8_FILE).write_bytes(good[: len(good) // 2])
    else:  # the checkpoint changed: a new export, so the int8 copy of the old one is stale
        config = json.loads((directory / "config.json").read_text())
        config["twitch_mood_note"] = "retrained"
        (directory / "config.json").write_text(json.dumps(config))
    with caplog.at_level(logging.INFO, logger="model.onnx_int8"):
        scorer = Scorer.load(directory, device="cpu", precision="fp32", backend="onnx")
    reason = {"corrupt": "corrupt: model.int8.onnx does not match", "stale": "stale: not made from this export"}
    assert any(reason[damage] in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records), caplog.text
    from model.onnx_int8 import int8_problem

    assert int8_problem(cache) is None and (cache / INT8_FILE).read_bytes() != good[: len(good) // 2]
    assert len(scorer.predict(["PogChamp", "that was awful"])) == 2
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="model.onnx_int8"):
        Scorer.load(directory, device="cpu", precision="fp32", backend="onnx")
    assert "quantising" not in caplog.text  # a good copy is reused


def test_compare_runs_dynamic_int8_near_fp32(exported, corpus_lines, tmp_path):
    from model.compare import CANDIDATES, load

    path = next(p for p in CANDIDATES if p.int8 == "dynamic" and p.workers == 1)
    fp32 = Scorer.load(exported, device="cpu", quantize="off", precision="fp32", backend="onnx")
    dynamic = load(str(exported), path, threads=1, scratch=tmp_path)
    assert int8_ops(tmp_path / f"int8-dynamic-{MODEL_FILE}") & {"DynamicQuantizeLinear", "MatMulInteger"}
    assert median_gap(dynamic, fp32, corpus_lines[:100]) < 0.05


async def test_compare_measures_every_path_on_the_same_labels(exported, corpus_lines):
    from model.compare import BASELINE, CANDIDATES, compare

    texts = corpus_lines[:120]
    splits = {"dev": (texts[:40], [i % 3 for i in range(40)]), "test": (texts[40:80], [i % 3 for i in range(40)])}
    result = await compare(str(exported), texts[:60], splits, max_batch=16, max_wait_ms=1.0, seconds=0.3,
                           rounds=1, threads=1)
    assert list(result["paths"]) == [BASELINE.name, *(p.name for p in CANDIDATES)]
    base = result["paths"][BASELINE.name]
    assert base["speedup"] == 1.0 and base["dev_same_labels"] == 1.0 and base["test_f1_delta"] == 0.0
    for name, entry in result["paths"].items():
        assert entry["batched_msgs_per_s"] > 0 and entry["latency_at_200"]["completed"] > 0, name
        assert 0.0 <= entry["dev_same_labels"] <= 1.0 and isinstance(entry["meets_targets"], bool)
    assert result["paths"]["fp32 onnx, buckets"]["dev_same_labels"] == 1.0  # within 1e-4 of torch


def test_backend_auto_leaves_hub_names_bf16_and_cuda_to_torch():
    import torch

    from model.scorer import choose_backend

    cpu = torch.device("cpu")
    assert choose_backend("auto", cpu, "fp32", "someorg/tinymood") == "torch"  # no directory to export
    assert choose_backend("auto", cpu, "bf16", ".") == "torch"
    assert choose_backend("auto", torch.device("cuda"), "fp16", ".") == "torch"
    assert choose_backend("auto", cpu, "int8", ".") == "onnx"
    with pytest.raises(ModelLoadError, match="needs a checkpoint directory"):
        choose_backend("onnx", cpu, "fp32", "someorg/tinymood")


@pytest.mark.parametrize("fault", ["export", "unwritable"])
def test_an_onnx_fault_is_one_line_and_backend_auto_falls_back_to_torch(exported, tmp_path, monkeypatch,
                                                                         caplog, fault):
    import model.onnx_backend as onnx_backend

    directory = tmp_path / "model"
    shutil.copytree(exported, directory, ignore=shutil.ignore_patterns("onnx"))
    if fault == "export":
        def broken(*args, **kwargs):
            raise RuntimeError("dynamo could not trace\nthis model")
        monkeypatch.setattr(onnx_backend, "export", broken)
    else:
        (directory / "onnx").write_text("a file where the cache folder would go")
    with pytest.raises(ModelLoadError) as error:
        Scorer.load(directory, device="cpu", precision="fp32", backend="onnx")
    assert "\n" not in str(error.value) and str(directory) in str(error.value)
    scorer = Scorer.load(directory, device="cpu", precision="fp32", backend="auto")
    assert (scorer.backend, scorer.precision) == ("torch", "fp32") and scorer.model is not None
    assert "scoring in torch instead" in caplog.text
    assert len(scorer.predict(["PogChamp"])) == 1


def test_an_int8_copy_of_another_export_is_stale_even_with_its_own_hash_recorded(exported, tmp_path):
    from model.onnx_int8 import int8_problem
    from model.paths import file_sha256

    directory = tmp_path / "model"
    shutil.copytree(exported, directory)
    Scorer.load(directory, device="cpu", precision="fp32", backend="onnx")  # export and int8 copy
    cache = directory / "onnx"
    manifest = json.loads((cache / MANIFEST_FILE).read_text())
    assert manifest["int8_from"] == manifest["onnx_sha256"] and int8_problem(cache) is None
    # a second bot re-exported a changed checkpoint while the first still wrote its copy's hash
    manifest["onnx_sha256"] = "0" * 64
    (cache / MANIFEST_FILE).write_text(json.dumps(manifest))
    assert manifest["int8_sha256"] == file_sha256(cache / INT8_FILE)
    assert int8_problem(cache) == "stale: not made from this export"


def test_a_first_start_logs_our_lines_not_the_converters(exported, tmp_path, caplog):
    directory = tmp_path / "model"
    shutil.copytree(exported, directory, ignore=shutil.ignore_patterns("onnx"))
    with caplog.at_level(logging.INFO):
        Scorer.load(directory, device="cpu", precision="fp32", backend="onnx")
    ours = [r for r in caplog.records if r.name.startswith("model.")]
    theirs = [r for r in caplog.records if not r.name.startswith("model.") and r.levelno < logging.WARNING]
    assert len(ours) >= 2 and theirs == []  # export and int8 copy written; no converter chatter


def test_onnx_runtime_keeps_no_device_id_and_queues_no_usage_event(exported, tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}
    env.update(XDG_CACHE_HOME=str(tmp_path / "cache"), HOME=str(tmp_path))
    script = ("import sys; from pathlib import Path; from model.onnx_backend import MODEL_FILE, OnnxModel; "
              "OnnxModel(Path(sys.argv[1]) / 'onnx' / MODEL_FILE, threads=1, features=False)")
    done = subprocess.run([sys.executable, "-c", script, str(exported)], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []  # ORT 1.32 wrote deviceid + onnxruntime.db
