"""Typed configuration: the dataclasses below hold every setting and its one default.

`load_config` reads `config.yaml`, checks every key against these dataclasses and raises
`ConfigError` naming the file, line, key path (`channels[2].swing_threshold`), what was found
and what was expected. Secrets never live here: the client secret comes from an environment
variable and tokens from `twitch.token_file`.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import yaml

from bot.config.loader import ConfigError, DataclassBuilder, LineLoader, Lines, kind, merge_mappings
from model.paths import model_path_problem

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
         fields: tuple[str, ...] = (), check: Callable[[Any], str | None] | None = None):
    """A dataclass field with an allowed range, 'resolve relative to the config file', the
    placeholders a reply template may use, or a check that says what is wrong with a value."""
    return field(default=default,
                 metadata={"lo": lo, "hi": hi, "path": path, "fields": fields, "check": check})


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

    # Not resolved against the config file: it may be a hub name (the loader reads a relative
    # directory from the working directory).
    path: str = _opt("default", check=model_path_problem)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    quantize: Literal["auto", "on", "off"] = "auto"
    precision: Literal["auto", "fp32", "bf16"] = "auto"
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
    # While the database cannot be written (disk full, read-only), at most this many minutes of
    # statistics (and raw messages) wait in memory; older ones are dropped and counted.
    max_backlog_minutes: int = _opt(60, lo=1, hi=1440)


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

    def counts(self, user: str, text: str) -> bool:
        """Whether a message counts toward the mood: not a command, not from an ignored bot.
        The live bot and offline analysis both filter here, so they count the same messages."""
        return not text.startswith(self.command_prefix) and user.lower() not in self._ignored

    @cached_property
    def _ignored(self) -> frozenset[str]:
        # Built once, not per message: counts() runs for every chat line.
        return frozenset(u.lower() for u in self.ignore_users)


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

    def chat_filter(self, own_login: str = "") -> ChatConfig:
        """`chat` with the bot's own login (`own_login`, else `twitch.bot_login`) ignored as well:
        the bot's replies are not chat's mood, live or in a recorded log."""
        login = (own_login or self.twitch.bot_login).lower()
        if not login:
            return self.chat
        return dataclasses.replace(self.chat, ignore_users=(*self.chat.ignore_users, login))


DEFAULT_CONFIG = Path("config.yaml")


def resolve_config(path: str | None) -> Config:
    """An explicit path must exist; otherwise ./config.yaml if present, else the defaults."""
    if path is not None:
        return load_config(path)
    if DEFAULT_CONFIG.is_file():
        return load_config(DEFAULT_CONFIG)
    return parse_config(None, source="built-in defaults")


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read and validate a config file; raise ConfigError with file, line and key path."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read config file: {exc.strerror or exc}") from exc
    try:
        data = yaml.load(text, Loader=LineLoader)
    except ConfigError as exc:
        raise ConfigError(f"{file}:{str(exc).removeprefix('line ')}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark else str(file)
        raise ConfigError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    return parse_config(data, source=str(file), base_dir=file.resolve().parent)


def parse_config(data: Any, *, source: str = "<config>", base_dir: Path | None = None) -> Config:
    """Validate already-parsed YAML data (None means all defaults)."""
    builder = DataclassBuilder(source, base_dir or Path.cwd(), _SECRET_KEYS)
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: expected a mapping of sections at the top, found {kind(data)}")
    raw_channels = data.get("channels", [])
    top = {k: v for k, v in data.items() if k != "channels"}
    config = builder.build(Config, top, "", getattr(data, "lines", {}), allow={"channels"})
    mood_raw = top.get("mood") or {}
    channels = _channels(builder, raw_channels, mood_raw, getattr(data, "lines", {}).get("channels"))
    return dataclasses.replace(config, channels=channels, source=source)


def _channels(builder: DataclassBuilder, raw: Any, mood_raw: Any,
              line: int | None) -> tuple[ChannelConfig, ...]:
    """The channel list: names, or mappings with a name and mood overrides on top of `mood`."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        builder.fail("channels", line, f"expected a list of channel names or mappings, found {kind(raw)}")
    result: list[ChannelConfig] = []
    for index, entry in enumerate(raw):
        key_path = f"channels[{index}]"
        overrides: Mapping[str, Any] = {}
        if isinstance(entry, str):
            name = entry
        elif isinstance(entry, Mapping) and isinstance(entry.get("name"), str):
            name, overrides = entry["name"], {k: v for k, v in entry.items() if k != "name"}
            line = entry.lines.get("name", line) if isinstance(entry, Lines) else line
        else:
            builder.fail(key_path, line,
                         f"expected a channel name or a mapping with 'name', found {kind(entry)}")
        name = name.strip().lstrip("#").lower()
        if not _CHANNEL_NAME.match(name):
            builder.fail(f"{key_path}.name", line,
                      f"expected a Twitch login (letters, digits, _), found {name!r}")
        if any(c.name == name for c in result):
            builder.fail(f"{key_path}.name", line, f"channel {name!r} is listed twice")
        merged = Lines(merge_mappings(mood_raw if isinstance(mood_raw, Mapping) else {}, overrides))
        merged.lines = getattr(entry, "lines", {})
        result.append(ChannelConfig(name, builder.build(MoodConfig, merged, key_path, {}, line)))
    return tuple(result)


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
