"""Where the shipped model and the shared data live, and what a model path may name."""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import tempfile
from pathlib import Path

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "default"
DATA_DIR_ENV = "TWITCH_MOOD_DATA"
# Without it a hub name is read from the local Hugging Face cache only: a mistyped directory then
# fails at once instead of retrying a hub this machine may not reach.
ALLOW_HUB_ENV = "TWITCH_MOOD_ALLOW_HUB"
MODEL_PATH_ACCEPTS = ("`default`, a checkpoint directory, or a hub name (`name` or `org/name`) "
                      "when a hub is reachable")
_HUB_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(?:/[A-Za-z0-9_-][A-Za-z0-9._-]*)?")
_TRUE = {"1", "on", "yes", "true"}


def is_hub_name(text: str) -> bool:
    """`name` or `org/name` of letters, digits, `.`, `_`, `-` (no part starting with a dot)."""
    return _HUB_NAME.fullmatch(text) is not None


def hub_downloads_allowed() -> bool:
    """`$TWITCH_MOOD_ALLOW_HUB=1`, unless Hugging Face's own `HF_HUB_OFFLINE` is set."""
    offline = os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in _TRUE
    return os.environ.get(ALLOW_HUB_ENV) == "1" and not offline


def model_path_problem(value: str) -> str | None:
    """Why `value` cannot name a model, judged without loading anything; None when it may.
    A relative directory is taken from the working directory, as the loader takes it."""
    if value == "default" or Path(value).expanduser().is_dir():
        return None
    if difflib.get_close_matches(value.lower(), ["default"], n=1, cutoff=0.7):  # `defualt`, `Default`
        return f"{value!r} is no directory; did you mean default?"
    if is_hub_name(value):
        return None
    return f"expected {MODEL_PATH_ACCEPTS}, found {value!r}"


def user_cache_dir() -> Path:
    """`$XDG_CACHE_HOME/twitch-mood` (default `~/.cache/twitch-mood`): what the bot may rebuild."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "twitch-mood"


def write_whole(path: Path, text: str) -> None:
    """Write `text` to a file of its own beside `path`, then rename it into place: a reader never
    sees half a file, and two processes writing at once never share a partial file."""
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}",
                                     suffix=".partial", delete=False) as handle:
        handle.write(text)
    os.replace(handle.name, path)


def shared_data_dir() -> Path:
    """`$TWITCH_MOOD_DATA`, else `../shared/data` beside the source checkout."""
    if os.environ.get(DATA_DIR_ENV):
        return Path(os.environ[DATA_DIR_ENV])
    return Path(__file__).resolve().parents[2] / "shared" / "data"


def default_corpus() -> Path:
    """The unlabeled Twitch chat corpus (one message per line)."""
    return shared_data_dir() / "chat_corpus_2025.txt"


def file_sha256(path: str | Path) -> str:
    """The sha256 of a file's bytes, read in 1 MiB blocks (reports and manifests name files by it)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
