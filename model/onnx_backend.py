"""ONNX Runtime as the scoring backend (`model.backend: onnx`, or `auto` where fp32 runs on CPU).

The checkpoint is exported once (torch.onnx, dynamic batch and length) and the export is cached
beside the checkpoint, in `<checkpoint>/onnx/` (or under `~/.cache/twitch-mood/onnx/` when that
directory is read-only). `manifest.json` records the sha256 of the checkpoint files the export
came from and of the export itself. At load, a cache whose checkpoint hash differs (stale) or
whose file hash differs (corrupt, half-written) is never used: it is exported again, with a log
line saying why.

Unless `model.quantize` is `off`, ONNX Runtime runs an int8 copy of the export, kept in the
same cache (model/onnx_int8.py). One process at a time writes a cache (`cache_lock`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch

from model.errors import ModelLoadError
from model.paths import file_sha256, user_cache_dir, write_whole

log = logging.getLogger(__name__)

# ONNX Runtime (1.29 on) sends usage telemetry from Linux and macOS too, and writes a device id
# under the user's cache, unless this is set before it starts; the bot reports nothing to anyone.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

EXPORT_FORMAT = 1  # bump when the export itself changes
MODEL_FILE, INT8_FILE, MANIFEST_FILE = "model.onnx", "model.int8.onnx", "manifest.json"


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
        ort.disable_telemetry_events()  # also where a user turned ORT_DISABLE_TELEMETRY off
        # Passes side by side (model.workers) share this one session and its thread pool; each
        # runs with `threads` threads.
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.features = features

    def __call__(self, input_ids: np.ndarray, mask: np.ndarray, features: np.ndarray | None) -> np.ndarray:
        feeds = {"input_ids": input_ids, "attention_mask": mask}
        if self.features:
            assert features is not None
            feeds["lexicon_features"] = features
        return np.asarray(self.session.run(None, feeds)[0])


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    write_whole(path, json.dumps(manifest, indent=1))


@contextmanager
def cache_lock(location: Path) -> Iterator[None]:
    """One process at a time exports, quantises and writes the manifest of one cache, so two bots
    starting at once never mix their files (POSIX; elsewhere the hashes still catch a mix)."""
    location.mkdir(parents=True, exist_ok=True)
    with open(location / ".lock", "a+b") as handle:
        try:
            import fcntl
        except ImportError:
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def quiet_converters() -> Iterator[None]:
    """The exporter and the quantiser log hundreds of INFO lines; the bot's log gets ours only."""
    # torch.onnx also warns that torchvision's operators are skipped: the model has none.
    quieter = {"torch.onnx": logging.ERROR, "onnxscript": logging.WARNING, "onnx_ir": logging.WARNING,
               "onnxruntime": logging.WARNING}
    levels = {name: logging.getLogger(name).level for name in quieter}
    for name, level in quieter.items():
        logging.getLogger(name).setLevel(level)
    try:
        yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def load_onnx(model: Any, directory: Path, *, threads: int, features: int | None,
              int8: bool = False) -> OnnxModel:
    """The cached export of the checkpoint in `directory` (exported first where needed), or its
    int8 copy (model/onnx_int8.py); `threads`: ONNX Runtime's threads for one pass."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        raise ModelLoadError("model.backend is 'onnx' but onnxruntime is not installed "
                             "(pip install onnxruntime)") from None
    from model.onnx_int8 import ensure_int8

    location = cache_location(directory)
    try:
        with cache_lock(location), quiet_converters():
            ensure_export(model, directory, location, features)
            graph = ensure_int8(location) if int8 else location / MODEL_FILE
    except OSError as exc:  # a cache folder that cannot be written, a full disk
        raise ModelLoadError(f"ONNX export cache {location} cannot be written ({exc.strerror or exc}): "
                             "make it a writable folder, or set model.backend: torch") from None
    return OnnxModel(graph, threads=threads, features=features is not None)


def ensure_export(model: Any, directory: Path, location: Path, features: int | None) -> None:
    """A good export of the checkpoint in `location`, made where the cache has none."""
    key = checkpoint_key(directory)
    problem = cache_problem(location, key)
    if problem is None:
        return
    level = logging.INFO if problem == "no export yet" else logging.WARNING
    log.log(level, "ONNX export cache %s: %s; converting the model for ONNX Runtime (once, some seconds)",
            location, problem)
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
