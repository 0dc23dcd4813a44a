"""The one sender: Twitch's per-channel limit is never exceeded in any window, a full queue drops
refusals first, then !hype, then !mood, and never alerts or confirmations."""

from __future__ import annotations

import asyncio
import random

from bot import sender as sender_module
from bot.sender import ChatSender, SendLimits
from bot.supervisor import Supervisor
from commands import ReplyKind


class FakeChat:
    def __init__(self, clock: Clock, moderator: bool = False) -> None:
        self.clock, self.moderator = clock, moderator
        self.connected = True
        self.alive = True  # twitchAPI's socket thread runs (it may be reconnecting)
        self.sent: list[tuple[float, str, str]] = []

    def is_ready(self) -> bool:
        return True  # twitchAPI stays "ready" after its socket closed

    def is_connected(self) -> bool:
        return self.connected

    def socket_alive(self) -> bool:
        return self.alive

    def is_mod(self, channel: str) -> bool:
        return self.moderator

    async def send_raw_irc_message(self, message: str) -> None:
        command, channel, text = message.split(" ", 2)
        assert command == "PRIVMSG" and channel.startswith("#") and text.startswith(":")
        self.sent.append((self.clock.now, channel[1:], text[1:]))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def most_in_any_window(times: list[float], window: float) -> int:
    times = sorted(times)
    return max((sum(1 for u in times if t <= u < t + window) for t in times), default=0)


async def drive(sender: ChatSender, clock: Clock, seconds: float, step: float = 0.25) -> None:
    end = clock.now + seconds
    while clock.now < end:
        await sender._send_ready()
        clock.now += step


async def test_never_more_than_twenty_in_any_30_s_span_per_channel():
    clock = Clock()
    chat = FakeChat(clock)
    sender = ChatSender(lambda: chat, clock=clock, limits=SendLimits(queue_size=1000))
    rng = random.Random(1)
    for i in range(300):
        sender.say(rng.choice(["a", "b"]), f"reply {i}", ReplyKind.CONFIRMATION)
    await drive(sender, clock, 240)
    for channel in ("a", "b"):
        times = [t for t, c, _ in chat.sent if c == channel]
        assert len(times) > 40  # it kept sending, window after window
        assert most_in_any_window(times, 30.0) <= 20


async def test_a_moderator_bot_may_send_a_hundred():
    clock = Clock()
    chat = FakeChat(clock, moderator=True)
    sender = ChatSender(lambda: chat, clock=clock, limits=SendLimits(queue_size=1000))
    for i in range(250):
        sender.say("a", f"reply {i}", ReplyKind.ALERT)
    await drive(sender, clock, 100)
    times = [t for t, _, _ in chat.sent]
    assert most_in_any_window(times, 30.0) == 100 and len(times) == 250


async def test_full_queue_drops_refusals_then_hype_then_mood_never_alerts_or_confirmations():
    clock = Clock()
    chat = FakeChat(clock)
    sender = ChatSender(lambda: chat, clock=clock, limits=SendLimits(queue_size=6))
    kinds = [ReplyKind.REFUSAL, ReplyKind.HYPE, ReplyKind.MOOD, ReplyKind.REFUSAL, ReplyKind.HYPE,
             ReplyKind.MOOD]
    for i, kind in enumerate(kinds):
        assert sender.say("a", f"{kind.name} {i}", kind)
    assert sender.say("a", "alert", ReplyKind.ALERT)  # a refusal made room
    assert sender.say("a", "confirmed", ReplyKind.CONFIRMATION)  # the other refusal
    assert sender.say("a", "mood 8", ReplyKind.MOOD)  # then a hype reply
    assert not sender.say("a", "refusal 9", ReplyKind.REFUSAL)  # nothing below it left to drop
    assert sender.dropped == {ReplyKind.REFUSAL: 3, ReplyKind.HYPE: 1}
    for i in range(10):
        assert sender.say("a", f"alert {i}", ReplyKind.ALERT)  # never dropped, even over the bound
    assert sender.dropped == {ReplyKind.REFUSAL: 3, ReplyKind.HYPE: 2, ReplyKind.MOOD: 3}
    await drive(sender, clock, 200)
    texts = [t for _, _, t in chat.sent]
    assert texts == ["alert", *(f"alert {i}" for i in range(10)), "confirmed"]  # most important first


async def test_replies_wait_for_a_reconnect_instead_of_being_lost():
    clock = Clock()
    chat = FakeChat(clock)
    current: list[FakeChat | None] = [None]
    sender = ChatSender(lambda: current[0], clock=clock)
    sender.say("a", "Mood swing alerts are OFF for this channel.", ReplyKind.CONFIRMATION)
    await drive(sender, clock, 2)
    assert chat.sent == [] and sender.pending == 1
    current[0] = chat
    await drive(sender, clock, 1)
    assert [t for _, _, t in chat.sent] == ["Mood swing alerts are OFF for this channel."]


async def test_a_line_break_in_a_reply_cannot_start_another_irc_command():
    clock = Clock()
    chat = FakeChat(clock)
    sender = ChatSender(lambda: chat, clock=clock)
    sender.say("a", "mood\r\nPRIVMSG #other :spoofed", ReplyKind.MOOD)
    await drive(sender, clock, 1)
    assert [t for _, _, t in chat.sent] == ["mood PRIVMSG #other :spoofed"]


class HangingChat(FakeChat):
    """twitchAPI's send waits forever while its socket is closed."""

    async def send_raw_irc_message(self, message: str) -> None:
        if not self.connected:
            await asyncio.sleep(3600)
        await super().send_raw_irc_message(message)


async def test_a_closed_socket_holds_messages_back_and_never_stalls_the_sender(monkeypatch):
    monkeypatch.setattr(sender_module, "SEND_TIMEOUT_S", 0.05)
    clock = Clock()
    old, new = HangingChat(clock), HangingChat(clock)
    current: list[HangingChat] = [old]
    sender = ChatSender(lambda: current[0], clock=clock)
    old.connected = False  # closed, still "ready": the watchdog has not replaced it yet
    sender.say("a", "Mood swing!", ReplyKind.ALERT)
    await drive(sender, clock, 2)
    assert old.sent == [] and sender.pending == 1
    old.is_connected = lambda: True  # type: ignore[method-assign]  # a stale answer: the send hangs
    await drive(sender, clock, 2)
    assert sender.pending == 1  # timed out, still queued
    current[0] = new  # the rebuilt connection
    sender.say("a", "next", ReplyKind.MOOD)
    await drive(sender, clock, 1)
    assert [t for _, _, t in new.sent] == ["Mood swing!", "next"]


async def test_the_same_confirmation_waiting_twice_is_said_once():
    clock = Clock()
    chat = FakeChat(clock)
    chat.connected = False
    sender = ChatSender(lambda: chat, clock=clock)
    for _ in range(50):
        assert sender.say("a", "Mood swing alerts are OFF for this channel.", ReplyKind.CONFIRMATION)
    assert sender.pending == 1


async def test_one_cancel_as_a_message_goes_out_stops_the_sender():
    # Before Python 3.12, asyncio.wait_for swallowed a cancel that arrived as its call finished
    # (CPython gh-86296); the send's deadline is asyncio.timeout now, which keeps it.
    class WritesWhenTold(FakeChat):
        def __init__(self, clock: Clock) -> None:
            super().__init__(clock)
            self.written = asyncio.get_running_loop().create_future()

        async def send_raw_irc_message(self, message: str) -> None:
            await self.written  # the socket thread's write
            await super().send_raw_irc_message(message)

    chat = WritesWhenTold(Clock())
    sender = ChatSender(lambda: chat)
    running = asyncio.create_task(sender.run())
    sender.say("a", "Not enough chat yet", ReplyKind.MOOD)
    await asyncio.sleep(0.05)  # the sender waits for the write
    chat.written.set_result(None)
    running.cancel()  # the bot stops as the write completes
    done, _ = await asyncio.wait([running], timeout=3)
    assert done and running.cancelled()


async def test_the_bot_stopping_just_as_a_message_goes_out_does_not_hang():
    # The shutdown hang of the command-spam e2e test: the supervisor's cancel reached the sender's
    # wait_for just as its send finished; wait_for (Python < 3.12) swallowed it, and the sender
    # waited for its next message while stop() waited for the sender, with the loop idle.
    supervisor = Supervisor()
    stopping: list[asyncio.Future[set[str]]] = []

    class StopsTheBotOnSend(FakeChat):
        async def send_raw_irc_message(self, message: str) -> None:
            await super().send_raw_irc_message(message)
            stopping.append(asyncio.ensure_future(supervisor.stop()))  # runs as the send returns

    chat = StopsTheBotOnSend(Clock())
    sender = ChatSender(lambda: chat)
    supervisor.start("chat sender", sender.run)
    sender.say("a", "Not enough chat yet", ReplyKind.MOOD)
    for _ in range(100):
        if stopping:
            break
        await asyncio.sleep(0.01)
    assert stopping, "the message was not sent"
    await asyncio.wait_for(stopping[0], 3)
    assert [text for _, _, text in chat.sent] == ["Not enough chat yet"]


async def test_flush_at_shutdown_sends_what_the_limit_allows_and_returns_when_the_next_slot_is_too_late():
    clock = Clock()
    chat = FakeChat(clock)
    sender = ChatSender(lambda: chat, limits=SendLimits(user=1, window_s=30.0), clock=clock)
    for text in ("first", "second", "third"):
        sender.say("a", text, ReplyKind.MOOD)
    left = await asyncio.wait_for(sender.flush(5.0), 1)  # the next slot is 30 s away: no waiting
    assert left == 2 and [text for _, _, text in chat.sent] == ["first"]


async def test_flush_waits_for_a_slot_that_comes_before_its_deadline():
    chat = FakeChat(Clock())
    sender = ChatSender(lambda: chat, limits=SendLimits(user=1, window_s=0.2))
    sender.say("a", "first", ReplyKind.MOOD)
    sender.say("a", "second", ReplyKind.MOOD)
    assert await asyncio.wait_for(sender.flush(5.0), 3) == 0
    assert [text for _, _, text in chat.sent] == ["first", "second"]


async def test_flush_with_the_connection_gone_returns_at_once_and_keeps_the_count():
    chat = FakeChat(Clock())
    chat.connected = chat.alive = False  # its socket thread ended; the watchdog has stopped
    sender = ChatSender(lambda: chat)
    sender.say("a", "Not enough chat yet", ReplyKind.MOOD)
    assert await asyncio.wait_for(sender.flush(5.0), 1) == 1
    assert chat.sent == []


async def test_flush_sends_a_confirmation_once_twitchapi_has_reconnected_by_itself():
    chat = FakeChat(Clock())
    chat.connected = False  # a RECONNECT from Twitch: the socket thread runs, the socket is back soon
    sender = ChatSender(lambda: chat)
    sender.say("a", "Mood alerts are now off", ReplyKind.CONFIRMATION)

    async def reconnect() -> None:
        await asyncio.sleep(0.3)
        chat.connected = True

    reconnecting = asyncio.create_task(reconnect())
    assert await asyncio.wait_for(sender.flush(5.0), 3) == 0
    await reconnecting
    assert [text for _, _, text in chat.sent] == ["Mood alerts are now off"]
