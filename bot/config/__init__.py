"""config.yaml: the settings dataclasses (`settings`), reading and checking the file (`files`,
`loader`) and the keys of older versions (`upgrade`)."""

from bot.config.files import describe_config, load_config, parse_config, resolve_config
from bot.config.loader import ConfigError
from bot.config.settings import (
    ChannelConfig,
    ChatConfig,
    CommandsConfig,
    Config,
    ModelConfig,
    MoodConfig,
    StorageConfig,
    TwitchConfig,
    WebConfig,
)

__all__ = [
    "ChannelConfig", "ChatConfig", "CommandsConfig", "Config", "ConfigError", "ModelConfig", "MoodConfig",
    "StorageConfig", "TwitchConfig", "WebConfig", "describe_config", "load_config", "parse_config",
    "resolve_config",
]
