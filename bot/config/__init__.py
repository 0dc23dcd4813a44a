"""config.yaml: the settings dataclasses (`settings`) and the validating YAML loader (`loader`)."""

from bot.config.loader import ConfigError
from bot.config.settings import (
    ChannelConfig,
    ChatConfig,
    Config,
    ModelConfig,
    MoodConfig,
    RepliesConfig,
    StorageConfig,
    TwitchConfig,
    describe_config,
    load_config,
    parse_config,
    resolve_config,
)

__all__ = [
    "ChannelConfig", "ChatConfig", "Config", "ConfigError", "ModelConfig", "MoodConfig", "RepliesConfig",
    "StorageConfig", "TwitchConfig", "describe_config", "load_config", "parse_config", "resolve_config",
]
