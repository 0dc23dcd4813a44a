"""End-to-end fixtures: the local Twitch-compatible server the real bot connects to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from localtwitch.server import LocalTwitchServer


@pytest.fixture
def server() -> Iterator[LocalTwitchServer]:
    with LocalTwitchServer() as running:
        yield running
