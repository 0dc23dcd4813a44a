"""Prometheus metrics of one running bot, in a registry of its own (no global state).

Counters the bot already keeps are read at scrape time by a collector; the three histograms are
observed as things happen (scoring batches, submit-to-score latency, SQLite flushes)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from bot.chatbot import MoodBot

PREFIX = "twitch_mood"


class BotMetrics:
    """`observe_batch` and `observe_flush` are the hooks; `exposition()` is the /metrics body."""

    def __init__(self, bot: MoodBot) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.batch_size = Histogram(f"{PREFIX}_scoring_batch_size", "Messages per scoring batch",
                                    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512), registry=self.registry)
        self.latency = Histogram(f"{PREFIX}_scoring_latency_seconds",
                                 "Seconds from a message's submission to its score",
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
                                 registry=self.registry)
        self.flush = Histogram(f"{PREFIX}_sqlite_flush_seconds", "Seconds per write of statistics to SQLite",
                               buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5),
                               registry=self.registry)
        self.registry.register(_BotCollector(bot))

    def observe_batch(self, size: int, latencies: Sequence[float]) -> None:
        self.batch_size.observe(size)
        for seconds in latencies:
            self.latency.observe(seconds)

    def observe_flush(self, seconds: float) -> None:
        self.flush.observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _BotCollector(Collector):
    def __init__(self, bot: MoodBot) -> None:
        self.bot = bot

    def collect(self) -> Iterator[Metric]:
        bot = self.bot
        for name, help_text in (("received", "Chat messages received"),
                                ("counted", "Chat messages scored and counted in the mood"),
                                ("dropped", "Chat messages dropped (scoring queue full, or shutdown)")):
            family = CounterMetricFamily(f"{PREFIX}_messages_{name}", help_text, labels=["channel"])
            for channel, stats in bot.channel_stats.items():
                family.add_metric([channel], getattr(stats, name))
            yield family
        alerts = CounterMetricFamily(f"{PREFIX}_alerts_sent", "Mood swing alerts sent", labels=["channel"])
        for channel, stats in bot.channel_stats.items():
            alerts.add_metric([channel], stats.alerts)
        yield alerts
        replies = CounterMetricFamily(f"{PREFIX}_messages_sent", "Messages the bot said in chat, by kind",
                                      labels=["kind"])
        for kind, count in sorted(bot.sender.sent.items()):
            replies.add_metric([kind.name.lower()], count)
        yield replies
        yield CounterMetricFamily(f"{PREFIX}_reconnects", "Chat connections rebuilt by the watchdog",
                                  value=bot.connection.reconnects)
        yield GaugeMetricFamily(f"{PREFIX}_scoring_queue_depth", "Messages waiting to be scored",
                                value=bot.service.queued)
