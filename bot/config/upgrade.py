"""Keys of older config files and where they live now. Each still works, with one warning naming
its new home: reply templates moved from `mood.replies` to the commands that send them, and the
one command cooldown to each command's own."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from bot.config.loader import Lines, merge_mappings

log = logging.getLogger("twitch_mood.config")

# mood.replies.<key> -> (section, key path in that section)
MOVED_REPLIES: dict[str, tuple[str, ...]] = {
    "mood": ("commands", "mood", "reply"),
    "mood_too_few": ("commands", "mood", "reply_too_few"),
    "hype": ("commands", "hype", "reply"),
    "sentiment_on": ("commands", "sentiment", "reply_on"),
    "sentiment_off": ("commands", "sentiment", "reply_off"),
    "sentiment_usage": ("commands", "sentiment", "reply_usage"),
    "alert": ("mood", "alert_message"),
    "refused": ("chat", "refusal_reply"),
}
# The old cooldown applied to every command; !sentiment is not given it: a moderator's switch
# must never be ignored.
COOLDOWN_COMMANDS = ("mood", "hype")


def _moves(mood: Mapping[str, Any], where: str) -> dict[tuple[str, ...], Any]:
    """The old keys found in a `mood` mapping, as {new key path: value}, warning once for each."""
    moves: dict[tuple[str, ...], Any] = {}
    replies = mood.get("replies")
    if isinstance(replies, Mapping):
        for key, value in replies.items():
            target = MOVED_REPLIES.get(str(key))
            if target is None:
                target = ("mood", "replies", str(key))  # unknown: left where it was, the check names it
            else:
                log.warning("%s: mood.replies.%s is deprecated; it still works, but move it to %s",
                            where, key, ".".join(target))
            moves[target] = value
    if "command_cooldown_s" in mood:
        log.warning("%s: mood.command_cooldown_s is deprecated; it still works, but set cooldown_s "
                    "under commands.mood and commands.hype instead", where)
        for name in COOLDOWN_COMMANDS:
            moves[("commands", name, "cooldown_s")] = mood["command_cooldown_s"]
    return moves


def _nest(moves: Mapping[tuple[str, ...], Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for path, value in moves.items():
        here = nested
        for part in path[:-1]:
            here = here.setdefault(part, {})
        here[path[-1]] = value
    return nested


def _without_old_keys(mood: Mapping[str, Any], moves: Mapping[tuple[str, ...], Any]) -> Lines:
    kept = Lines({k: v for k, v in mood.items() if k not in ("replies", "command_cooldown_s")})
    kept.lines = getattr(mood, "lines", {})
    unknown = {path[-1]: value for path, value in moves.items() if path[:2] == ("mood", "replies")}
    if unknown:
        kept["replies"] = unknown
    return kept


def upgrade_top(top: Lines, where: str) -> Lines:
    """The top-level sections with old `mood` keys moved; new keys written explicitly win."""
    mood = top.get("mood")
    if not isinstance(mood, Mapping):
        return top
    moves = _moves(mood, where)
    if not moves:
        return top
    nested = _nest(moves)
    upgraded = Lines(top)
    upgraded.lines = top.lines
    upgraded["mood"] = _without_old_keys(mood, moves)
    for section, values in nested.items():
        current = upgraded.get(section)
        old_first = merge_mappings(values, current if isinstance(current, Mapping) else {})
        if section == "mood":
            upgraded["mood"] = Lines(merge_mappings(old_first, upgraded["mood"]))
            upgraded["mood"].lines = getattr(mood, "lines", {})
        else:
            upgraded[section] = old_first
    return upgraded


def upgrade_channel(overrides: dict[str, Any], where: str) -> dict[str, Any]:
    """A channel's overrides with old keys moved (`replies`, `command_cooldown_s`)."""
    moves = _moves(overrides, where)
    if not moves:
        return overrides
    nested = _nest(moves)
    upgraded = dict(_without_old_keys(overrides, moves))
    upgraded.update({k: v for k, v in nested.get("mood", {}).items() if k not in upgraded})
    if "commands" in nested:
        current = upgraded.get("commands")
        explicit = current if isinstance(current, Mapping) else {}
        upgraded["commands"] = merge_mappings(nested["commands"], explicit)
    if "chat" in nested:
        log.warning("%s: a channel cannot change chat.refusal_reply; the top-level chat section does",
                    where)
    return upgraded
