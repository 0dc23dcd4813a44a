"""The numbers the pages show, as JSON: built from the same MoodTracker calls as `!mood` and
`!hype` (and `mood_word`), and from the Store for history. The pages compute nothing of their own."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from commands.mood import mood_word

if TYPE_CHECKING:
    from bot.chatbot import MoodBot

HISTORY_S = 3 * 3600  # the dashboard's chart: the last 3 hours, per minute
RECENT_ALERTS = 20


async def channel_snapshot(bot: MoodBot, channel: str, now: float) -> dict[str, Any]:
    """Live mood and hype of one channel (what the overlay shows, updated every second)."""
    tracker = bot.tracker(channel)
    settings = tracker.settings
    current, previous = tracker.report(now)
    hype = tracker.hype(now)
    enough = current.count >= settings.min_messages
    word, emoji = mood_word(current.mean) if enough else ("quiet", "💤")
    return {
        "channel": channel, "at": now,
        "mood": {"value": round(current.mean, 4), "word": word, "emoji": emoji, "count": current.count,
                 "enough": enough, "positive": round(current.positive, 4),
                 "neutral": round(current.neutral, 4), "negative": round(current.negative, 4),
                 "window_s": settings.report_window_s,
                 "previous": round(previous.mean, 4) if previous.count >= settings.min_messages else None},
        "hype": {"level": hype.level, "rate_ratio": round(hype.rate_ratio, 3),
                 "positive": round(hype.positive, 4), "window_s": settings.short_window_s},
        "alerts_enabled": await bot.alerts_enabled(channel),
    }


async def channel_detail(bot: MoodBot, channel: str, now: float) -> dict[str, Any]:
    """The snapshot plus what the dashboard shows of the past: per-minute history (from SQLite, so
    it survives restarts), recent swings, who switched alerts, and recent chat."""
    detail = await channel_snapshot(bot, channel, now)
    store = bot.store
    history = await store.minute_history(channel, now - HISTORY_S)
    detail["history"] = [
        {"t": b.start, "count": b.count, "mean": round(b.total / b.count, 4) if b.count else None,
         "positive": b.positive, "neutral": b.neutral, "negative": b.negative} for b in history]
    detail["alerts"] = [{"at": s.at, "before": round(s.before, 4), "after": round(s.after, 4), "sent": s.sent,
                         "reason": s.reason} for s in await store.recent_alerts(channel, RECENT_ALERTS)]
    detail["switches"] = [{"at": at, "enabled": enabled, "by": who}
                          for at, enabled, who in await store.alert_switches(channel, RECENT_ALERTS)]
    detail["recent"] = [
        {"at": m.at, "user": m.user, "text": m.text, "label": m.label, "value": round(m.value, 3)}
        for m in reversed(bot.recent[channel])]
    return detail
