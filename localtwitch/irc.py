"""The lines Twitch's chat server sends, as plain functions of names and tags (no I/O)."""

from __future__ import annotations

import time
import uuid

HOST = ":tmi.twitch.tv"
_TAG_ESCAPES = str.maketrans({";": r"\:", " ": r"\s", "\\": "\\\\", "\r": r"\r", "\n": r"\n"})
_LOGIN_CHARS = str.maketrans({" ": "_", ":": "_", "!": "_", "@": "_"})


def channel_name(name: str) -> str:
    """`#Chan` or `chan` -> `chan`."""
    return name.lstrip("#").lower()


def room_id(channel: str) -> int:
    """A stable numeric room id for a channel name."""
    return 10_000 + sum(map(ord, channel))


def welcome(nick: str) -> list[str]:
    """What a client gets after a successful PASS/NICK."""
    return [
        f"{HOST} 001 {nick} :Welcome, GLHF!", f"{HOST} 002 {nick} :Your host is tmi.twitch.tv",
        f"{HOST} 003 {nick} :This server is rather new", f"{HOST} 004 {nick} :-",
        f"{HOST} 375 {nick} :-", f"{HOST} 372 {nick} :You are in a maze of twisty passages, all alike.",
        f"{HOST} 376 {nick} :>",
        f"@badge-info=;badges=;color=;display-name={nick};emote-sets=0;user-id=1000;user-type= "
        f"{HOST} GLOBALUSERSTATE",
    ]


def joined(nick: str, channel: str) -> list[str]:
    """The JOIN echo, ROOMSTATE, USERSTATE and the names list for a JOIN."""
    return [
        f":{nick}!{nick}@{nick}.tmi.twitch.tv JOIN #{channel}",
        f"@emote-only=0;followers-only=-1;r9k=0;room-id={room_id(channel)};slow=0;subs-only=0 "
        f"{HOST} ROOMSTATE #{channel}",
        f"@badge-info=;badges=;color=;display-name={nick};emote-sets=0;mod=0;subscriber=0;user-type= "
        f"{HOST} USERSTATE #{channel}",
        f":{nick}.tmi.twitch.tv 353 {nick} = #{channel} :{nick}",
        f":{nick}.tmi.twitch.tv 366 {nick} #{channel} :End of /NAMES list",
    ]


def privmsg(channel: str, user: str, text: str, *, user_id: int, mod: bool = False, broadcaster: bool = False,
            vip: bool = False, subscriber: bool = False, sent_at: float | None = None) -> str:
    """A chat message from `user` with the IRCv3 tags Twitch adds."""
    login = user.lower().translate(_LOGIN_CHARS) or "viewer"
    badges = ",".join(badge for badge, has in (("broadcaster/1", broadcaster), ("moderator/1", mod),
                                               ("vip/1", vip), ("subscriber/12", subscriber)) if has)
    tags = {
        "badge-info": "", "badges": badges, "color": "", "display-name": user.translate(_TAG_ESCAPES),
        "emotes": "", "first-msg": "0", "flags": "", "id": str(uuid.uuid4()), "mod": "1" if mod else "0",
        "returning-chatter": "0", "room-id": str(room_id(channel)), "subscriber": "1" if subscriber else "0",
        "tmi-sent-ts": str(int((time.time() if sent_at is None else sent_at) * 1000)), "turbo": "0",
        "user-id": str(user_id), "user-type": "mod" if mod else "", **({"vip": "1"} if vip else {}),
    }
    text = text.replace("\r", " ").replace("\n", " ")
    tag_text = ";".join(f"{k}={v}" for k, v in tags.items())
    return f"@{tag_text} :{login}!{login}@{login}.tmi.twitch.tv PRIVMSG #{channel} :{text}"
