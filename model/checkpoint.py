"""Finding and checking a checkpoint before anything heavy loads: `default`, a directory or a
hub name; which file is missing; the label order; a lexicon-reading checkpoint's extra files."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from model.errors import ModelLoadError
from model.lexicon import LEXICON_FILE, Lexicon, LexiconError, check_features, read_lexicon
from model.paths import (
    ALLOW_HUB_ENV,
    DEFAULT_MODEL_DIR,
    MODEL_PATH_ACCEPTS,
    hub_downloads_allowed,
    is_hub_name,
)
from mood.labels import LABELS

_WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json",
                 "pytorch_model.bin", "pytorch_model.bin.index.json")
_TOKENIZER_FILE_SETS = (("tokenizer.json",), ("vocab.json", "merges.txt"), ("vocab.txt",),
                        ("sentencepiece.bpe.model",), ("spiece.model",))


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


def label_indices(id2label: Mapping[Any, str]) -> tuple[int, int, int]:
    """Indices of negative, neutral, positive; LABEL_0..2 are taken in that order."""
    names = {str(name).lower(): int(i) for i, name in id2label.items()}
    if len(names) != 3:
        raise ModelLoadError(f"expected a 3-class model (negative, neutral, positive), got {id2label}")
    if all(label in names for label in LABELS):
        return names["negative"], names["neutral"], names["positive"]
    if set(names) == {"label_0", "label_1", "label_2"}:
        return 0, 1, 2
    raise ModelLoadError(f"cannot map labels {sorted(names)} to negative/neutral/positive")


def with_lexicon(base: Any, directory: Path) -> tuple[Any, Lexicon]:
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


def trained_max_length(directory: Path) -> int | None:
    """The tokens per message the checkpoint was fine-tuned on (its training_report.json), or None
    where the directory does not say (a hub model, a report without it)."""
    try:
        report = json.loads((directory / "training_report.json").read_text(encoding="utf-8"))
        value = report["hyperparameters"]["max_length"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


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
