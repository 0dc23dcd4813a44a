"""The statistics writer: flushes the Store on a timer, and rides out a database that cannot be
written (disk full, read-only, a lost mount) without flooding the log or growing without bound.

While writes fail, what is pending stays in memory (a failed `Store.flush` requeues it), at most
`max_backlog_minutes` minutes of it: older minutes (counts, raw messages, alerts) are dropped and
counted. The failure is logged once at ERROR in one line, then a WARNING each minute with the
backlog, and one INFO line when writing works again. Retries back off (1, 2, 4 .. 60 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable

from bot.store import Discarded, Store

log = logging.getLogger("twitch_mood.storage")

# What a database that cannot be written raises; anything else is a bug and keeps its traceback.
WRITE_ERRORS = (sqlite3.Error, OSError)


class StatsWriter:
    """`await run()` under the bot's supervisor flushes every `interval_s`; at shutdown, after the
    last messages are recorded, `await close()` writes what is left and reports what was lost."""

    def __init__(self, store: Store, *, interval_s: float, max_backlog_minutes: int,
                 first_retry_s: float = 1.0, max_retry_s: float = 60.0, report_every_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.interval_s = interval_s
        self.max_backlog_minutes = max_backlog_minutes
        self.first_retry_s, self.max_retry_s, self.report_every_s = first_retry_s, max_retry_s, report_every_s
        self.clock = clock
        self.failure: str | None = None  # why writes fail, while they do
        self.last_failure = ""
        self.lost_minutes: set[int] = set()  # minutes dropped unwritten, and in them:
        self.lost_messages = self.lost_texts = self.lost_alerts = 0
        self.written = 0  # messages written so far
        self.on_flush: Callable[[float], None] | None = None  # seconds per successful write (metrics)
        self._failed_at = self._next_try = self._warned_at = 0.0
        self._retry_s = first_retry_s
        self._flushing: asyncio.Future[int] | None = None

    async def run(self) -> None:
        """Flush every `interval_s` until cancelled."""
        while True:
            await asyncio.sleep(self.interval_s)
            await self.tick()

    async def tick(self) -> None:
        """One turn: write if a write is due, keep the backlog within its bound, report."""
        now = self.clock()
        if self.failure is None or now >= self._next_try:
            await self._write(now)
        self._bound()
        if self.failure is not None and now - self._warned_at >= self.report_every_s:
            self._warned_at = now
            log.warning("statistics still not written to %s (%s): %d messages in %d minutes pending, "
                        "%d minutes dropped; next try in %.0f s", self.store.path, self.failure,
                        self.store.pending, len(self.store.pending_minutes), len(self.lost_minutes),
                        max(0.0, self._next_try - now))

    async def close(self) -> int:
        """The last write, at shutdown. Returns how many minutes of statistics could not be
        written (dropped while writes failed, or failing now), logged in one line if any; what
        could not be written is then discarded, so closing the store does not fail again."""
        if self._flushing is not None:  # a write the loop's cancellation left running
            with contextlib.suppress(*WRITE_ERRORS):
                self.written += await self._flushing
        try:
            await self._flush()
        except WRITE_ERRORS as exc:
            self.last_failure = str(exc) or type(exc).__name__
            self._count(self.store.discard_before())
        if self.lost_minutes or self.lost_alerts:
            log.error("%d minutes of statistics (%d messages, %d alerts) could not be written to %s: %s",
                      len(self.lost_minutes), self.lost_messages, self.lost_alerts, self.store.path,
                      self.last_failure)
        return len(self.lost_minutes)

    async def _flush(self) -> int:
        # Shielded: a cancelled loop must not stop a commit half-way (its rows would be requeued
        # and written twice); close() waits for it instead.
        started = time.perf_counter()
        self._flushing = asyncio.ensure_future(self.store.flush())
        written = await asyncio.shield(self._flushing)
        self._flushing = None
        self.written += written
        if self.on_flush is not None:
            self.on_flush(time.perf_counter() - started)
        return written

    async def _write(self, now: float) -> None:
        try:
            written = await self._flush()
        except WRITE_ERRORS as exc:
            self._flushing = None
            self._failed(str(exc) or type(exc).__name__, now)
            return
        if self.failure is not None:
            log.info("writing statistics to %s works again after %.0f s; %d messages written",
                     self.store.path, now - self._failed_at, written)
            self.failure = None

    def _failed(self, reason: str, now: float) -> None:
        if self.failure is None:
            self._failed_at = self._warned_at = now
            self._retry_s = self.first_retry_s
            log.error("cannot write statistics to %s: %s; keeping up to %d minutes of them in memory "
                      "and retrying", self.store.path, reason, self.max_backlog_minutes)
        else:
            self._retry_s = min(self._retry_s * 2, self.max_retry_s)
        self.failure = self.last_failure = reason
        self._next_try = now + self._retry_s

    def _bound(self) -> None:
        minutes = self.store.pending_minutes
        if len(minutes) > self.max_backlog_minutes:
            self._count(self.store.discard_before(minutes[-self.max_backlog_minutes]))

    def _count(self, dropped: Discarded) -> None:
        self.lost_minutes |= dropped.minutes
        self.lost_messages += dropped.messages
        self.lost_texts += dropped.texts
        self.lost_alerts += dropped.alerts
