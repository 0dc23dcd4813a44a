"""Background loops that never die silently: each runs under a supervisor that logs its exception
with the traceback and starts it again (as discord.ext.tasks does), until the bot stops."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

log = logging.getLogger("twitch_mood.bot")

LoopBody = Callable[[], Awaitable[None]]

STOP_RETRY_S = 0.1  # how often stop() repeats a cancellation a loop has not ended on
STOP_DEADLINE_S = 5.0  # after this, stop() logs the loops still running and returns


class Supervisor:
    """`start(name, body)` runs `body()` in a task and restarts it after a crash; `await stop()`
    cancels them all and waits until they have ended. A body that returns normally is finished
    and not restarted."""

    def __init__(self, *, restart_delay_s: float = 1.0) -> None:
        self.restart_delay_s = restart_delay_s
        self.restarts: dict[str, int] = {}
        self._tasks: list[asyncio.Task[None]] = []

    def start(self, name: str, body: LoopBody) -> None:
        self.restarts.setdefault(name, 0)
        self._tasks.append(asyncio.create_task(self._run(name, body), name=name))

    async def stop(self) -> set[str]:
        """Cancel every loop and wait for each to end, within STOP_DEADLINE_S; return the names
        of those still running then (none, unless a loop refuses to stop).

        One cancel is not always enough: code that swallows a cancellation lets its loop run on.
        `asyncio.wait_for` did before Python 3.12 when the cancel arrived as its call finished
        (CPython gh-86296): the chat sender, stopped just as a message went out, then waited for
        its next message, and shutdown hung. The bot's own deadlines are `asyncio.timeout` now,
        which keeps the cancel; libraries may still swallow one. So the cancel is repeated until
        the loop has ended; one still running at the deadline is logged and left behind."""
        tasks, self._tasks = self._tasks, []
        pending = set(tasks)
        deadline = time.monotonic() + STOP_DEADLINE_S
        try:
            while pending and time.monotonic() < deadline:
                for task in pending:
                    task.cancel()
                _, pending = await asyncio.wait(pending, timeout=STOP_RETRY_S)
        except BaseException:  # stop() itself cancelled: a later stop() still finds them
            self._tasks.extend(task for task in tasks if not task.done())
            raise
        if pending:
            log.error("%s did not stop within %g s of shutdown; left running",
                      ", ".join(sorted(task.get_name() for task in pending)), STOP_DEADLINE_S)
        ended = [task for task in tasks if task not in pending]
        await asyncio.gather(*ended, return_exceptions=True)  # each has logged its own failures
        return {task.get_name() for task in pending}

    async def _run(self, name: str, body: LoopBody) -> None:
        while True:
            try:
                await body()
                return
            except Exception:
                self.restarts[name] += 1
                log.exception("%s crashed (restart %d in %g s)", name, self.restarts[name],
                              self.restart_delay_s)
            await asyncio.sleep(self.restart_delay_s)
