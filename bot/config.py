"""Typed configuration: the dataclasses below hold every setting and its one default.

`load_config` reads `config.yaml`, checks every key against these dataclasses and raises
`ConfigError` naming the file, line, key path (`channels[2].swing_threshold`), what was found
and what was expected. Secrets never live here: the client secret comes from an environment
variable and tokens from `twitch.token_file`.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import string
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

# Keys that would put a secret into config.yaml, and where that secret belongs instead.
_SECRET_KEYS = {
    "client_secret": "set it in the environment variable named by twitch.client_secret_env",
    "secret": "set it in the environment variable named by twitch.client_secret_env",
    "token": "tokens live in twitch.token_file, written by `twitch-mood auth`",
    "access_token": "tokens live in twitch.token_file, written by `twitch-mood auth`",
    "refresh_token": "tokens live in twitch.token_file, written by `twitch-mood auth`",
    "oauth": "tokens live in twitch.token_file, written by `twitch-mood auth`",
    "password": "tokens live in twitch.token_file, written by `twitch-mood auth`",
}
_CHANNEL_NAME = re.compile(r"^[a-z0-9_]{1,25}$")


def _opt(default: Any, *, lo: float | None = None, hi: float | None = None, path: bool = False,
         fields: tuple[str, ...] = ()):
    """A dataclass field with an allowed range, 'resolve relative to the config file', or the
    placeholders a reply template may use."""
    return field(default=default, metadata={"lo": lo, "hi": hi, "path": path, "fields": fields})


def _template(default: str, *fields: str):
    return _opt(default, fields=fields)


@dataclass(frozen=True)
class TwitchConfig:
    """How to reach Twitch (or the local Twitch-compatible server) and where the token lives."""

    client_id: str = ""
    bot_login: str = ""
    token_file: str = _opt("~/.config/twitch-mood/token.json", path=True)
    client_secret_env: str = "TWITCH_CLIENT_SECRET"
    chat_url: str = "wss://irc-ws.chat.twitch.tv:443"
    api_url: str = "https://api.twitch.tv/helix/"
    auth_url: str = "https://id.twitch.tv/oauth2/"


@dataclass(frozen=True)
class ModelConfig:
    """The sentiment model and the batching scoring service around it."""

    path: str = "default"
    device: Literal["auto", "cpu", "cuda"] = "auto"
    quantize: Literal["auto", "on", "off"] = "auto"
    max_length: int = _opt(64, lo=8, hi=512)
    threads: int = _opt(0, lo=0, hi=256)
    max_batch: int = _opt(256, lo=1, hi=4096)
    max_wait_ms: float = _opt(5.0, lo=0, hi=10_000)
    queue_size: int = _opt(4096, lo=1, hi=1_000_000)
    overload: Literal["reject", "wait"] = "reject"


@dataclass(frozen=True)
class StorageConfig:
    """Where mood statistics are kept."""

    path: str = _opt("twitch-mood.sqlite3", path=True)
    keep_messages: bool = False
    flush_interval_s: float = _opt(1.0, lo=0.05, hi=600)


@dataclass(frozen=True)
class RepliesConfig:
    """Chat reply templates (Python str.format fields); replies are cut to 500 characters."""

    mood: str = _template(
        "Chat mood: {word} {emoji} {value:+.2f} | {positive:.0%} positive, {neutral:.0%} neutral, "
        "{negative:.0%} negative | {count} msgs in {minutes} min | {trend}",
        "word", "emoji", "value", "positive", "neutral", "negative", "count", "minutes", "trend",
    )
    mood_too_few: str = _template(
        "Not enough chat yet to read the mood ({count}/{min_messages} messages).",
        "count", "min_messages",
    )
    hype: str = _template("Hype {level}/100 | rate {rate_ratio:.1f}x normal, {positive:.0%} positive",
                          "level", "rate_ratio", "positive")
    alert: str = _template("Mood swing: chat went from {before:+.2f} to {after:+.2f} in the last {window}",
                           "before", "after", "window")
    sentiment_on: str = "Mood swing alerts are ON for this channel."
    sentiment_off: str = "Mood swing alerts are OFF for this channel."
    sentiment_usage: str = "Usage: !sentiment on|off (moderators), !sentiment to see the state."
    refused: str = "Only the broadcaster and moderators can change that."


@dataclass(frozen=True)
class MoodConfig:
    """Windows, hype and swing parameters; each channel may override any of them."""

    short_window_s: float = _opt(60.0, lo=5, hi=3600)
    report_window_s: float = _opt(300.0, lo=10, hi=86_400)
    baseline_window_s: float = _opt(900.0, lo=60, hi=86_400)
    min_messages: int = _opt(10, lo=1, hi=100_000)
    swing_threshold: float = _opt(0.35, lo=0.01, hi=2.0)
    rearm_band: float = _opt(0.15, lo=0.0, hi=2.0)
    alert_cooldown_s: float = _opt(120.0, lo=0, hi=86_400)
    alerts_enabled: bool = True
    hype_full_rate_ratio: float = _opt(4.0, lo=1.0, hi=100.0)
    command_cooldown_s: float = _opt(10.0, lo=0, hi=3600)
    replies: RepliesConfig = field(default_factory=RepliesConfig)


@dataclass(frozen=True)
class ChatConfig:
    """Which chat messages the bot reads and how it answers people it refuses."""

    command_prefix: str = "!"
    ignore_users: tuple[str, ...] = (
        "nightbot", "streamelements", "fossabot", "moobot", "streamlabs", "soundalerts",
    )
    refusal: Literal["reply", "silent"] = "reply"


@dataclass(frozen=True)
class ChannelConfig:
    """A joined channel and its effective mood settings (global `mood` plus its overrides)."""

    name: str
    mood: MoodConfig


@dataclass(frozen=True)
class Config:
    """The whole effective configuration."""

    twitch: TwitchConfig = field(default_factory=TwitchConfig)
    channels: tuple[ChannelConfig, ...] = ()
    model: ModelConfig = field(default_factory=ModelConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    mood: MoodConfig = field(default_factory=MoodConfig)
    chat: ChatConfig = field(default_factory=ChatConfig)
    source: str = "built-in defaults"

    def client_secret(self) -> str | None:
        """The client secret from the environment, if set."""
        return os.environ.get(self.twitch.client_secret_env) or None


class ConfigError(ValueError):
    """A config file that cannot be used; the message says where and why."""


class _Lines(dict):
    """A YAML mapping that remembers the line of each key."""

    lines: dict[str, int]


class _Loader(yaml.SafeLoader):
    """SafeLoader that records key lines and rejects duplicate keys."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _Lines:
    loader.flatten_mapping(node)
    result, lines = _Lines(), {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in result:
            raise ConfigError(f"line {line}: key {key!r} appears twice (first on line {lines[key]})")
        result[key] = loader.construct_object(value_node, deep=True)
        lines[key] = line
    result.lines = lines
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read and validate a config file; raise ConfigError with file, line and key path."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read config file: {exc.strerror or exc}") from exc
    try:
        data = yaml.load(text, Loader=_Loader)
    except ConfigError as exc:
        raise ConfigError(f"{file}:{str(exc).removeprefix('line ')}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark else str(file)
        raise ConfigError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    return parse_config(data, source=str(file), base_dir=file.resolve().parent)


def parse_config(data: Any, *, source: str = "<config>", base_dir: Path | None = None) -> Config:
    """Validate already-parsed YAML data (None means all defaults)."""
    builder = _Builder(source, base_dir or Path.cwd())
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: expected a mapping of sections at the top, found {_kind(data)}")
    raw_channels = data.get("channels", [])
    top = {k: v for k, v in data.items() if k != "channels"}
    config = builder.build(Config, top, "", getattr(data, "lines", {}), allow={"channels"})
    mood_raw = top.get("mood") or {}
    channels = builder.channels(raw_channels, mood_raw, getattr(data, "lines", {}).get("channels"))
    return dataclasses.replace(config, channels=channels, source=source)


def _kind(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})" if value is not None else "nothing (null)"


def _describe(tp: Any) -> str:
    if typing.get_origin(tp) is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    return {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}.get(
        tp, "a list of strings" if typing.get_origin(tp) is tuple else "a mapping"
    )


class _Builder:
    """Turns plain YAML data into the dataclasses above, checking as it goes."""

    def __init__(self, source: str, base_dir: Path) -> None:
        self.source, self.base_dir = source, base_dir

    def fail(self, key_path: str, line: int | None, message: str) -> typing.NoReturn:
        where = f"{self.source}:{line}" if line else self.source
        raise ConfigError(f"{where}: {key_path}: {message}")

    def build(self, cls: type, data: Any, key_path: str, lines: Mapping[str, int],
              line: int | None = None, allow: frozenset[str] | set[str] = frozenset()) -> Any:
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            self.fail(key_path or "(top)", line, f"expected a mapping, found {_kind(data)}")
        lines = getattr(data, "lines", lines)
        hints = typing.get_type_hints(cls)
        fields = {f.name: f for f in dataclasses.fields(cls) if f.name not in ("source", "channels")}
        values = {}
        for key, value in data.items():
            sub_path = f"{key_path}.{key}" if key_path else str(key)
            key_line = lines.get(key, line)
            if key in allow:
                continue
            if key in _SECRET_KEYS:
                self.fail(sub_path, key_line, f"secrets do not belong in a config file: {_SECRET_KEYS[key]}")
            if key not in fields:
                close = difflib.get_close_matches(str(key), list(fields), n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(fields)}"
                self.fail(sub_path, key_line, f"unknown key{hint}")
            values[key] = self.value(fields[key], hints[key], value, sub_path, key_line)
        for name, f in fields.items():  # absent keys: defaults, resolved the same way
            if name in values:
                continue
            if dataclasses.is_dataclass(hints[name]):
                values[name] = self.build(hints[name], {}, f"{key_path}.{name}".lstrip("."), {}, line)
            elif f.metadata.get("path"):
                values[name] = self.resolve_path(f.default)
        return cls(**values)

    def resolve_path(self, value: str) -> str:
        path = Path(value).expanduser()
        return str(path if path.is_absolute() else self.base_dir / path)

    def value(self, f: dataclasses.Field, tp: Any, value: Any, key_path: str, line: int | None) -> Any:
        if dataclasses.is_dataclass(tp):
            return self.build(tp, value, key_path, {}, line)
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
        elif tp is float:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            value = float(value) if ok else value
        elif tp is str:
            ok = isinstance(value, str)
        if not ok:
            hint = " (quote it to make it a string)" if tp is str and value is not None else ""
            self.fail(key_path, line, f"expected {_describe(tp)}, found {_kind(value)}{hint}")
        lo, hi = f.metadata.get("lo"), f.metadata.get("hi")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            self.fail(key_path, line, f"expected {_describe(tp)} from {lo} to {hi}, found {value!r}")
        if tp is str:
            self.check_template(value, f.metadata.get("fields", ()), key_path, line)
        return self.resolve_path(value) if f.metadata.get("path") else value

    def check_template(self, text: str, allowed: tuple[str, ...], key_path: str,
                       line: int | None) -> None:
        """Reply templates must parse and use only the placeholders the bot fills in."""
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
            text.format(**{name: 0.5 for name in allowed})
        except (ValueError, IndexError) as exc:
            self.fail(key_path, line, f"template does not format: {exc}; available: {available}")

    def channels(self, raw: Any, mood_raw: Any, line: int | None) -> tuple[ChannelConfig, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self.fail("channels", line, f"expected a list of channel names or mappings, found {_kind(raw)}")
        result: list[ChannelConfig] = []
        for index, entry in enumerate(raw):
            key_path = f"channels[{index}]"
            overrides: Mapping[str, Any] = {}
            if isinstance(entry, str):
                name = entry
            elif isinstance(entry, Mapping) and isinstance(entry.get("name"), str):
                name, overrides = entry["name"], {k: v for k, v in entry.items() if k != "name"}
                line = entry.lines.get("name", line) if isinstance(entry, _Lines) else line
            else:
                self.fail(key_path, line,
                          f"expected a channel name or a mapping with 'name', found {_kind(entry)}")
            name = name.strip().lstrip("#").lower()
            if not _CHANNEL_NAME.match(name):
                self.fail(f"{key_path}.name", line,
                          f"expected a Twitch login (letters, digits, _), found {name!r}")
            if any(c.name == name for c in result):
                self.fail(f"{key_path}.name", line, f"channel {name!r} is listed twice")
            merged = _Lines(_merge(mood_raw if isinstance(mood_raw, Mapping) else {}, overrides))
            merged.lines = getattr(entry, "lines", {})
            result.append(ChannelConfig(name, self.build(MoodConfig, merged, key_path, {}, line)))
        return tuple(result)


def _merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Overrides on top of base, merging nested mappings (a channel's `replies`) key by key."""
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            value = _merge(merged[key], value)
        merged[key] = value
    return merged


def describe_config(config: Config) -> str:
    """The effective config as YAML, with the secret shown only as set / not set."""
    data = dataclasses.asdict(config)
    source = data.pop("source")
    for channel in data["channels"]:
        channel.update(channel.pop("mood"))
    secret_state = "set (hidden)" if config.client_secret() else "not set"
    token = Path(config.twitch.token_file)
    token_state = "present" if token.exists() else "missing (run `twitch-mood auth`)"
    header = (
        f"# effective config from {source}\n"
        f"# client secret (${config.twitch.client_secret_env}): {secret_state}\n"
        f"# token file: {token_state}\n"
    )
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
