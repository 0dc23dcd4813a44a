"""ONNX Runtime as the scoring backend (`model.backend: onnx`, or `auto` where fp32 runs on CPU).

The checkpoint is exported once (torch.onnx, dynamic batch and length) and the export is cached
beside the checkpoint, in `<checkpoint>/onnx/` (or under `~/.cache/twitch-mood/onnx/` when that
directory is read-only). `manifest.json` records the sha256 of the checkpoint files the export
came from and of the export itself. At load, a cache whose checkpoint hash differs (stale) or
whose file hash differs (corrupt, half-written) is never used: it is exported again, with a log
line saying why.

Unless `model.quantize` is `off`, ONNX Runtime runs an int8 copy of the export: the weights of
every matrix product in 8 bits (MatMulNBits, one scale per 128 weights), kept in the same cache
as `model.int8.onnx` with its own sha256 in the manifest and checked the same way. It is about
1.5x the fp32 export's speed, with the fp32 label on 99.5% of dev and test messages
(model/README.md).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch

from model.errors import ModelLoadError
from model.paths import user_cache_dir

log = logging.getLogger(__name__)

EXPORT_FORMAT = 1  # bump when the export itself changes
MODEL_FILE, INT8_FILE, MANIFEST_FILE = "model.onnx", "model.int8.onnx", "manifest.json"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checkpoint_key(directory: Path) -> str:
    """sha256 over every file of the checkpoint (weights in any format, config, head, tokenizer),
    the export format and torch; the cache folder itself is left out."""
    digest = hashlib.sha256(f"format {EXPORT_FORMAT} torch {torch.__version__}".encode())
    for path in sorted(p for p in directory.iterdir() if p.is_file()):
        digest.update(f"{path.name} {file_sha256(path)}".encode())
    return digest.hexdigest()


def cache_location(directory: Path) -> Path:
    """`<checkpoint>/onnx`, or a per-checkpoint folder of the user's cache where that is read-only."""
    if os.access(directory, os.W_OK):
        return directory / "onnx"
    name = hashlib.sha256(str(directory.resolve()).encode()).hexdigest()[:16]
    return user_cache_dir() / "onnx" / name


def cache_problem(location: Path, key: str) -> str | None:
    """Why the cache in `location` must not be used (None: it is good)."""
    manifest_path, model_path = location / MANIFEST_FILE, location / MODEL_FILE
    if not manifest_path.is_file() or not model_path.is_file():
        return "no export yet"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        recorded_key, recorded_file = manifest["checkpoint_sha256"], manifest["onnx_sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return "its manifest is unreadable"
    if recorded_key != key:
        return "stale: the checkpoint changed since it was exported"
    if file_sha256(model_path) != recorded_file:
        return "corrupt: model.onnx does not match the hash in its manifest"
    return None


class _Probabilities(torch.nn.Module):
    """What the graph computes: class probabilities from ids, mask (and lexicon features)."""

    def __init__(self, model: Any) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                lexicon_features: torch.Tensor | None = None) -> torch.Tensor:
        extra = {} if lexicon_features is None else {"lexicon_features": lexicon_features}
        logits = self.model(input_ids=input_ids, attention_mask=attention_mask, **extra).logits
        return torch.softmax(logits.float(), dim=-1)


def export(model: Any, target: Path, *, features: int | None) -> None:
    """Export an fp32 torch classifier to `target` (written whole, then renamed into place)."""
    rows, width = torch.export.Dim("rows", min=1, max=4096), torch.export.Dim("width", min=2, max=512)
    ids = torch.ones((2, 8), dtype=torch.long)
    inputs: tuple[torch.Tensor, ...] = (ids, torch.ones_like(ids))
    shapes: dict[str, Any] = {"input_ids": {0: rows, 1: width}, "attention_mask": {0: rows, 1: width}}
    names = ["input_ids", "attention_mask"]
    if features is not None:
        inputs += (torch.zeros((2, features)),)
        shapes["lexicon_features"] = {0: rows}
        names.append("lexicon_features")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        partial = Path(scratch) / MODEL_FILE
        with warnings.catch_warnings(), torch.inference_mode(False):
            warnings.simplefilter("ignore")
            program = torch.onnx.export(_Probabilities(model.eval()), inputs, input_names=names,
                                        output_names=["probs"], dynamic_shapes=shapes, dynamo=True,
                                        optimize=True, verbose=False)
            assert program is not None
            program.save(str(partial))
        os.replace(partial, target)


class OnnxModel:
    """An ONNX Runtime session that maps padded int64 ids and mask (and features) to probabilities."""

    def __init__(self, path: Path, *, threads: int, features: bool) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.features = features

    def __call__(self, input_ids: np.ndarray, mask: np.ndarray, features: np.ndarray | None) -> np.ndarray:
        feeds = {"input_ids": input_ids, "attention_mask": mask}
        if self.features:
            assert features is not None
            feeds["lexicon_features"] = features
        return np.asarray(self.session.run(None, feeds)[0])


INT8_KINDS = ("dynamic", "weights")


def quantize_int8(export_path: Path, target: Path, kind: str) -> None:
    """An int8 copy of an fp32 export, by ONNX Runtime's quantisers (both measured in `bench
    --compare`, model/README.md):
    - `weights` (what the scorer runs): the weights of every matrix product in 8 bits, 128 to a
      scale (MatMulNBits);
    - `dynamic`: weights and activations in int8, per-channel weight scales (the fastest, but it
      changes too many labels)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.matmul_nbits_quantizer import (
        DefaultWeightOnlyQuantConfig,
        MatMulNBitsQuantizer,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    if kind not in INT8_KINDS:
        raise ValueError(f"int8 kind must be one of {INT8_KINDS}, not {kind!r}")
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        prepared = Path(scratch) / "prepared.onnx"  # shapes inferred, graph folded: what it expects
        quant_pre_process(str(export_path), str(prepared), skip_symbolic_shape=True)
        if kind == "dynamic":
            quantize_dynamic(str(prepared), str(target), per_channel=True, weight_type=QuantType.QInt8)
            return
        # accuracy_level 4: the products run in int8 kernels, the activations quantised per block
        config = DefaultWeightOnlyQuantConfig(block_size=128, is_symmetric=True, accuracy_level=4, bits=8)
        quantizer = MatMulNBitsQuantizer(onnx.load(str(prepared)), bits=8, block_size=128, is_symmetric=True,
                                         accuracy_level=4, algo_config=config)
        quantizer.process()
        cast(Any, quantizer.model).save_model_to_file(str(target), use_external_data_format=False)


def int8_problem(location: Path) -> str | None:
    """Why the int8 copy in a good cache must not be used (None: it is good)."""
    path = location / INT8_FILE
    if not path.is_file():
        return "no int8 copy yet"
    try:
        recorded = json.loads((location / MANIFEST_FILE).read_text(encoding="utf-8")).get("int8_sha256")
    except (OSError, ValueError, AttributeError):
        return "its manifest is unreadable"
    if recorded is None:
        return "stale: made from an earlier export"
    if recorded != file_sha256(path):
        return f"corrupt: {INT8_FILE} does not match the hash in its manifest"
    return None


def ensure_int8(location: Path) -> Path:
    """The int8 copy of the good export in `location`, made (and its hash recorded) where needed."""
    problem = int8_problem(location)
    target = location / INT8_FILE
    if problem is None:
        return target
    level = logging.INFO if problem == "no int8 copy yet" else logging.WARNING
    log.log(level, "ONNX int8 copy %s: %s; quantising the export (once)", target, problem)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(dir=location) as scratch:
        partial = Path(scratch) / INT8_FILE
        try:
            quantize_int8(location / MODEL_FILE, partial, "weights")
        except Exception as exc:
            reason = " ".join(str(exc).split())[:300]
            raise ModelLoadError(f"quantising the ONNX export in {location} failed: {reason}") from None
        os.replace(partial, target)
    manifest_path = location / MANIFEST_FILE
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["int8_sha256"] = file_sha256(target)
    write_manifest(manifest_path, manifest)
    log.info("ONNX int8 copy written in %.1f s", time.monotonic() - started)
    return target


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    os.replace(partial, path)


def load_onnx(model: Any, directory: Path, *, threads: int, features: int | None,
              int8: bool = False) -> OnnxModel:
    """The cached export of the checkpoint in `directory` (exported first where needed), or its
    int8 copy; `threads`: ONNX Runtime's threads for one pass."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        raise ModelLoadError("model.backend is 'onnx' but onnxruntime is not installed "
                             "(pip install onnxruntime)") from None
    location = cache_location(directory)
    key = checkpoint_key(directory)
    problem = cache_problem(location, key)
    if problem is not None:
        level = logging.INFO if problem == "no export yet" else logging.WARNING
        log.log(level, "ONNX export cache %s: %s; exporting the checkpoint (once)", location, problem)
        started = time.monotonic()
        try:
            export(model, location / MODEL_FILE, features=features)
        except Exception as exc:
            reason = " ".join(str(exc).split())[:300]
            raise ModelLoadError(f"exporting {directory} to ONNX failed: {reason}") from None
        manifest = {"checkpoint_sha256": key, "onnx_sha256": file_sha256(location / MODEL_FILE),
                    "format": EXPORT_FORMAT, "torch": torch.__version__}
        write_manifest(location / MANIFEST_FILE, manifest)  # a new export: any int8 copy is stale
        log.info("ONNX export written in %.1f s", time.monotonic() - started)
    graph = ensure_int8(location) if int8 else location / MODEL_FILE
    return OnnxModel(graph, threads=threads, features=features is not None)
