"""Background loops run under a supervisor: a crash is logged with its traceback and the loop runs
again; stopping cancels every loop and waits until each has ended, within a deadline."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot import supervisor as supervisor_module
from bot.supervisor import Supervisor


async def deaf_until(released: asyncio.Event) -> None:
    """A loop that swallows every cancel until `released` is set."""
    while not released.is_set():
        with contextlib.suppress(asyncio.CancelledError):
            await released.wait()


async def test_a_loop_that_raises_is_logged_and_restarted(caplog):
    runs: list[int] = []

    async def flaky() -> None:
        runs.append(len(runs))
        if len(runs) < 3:
            raise RuntimeError(f"boom {len(runs)}")
        await asyncio.sleep(3600)

    supervisor = Supervisor(restart_delay_s=0.01)
    with caplog.at_level(logging.ERROR, logger="twitch_mood.bot"):
        supervisor.start("swing watcher", flaky)
        for _ in range(200):
            if len(runs) == 3:
                break
            await asyncio.sleep(0.01)
        await supervisor.stop()
    assert len(runs) == 3 and supervisor.restarts["swing watcher"] == 2
    crashes = [r for r in caplog.records if "swing watcher crashed" in r.getMessage()]
    assert len(crashes) == 2 and all(r.exc_info and "boom" in str(r.exc_info[1]) for r in crashes)


async def test_stop_cancels_running_loops_and_a_finished_loop_is_not_restarted():
    finished: list[str] = []
    forever_started = asyncio.Event()

    async def once() -> None:
        finished.append("once")

    async def forever() -> None:
        forever_started.set()
        await asyncio.sleep(3600)

    supervisor = Supervisor(restart_delay_s=0.01)
    supervisor.start("once", once)
    supervisor.start("forever", forever)
    await asyncio.wait_for(forever_started.wait(), 5)
    await asyncio.sleep(0.05)
    await asyncio.wait_for(supervisor.stop(), 5)
    assert finished == ["once"] and supervisor.restarts == {"once": 0, "forever": 0}


async def test_stop_ends_a_loop_that_swallowed_its_cancellation():
    # Before Python 3.12 asyncio.wait_for returns normally when the cancel arrives as the call it
    # waits for finishes; the loop then ran on and stop() waited for it forever.
    started = asyncio.Event()

    async def swallows_one_cancel() -> None:
        started.set()
        with contextlib.suppress(asyncio.CancelledError):  # as wait_for does in that race
            await asyncio.sleep(3600)
        await asyncio.Event().wait()  # no timer: nothing would wake the loop again

    supervisor = Supervisor()
    supervisor.start("chat sender", swallows_one_cancel)
    (task,) = supervisor._tasks
    await asyncio.wait_for(started.wait(), 5)
    await asyncio.wait_for(supervisor.stop(), 5)
    assert task.cancelled() and supervisor.restarts == {"chat sender": 0}


async def test_a_loop_that_will_not_stop_is_logged_and_left_behind(monkeypatch, caplog):
    monkeypatch.setattr(supervisor_module, "STOP_DEADLINE_S", 0.3)
    started, released = asyncio.Event(), asyncio.Event()

    async def deaf() -> None:
        started.set()
        await deaf_until(released)

    supervisor = Supervisor()
    supervisor.start("stubborn", deaf)
    await asyncio.wait_for(started.wait(), 5)
    try:
        with caplog.at_level(logging.ERROR, logger="twitch_mood.bot"):
            await asyncio.wait_for(supervisor.stop(), 5)  # shutdown goes on
    finally:
        released.set()  # it ends now, before the test's loop closes
    assert any("stubborn did not stop" in r.getMessage() for r in caplog.records)


async def test_a_cancelled_stop_leaves_its_loops_to_the_next_stop():
    release = asyncio.Event()

    async def slow_to_stop() -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            await release.wait()  # its cleanup takes a while

    supervisor = Supervisor()
    supervisor.start("writer", slow_to_stop)
    await asyncio.sleep(0)
    (task,) = supervisor._tasks
    stopping = asyncio.ensure_future(supervisor.stop())
    await asyncio.sleep(0.05)
    stopping.cancel()
    await asyncio.gather(stopping, return_exceptions=True)
    assert supervisor._tasks == [task] and not task.done()
    release.set()
    await asyncio.wait_for(supervisor.stop(), 5)
    assert task.done()


async def test_a_loop_left_running_is_named_to_the_caller(monkeypatch):
    monkeypatch.setattr(supervisor_module, "STOP_DEADLINE_S", 0.3)
    released = asyncio.Event()

    async def polite() -> None:
        await asyncio.sleep(3600)

    supervisor = Supervisor()
    supervisor.start("stubborn", lambda: deaf_until(released))
    supervisor.start("writer", polite)
    stubborn, writer = supervisor._tasks
    await asyncio.sleep(0.01)
    try:
        assert await asyncio.wait_for(supervisor.stop(), 5) == {"stubborn"}
        assert writer.cancelled() and not stubborn.done()
    finally:
        released.set()
    await asyncio.wait_for(stubborn, 5)


class ClosedService:
    async def close(self) -> None:
        return None


async def test_shutdown_does_not_flush_replies_beside_a_sender_that_will_not_stop(tmp_path, monkeypatch, caplog):
    # Two places sending from one queue could pass Twitch's rate limit; the replies stay unsent.
    from bot.chatbot import SENDER_LOOP, MoodBot
    from bot.config import parse_config
    from bot.store import Store
    from commands import ReplyKind

    monkeypatch.setattr(supervisor_module, "STOP_DEADLINE_S", 0.3)
    config = parse_config({"channels": [{"name": "c"}], "storage": {"path": str(tmp_path / "mood.db")}})
    released = asyncio.Event()

    async def no_flush(timeout: float) -> int:
        raise AssertionError("flushed beside a running sender")

    async with Store(tmp_path / "mood.db") as store:
        bot = MoodBot(config, ClosedService(), store, None)  # type: ignore[arg-type]
        monkeypatch.setattr(bot.sender, "flush", no_flush)
        bot._loops.start(SENDER_LOOP, lambda: deaf_until(released))
        bot.sender.say("c", "Not enough chat yet", ReplyKind.MOOD)
        try:
            with caplog.at_level(logging.WARNING, logger="twitch_mood.bot"):
                await asyncio.wait_for(bot.close(), 5)
        finally:
            released.set()
    assert any("1 chat message(s) not sent at shutdown (the chat sender did not stop)" in r.getMessage()
               for r in caplog.records)
