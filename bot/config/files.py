"""Reading config.yaml: `load_config` checks every key against the settings dataclasses and
raises `ConfigError` naming the file, line, key path (`channels[2].swing_threshold`), what was
found and what was expected. Keys from older versions are moved to their new home with a warning
(bot/config/upgrade.py)."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from bot.config.loader import ConfigError, DataclassBuilder, LineLoader, Lines, kind, merge_mappings
from bot.config.settings import ChannelConfig, CommandsConfig, Config, MoodConfig
from bot.config.upgrade import upgrade_channel, upgrade_top
from commands import COMMANDS
from model.lexicon import emotes_problem

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
    top = Lines({k: v for k, v in data.items() if k != "channels"})
    top.lines = getattr(data, "lines", {})
    top = upgrade_top(top, source)
    config = builder.build(Config, top, "", top.lines, allow={"channels"})
    prefix = config.chat.command_prefix
    _check_aliases(builder, config.commands, "commands", top.lines.get("commands"), prefix)
    channels = _channels(builder, raw_channels, top.get("mood") or {}, top.get("commands") or {},
                         top.lines.get("channels"), source, prefix)
    return dataclasses.replace(config, channels=channels, source=source)


def _channels(builder: DataclassBuilder, raw: Any, mood_raw: Any, commands_raw: Any,
              line: int | None, source: str, prefix: str) -> tuple[ChannelConfig, ...]:
    """The channel list: names, or mappings with a name, `mood` keys and `commands` overrides on
    top of the global `mood` and `commands`."""
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
            overrides = upgrade_channel(overrides, f"{source}: channels[{index}]")
        else:
            builder.fail(key_path, line,
                         f"expected a channel name or a mapping with 'name', found {kind(entry)}")
        name = name.strip().lstrip("#").lower()
        if not _CHANNEL_NAME.match(name):
            builder.fail(f"{key_path}.name", line,
                      f"expected a Twitch login (letters, digits, _), found {name!r}")
        if any(c.name == name for c in result):
            builder.fail(f"{key_path}.name", line, f"channel {name!r} is listed twice")
        emotes = _channel_emotes(builder, overrides.pop("emotes", None), f"{key_path}.emotes", line)
        command_overrides = overrides.pop("commands", None) or {}
        if not isinstance(command_overrides, Mapping):
            builder.fail(f"{key_path}.commands", line,
                         f"expected a mapping, found {kind(command_overrides)}")
        merged = Lines(merge_mappings(mood_raw if isinstance(mood_raw, Mapping) else {}, overrides))
        merged.lines = getattr(entry, "lines", {})
        base_commands = commands_raw if isinstance(commands_raw, Mapping) else {}
        commands = merge_mappings(base_commands, command_overrides)
        mood = builder.build(MoodConfig, merged, key_path, {}, line)
        command_settings = builder.build(CommandsConfig, commands, f"{key_path}.commands", {}, line)
        _check_aliases(builder, command_settings, f"{key_path}.commands", line, prefix)
        result.append(ChannelConfig(name, mood, command_settings, emotes))
    return tuple(result)


def _channel_emotes(builder: DataclassBuilder, value: Any, key_path: str, line: int | None) -> str:
    """A channel's own emote CSV: resolved like model.emotes and checked the same way."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        builder.fail(key_path, line, f"expected a path to a CSV of token,sentiment, found {kind(value)}")
    path = builder.resolve_path(value)
    problem = emotes_problem(path)
    if problem:
        builder.fail(key_path, line, problem)
    return path


def _check_aliases(builder: DataclassBuilder, commands: CommandsConfig, key_path: str, line: int | None,
                   prefix: str) -> None:
    """Aliases must be one word and name one command: not empty, not another command's name."""
    owner = {command.name: command.name for command in COMMANDS}
    for command in COMMANDS:
        for alias in commands.of(command).aliases:
            name = alias.strip().removeprefix(prefix).lower()
            where = f"{key_path}.{command.name}.aliases"
            if not name or any(ch.isspace() for ch in name):
                builder.fail(where, line, f"expected one word per alias (vibe for !vibe), found {alias!r}")
            if owner.setdefault(name, command.name) != command.name:
                builder.fail(where, line, f"{alias!r} already names !{owner[name]}; choose another alias")


def describe_config(config: Config) -> str:
    """The effective config as YAML, with the secret shown only as set / not set."""
    data = dataclasses.asdict(config)
    source = data.pop("source")
    for channel in data["channels"]:
        channel.update(channel.pop("mood"))
        channel["commands"] = channel.pop("commands")  # after the mood keys, as in config.yaml
    secret_state = "set (hidden)" if config.client_secret() else "not set"
    token = Path(config.twitch.token_file)
    token_state = "present" if token.exists() else "missing (run `twitch-mood auth`)"
    header = (
        f"# effective config from {source}\n"
        f"# client secret (${config.twitch.client_secret_env}): {secret_state}\n"
        f"# token file: {token_state}\n"
    )
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
