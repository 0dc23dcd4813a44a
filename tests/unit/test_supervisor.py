"""Background loops run under a supervisor: a crash is logged with its traceback and the loop runs
again; stopping cancels every loop."""

from __future__ import annotations

import asyncio
import logging

from bot.supervisor import Supervisor


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
