"""The overlay and the dashboard in a real browser (Chromium via Playwright), served by the real bot
while the local Twitch-compatible server delivers chat. The pages run under the server's
Content-Security-Policy, as in OBS: a page that needed inline script would fail here."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright

from bot.app import running_bot
from bot.chatbot import MoodBot
from tests.e2e.botkit import CHANNEL, FAST_WATCHDOG, bot_config, reply_containing, say, until
from tests.helpers import KeywordPredictor
from web.server import WebServer

CHROMIUM = "/usr/bin/chromium"
HOSTILE = ("<img src=x onerror=alert(1)>", "<script>window.pwned=1</script>", '"><b>bold</b>')


class Pages:
    """Opens pages and keeps their uncaught script errors and Content-Security-Policy violations."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.errors: list[str] = []
        self.opened: list[Page] = []

    async def open(self, url: str, width: int, height: int) -> Page:
        page = await self.browser.new_page(viewport={"width": width, "height": height})
        page.on("pageerror", lambda error: self.errors.append(f"{url}: {error}"))
        page.on("console", lambda message: self.errors.append(f"{url}: {message.text}")
                if "Content Security Policy" in message.text else None)
        await page.goto(url)
        self.opened.append(page)
        return page

    async def close_all(self) -> None:
        """Close the pages while the bot still runs: the web server's stop waits for open sockets."""
        for page in self.opened:
            await page.close()
        self.opened.clear()


@pytest_asyncio.fixture
async def pages() -> AsyncIterator[Pages]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install it with `apt-get install -y chromium` (.ci/run does)")
    async with async_playwright() as playwright:
        try:
            launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        except Exception as exc:  # Playwright raises its own Error with the browser's output
            pytest.fail(f"Chromium ({CHROMIUM}) did not start: {exc}")
        opened = Pages(launched)
        yield opened
        await launched.close()
    assert opened.errors == [], "the pages reported errors"


def web_of(bot: MoodBot) -> WebServer:
    assert bot.web is not None and bot.web.url, "the bot's web server did not start"
    return bot.web


def overlay_url(bot: MoodBot, **options: str) -> str:
    web = web_of(bot)
    url = web.overlay_url(CHANNEL, web.key.current())
    return url + "".join(f"&{name}={value}" for name, value in options.items())


async def dataset(page: Page, selector: str) -> dict[str, str]:
    return await page.eval_on_selector(selector, "element => ({...element.dataset})")


async def replay(server: Any, lines: list[tuple[str, str]], rate: float = 40.0) -> None:
    await asyncio.wrap_future(server.replay(CHANNEL, lines, rate))


async def test_overlay_gauge_falls_and_banner_shows_on_a_negative_burst(server, tmp_path, pages):
    config = bot_config(server, tmp_path)
    async with running_bot(config, predictor=KeywordPredictor(), watchdog=FAST_WATCHDOG) as bot:
        await until(lambda: server.joined(CHANNEL), what="join")
        page = await pages.open(overlay_url(bot), 400, 120)
        await page.wait_for_selector("#overlay[data-state=live]")
        assert (await dataset(page, "#gauge"))["enough"] == "false"
        assert await page.text_content("#mood-word") == "quiet"

        past = time.time() - 60  # a positive minute ago: the baseline the burst swings away from
        for i in range(10):
            await say(server, f"fan{i}", "good vibes", sent_at=past + i)
        await page.wait_for_selector("#gauge[data-word=positive]")
        before = float((await dataset(page, "#gauge"))["value"])
        assert before > 0.5 and await page.text_content("#mood-word") == "positive"

        await replay(server, [(f"hater{i}", f"this is bad {i}") for i in range(15)])
        await page.wait_for_selector("#alert-banner.visible", timeout=10_000)
        banner = await page.inner_text("#alert-banner")
        await page.wait_for_selector("#gauge[data-word=negative]")
        after = float((await dataset(page, "#gauge"))["value"])
        hype = int((await dataset(page, "#hype"))["level"])
        await page.screenshot(path=tmp_path / "overlay.png")
        await pages.close_all()
    assert banner.startswith("Mood swing: chat went from +0.85 to -0.85")
    assert after < 0 < before
    assert 0 <= hype <= 100
    assert (tmp_path / "overlay.png").stat().st_size > 0


async def test_dashboard_draws_history_and_shows_hostile_chat_as_text(server, tmp_path, pages):
    config = bot_config(server, tmp_path)
    async with running_bot(config, predictor=KeywordPredictor(), watchdog=FAST_WATCHDOG) as bot:
        await until(lambda: server.joined(CHANNEL), what="join")
        await say(server, "mod_anna", "!sentiment off", mod=True)
        await reply_containing(server, "alerts are OFF")
        lines = [(f"viewer{i}", "good game" if i % 3 else "bad luck") for i in range(9)]
        lines += [(f"troll{i}", text) for i, text in enumerate(HOSTILE)]
        await replay(server, lines)
        await until(lambda: bot.stats.scored == len(lines), what="chat scored")
        dialogs: list[str] = []
        page = await pages.open(web_of(bot).url, 1280, 900)
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), asyncio.ensure_future(dialog.dismiss())))
        card = f".channel[data-channel={CHANNEL}]"
        await page.wait_for_selector(f"{card}[data-loaded=true] .history-chart .uplot canvas")
        canvas = await page.eval_on_selector(f"{card} .history-chart canvas",
                                             "c => [c.width, c.height, c.getBoundingClientRect().width]")
        recent = await page.inner_text(f"{card} .recent-list")
        messages = await page.eval_on_selector_all(f"{card} .recent-message", "items => items.length")
        created = await page.evaluate("""() => ({
            img: document.querySelectorAll('img').length,
            bold: document.querySelectorAll('.channel b').length,
            scripts: document.querySelectorAll('.channel script').length,
            pwned: typeof window.pwned})""")
        switches = await page.inner_text(f"{card} .switch-list")
        alerts_state = await page.inner_text(f"{card} .alerts-state")
        await page.screenshot(path=tmp_path / "dashboard.png", full_page=True)
        await pages.close_all()
    assert min(canvas) > 0, f"the chart canvas has no size: {canvas}"
    assert messages == len(lines)
    for text in HOSTILE:
        assert text in recent, f"{text!r} is not shown literally"
    assert created == {"img": 0, "bold": 0, "scripts": 0, "pwned": "undefined"}
    assert dialogs == []
    assert "off by mod_anna" in switches and alerts_state == "swing alerts off"
    assert (tmp_path / "dashboard.png").stat().st_size > 0


async def test_wrong_key_is_refused_and_rotation_closes_open_overlays(server, tmp_path, pages):
    config = bot_config(server, tmp_path)
    async with running_bot(config, predictor=KeywordPredictor(), watchdog=FAST_WATCHDOG) as bot:
        web = web_of(bot)
        old_key = web.key.current()
        page = await pages.open(overlay_url(bot), 400, 120)
        await page.wait_for_selector("#overlay[data-state=live]")
        async with aiohttp.ClientSession() as http:
            wrong = await http.get(f"{web.url}overlay/{CHANNEL}?key=not-the-key")
            missing = await http.get(f"{web.url}overlay/{CHANNEL}")
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await http.ws_connect(f"{web.url}ws/{CHANNEL}?key=not-the-key")
            socket_ = await http.ws_connect(f"{web.url}ws/{CHANNEL}?key={old_key}")
            first = await socket_.receive_json(timeout=5)

            new_key = web.key.rotate()
            closed = await socket_.receive(timeout=5)
            old_page = await http.get(f"{web.url}overlay/{CHANNEL}?key={old_key}")
            new_page = await http.get(f"{web.url}overlay/{CHANNEL}?key={new_key}")
            await socket_.close()
        await page.wait_for_selector("#overlay[data-state=key-changed]", timeout=5_000)
        notice = await page.inner_text("#overlay-status")
        await page.screenshot(path=tmp_path / "overlay-key-changed.png")
        await pages.close_all()
    assert (wrong.status, missing.status, refused.value.status) == (403, 403, 403)
    assert first["type"] == "snapshot" and first["channel"] == CHANNEL
    assert (closed.type, closed.data) == (aiohttp.WSMsgType.CLOSE, 4003)
    assert (old_page.status, new_page.status) == (403, 200)
    assert "overlay key changed" in notice


async def test_overlay_options_and_reconnect_after_a_restart(server, tmp_path, pages):
    with socket.socket() as probe:  # a fixed port, so the restarted server is where the page looks
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = bot_config(server, tmp_path)
    config = dataclasses.replace(config, web=dataclasses.replace(config.web, port=port))
    async with running_bot(config, predictor=KeywordPredictor(), watchdog=FAST_WATCHDOG) as bot:
        web = web_of(bot)
        page = await pages.open(overlay_url(bot, theme="light", parts="gauge,alerts", scale="0.5"),
                               1920, 1080)
        await page.wait_for_selector("#overlay[data-state=live]")
        assert await page.is_visible("#gauge") and not await page.is_visible("#hype")
        assert await page.eval_on_selector("body", "b => b.className") == "theme-light"
        width = await page.eval_on_selector("#overlay", "e => e.getBoundingClientRect().width")
        await page.screenshot(path=tmp_path / "overlay-1080p-light.png")

        # A restart: stop() tells the open overlays it is going away, and returns at once.
        stopping = time.monotonic()
        await web.stop()
        assert time.monotonic() - stopping < 5
        await page.wait_for_selector("#overlay:not([data-state=live])", timeout=5_000)
        await web.start()
        await page.wait_for_selector("#overlay[data-state=live]", timeout=10_000)
        for i in range(6):
            await say(server, f"fan{i}", "good stream")
        await page.wait_for_selector("#gauge[data-word=positive]", timeout=5_000)
        await pages.close_all()
    assert 300 < width < 500, f"a 1080p overlay at scale 0.5 should be about 384 px wide, is {width}"
