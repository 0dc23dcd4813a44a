"""The int8 copy of an ONNX export that ONNX Runtime runs unless `model.quantize` is `off`.

The weights of every matrix product in 8 bits, one scale per 128 weights, the activations
quantised per block inside the int8 kernels (MatMulNBits, accuracy level 4). On the AMD EPYC,
two passes side by side scored 1.5-1.7x as fast as the fp32 export one pass at a time (1.1-1.4x
one pass against one), and gave the fp32 label to 99.5% of dev and test messages
(model/README.md). The copy lies beside the
export as `model.int8.onnx`; the manifest records its sha256 and the export it was made from,
and a copy that matches neither is made again, with a log line, and never used.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any, cast

from model.errors import ModelLoadError
from model.onnx_backend import INT8_FILE, MANIFEST_FILE, MODEL_FILE, write_manifest
from model.paths import file_sha256

log = logging.getLogger(__name__)

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
    """Why the int8 copy beside a good export must not be used (None: it is good)."""
    path = location / INT8_FILE
    if not path.is_file():
        return "no int8 copy yet"
    try:
        manifest = json.loads((location / MANIFEST_FILE).read_text(encoding="utf-8"))
        recorded, made_from = manifest.get("int8_sha256"), manifest.get("int8_from")
        export_hash = manifest["onnx_sha256"]
    except (OSError, ValueError, AttributeError, KeyError):
        return "its manifest is unreadable"
    if recorded is None or made_from != export_hash:
        return "stale: not made from this export"
    if recorded != file_sha256(path):
        return f"corrupt: {INT8_FILE} does not match the hash in its manifest"
    return None


def ensure_int8(location: Path) -> Path:
    """The int8 copy of the good export in `location`, made (and its hash recorded) where needed;
    the caller holds the cache's lock."""
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
    manifest.update(int8_sha256=file_sha256(target), int8_from=manifest["onnx_sha256"])
    write_manifest(manifest_path, manifest)
    log.info("ONNX int8 copy written in %.1f s", time.monotonic() - started)
    return target
