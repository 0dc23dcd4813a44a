"""The local server's view of delivery that the soak benchmark relies on: which channels an open
connection has joined, and which chat lines nobody heard."""

from __future__ import annotations

import asyncio

import aiohttp

from localtwitch.server import LocalTwitchServer


async def _join(session: aiohttp.ClientSession, server: LocalTwitchServer,
                channel: str) -> aiohttp.ClientWebSocketResponse:
    ws = await session.ws_connect(server.chat_url)
    await ws.send_str(f"PASS oauth:{server.access_token}\r\nNICK {server.bot_login}\r\nJOIN #{channel}\r\n")
    await asyncio.get_running_loop().run_in_executor(
        None, server.wait_for, lambda: channel in server.joined_channels())
    return ws


async def _read_until_closed(ws: aiohttp.ClientWebSocketResponse) -> None:
    async for _ in ws:
        pass


def test_lines_said_after_a_close_are_recorded_as_undelivered() -> None:
    async def scenario(server: LocalTwitchServer) -> None:
        loop = asyncio.get_running_loop()
        async with aiohttp.ClientSession() as session:
            ws = await _join(session, server, "chan")
            await loop.run_in_executor(None, server.say, "chan", "viewer", "heard")
            assert server.undelivered_lines() == []
            closing = asyncio.ensure_future(_read_until_closed(ws))  # answers the server's close
            await loop.run_in_executor(None, server.drop_connections)
            await closing
            assert server.joined_channels() == set()
            await loop.run_in_executor(None, server.say, "chan", "viewer", "unheard")
            await loop.run_in_executor(None, server.say, "other", "viewer", "nobody here")

    with LocalTwitchServer() as server:
        asyncio.run(scenario(server))
        assert server.undelivered_lines() == [("chan", "viewer", "unheard"), ("other", "viewer", "nobody here")]
