"""End-to-end fixtures: the local Twitch-compatible server the real bot connects to."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Iterator

import pytest

from localtwitch.server import LocalTwitchServer

# No e2e test takes a minute. One run of the whole suite (2026-12-05, 1 in 8) hung for good in
# test_command_spam_keeps_confirmations_and_the_rate_limit: the loop idle, the chat socket thread
# alive, not reproduced alone. If a test hangs again, its tasks' stacks say where.
STUCK_AFTER_S = 120


@pytest.fixture
def server() -> Iterator[LocalTwitchServer]:
    with LocalTwitchServer() as running:
        yield running


@pytest.fixture(autouse=True)
async def tasks_shown_when_stuck() -> AsyncIterator[None]:
    """Print every task's stack to stderr if the test is still running after STUCK_AFTER_S."""
    loop = asyncio.get_running_loop()

    def show() -> None:
        print(f"=== still running after {STUCK_AFTER_S} s; the event loop's tasks: ===", file=sys.stderr)
        for task in asyncio.all_tasks(loop):
            print(task, file=sys.stderr)
            task.print_stack(file=sys.stderr)
        sys.stderr.flush()

    timer = loop.call_later(STUCK_AFTER_S, show)
    yield
    timer.cancel()
