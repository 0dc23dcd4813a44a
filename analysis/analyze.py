"""`twitch-mood analyze`: a recorded chat log through the model and the live bot's mood logic.

Messages are filtered as the live bot filters them (commands and ignored bots do not count),
scored through the ScoringService in large batches (each distinct text once: chat repeats
itself, and the same text always gets the same score), replayed through MoodTracker second by
second, and written out as `timeline.csv`, `moments.csv` and `mood.png`.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from analysis.chatlog import ChatLog, ChatLogError, LogMessage
from analysis.moments import (
    Moment,
    TimelineRow,
    hms,
    hype_peaks,
    replay,
    sharpest_swings,
    timeline,
    timeline_span,
)
from bot.config import ChatConfig, MoodConfig
from model.service import Predictor, ScoringService
from mood.labels import Score
from mood.tracker import Swing

BATCH = 1024  # texts per forward-pass batch; throughput, not latency, matters offline
SORT_WINDOW = 2 * BATCH  # texts sorted by length within windows: less padding, steady progress
TOP_MOMENTS = 5


@dataclass
class Analysis:
    """Everything `analyze` found, and how long each step took (seconds)."""

    log: ChatLog
    messages: list[LogMessage]
    scores: list[Score]
    ignored: int
    distinct: int
    timeline: list[TimelineRow]
    swings: list[Swing]
    moments: list[Moment]
    timings: dict[str, float] = field(default_factory=dict)


async def score_texts(predictor: Predictor, texts: Sequence[str], *, batch: int = BATCH,
                      progress: Callable[[int], object] | None = None) -> list[Score]:
    """Scores for `texts` in order. Each distinct text goes through a ScoringService once; two
    batches are kept queued so the model never waits.

    `progress(n)` hears of n more messages done, counted in log order: every message before the
    first occurrence of the earliest unscored text is done. So the count moves at the pace of
    the log, not in a rush through the chat spam that repeats from the start."""
    first_seen: dict[str, int] = {}
    for position, text in enumerate(texts):
        first_seen.setdefault(text, position)
    distinct, starts = list(first_seen), list(first_seen.values())
    order: list[int] = []
    for start in range(0, len(distinct), SORT_WINDOW):
        window = range(start, min(start + SORT_WINDOW, len(distinct)))
        order.extend(sorted(window, key=lambda i: len(distinct[i])))
    results: list[Score | None] = [None] * len(distinct)
    frontier, reported = 0, 0

    async def run(chunk: list[int]) -> None:
        nonlocal frontier, reported
        for i, score in zip(chunk, await service.score_many([distinct[i] for i in chunk]), strict=True):
            results[i] = score
        while frontier < len(distinct) and results[frontier] is not None:
            frontier += 1
        position = starts[frontier] if frontier < len(distinct) else len(texts)
        if progress is not None and position > reported:
            progress(position - reported)
        reported = max(reported, position)

    async with ScoringService(predictor, max_batch=batch, max_wait_ms=50, queue_size=2 * batch,
                              overload="wait") as service:
        in_flight: set[asyncio.Task[None]] = set()
        for start in range(0, len(order), batch):
            in_flight.add(asyncio.create_task(run(order[start:start + batch])))
            if len(in_flight) >= 2:
                done, in_flight = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    task.result()
        await asyncio.gather(*in_flight)
    by_text = dict(zip(distinct, results, strict=True))
    return [by_text[t] for t in texts]  # type: ignore[misc]


def progress_bar(total: int, stream: TextIO):
    """A tqdm bar (done/total, msg/s, ETA) on a terminal; None when `stream` is not one."""
    if not stream.isatty():
        return None
    from tqdm import tqdm

    try:
        width = os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError, io.UnsupportedOperation):
        width = 0
    # A terminal that reports no width (some ptys, CI consoles) would get an empty bar.
    return tqdm(total=total, unit="msg", desc="scoring", file=stream, smoothing=0.1,
                dynamic_ncols=width > 0, ncols=None if width > 0 else 100)


def counted_messages(log: ChatLog, chat: ChatConfig, bucket_s: float) -> list[LogMessage]:
    """The messages of `log` that count (no commands, no ignored bots); a one-line error where
    there are none, or where their times span more timeline rows than a report can hold."""
    messages = [m for m in log.messages if chat.counts(m.user, m.text)]
    if not messages:
        raise ChatLogError(f"{log.path}: all {len(log.messages):,} messages are commands or from ignored "
                           "bots; nothing to analyse")
    timeline_span(messages, bucket_s)
    return messages


async def analyze(log: ChatLog, predictor: Predictor, *, mood: MoodConfig, chat: ChatConfig,
                  bucket_s: float = 30.0, top: int = TOP_MOMENTS, stream: TextIO | None = None) -> Analysis:
    """Score and replay a chat log; `stream` gets the progress bar when it is a terminal."""
    messages = counted_messages(log, chat, bucket_s)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    bar = progress_bar(len(messages), stream) if stream is not None else None
    try:
        scores = await score_texts(predictor, [m.text for m in messages],
                                   progress=bar.update if bar is not None else None)
    finally:
        if bar is not None:
            bar.close()
    timings["score"] = time.perf_counter() - started
    started = time.perf_counter()
    replayed = replay(messages, scores, mood)
    rows = timeline(messages, scores, replayed.ticks, bucket_s)
    moments = (hype_peaks(replayed, messages, scores, mood, top)
               + sharpest_swings(replayed, messages, scores, mood, top))
    timings["replay"] = time.perf_counter() - started
    ignored, distinct = len(log.messages) - len(messages), len({m.text for m in messages})
    return Analysis(log, messages, scores, ignored, distinct, rows, replayed.swings, moments, timings)


def write_report(analysis: Analysis, out_dir: Path) -> list[Path]:
    """Write timeline.csv, moments.csv and mood.png into `out_dir`; return their paths."""
    from analysis.plot import plot_mood  # matplotlib takes a moment to import

    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    paths = [write_timeline(analysis.timeline, out_dir / "timeline.csv"),
             write_moments(analysis.moments, out_dir / "moments.csv")]
    log = analysis.log
    title = (f"Chat mood - {log.path.name} - {len(analysis.messages):,} messages over "
             f"{hms(log.duration)}")
    note = f"times assumed: {log.assumed_rate:g} msg/s, the log has none" if log.assumed_rate else ""
    plot_mood(analysis.timeline, analysis.moments, out_dir / "mood.png", title=title, time_note=note)
    paths.append(out_dir / "mood.png")
    analysis.timings["write"] = time.perf_counter() - started
    return paths


TIMELINE_COLUMNS = ("start", "start_s", "messages", "msg_per_s", "mean", "positive", "neutral", "negative",
                    "hype")
MOMENT_COLUMNS = ("rank", "kind", "offset", "offset_s", "hype", "msg_per_s", "mood", "before", "after",
                  "change", "alert", "message_1", "message_2", "message_3")


def write_timeline(rows: Sequence[TimelineRow], path: Path) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(TIMELINE_COLUMNS)
        for row in rows:
            start = row.bucket.start
            writer.writerow([hms(start), f"{start:g}", row.bucket.count, f"{row.rate:.2f}", _signed(row.mean),
                             *(f"{row.share(label):.3f}" for label in ("positive", "neutral", "negative")),
                             "" if row.hype is None else row.hype])
    return path


def write_moments(moments: Sequence[Moment], path: Path) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(MOMENT_COLUMNS)
        ranks: Counter[str] = Counter()
        for moment in moments:
            ranks[moment.kind] += 1
            quotes = list(moment.messages) + [""] * (3 - len(moment.messages))
            writer.writerow([ranks[moment.kind], moment.kind, hms(moment.at), f"{moment.at:g}", moment.hype,
                             f"{moment.rate:.2f}", f"{moment.mood:+.3f}", _signed(moment.before),
                             _signed(moment.after), _signed(moment.change), moment.alert,
                             *map(spreadsheet_safe, quotes[:3])])
    return path


def spreadsheet_safe(text: str) -> str:
    """A chat quote as a spreadsheet cell: a leading = + - @ would make Excel or Sheets read it
    as a formula (`=HYPERLINK(...)` from a viewer), so it gets an apostrophe in front."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _signed(value: float | None) -> str:
    return "" if value is None else f"{value:+.3f}"


def summary(analysis: Analysis, paths: Sequence[Path]) -> str:
    """What a person wants to read after the run."""
    log, swings = analysis.log, analysis.swings
    peaks = [m for m in analysis.moments if m.kind == "hype peak"]
    lines = [f"read {log.path}: {log.format}, {len(log.messages):,} messages over {hms(log.duration)}"]
    if log.skipped:
        lines.append(f"  skipped {sum(log.skipped.values()):,} entries: {log.skipped_summary()}")
    if log.open_quotes:
        shown = ", ".join(map(str, log.open_quotes[:5])) + (", ..." if len(log.open_quotes) > 5 else "")
        lines.append(f"  {len(log.open_quotes):,} CSV rows with a quote left open, each read on its own "
                     f"(line {shown})")
    if log.assumed_rate:
        lines.append(f"  no time column: assumed {log.assumed_rate:g} msg/s, evenly spaced (set --rate)")
    if analysis.ignored:
        lines.append(f"  not counted: {analysis.ignored:,} commands or messages from bots")
    score_s = analysis.timings.get("score", 0.0)
    lines.append(f"scored {len(analysis.messages):,} messages ({analysis.distinct:,} distinct texts) in "
                 f"{score_s:.1f} s ({len(analysis.messages) / max(score_s, 1e-9):,.0f} msg/s)")
    lines.append(f"swings: {sum(s.sent for s in swings)} the bot would announce, "
                 f"{sum(not s.sent for s in swings)} more inside its cooldown")
    if peaks:
        best = max(peaks, key=lambda m: m.hype)
        lines.append(f"top hype: {best.hype} at {hms(best.at)} ({' | '.join(best.messages)})")
    lines.append("wrote " + ", ".join(str(p) for p in paths))
    return "\n".join(lines)
