"""Background loops that never die silently: each runs under a supervisor that logs its exception
with the traceback and starts it again (as discord.ext.tasks does), until the bot stops."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("twitch_mood.bot")

LoopBody = Callable[[], Awaitable[None]]


class Supervisor:
    """`start(name, body)` runs `body()` in a task and restarts it after a crash; `await stop()`
    cancels them all. A body that returns normally is finished and not restarted."""

    def __init__(self, *, restart_delay_s: float = 1.0) -> None:
        self.restart_delay_s = restart_delay_s
        self.restarts: dict[str, int] = {}
        self._tasks: list[asyncio.Task[None]] = []

    def start(self, name: str, body: LoopBody) -> None:
        self.restarts.setdefault(name, 0)
        self._tasks.append(asyncio.create_task(self._run(name, body), name=name))

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)  # each has logged its own failures

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
