"""The web server inside `twitch-mood run` (aiohttp): routes, the overlay key check, start and stop.

    /                         dashboard (read-only)
    /overlay/<channel>?key=   OBS browser source: gauge, hype bar, swing banner (403 without key)
    /ws/<channel>?key=        the overlay's live updates
    /api/channels[/<name>]    the JSON both pages read
    /metrics                  Prometheus text format
    /static/...               the pages' scripts, styles and the vendored chart library
"""

from __future__ import annotations

import errno
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.supervisor import Supervisor
from web.api import channel_detail, channel_snapshot
from web.keys import OverlayKey
from web.live import LiveHub
from web.metrics import BotMetrics

if TYPE_CHECKING:
    from bot.chatbot import MoodBot
    from bot.config import WebConfig
    from mood.tracker import Swing

log = logging.getLogger("twitch_mood.web")

STATIC = Path(__file__).resolve().parent / "static"
# Pages load only what this server serves: hostile chat text can never run as script.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
                               "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class WebServer:
    """`await start()` (a port in use is one logged line, not a crash), `await stop()`."""

    def __init__(self, bot: MoodBot, settings: WebConfig, metrics: BotMetrics) -> None:
        self.bot, self.settings, self.metrics = bot, settings, metrics
        self.key = OverlayKey(settings.overlay_key_file)
        self.hub = LiveHub(self._snapshot, self.key.matches)
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._loops = Supervisor()

    def overlay_url(self, channel: str, key: str) -> str:
        return f"{self.url}overlay/{channel}?key={key}"

    async def start(self) -> bool:
        """Serve; False (with one ERROR line naming the setting) when the address cannot be used."""
        self.key.current()  # create the key file now, not on the first overlay request
        app = web.Application(middlewares=[_security_headers])
        app.router.add_get("/", self._dashboard)
        app.router.add_get("/overlay/{channel}", self._overlay)
        app.router.add_get("/ws/{channel}", self._live)
        app.router.add_get("/api/channels", self._channels)
        app.router.add_get("/api/channels/{channel}", self._channel)
        app.router.add_get("/metrics", self._metrics)
        app.router.add_static("/static/", STATIC)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, self.settings.host, self.settings.port).start()
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            why = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be used ({exc.strerror or exc})"
            log.error("web.port %d on web.host %s %s: the dashboard and overlays are off; set web.port "
                      "to a free port (or web.enabled: false)", self.settings.port, self.settings.host, why)
            return False
        host, port = self._runner.addresses[0][:2]
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        self.url = f"http://{shown}:{port}/"
        self.bot.alert_listeners.append(self._alert)
        self._loops.start("overlay updates", self.hub.run)
        overlays = ", ".join(f"#{c}: {self.overlay_url(c, '<key>')}" for c in self.bot.channel_stats)
        log.info("dashboard %s | overlays %s (`twitch-mood overlay-key` prints them with the key)",
                 self.url, overlays)
        return True

    async def stop(self) -> None:
        await self._loops.stop()
        if self._alert in self.bot.alert_listeners:
            self.bot.alert_listeners.remove(self._alert)
        await self.hub.close()  # an open page never hangs up, and cleanup waits for it
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _alert(self, channel: str, swing: Swing, text: str) -> None:
        self.hub.alert(channel, swing.at, swing.before, swing.after, text)

    async def _snapshot(self, channel: str, now: float) -> dict[str, Any]:
        return await channel_snapshot(self.bot, channel, now)

    def _channel_of(self, request: web.Request) -> str:
        channel = request.match_info["channel"].lower().lstrip("#")
        if channel not in self.bot.channel_stats:
            raise web.HTTPNotFound(text=f"no channel {channel!r} here")
        return channel

    def _check_key(self, request: web.Request) -> str:
        key = request.query.get("key", "")
        if not self.key.matches(key):
            raise web.HTTPForbidden(text="wrong or missing overlay key: copy the URL from "
                                         "`twitch-mood overlay-key`")
        return key

    async def _dashboard(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "dashboard.html")

    async def _overlay(self, request: web.Request) -> web.StreamResponse:
        self._channel_of(request)
        self._check_key(request)
        return web.FileResponse(STATIC / "overlay.html")

    async def _live(self, request: web.Request) -> web.StreamResponse:
        channel = self._channel_of(request)
        return await self.hub.serve(request, channel, self._check_key(request))

    async def _channels(self, request: web.Request) -> web.Response:
        now = time.time()
        snapshots = [await channel_snapshot(self.bot, c, now) for c in self.bot.channel_stats]
        return web.json_response({"at": now, "channels": snapshots})

    async def _channel(self, request: web.Request) -> web.Response:
        return web.json_response(await channel_detail(self.bot, self._channel_of(request), time.time()))

    async def _metrics(self, request: web.Request) -> web.Response:
        return web.Response(body=self.metrics.exposition(),
                            headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})


@web.middleware
async def _security_headers(request: web.Request, handler: Any) -> web.StreamResponse:
    response = await handler(request)
    if not response.prepared:
        response.headers.update(SECURITY_HEADERS)
    return response
