"""SQLite persistence (aiosqlite, WAL): per-minute mood aggregates, alerts, channel settings.

Scored messages are summed in memory (`record`) and written by `flush` in one transaction, on a
timer and at shutdown, never one transaction per message. A flush that fails keeps its rows
pending for the next one, so nothing is lost to a locked database. Raw text is stored only
with `keep_messages`.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

from bot.schema import MIGRATIONS, OUR_TABLES, SCHEMA_VERSION, UPSERT_MINUTE, StoreError, tables_at, unusable
from mood.tracker import Bucket, Swing

log = logging.getLogger(__name__)

@dataclass(frozen=True, slots=True)
class ChannelSetting:
    """Whether swing alerts are on in a channel, and who changed that when."""

    alerts_enabled: bool
    changed_by: str
    changed_at: float


@dataclass(frozen=True, slots=True)
class Discarded:
    """Pending statistics dropped unwritten: which minutes, how many messages counted in them,
    raw message rows (`keep_messages`) and alerts."""

    minutes: frozenset[int] = frozenset()
    messages: int = 0
    texts: int = 0
    alerts: int = 0


class Store:
    """The bot's database. `await open()` (or `async with`) before use, `await close()` after."""

    def __init__(self, path: str | Path, *, keep_messages: bool = False) -> None:
        self.path = Path(path)
        self.keep_messages = keep_messages
        self._db: aiosqlite.Connection | None = None
        self._minutes: dict[tuple[str, int], Bucket] = {}
        self._messages: list[tuple[str, float, str, str, float, str]] = []
        self._alerts: list[tuple[str, float, float, float, int, str]] = []

    async def __aenter__(self) -> Store:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def open(self) -> None:
        """Open (creating or migrating) the database in WAL mode. A file that cannot be used
        (unwritable, not a database, another program's, from a newer twitch-mood) raises a
        one-line `StoreError` naming it; a file that is not ours is left unchanged."""
        self._check_path()
        try:
            self._db = await aiosqlite.connect(self.path)
        except sqlite3.Error as exc:
            raise unusable(self.path, exc) from None
        try:
            await self._check_owner()
            await self._db.execute("PRAGMA journal_mode=WAL")
            await self._db.execute("PRAGMA synchronous=NORMAL")
            await self._migrate()
            # A read-only file or directory shows only at the first write: try one, undone.
            await self._db.executescript(f"BEGIN; PRAGMA user_version = {SCHEMA_VERSION};")
            await self._db.rollback()
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):
                await self._db.close()
            self._db = None
            if isinstance(exc, sqlite3.Error):
                raise unusable(self.path, exc) from None
            raise

    def _check_path(self) -> None:
        parent = self.path.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise StoreError(f"cannot create {self.path}: {parent} (or a folder above it) is not a "
                             "directory; set storage.path to a file in a directory") from None
        except OSError as exc:
            raise StoreError(f"cannot create the directory {parent} for {self.path}: "
                             f"{exc.strerror or exc}; create it with write permission for this user "
                             "or set storage.path to another file") from None
        if self.path.is_dir():
            raise StoreError(f"{self.path} is a directory; set storage.path to a file name such as "
                             f"{self.path / 'twitch-mood.sqlite3'}")

    async def _check_owner(self) -> None:
        """Refuse a database that is not ours before anything (WAL mode included) is written."""
        async with self.db.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                                   "AND name NOT LIKE 'sqlite_%'") as cursor:
            tables = {str(row[0]) for row in await cursor.fetchall()}
        version = await self._user_version()
        foreign = sorted(tables - OUR_TABLES)
        if version <= SCHEMA_VERSION and (foreign or (version > 0 and tables != tables_at(version))):
            found = f"it has the tables {', '.join(foreign)}" if foreign else "tables are missing"
            raise StoreError(f"{self.path} is not a twitch-mood database ({found}, schema version "
                             f"{version}); it was left unchanged: set storage.path to another file")

    async def _user_version(self) -> int:
        async with self.db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def close(self) -> None:
        """Flush what is pending, then close."""
        if self._db is None:
            return
        try:
            await self.flush()
        finally:
            await self._db.close()
            self._db = None

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("Store is not open")
        return self._db

    async def _migrate(self) -> None:
        version = await self._user_version()
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path} has schema version {version}, newer than this "
                             f"twitch-mood ({SCHEMA_VERSION}); upgrade twitch-mood or set storage.path "
                             "to another file")
        for number in range(version, SCHEMA_VERSION):
            script = f"BEGIN; {MIGRATIONS[number]} PRAGMA user_version = {number + 1}; COMMIT;"
            await self.db.executescript(script)
            log.info("database %s migrated to schema version %d", self.path, number + 1)

    # -- buffered writes -------------------------------------------------------------------

    def record(self, channel: str, timestamp: float, value: float, label: str,
               user: str = "", text: str = "") -> None:
        """Count one scored message (in memory until the next flush)."""
        minute = int(timestamp // 60)
        bucket = self._minutes.get((channel, minute))
        if bucket is None:
            bucket = self._minutes[(channel, minute)] = Bucket(start=minute * 60.0, length=60.0)
        bucket.add(value, label)
        if self.keep_messages:
            self._messages.append((channel, timestamp, user, text, value, label))

    def record_alert(self, channel: str, swing: Swing) -> None:
        """Remember an alert, sent or suppressed with its reason."""
        self._alerts.append((channel, swing.at, swing.before, swing.after, int(swing.sent), swing.reason))

    @property
    def pending(self) -> int:
        """Messages counted but not yet written."""
        return sum(b.count for b in self._minutes.values())

    async def flush(self) -> int:
        """Write everything pending in one transaction; return the number of messages written."""
        if not (self._minutes or self._messages or self._alerts):
            return 0
        minutes, messages, alerts = self._minutes, self._messages, self._alerts
        self._minutes, self._messages, self._alerts = {}, [], []
        rows = [(channel, minute, b.count, b.total, b.negative, b.neutral, b.positive)
                for (channel, minute), b in minutes.items()]
        try:
            await self.db.executemany(UPSERT_MINUTE, rows)
            await self.db.executemany(
                "INSERT INTO messages (channel, at, user, text, value, label) VALUES (?, ?, ?, ?, ?, ?)",
                messages)
            await self.db.executemany(
                "INSERT INTO alerts (channel, at, before, after, sent, reason) VALUES (?, ?, ?, ?, ?, ?)",
                alerts)
            await self.db.commit()
        except Exception:
            self._requeue(minutes, messages, alerts)  # first: a rollback may fail as well
            with contextlib.suppress(sqlite3.Error):
                await self.db.rollback()
            raise
        return sum(b.count for b in minutes.values())

    @property
    def pending_minutes(self) -> list[int]:
        """The minutes (since the epoch) with counted messages not yet written, oldest first."""
        return sorted({minute for _, minute in self._minutes})

    def discard_before(self, minute: float = float("inf")) -> Discarded:
        """Drop what is pending from before `minute` (everything by default): counts, raw
        messages and alerts. For a database that cannot be written; nothing else calls it."""
        old = [key for key in self._minutes if key[1] < minute]
        buckets = [self._minutes.pop(key) for key in old]
        messages = [m for m in self._messages if m[1] // 60 >= minute]
        alerts = [a for a in self._alerts if a[1] // 60 >= minute]
        dropped = Discarded(minutes=frozenset(key[1] for key in old),
                            messages=sum(b.count for b in buckets),
                            texts=len(self._messages) - len(messages), alerts=len(self._alerts) - len(alerts))
        self._messages, self._alerts = messages, alerts
        return dropped

    def _requeue(self, minutes: dict[tuple[str, int], Bucket], messages: list[Any],
                 alerts: list[Any]) -> None:
        for key, old in minutes.items():
            new = self._minutes.get(key)
            if new is None:
                self._minutes[key] = old
            else:
                new.merge(old)
        self._messages[:0] = messages
        self._alerts[:0] = alerts

    # -- settings (written at once: a moderator's change must survive a crash) -------------

    async def set_alerts_enabled(self, channel: str, enabled: bool, changed_by: str,
                                 changed_at: float | None = None) -> None:
        await self.db.execute(
            "INSERT INTO channel_settings VALUES (?, ?, ?, ?) ON CONFLICT (channel) DO UPDATE SET "
            "alerts_enabled = excluded.alerts_enabled, changed_by = excluded.changed_by, "
            "changed_at = excluded.changed_at",
            (channel, int(enabled), changed_by, time.time() if changed_at is None else changed_at))
        await self.db.execute(
            "INSERT INTO alert_switches (channel, at, enabled, changed_by) VALUES (?, ?, ?, ?)",
            (channel, time.time() if changed_at is None else changed_at, int(enabled), changed_by))
        await self.db.commit()

    async def channel_setting(self, channel: str) -> ChannelSetting | None:
        async with self.db.execute(
                "SELECT alerts_enabled, changed_by, changed_at FROM channel_settings WHERE channel = ?",
                (channel,)) as cursor:
            row = await cursor.fetchone()
        return None if row is None else ChannelSetting(bool(row[0]), row[1], row[2])

    # -- reads ------------------------------------------------------------------------------

    async def minute_buckets(self, channel: str, since: float) -> list[Bucket]:
        """Stored per-minute aggregates from `since` on, oldest first (to restore a tracker)."""
        async with self.db.execute(
                "SELECT minute, count, total, negative, neutral, positive FROM minute_stats "
                "WHERE channel = ? AND minute >= ? ORDER BY minute", (channel, int(since // 60))) as cursor:
            rows = await cursor.fetchall()
        return [Bucket(start=r[0] * 60.0, length=60.0, count=r[1], total=r[2],
                       negative=r[3], neutral=r[4], positive=r[5]) for r in rows]

    async def message_count(self, channel: str) -> int:
        """Messages written for a channel (pending ones not included)."""
        async with self.db.execute("SELECT COALESCE(SUM(count), 0) FROM minute_stats WHERE channel = ?",
                                   (channel,)) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def minute_history(self, channel: str, since: float) -> list[Bucket]:
        """Per-minute aggregates from `since` on, written and still pending, oldest first."""
        merged = {int(b.start // 60): b for b in await self.minute_buckets(channel, since)}
        for (name, minute), pending in self._minutes.items():
            if name == channel and minute >= since // 60:
                bucket = merged.setdefault(minute, Bucket(start=minute * 60.0, length=60.0))
                bucket.merge(pending)
        return [merged[m] for m in sorted(merged)]

    async def recent_alerts(self, channel: str, limit: int) -> list[Swing]:
        """The last `limit` swings, sent or suppressed, written and pending, newest first."""
        async with self.db.execute("SELECT at, before, after, sent, reason FROM alerts WHERE channel = ? "
                                   "ORDER BY at DESC LIMIT ?", (channel, limit)) as cursor:
            rows = list(await cursor.fetchall())
        rows += [a[1:] for a in self._alerts if a[0] == channel]
        rows.sort(key=lambda r: r[0], reverse=True)
        return [Swing(at=r[0], before=r[1], after=r[2], sent=bool(r[3]), reason=r[4]) for r in rows[:limit]]

    async def alert_switches(self, channel: str, limit: int) -> list[tuple[float, bool, str]]:
        """(when, on or off, who) of the last `limit` switches of the alerts, newest first."""
        async with self.db.execute("SELECT at, enabled, changed_by FROM alert_switches WHERE channel = ? "
                                   "ORDER BY at DESC LIMIT ?", (channel, limit)) as cursor:
            return [(r[0], bool(r[1]), r[2]) for r in await cursor.fetchall()]

    async def alerts(self, channel: str) -> list[Swing]:
        async with self.db.execute("SELECT at, before, after, sent, reason FROM alerts WHERE channel = ? "
                                   "ORDER BY at", (channel,)) as cursor:
            rows = await cursor.fetchall()
        return [Swing(at=r[0], before=r[1], after=r[2], sent=bool(r[3]), reason=r[4]) for r in rows]
