"""Chat commands, one module each; `COMMANDS` is the one place they are registered."""

from commands import hype, mood, sentiment
from commands.base import BotView, Command, CommandSettings, Invocation, Level, ReplyKind
from commands.dispatch import Chatter, Dispatcher, Reply

COMMANDS: tuple[Command, ...] = (mood.COMMAND, hype.COMMAND, sentiment.COMMAND)

__all__ = ["COMMANDS", "BotView", "Chatter", "Command", "CommandSettings", "Dispatcher", "Invocation",
           "Level", "Reply", "ReplyKind"]
