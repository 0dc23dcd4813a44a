"""`twitch-mood run`'s wiring: what a signal during start-up leaves behind."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time

from bot import app as app_module
from bot.chatbot import MoodBot
from bot.config import parse_config
from mood.labels import Score


class NeutralPredictor:
    def predict(self, texts):
        return [Score.from_probs(0.1, 0.8, 0.1) for _ in texts]


class FakeTwitch:
    async def close(self) -> None:
        return None


async def test_a_signal_during_the_first_connect_still_closes_the_bot(tmp_path, monkeypatch):
    # The chat opened by a start() that a signal cancels would otherwise join and read on after
    # "stopping", with nothing scored or written.
    connecting, closed = asyncio.Event(), []

    async def authenticated_client(config):
        return FakeTwitch()

    async def start_that_hangs_in_connect(self):
        connecting.set()
        await asyncio.Event().wait()

    close = MoodBot.close

    async def recorded_close(self):
        closed.append(self)
        await close(self)

    monkeypatch.setattr(app_module, "authenticated_client", authenticated_client)
    monkeypatch.setattr(MoodBot, "start", start_that_hangs_in_connect)
    monkeypatch.setattr(MoodBot, "close", recorded_close)
    config = parse_config({"channels": [{"name": "c"}], "storage": {"path": str(tmp_path / "mood.db")},
                           "web": {"enabled": False}})

    async def run() -> None:
        async with app_module.running_bot(config, predictor=NeutralPredictor()):
            raise AssertionError("the bot started")

    running = asyncio.create_task(run())
    await asyncio.wait_for(connecting.wait(), 5)
    running.cancel()  # Ctrl+C while connecting
    done, _ = await asyncio.wait([running], timeout=5)
    assert done and running.cancelled()
    assert len(closed) == 1


async def test_a_second_signal_while_the_model_loads_quits_at_once(monkeypatch):
    # The first cancels the start-up, but the loading thread cannot be interrupted: asyncio.run
    # waits for it, and a second Ctrl+C did nothing.
    exits: list[int] = []
    monkeypatch.setattr(app_module.os, "_exit", exits.append)

    @contextlib.asynccontextmanager
    async def model_loading(config):
        await asyncio.get_running_loop().run_in_executor(None, time.sleep, 1.0)
        yield None

    monkeypatch.setattr(app_module, "running_bot", model_loading)
    running = asyncio.create_task(app_module.run_until_signal(parse_config({})))
    await asyncio.sleep(0.1)
    os.kill(os.getpid(), signal.SIGINT)
    await asyncio.sleep(0.1)
    assert exits == [] and running.done()  # the start-up is cancelled
    os.kill(os.getpid(), signal.SIGINT)
    await asyncio.sleep(0.1)
    assert exits == [130]
