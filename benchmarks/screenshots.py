"""Regenerate the README's screenshots: `python -m benchmarks.screenshots [--out docs] [--model default]`.

The demo's setup, photographed: the local Twitch-compatible server, the real bot with the shipped
model, and the bundled real chat (`localtwitch/data/demo_chat.csv`). The sample is first sent once
with timestamps spread over the last two hours (so the dashboard's per-minute chart has a history),
then replayed live by the demo's own script (a mod turns alerts off, a negative burst, alerts back
on, a second burst that fires an alert) while Chromium shows the overlay and then the dashboard.

Writes `overlay.png` (the 400x120 overlay in both themes, calm and during the swing banner, over a
stand-in for the video) and `dashboard.png` (1280x900). Needs Chromium (`/usr/bin/chromium`, or
`--chromium PATH`) and Playwright (the dev extra).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw
from playwright.async_api import Browser, Page, async_playwright

from bot.app import running_bot
from bot.chatbot import MoodBot
from localtwitch.demo import BASE_RATE, DEMO_COMMANDS, DEMO_MOOD, local_config, play, read_sample
from localtwitch.server import LocalTwitchServer

CHANNEL = "demo_channel"
CHROMIUM = "/usr/bin/chromium"
HISTORY_S = 2 * 3600
OVERLAY_SIZE = (400, 120)
DASHBOARD_SIZE = (1280, 900)
MARGIN = 24


def backfill(server: LocalTwitchServer, lines: list[tuple[str, str]], span_s: float) -> None:
    """Send `lines` once through the chat path, dated evenly over the last `span_s` (a worker thread)."""
    start = time.time() - span_s
    step = (span_s - 120) / len(lines)  # ends two minutes ago: the live replay is "now"
    for index, (user, text) in enumerate(lines):
        server.say(CHANNEL, user, text, sent_at=start + index * step)
        if index % 200 == 199:
            time.sleep(0.1)  # keep well inside the scoring queue


async def open_overlay(browser: Browser, url: str, theme: str) -> Page:
    page = await browser.new_page(viewport={"width": OVERLAY_SIZE[0], "height": OVERLAY_SIZE[1]})
    await page.goto(f"{url}&theme={theme}")
    await page.wait_for_selector("#overlay[data-state=live]")
    return page


async def shot(page: Page) -> Image.Image:
    return Image.open(io.BytesIO(await page.screenshot(omit_background=True))).convert("RGBA")


def compose_overlays(tiles: list[Image.Image]) -> Image.Image:
    """Four overlay captures in a 2x2 grid over a dark gradient standing in for the stream."""
    width = 2 * OVERLAY_SIZE[0] + 3 * MARGIN
    height = 2 * OVERLAY_SIZE[1] + 3 * MARGIN
    backdrop = Image.new("RGBA", (width, height))
    draw = ImageDraw.Draw(backdrop)
    for y in range(height):  # a plain vertical gradient: a game scene would distract
        shade = y / height
        colour = (int(40 + 50 * shade), int(70 + 40 * shade), int(110 - 30 * shade), 255)
        draw.line([(0, y), (width, y)], fill=colour)
    for index, tile in enumerate(tiles):
        x = MARGIN + (index % 2) * (OVERLAY_SIZE[0] + MARGIN)
        y = MARGIN + (index // 2) * (OVERLAY_SIZE[1] + MARGIN)
        backdrop.alpha_composite(tile, (x, y))
    return backdrop.convert("RGB")


async def wait_scored(bot: MoodBot, count: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while bot.stats.scored + bot.stats.skipped + bot.stats.dropped < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {bot.stats.scored} of {count} messages scored")
        await asyncio.sleep(0.1)


async def capture(out: Path, model: str, chromium: str) -> list[Path]:
    lines = read_sample()
    out.mkdir(parents=True, exist_ok=True)
    loop = asyncio.get_running_loop()
    with tempfile.TemporaryDirectory(prefix="twitch-mood-shots-") as tmp, LocalTwitchServer() as server:
        config = local_config(server, Path(tmp), CHANNEL, model=model, mood=DEMO_MOOD, commands=DEMO_COMMANDS)
        async with running_bot(config) as bot, async_playwright() as playwright:
            if bot.web is None or not bot.web.url:
                raise RuntimeError("the bot's web server did not start")
            browser = await playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            while not server.joined(CHANNEL):
                await asyncio.sleep(0.05)
            print(f"back-dating {len(lines)} chat lines over {HISTORY_S // 3600} h ...")
            await loop.run_in_executor(None, backfill, server, lines, HISTORY_S)
            await wait_scored(bot, len(lines))

            overlay_url = bot.web.overlay_url(CHANNEL, bot.web.key.current())
            dark = await open_overlay(browser, overlay_url, "dark")
            light = await open_overlay(browser, overlay_url, "light")
            print("replaying the demo live ...")
            replay = loop.run_in_executor(None, play, server, CHANNEL, lines, BASE_RATE * 2, lambda _: None)
            await dark.wait_for_selector("#gauge[data-enough=true]", timeout=60_000)
            await dark.wait_for_selector("#hype:not([data-level='0'])", timeout=60_000)
            await asyncio.sleep(2)
            calm = [await shot(dark), await shot(light)]
            # The second burst fires the alert (the first comes while a mod has alerts off).
            await dark.wait_for_selector("#alert-banner.visible", timeout=120_000)
            await asyncio.sleep(0.6)  # the banner's fade-in
            swing = [await shot(dark), await shot(light)]
            await replay

            width, height = DASHBOARD_SIZE
            dashboard = await browser.new_page(viewport={"width": width, "height": height})
            await dashboard.goto(bot.web.url)
            await dashboard.wait_for_selector(".channel[data-loaded=true] .history-chart canvas")
            await asyncio.sleep(0.5)
            board = Image.open(io.BytesIO(await dashboard.screenshot())).convert("RGB")
            await browser.close()

    paths = [out / "overlay.png", out / "dashboard.png"]
    compose_overlays(calm + swing).save(paths[0], optimize=True)
    board.quantize(colors=128).save(paths[1], optimize=True)  # a flat UI: 128 colours keep it sharp and small
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.screenshots",
                                     description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs"), help="where the PNGs go (default: docs)")
    parser.add_argument("--model", default="default", help="model.path (default: the shipped model)")
    parser.add_argument("--chromium", default=CHROMIUM, help=f"Chromium executable (default: {CHROMIUM})")
    args = parser.parse_args()
    for path in asyncio.run(capture(args.out, args.model, args.chromium)):
        print(f"wrote {path} ({path.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
