"""Sentiment scoring with any Hugging Face sequence-classification checkpoint.

`Scorer.load(path)` accepts `default` (the checkpoint shipped in `model/default/`), a local
directory, or a hub name: from the local Hugging Face cache, or from the hub itself when
`TWITCH_MOOD_ALLOW_HUB=1`. `Scorer.predict(texts)` normalises the texts, sorts them by token
length and runs similar-length sub-batches, so short chat lines are not padded to the longest
message of a burst; each sub-batch is padded to a fixed shape bucket (`model/buckets.py`). The
forward pass runs in torch or in ONNX Runtime (`model.backend`, `model/onnx_backend.py`).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from model.buckets import padded_batch, padded_features, sub_batches, width_buckets
from model.checkpoint import label_indices, resolve_source, trained_max_length, with_lexicon
from model.encoding import ChatEncoder
from model.errors import ModelLoadError
from model.lexicon import N_FEATURES, Lexicon, read_lexicon, uses_lexicon
from model.parallel import CPU_THREADS, ForwardPool, resolve_workers
from model.precision import resolve_device, resolve_precision, use_quantization
from mood.labels import Score

log = logging.getLogger(__name__)

BACKENDS = ("auto", "torch", "onnx")


class ModelSettings(Protocol):
    """What loading a model reads from config.yaml's `model` section (bot.config.ModelConfig)."""

    @property
    def path(self) -> str: ...
    @property
    def device(self) -> str: ...
    @property
    def backend(self) -> str: ...
    @property
    def quantize(self) -> str: ...
    @property
    def precision(self) -> str: ...
    @property
    def max_length(self) -> int: ...
    @property
    def threads(self) -> int: ...
    @property
    def workers(self) -> int: ...
    @property
    def emotes(self) -> str: ...


def choose_backend(backend: str, device: torch.device, precision: str, source: str) -> str:
    """Where the forward pass runs. `auto`: ONNX Runtime where the model runs fp32 or int8 on CPU
    from a checkpoint directory and onnxruntime is installed (its 8-bit-weight copy unless
    `quantize: off`: the faster path on CPUs without native bf16, model/README.md), torch
    elsewhere (CUDA, bf16, hub names)."""
    if backend not in BACKENDS:
        raise ModelLoadError(f"model.backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    runnable = device.type == "cpu" and precision in ("fp32", "int8")
    if backend == "onnx":
        if not runnable:
            raise ModelLoadError("model.backend 'onnx' runs on CPU, from fp32 weights only; set "
                                 "model.precision: fp32 and model.device: cpu, or model.backend: torch")
        if not Path(source).is_dir():
            raise ModelLoadError(f"model.backend 'onnx' needs a checkpoint directory, not {source!r}")
        return "onnx"
    if backend == "auto" and runnable and Path(source).is_dir() and find_spec("onnxruntime") is not None:
        return "onnx"
    return "torch"


class Scorer:
    """A loaded sentiment classifier; `predict` is synchronous and thread-confined."""

    def __init__(self, model: Any, tokenizer: Any, *, device: torch.device, max_length: int,
                 name: str, quantized: bool = False, precision: str = "fp32",
                 lexicon: Lexicon | None = None, bucketed: bool = False) -> None:
        # Counted now: a quantised Linear keeps its packed weights out of parameters().
        self.parameters = sum(p.numel() for p in model.parameters())
        self.model, self.tokenizer = model, tokenizer
        self.device, self.max_length = device, max_length
        self.name, self.quantized, self.precision = name, quantized, precision
        self.backend = "torch"
        self.onnx: Any = None  # an OnnxModel when backend is onnx
        # Pad each forward pass to a shape bucket (model/buckets.py); Scorer.load turns it on for CPU.
        self.bucketed = bucketed
        self.encoder = ChatEncoder(tokenizer, max_length, lexicon)
        self.checkpoint_lexicon = lexicon  # what it was trained with; streamers' emotes go over it
        # The lexicons in force, for every channel and per channel: one tuple, swapped whole by
        # apply_emotes (a reload while chat is scored) and read once per predict.
        self._emotes: tuple[Lexicon | None, dict[str, Lexicon]] = (lexicon, {})
        self._indices = label_indices(model.config.id2label)
        self._pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self._widths = width_buckets(max_length)
        self.pool = ForwardPool(CPU_THREADS)  # one pass at a time; Scorer.load sets model.workers
        self.traced: Any = None  # a frozen graph of the forward pass (bf16 on CPU: model/traced.py)
        # How `precision: auto` chose between bf16 and fp32 on this CPU (model/calibrate.py), if it did.
        self.calibration: dict[str, Any] | None = None

    @property
    def concurrency(self) -> int:
        """Batches worth running at once: one per side-by-side forward pass (ScoringService)."""
        return self.pool.workers

    @property
    def channel_lexicons(self) -> dict[str, Lexicon]:
        """Channel name (lower case) -> its lexicon, for channels with emotes of their own."""
        return self._emotes[1]

    @property
    def reads_lexicon(self) -> bool:
        """Whether the model reads lexicon features (and so a streamer's emotes count)."""
        return self.encoder.lexicon is not None

    def use_emotes(self, emotes: str | Path | None = None,
                   channels: Mapping[str, str | Path] | None = None) -> None:
        """Merge a streamer's emote CSV (`token,sentiment`) over the checkpoint's lexicon, for
        every channel (`emotes`) or per channel (`channels`, over the global result). Each call
        replaces the last one's CSVs; every file is read before any is used, so a bad one
        (LexiconError) leaves the emotes in force unchanged."""
        if not self.reads_lexicon:
            if emotes or channels:
                log.warning("model.emotes is ignored: model %s reads no lexicon features", self.name)
            return
        own = {channel: read_lexicon(path, one_word=True) for channel, path in (channels or {}).items()}
        self.apply_emotes(read_lexicon(emotes, one_word=True) if emotes else None, own)

    def apply_emotes(self, emotes: Lexicon | None, channels: Mapping[str, Lexicon]) -> None:
        """`use_emotes` with the files already read (bot/emotes.py reads them again while running)."""
        base = self.checkpoint_lexicon
        if base is None:
            return
        if emotes is not None:
            base = base.merged(emotes)
        own = {channel.lower(): base.merged(lexicon) for channel, lexicon in channels.items()}
        self.encoder.lexicon = base
        self._emotes = (base, own)

    @classmethod
    def load(cls, path: str | Path, *, device: str = "auto", quantize: str = "auto",
             precision: str = "auto", max_length: int = 64,
             threads: int = 0, backend: str = "torch", workers: int = 1) -> Scorer:
        """Load a checkpoint directory, `default`, or a hub name; `workers`: forward passes
        side by side on CPU (0: auto, model/parallel.py)."""
        import transformers
        from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

        transformers.utils.logging.set_verbosity_error()
        transformers.utils.logging.disable_progress_bar()
        if threads:
            torch.set_num_threads(threads)
        source, local_only = resolve_source(path)
        torch_device = resolve_device(device)
        try:
            config = AutoConfig.from_pretrained(source, local_files_only=local_only)
            label_indices(config.id2label or {})  # refuse before loading weights
            tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=local_only)
            # fp32 on load: shipped weights may be fp16 (CUDA runs fp16 through autocast anyway).
            model = AutoModelForSequenceClassification.from_pretrained(
                source, dtype=torch.float32, local_files_only=local_only)
        except ModelLoadError:
            raise
        except Exception as exc:
            reason = " ".join(str(exc).split())  # the CLI prints one line
            if Path(source).is_dir():
                raise ModelLoadError(f"model directory {source}: cannot load: {reason}") from exc
            raise ModelLoadError(f"hub model {source!r} could not be loaded: {reason}") from exc
        trained = trained_max_length(Path(source))
        if trained is not None and trained != max_length:
            log.warning("model %s was fine-tuned on messages of up to %d tokens and is scored at %d (model."
                        "max_length): longer messages are cut", path, trained, max_length)
        lexicon = None
        if uses_lexicon(config):
            model, lexicon = with_lexicon(model, Path(source))
        model.eval().to(torch_device)
        scorer = cls(model, tokenizer, device=torch_device, max_length=max_length, name=str(path),
                     lexicon=lexicon)
        on_cpu = torch_device.type == "cpu"
        # `quantize: on` asks for int8 whatever the precision: ONNX Runtime's 8-bit weights under
        # `onnx` and `auto`, torch's dynamic int8 under `torch`.
        int8 = use_quantization(quantize, torch_device)
        onnx_first = backend == "onnx" or (backend == "auto" and int8)
        # ONNX Runtime runs fp32 (or its int8 copy): `auto` must not pick bf16 under it.
        scorer.precision = resolve_precision(precision, torch_device, int8, torch_backend=not onnx_first)
        # On CPU every forward pass is padded to a shape bucket, so oneDNN's kernel cache (and
        # with it the memory) stops growing (model/buckets.py).
        scorer.bucketed = on_cpu
        half = traced = None
        if scorer.precision == "bf16" and on_cpu:
            from model.calibrate import bf16_forward, choose_format

            # Converted once: autocast would cast every weight again on every forward pass.
            features = N_FEATURES if lexicon is not None else None
            if precision == "auto":  # the CPU flags do not say whether bf16 pays here
                choice, scorer.calibration = choose_format(source)  # timed in a child process
                scorer.precision = choice
            if scorer.precision == "bf16":
                half, traced = bf16_forward(model, features, keep_fp32=False)
        # After the number format is settled: `auto` runs fp32 and int8 on CPU in ONNX Runtime.
        scorer.backend = choose_backend(backend, torch_device, scorer.precision, source)
        forward_workers, threads_each = resolve_workers(workers, threads, cpu_parallel=on_cpu)
        if scorer.backend == "onnx":
            from model.onnx_backend import load_onnx

            int8_copy = quantize != "off"
            try:
                scorer.onnx = load_onnx(model, Path(source), threads=threads_each, int8=int8_copy,
                                        features=N_FEATURES if lexicon is not None else None)
            except ModelLoadError as exc:
                if backend != "auto":
                    raise
                log.warning("model.backend auto: %s; scoring in torch instead", exc)  # one line
                scorer.backend = "torch"
            else:
                scorer.model = None  # the session holds its own weights
                scorer.quantized, scorer.precision = int8_copy, "int8" if int8_copy else "fp32"
        if scorer.backend == "torch" and int8:
            from model.precision import quantize_int8

            with warnings.catch_warnings():  # torch marks eager quantisation deprecated; it works
                warnings.simplefilter("ignore")
                scorer.model, scorer.quantized = quantize_int8(model), True
        elif half is not None:
            scorer.model, scorer.traced = half, traced
        scorer.pool = ForwardPool(threads or CPU_THREADS, forward_workers, threads_each)
        return scorer

    @classmethod
    def from_settings(cls, settings: ModelSettings, *, path: str | Path | None = None) -> Scorer:
        """The one loader behind every command: config.yaml's `model` settings, with `path`
        (a --model option) taking the place of `settings.path` when given."""
        scorer = cls.load(path or settings.path, device=settings.device, quantize=settings.quantize,
                          precision=settings.precision, max_length=settings.max_length,
                          threads=settings.threads, backend=settings.backend,
                          workers=settings.workers)
        scorer.use_emotes(settings.emotes or None)
        log.info("model %s loaded on %s (%s, %s, %d side by side)", scorer.name, scorer.device,
                 scorer.backend, scorer.precision, scorer.pool.workers)
        return scorer

    @torch.inference_mode()
    def predict(self, texts: Sequence[str], channels: Sequence[str | None] | None = None) -> list[Score]:
        """Score texts in one call; the result is in input order. `channels[i]` picks text i's
        channel emotes (`use_emotes`) where that channel has its own."""
        if not texts:
            return []
        base, own = self._emotes  # one snapshot for the whole batch
        lexicons = None
        if base is not None:
            lexicons = [own.get(c.lower(), base) if c else base for c in (channels or [None] * len(texts))]
        encoded = self.encoder.encode(texts, lexicons)
        ids, features = encoded.input_ids, encoded.features
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        results: list[Score | None] = [None] * len(ids)
        neg, neu, pos = self._indices
        chunks = list(sub_batches(order, [len(x) for x in ids], bucketed=self.bucketed,
                                  widths=self._widths))

        def run(chunk: list[int]) -> np.ndarray:
            chunk_features = None if features is None else [features[i] for i in chunk]
            return self._forward([ids[i] for i in chunk], chunk_features)

        for chunk, probs in zip(chunks, self.pool.map(run, chunks), strict=True):
            for i, p in zip(chunk, probs.tolist(), strict=True):
                results[i] = Score.from_probs(p[neg], p[neu], p[pos])
        return results  # type: ignore[return-value]

    def close(self) -> None:
        """Stop the side-by-side forward threads (if any); predict runs in the caller after."""
        self.pool.close()
        self.pool = ForwardPool(self.pool.total_threads)

    @torch.inference_mode()  # thread-local: a forward thread needs its own
    def _forward(self, rows: list[list[int]], features: list[list[float]] | None = None) -> np.ndarray:
        """Class probabilities of `rows` (padded to a bucket shape, filler rows dropped)."""
        input_ids, mask = padded_batch(rows, self._pad_id, widths=self._widths, bucketed=self.bucketed)
        extra = None if features is None else padded_features(features, len(input_ids))
        if self.onnx is not None:
            return self.onnx(input_ids, mask, extra)[:len(rows)]
        kwargs = {"input_ids": torch.from_numpy(input_ids).to(self.device),
                  "attention_mask": torch.from_numpy(mask).to(self.device)}
        if extra is not None:
            kwargs["lexicon_features"] = torch.from_numpy(extra).to(self.device)
        if self.traced is not None:
            logits = self.traced(*kwargs.values())  # the same order: ids, mask[, features]
            return torch.softmax(logits.float(), dim=-1).numpy()[:len(rows)]
        half = {"fp16": torch.float16, "bf16": torch.bfloat16}.get(self.precision)
        on_cuda = half is not None and self.device.type == "cuda"
        with torch.autocast("cuda", dtype=half or torch.float16, enabled=on_cuda):
            logits = self.model(**kwargs).logits
        return torch.softmax(logits.float(), dim=-1).cpu().numpy()[:len(rows)]
