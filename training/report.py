"""Training reports as JSON, naming their inputs by file name (with their sha256 beside them)
and the base by its logical name: never a path of the machine that trained."""

from __future__ import annotations

import json
from pathlib import Path, PurePath
from typing import Any


def portable(value: Any) -> Any:
    """`value` with every absolute path (str or Path, at any depth) cut to its last part."""
    if isinstance(value, dict):
        return {key: portable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [portable(item) for item in value]
    if isinstance(value, PurePath) or (isinstance(value, str) and value.startswith(("/", "~"))):
        return PurePath(str(value)).name
    return value


def base_name(base: str | Path) -> str:
    """A base for a report: a local directory by its last part (`mlm`, however it was typed), a
    logical or hub name (`minilm`, `org/model`) as given."""
    return PurePath(base).name if Path(base).is_dir() else str(base)


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(portable(data), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
