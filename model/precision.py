"""Where and in what number format the model runs: device, int8 dynamic quantisation, bf16/fp16."""

from __future__ import annotations

import logging

import torch

from model.errors import ModelLoadError

log = logging.getLogger(__name__)


def resolve_device(device: str) -> torch.device:
    """`auto` picks CUDA when present, else CPU."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ModelLoadError("model.device is 'cuda' but no CUDA device is available")
    return torch.device(device)


def use_quantization(quantize: str, device: torch.device) -> bool:
    """Dynamic int8 quantisation exists for CPU only, and only `on` asks for it: on the shipped
    model it cost too much test accuracy, so `auto` keeps fp32 (figures: model/README.md)."""
    if quantize == "on" and device.type != "cpu":
        log.warning("model.quantize is 'on' but int8 dynamic quantisation is CPU-only; ignored")
    return quantize == "on" and device.type == "cpu"


def native_bf16() -> bool:
    """Whether this CPU computes bf16 natively (AVX512-BF16 or AMX); elsewhere it is emulated."""
    names = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    checks = [getattr(torch.cpu, name, None) for name in names]
    try:
        return any(check is not None and check() for check in checks)
    except Exception:  # private torch helpers: if they change, fall back to fp32
        return False


def resolve_precision(precision: str, device: torch.device, quantized: bool,
                      torch_backend: bool = True) -> str:
    """What the forward pass computes in: int8, fp32, bf16 or fp16.

    CUDA: `auto` is fp16 (autocast). CPU: `auto` is bf16 weights where the CPU computes bf16
    natively and torch runs the model (ONNX Runtime runs fp32): on most such CPUs faster for
    live chat and `analyze` with the same labels, its memory bounded by the shape buckets
    (figures: model/README.md); Scorer.load then times bf16 against fp32 on this CPU and keeps
    the faster (model/calibrate.py). Emulated bf16 is slower than fp32, so other CPUs stay fp32.
    """
    if quantized:
        return "int8"
    if precision != "auto":
        return precision
    if device.type == "cuda":
        return "fp16"
    return "bf16" if torch_backend and device.type == "cpu" and native_bf16() else "fp32"


def quantizable_layers(model: torch.nn.Module) -> set[str]:
    """The feed-forward Linear layers of the transformer blocks.

    Attention projections, the pooler and the classifier stay fp32: quantising every Linear
    layer cost more accuracy than the feed-forward layers alone (model/README.md).
    """
    return {name for name, module in model.named_modules()
            if isinstance(module, torch.nn.Linear) and ".layer." in f".{name}."
            and not any(part in name for part in ("attention", "attn"))}


def quantize_int8(model: torch.nn.Module) -> torch.nn.Module:
    """Dynamic int8 quantisation, per-channel weight scales, of the feed-forward layers."""
    from torch.ao.quantization import quantize_dynamic
    from torch.ao.quantization.qconfig import per_channel_dynamic_qconfig

    return quantize_dynamic(model, dict.fromkeys(quantizable_layers(model), per_channel_dynamic_qconfig))
