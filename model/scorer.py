"""Sentiment scoring with any Hugging Face sequence-classification checkpoint.

`Scorer.load(path)` accepts `default` (the checkpoint shipped in `model/default/`), a local
directory, or a hub name: from the local Hugging Face cache, or from the hub itself when
`TWITCH_MOOD_ALLOW_HUB=1`. `Scorer.predict(texts)` normalises the
texts, sorts them by token length and runs similar-length sub-batches, so short chat lines are
not padded to the longest message of a burst.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import torch

from model.encoding import ChatEncoder
from model.errors import ModelLoadError
from model.lexicon import LEXICON_FILE, Lexicon, LexiconError, check_features, read_lexicon, uses_lexicon
from model.paths import (
    ALLOW_HUB_ENV,
    DEFAULT_MODEL_DIR,
    MODEL_PATH_ACCEPTS,
    hub_downloads_allowed,
    is_hub_name,
)
from mood.labels import LABELS, Score

log = logging.getLogger(__name__)

_WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json",
                 "pytorch_model.bin", "pytorch_model.bin.index.json")
_TOKENIZER_FILE_SETS = (("tokenizer.json",), ("vocab.json", "merges.txt"), ("vocab.txt",),
                        ("sentencepiece.bpe.model",), ("spiece.model",))
# Padded tokens per sub-batch: bounds the work one forward pass does on long messages.
SUB_BATCH_TOKENS = 1024
SUB_BATCH_ROWS = 64


class ModelSettings(Protocol):
    """What loading a model reads from config.yaml's `model` section (bot.config.ModelConfig)."""

    @property
    def path(self) -> str: ...
    @property
    def device(self) -> str: ...
    @property
    def quantize(self) -> str: ...
    @property
    def precision(self) -> str: ...
    @property
    def max_length(self) -> int: ...
    @property
    def threads(self) -> int: ...
    @property
    def emotes(self) -> str: ...


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


def resolve_precision(precision: str, device: torch.device, quantized: bool, bulk: bool = False) -> str:
    """What the forward pass computes in: int8, fp32, bf16 or fp16.

    CUDA: `auto` is fp16 (autocast). CPU: `auto` is bf16 weights for bulk scoring (`analyze`)
    on CPUs that compute bf16 natively: faster for `analyze` at the same accuracy (figures:
    model/README.md). Live chat stays fp32: with bf16 the bot's memory kept growing under load
    (many distinct small batch shapes), and emulated bf16 is slower than fp32 anyway.
    """
    if quantized:
        return "int8"
    if precision != "auto":
        return precision
    if device.type == "cuda":
        return "fp16"
    return "bf16" if bulk and device.type == "cpu" and native_bf16() else "fp32"


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


def check_model_dir(path: Path) -> None:
    """Raise ModelLoadError naming the directory and the missing file, if any."""
    if not path.is_dir():
        state = "is not a directory" if path.exists() else "does not exist"
        raise ModelLoadError(f"model directory {path} {state}; expected {MODEL_PATH_ACCEPTS}")
    if not (path / "config.json").is_file():
        raise ModelLoadError(f"model directory {path} is missing config.json")
    if not any((path / name).is_file() for name in _WEIGHT_FILES):
        raise ModelLoadError(f"model directory {path} is missing its weights (model.safetensors)")
    if not any(all((path / n).is_file() for n in group) for group in _TOKENIZER_FILE_SETS):
        raise ModelLoadError(
            f"model directory {path} is missing its tokenizer (tokenizer.json, or vocab.json + merges.txt)"
        )


def _label_indices(id2label: Mapping[Any, str]) -> tuple[int, int, int]:
    """Indices of negative, neutral, positive; LABEL_0..2 are taken in that order."""
    names = {str(name).lower(): int(i) for i, name in id2label.items()}
    if len(names) != 3:
        raise ModelLoadError(f"expected a 3-class model (negative, neutral, positive), got {id2label}")
    if all(label in names for label in LABELS):
        return names["negative"], names["neutral"], names["positive"]
    if set(names) == {"label_0", "label_1", "label_2"}:
        return 0, 1, 2
    raise ModelLoadError(f"cannot map labels {sorted(names)} to negative/neutral/positive")


class Scorer:
    """A loaded sentiment classifier; `predict` is synchronous and thread-confined."""

    def __init__(self, model: Any, tokenizer: Any, *, device: torch.device, max_length: int,
                 name: str, quantized: bool = False, precision: str = "fp32",
                 lexicon: Lexicon | None = None) -> None:
        # Counted now: a quantised Linear keeps its packed weights out of parameters().
        self.parameters = sum(p.numel() for p in model.parameters())
        self.model, self.tokenizer = model, tokenizer
        self.device, self.max_length = device, max_length
        self.name, self.quantized, self.precision = name, quantized, precision
        self.encoder = ChatEncoder(tokenizer, max_length, lexicon)
        self.channel_lexicons: dict[str, Lexicon] = {}
        self._indices = _label_indices(model.config.id2label)
        self._pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0

    @property
    def reads_lexicon(self) -> bool:
        """Whether the model reads lexicon features (and so a streamer's emotes count)."""
        return self.encoder.lexicon is not None

    def use_emotes(self, emotes: str | Path | None = None,
                   channels: Mapping[str, str | Path] | None = None) -> None:
        """Merge a streamer's emote CSV (`token,sentiment`) over the checkpoint's lexicon, for
        every channel (`emotes`) or per channel (`channels`, over the global result)."""
        if not self.reads_lexicon:
            if emotes or channels:
                log.warning("model.emotes is ignored: model %s reads no lexicon features", self.name)
            return
        base = self.encoder.lexicon
        assert base is not None
        if emotes:
            base = self.encoder.lexicon = base.merged(read_lexicon(emotes, one_word=True))
        self.channel_lexicons = {channel.lower(): base.merged(read_lexicon(path, one_word=True))
                                 for channel, path in (channels or {}).items()}

    @classmethod
    def load(cls, path: str | Path, *, device: str = "auto", quantize: str = "auto",
             precision: str = "auto", bulk: bool = False, max_length: int = 64,
             threads: int = 0) -> Scorer:
        """Load a checkpoint directory, `default`, or a hub name; `bulk`: scoring big batches
        offline, where throughput matters more than one message's latency."""
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
            _label_indices(config.id2label or {})  # refuse before loading weights
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
        lexicon = None
        if uses_lexicon(config):
            model, lexicon = _with_lexicon(model, Path(source))
        model.eval().to(torch_device)
        scorer = cls(model, tokenizer, device=torch_device, max_length=max_length, name=str(path),
                     lexicon=lexicon)
        if use_quantization(quantize, torch_device):
            with warnings.catch_warnings():  # torch marks eager quantisation deprecated; it works
                warnings.simplefilter("ignore")
                scorer.model, scorer.quantized = quantize_int8(model), True
        scorer.precision = resolve_precision(precision, torch_device, scorer.quantized, bulk)
        if scorer.precision == "bf16" and torch_device.type == "cpu":
            # Converted once: autocast would cast every weight again on every forward pass.
            scorer.model = model.to(torch.bfloat16)
        return scorer

    @classmethod
    def from_settings(cls, settings: ModelSettings, *, path: str | Path | None = None,
                      bulk: bool = False) -> Scorer:
        """The one loader behind every command: config.yaml's `model` settings, with `path`
        (a --model option) taking the place of `settings.path` when given."""
        scorer = cls.load(path or settings.path, device=settings.device, quantize=settings.quantize,
                          precision=settings.precision, bulk=bulk, max_length=settings.max_length,
                          threads=settings.threads)
        scorer.use_emotes(settings.emotes or None)
        log.info("model %s loaded on %s (%s)", scorer.name, scorer.device, scorer.precision)
        return scorer

    @torch.inference_mode()
    def predict(self, texts: Sequence[str], channels: Sequence[str | None] | None = None) -> list[Score]:
        """Score texts in one call; the result is in input order. `channels[i]` picks text i's
        channel emotes (`use_emotes`) where that channel has its own."""
        if not texts:
            return []
        lexicons = None
        if channels is not None and self.channel_lexicons:
            lexicons = [self.channel_lexicons.get(c.lower()) if c else None for c in channels]
        encoded = self.encoder.encode(texts, lexicons)
        ids, features = encoded.input_ids, encoded.features
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        results: list[Score | None] = [None] * len(ids)
        neg, neu, pos = self._indices
        for chunk in _sub_batches(order, [len(x) for x in ids]):
            chunk_features = None if features is None else [features[i] for i in chunk]
            probs = self._forward([ids[i] for i in chunk], chunk_features).tolist()
            for i, p in zip(chunk, probs, strict=True):
                results[i] = Score.from_probs(p[neg], p[neu], p[pos])
        return results  # type: ignore[return-value]

    def _forward(self, rows: list[list[int]], features: list[list[float]] | None = None) -> torch.Tensor:
        width = max(len(r) for r in rows)
        input_ids = torch.full((len(rows), width), self._pad_id, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for row, tokens in enumerate(rows):
            input_ids[row, :len(tokens)] = torch.tensor(tokens, dtype=torch.long)
            mask[row, :len(tokens)] = 1
        input_ids, mask = input_ids.to(self.device), mask.to(self.device)
        half = {"fp16": torch.float16, "bf16": torch.bfloat16}.get(self.precision)
        on_cuda = half is not None and self.device.type == "cuda"
        with torch.autocast("cuda", dtype=half or torch.float16, enabled=on_cuda):
            extra = {} if features is None else {
                "lexicon_features": torch.tensor(features, dtype=torch.float32, device=self.device)}
            logits = self.model(input_ids=input_ids, attention_mask=mask, **extra).logits
        return torch.softmax(logits.float(), dim=-1).cpu()


def _with_lexicon(base: Any, directory: Path) -> tuple[Any, Lexicon]:
    """Wrap a classifier trained with lexicon features in its head, and read its lexicon."""
    from model.fusion import HEAD_FILE, LexiconFusion

    for name in (HEAD_FILE, LEXICON_FILE):
        if not (directory / name).is_file():
            raise ModelLoadError(f"model directory {directory} is missing {name} "
                                 "(its config.json says it reads lexicon features)")
    problem = check_features(base.config)
    if problem:
        raise ModelLoadError(f"model directory {directory}: {problem}")
    fused = LexiconFusion(base)
    try:
        fused.load_head(directory)
        lexicon = read_lexicon(directory / LEXICON_FILE)
    except LexiconError as exc:
        raise ModelLoadError(f"model directory {directory}: {exc}") from None
    except Exception as exc:
        raise ModelLoadError(f"model directory {directory}: cannot read {HEAD_FILE}: "
                             f"{' '.join(str(exc).split())}") from None
    return fused, lexicon


def _sub_batches(order: list[int], lengths: list[int]) -> Iterator[list[int]]:
    """Split indices (sorted by length) into runs of at most SUB_BATCH_ROWS rows and
    SUB_BATCH_TOKENS padded tokens, so each forward pass pads to a similar length."""
    chunk: list[int] = []
    for i in order:
        # Sorted ascending: the newest index is the longest, so it sets the padded width.
        if chunk and (len(chunk) + 1 > SUB_BATCH_ROWS
                      or (len(chunk) + 1) * lengths[i] > SUB_BATCH_TOKENS):
            yield chunk
            chunk = []
        chunk.append(i)
    if chunk:
        yield chunk


def in_hub_cache(name: str) -> bool:
    """Whether the local Hugging Face cache holds a model `name` (looks at no network)."""
    from huggingface_hub import try_to_load_from_cache

    try:
        return isinstance(try_to_load_from_cache(name, "config.json"), str)
    except ValueError:  # not a valid repository id after all
        return False


def resolve_source(path: str | Path) -> tuple[str, bool]:
    """What to hand to from_pretrained, and whether it may only read local files.

    `default` -> the shipped directory; an existing or path-like value -> a checked directory;
    a hub name -> itself, read from the local cache only unless hub downloads are allowed. A name
    that can only be a typo fails here, before transformers retries an unreachable hub.
    """
    text = str(path)
    if text == "default":
        if not (DEFAULT_MODEL_DIR / "config.json").is_file():
            raise ModelLoadError(
                f"the shipped default model is not in {DEFAULT_MODEL_DIR} (config.json missing); "
                "set model.path to a checkpoint directory or pass --model DIR"
            )
        check_model_dir(DEFAULT_MODEL_DIR)
        return str(DEFAULT_MODEL_DIR), True
    candidate = Path(text).expanduser()
    if candidate.exists() or not is_hub_name(text):
        check_model_dir(candidate)
        return str(candidate), True
    if hub_downloads_allowed():
        return text, False
    if not in_hub_cache(text):
        raise ModelLoadError(
            f"model {text!r} is not a directory, and the local Hugging Face cache has no hub model of "
            f"that name; expected {MODEL_PATH_ACCEPTS} (set {ALLOW_HUB_ENV}=1 to download)"
        )
    return text, True
