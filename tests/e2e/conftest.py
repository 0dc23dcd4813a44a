"""End-to-end fixtures: the local Twitch-compatible server the real bot connects to."""

from __future__ import annotations

import asyncio
import contextlib
import faulthandler
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from localtwitch.server import LocalTwitchServer

# No e2e test takes a minute. One run of the whole suite (2026-12-05, 1 in 8) hung for good in
# test_command_spam_keeps_confirmations_and_the_rate_limit: the loop idle, the chat socket thread
# alive, not reproduced alone. Most likely cause (reproduced in test_sender.py): the shutdown's
# cancel reached the chat sender just as a send finished, asyncio.wait_for (Python < 3.12)
# swallowed it, and Supervisor.stop() waited for the sender for good (fixed there: it cancels
# again). If a test hangs again with its loop free to run, the stacks of its tasks and of every
# thread say where.
STUCK_AFTER_S = 120


@pytest.fixture
def server() -> Iterator[LocalTwitchServer]:
    with LocalTwitchServer() as running:
        yield running


@pytest.fixture(autouse=True)
async def tasks_shown_when_stuck(pytestconfig: pytest.Config) -> AsyncIterator[None]:
    """Print every task's and every thread's stack to the terminal if the test is still running
    after STUCK_AFTER_S (past pytest's output capture: a test that never ends never shows it)."""
    loop = asyncio.get_running_loop()
    capture: Any = pytestconfig.pluginmanager.getplugin("capturemanager")  # what capsys.disabled() uses

    def show() -> None:
        with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
            print(f"=== still running after {STUCK_AFTER_S} s; the event loop's tasks: ===", file=sys.stderr)
            for task in asyncio.all_tasks(loop):
                print(task, file=sys.stderr)
                task.print_stack(file=sys.stderr)
            print("=== and every thread: ===", file=sys.stderr)
            sys.stderr.flush()
            faulthandler.dump_traceback(file=sys.stderr, all_threads=True)

    timer = loop.call_later(STUCK_AFTER_S, show)
    yield
    timer.cancel()
