"""Chat commands, one module each; `COMMANDS` is the one place they are registered."""

from commands import hype, mood, sentiment
from commands.base import BotView, Command, Invocation

COMMANDS: tuple[Command, ...] = (mood.COMMAND, hype.COMMAND, sentiment.COMMAND)

__all__ = ["COMMANDS", "BotView", "Command", "Invocation"]
