"""Settings fields the config loader understands (bot/config/loader.py reads their metadata): an
allowed range, 'a path relative to the config file', the placeholders of a reply template, or a
check of its own. Here, not in bot/config, so command modules can declare their settings too."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from typing import Any


def setting(default: Any, *, lo: float | None = None, hi: float | None = None, path: bool = False,
            fields: tuple[str, ...] = (), check: Callable[[Any], str | None] | None = None,
            samples: dict[str, Any] | None = None) -> Any:
    """A dataclass field with its default and what the loader checks."""
    return field(default=default, metadata={"lo": lo, "hi": hi, "path": path, "fields": fields,
                                            "check": check, "samples": samples or {}})


def template(default: str, **samples: Any) -> Any:
    """A chat message template (str.format) that may use only the fields named in `samples`; the
    loader checks a streamer's template by formatting it with these sample values."""
    return setting(default, fields=tuple(samples), samples=samples)
