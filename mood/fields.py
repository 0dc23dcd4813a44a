"""Settings fields the config loader understands (bot/config/loader.py reads their metadata): an
allowed range, 'a path relative to the config file', the placeholders of a reply template, or a
check of its own. Here, not in bot/config, so command modules can declare their settings too."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from typing import Any


def setting(default: Any, *, lo: float | None = None, hi: float | None = None, path: bool = False,
            fields: tuple[str, ...] = (), check: Callable[[Any], str | None] | None = None) -> Any:
    """A dataclass field with its default and what the loader checks."""
    return field(default=default,
                 metadata={"lo": lo, "hi": hi, "path": path, "fields": fields, "check": check})


def template(default: str, *fields: str) -> Any:
    """A chat message template (str.format) that may use only `fields`."""
    return setting(default, fields=fields)
