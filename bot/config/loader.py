"""The generic half of config loading: YAML that remembers key lines and refuses duplicate keys,
and a builder that turns plain data into typed dataclasses with precise errors (file:line, key
path, what was found, what was expected). The settings themselves live in
bot/config/settings.py."""

from __future__ import annotations

import dataclasses
import difflib
import string
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml

from mood.errors import TwitchMoodError


class ConfigError(TwitchMoodError):
    """A config file that cannot be used; the message says where and why."""


class Lines(dict):
    """A YAML mapping that remembers the line of each key."""

    lines: dict[str, int]


class LineLoader(yaml.SafeLoader):
    """SafeLoader that records key lines and rejects duplicate keys."""


def _construct_mapping(loader: LineLoader, node: yaml.MappingNode) -> Lines:
    loader.flatten_mapping(node)
    result, lines = Lines(), {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in result:
            raise ConfigError(f"line {line}: key {key!r} appears twice (first on line {lines[key]})")
        result[key] = loader.construct_object(value_node, deep=True)
        lines[key] = line
    result.lines = lines
    return result


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def kind(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})" if value is not None else "nothing (null)"


def describe(tp: Any) -> str:
    if typing.get_origin(tp) is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    return {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}.get(
        tp, "a list of strings" if typing.get_origin(tp) is tuple else "a mapping"
    )


class DataclassBuilder:
    """Turns plain YAML data into dataclasses, checking as it goes. Field metadata (set by the
    settings module) gives ranges, paths to resolve, the placeholders of reply templates and
    checks of their own (`check(value)` returns what is wrong, or None)."""

    def __init__(self, source: str, base_dir: Path, secret_keys: Mapping[str, str]) -> None:
        self.source, self.base_dir = source, base_dir
        self.secret_keys = secret_keys

    def fail(self, key_path: str, line: int | None, message: str) -> typing.NoReturn:
        where = f"{self.source}:{line}" if line else self.source
        raise ConfigError(f"{where}: {key_path}: {message}")

    def build(self, cls: type, data: Any, key_path: str, lines: Mapping[str, int],
              line: int | None = None, allow: frozenset[str] | set[str] = frozenset()) -> Any:
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            self.fail(key_path or "(top)", line, f"expected a mapping, found {kind(data)}")
        lines = getattr(data, "lines", lines)
        hints = typing.get_type_hints(cls)
        fields = {f.name: f for f in dataclasses.fields(cls) if f.name not in ("source", "channels")}
        values = {}
        for key, value in data.items():
            sub_path = f"{key_path}.{key}" if key_path else str(key)
            key_line = lines.get(key, line)
            if key in allow:
                continue
            if key in self.secret_keys:
                reason = self.secret_keys[key]
                self.fail(sub_path, key_line, f"secrets do not belong in a config file: {reason}")
            if key not in fields:
                close = difflib.get_close_matches(str(key), list(fields), n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(fields)}"
                self.fail(sub_path, key_line, f"unknown key{hint}")
            values[key] = self.value(fields[key], hints[key], value, sub_path, key_line)
        for name, f in fields.items():  # absent keys: defaults, resolved the same way
            if name in values:
                continue
            if dataclasses.is_dataclass(hints[name]):
                values[name] = self.build(hints[name], {}, f"{key_path}.{name}".lstrip("."), {}, line)  # pyright: ignore[reportArgumentType]
            elif f.metadata.get("path"):
                values[name] = self.resolve_path(str(f.default))
        return cls(**values)

    def resolve_path(self, value: str) -> str:
        """Relative to the config file; "" (no file) stays ""."""
        if not value:
            return value
        path = Path(value).expanduser()
        return str(path if path.is_absolute() else self.base_dir / path)

    def value(self, f: dataclasses.Field, tp: Any, value: Any, key_path: str, line: int | None) -> Any:
        if dataclasses.is_dataclass(tp):
            return self.build(tp, value, key_path, {}, line)  # pyright: ignore[reportArgumentType]
        origin = typing.get_origin(tp)
        ok = False
        if origin is Literal:
            if isinstance(value, bool) and {"on", "off"} <= set(typing.get_args(tp)):
                value = "on" if value else "off"  # YAML 1.1 reads a bare on/off as a boolean
            ok = value in typing.get_args(tp)
        elif origin is tuple:
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                return tuple(value)
        elif tp is bool:
            ok = isinstance(value, bool)
        elif tp is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif tp is float:  # .nan compares false with every bound, so it is refused here
            ok = isinstance(value, int | float) and not isinstance(value, bool) and value == value
            value = float(value) if ok else value
        elif tp is str:
            ok = isinstance(value, str)
        if not ok:
            hint = " (quote it to make it a string)" if tp is str and value is not None else ""
            self.fail(key_path, line, f"expected {describe(tp)}, found {kind(value)}{hint}")
        lo, hi = f.metadata.get("lo"), f.metadata.get("hi")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            self.fail(key_path, line, f"expected {describe(tp)} from {lo} to {hi}, found {value!r}")
        if tp is str:
            self.check_template(str(value), f.metadata.get("fields", ()), key_path, line,
                                f.metadata.get("samples") or {})
        if f.metadata.get("path"):
            value = self.resolve_path(str(value))
        check = f.metadata.get("check")
        problem = check(value) if check else None
        if problem:
            self.fail(key_path, line, problem)
        return value

    def check_template(self, text: str, allowed: tuple[str, ...], key_path: str,
                       line: int | None, samples: Mapping[str, Any] | None = None) -> None:
        """Reply templates must parse, use only the placeholders the bot fills in, and format them
        as the kind of value each one is (the field's sample values)."""
        if not allowed:
            return
        available = ", ".join(f"{{{a}}}" for a in allowed)
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError as exc:
            self.fail(key_path, line, f"template does not format: {exc}; available: {available}")
        unknown = sorted(names - set(allowed))
        if unknown:
            self.fail(key_path, line, f"unknown placeholder {{{unknown[0]}}}; available: {available}")
        try:
            text.format(**{name: (samples or {}).get(name, 0.5) for name in allowed})
        except (ValueError, IndexError, TypeError) as exc:
            self.fail(key_path, line, f"template does not format: {exc}; available: {available}")


def merge_mappings(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Overrides on top of base, merging nested mappings (a channel's `replies`) key by key."""
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            value = merge_mappings(merged[key], value)
        merged[key] = value
    return merged
