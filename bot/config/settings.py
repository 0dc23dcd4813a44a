"""Typed configuration: the dataclasses below hold every setting and its one default (the chat
commands declare theirs in their own modules: commands/mood.py ...). Reading and checking
config.yaml is bot/config/files.py. Secrets never live here: the client secret comes from an
environment variable and tokens from `twitch.token_file`."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from commands import Command, CommandSettings
from commands.hype import HypeSettings
from commands.mood import MoodSettings
from commands.sentiment import SentimentSettings
from model.lexicon import emotes_problem
from model.paths import model_path_problem
from mood.fields import setting as _opt
from mood.fields import template as _template


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
    backend: Literal["auto", "torch", "onnx"] = "auto"
    quantize: Literal["auto", "on", "off"] = "auto"
    precision: Literal["auto", "fp32", "bf16"] = "auto"
    max_length: int = _opt(64, lo=8, hi=512)
    threads: int = _opt(0, lo=0, hi=256)
    workers: int = _opt(0, lo=0, hi=64)
    max_batch: int = _opt(256, lo=1, hi=4096)
    max_wait_ms: float = _opt(5.0, lo=0, hi=10_000)
    queue_size: int = _opt(4096, lo=1, hi=1_000_000)
    overload: Literal["reject", "wait"] = "reject"
    # A CSV of token,sentiment merged over the model's emote lexicon ("" for none).
    emotes: str = _opt("", path=True, check=emotes_problem)
    emotes_check_s: float = _opt(2.0, lo=0.5, hi=3600)  # how often `run` looks for edited emote CSVs


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
class WebConfig:
    """The overlay, dashboard, JSON API and /metrics that `twitch-mood run` serves."""

    enabled: bool = True
    host: str = "127.0.0.1"  # 0.0.0.0 to reach it from another machine (OBS on a second PC)
    port: int = _opt(8787, lo=0, hi=65_535)  # 0: any free port (the log line says which)
    overlay_key_file: str = _opt("~/.config/twitch-mood/overlay.key", path=True)


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
    alert_message: str = _template(
        "Mood swing: chat went from {before:+.2f} to {after:+.2f} in the last {window}",
        before=0.4, after=-0.3, window="minute")


@dataclass(frozen=True)
class CommandsConfig:
    """The chat commands' settings (each declared next to its command); a channel may override any."""

    mood: MoodSettings = field(default_factory=MoodSettings)
    hype: HypeSettings = field(default_factory=HypeSettings)
    sentiment: SentimentSettings = field(default_factory=SentimentSettings)

    def of(self, command: Command) -> CommandSettings:
        return getattr(self, command.name)


@dataclass(frozen=True)
class ChatConfig:
    """Which chat messages the bot reads and how it answers people it refuses."""

    command_prefix: str = "!"
    ignore_users: tuple[str, ...] = (
        "nightbot", "streamelements", "fossabot", "moobot", "streamlabs", "soundalerts",
    )
    refusal: Literal["reply", "silent"] = "reply"
    refusal_reply: str = _template("Only {who} can use !{command}.", who="moderators", command="sentiment",
                                   user="viewer")
    refusal_cooldown_s: float = _opt(30.0, lo=0, hi=3600)  # at most one refusal per user per this

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
    """A joined channel and its effective settings (global `mood` and `commands` plus its overrides)."""

    name: str
    mood: MoodConfig
    commands: CommandsConfig = field(default_factory=CommandsConfig)
    emotes: str = ""  # this channel's own emote CSV, merged over model.emotes ("" for none)


@dataclass(frozen=True)
class Config:
    """The whole effective configuration."""

    twitch: TwitchConfig = field(default_factory=TwitchConfig)
    channels: tuple[ChannelConfig, ...] = ()
    model: ModelConfig = field(default_factory=ModelConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    web: WebConfig = field(default_factory=WebConfig)
    mood: MoodConfig = field(default_factory=MoodConfig)
    chat: ChatConfig = field(default_factory=ChatConfig)
    commands: CommandsConfig = field(default_factory=CommandsConfig)
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
