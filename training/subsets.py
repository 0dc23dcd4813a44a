"""Evaluation subsets that show whether a model knows emotes, not only the labeled chat it fit.

- *unseen emotes*: test messages with at least one emote-like token (an emote, emoji or emoticon
  of the lexicon, or a channel emote shaped `prefixWord`) that no training message contains;
- *emote-only*: test messages made only of emote-like tokens and emoji;
- *version 1*: the fixed comparison with earlier results (ids below `l02650`).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from training.data import DataError, LabeledSet

# A channel (subscriber) emote: a lower-case channel prefix, then a capitalised word part.
CHANNEL_EMOTE = re.compile(r"^[a-z][a-z0-9]{1,11}([A-Z][A-Za-z0-9]*|[0-9]+[A-Z][A-Za-z0-9]*)$")
EMOTE_KINDS = frozenset({"twitch_global", "bttv", "ffz", "7tv", "emoji", "emoticon"})
VERSION_1_BELOW = "l02650"


@dataclass(frozen=True)
class Lexicon:
    """token -> (kind, sentiment); `suffixes` are the word parts of channel emotes."""

    entries: dict[str, tuple[str, float]]

    @property
    def suffixes(self) -> dict[str, float]:
        return {t: s for t, (kind, s) in self.entries.items() if kind == "suffix"}


def read_lexicon_kinds(path: str | Path) -> Lexicon:
    """`emote_lexicon.csv` with its `kind` column (token,kind,sentiment,meaning)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"lexicon {path} does not exist")
    entries: dict[str, tuple[str, float]] = {}
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if not {"token", "kind", "sentiment"} <= set(reader.fieldnames or []):
            raise DataError(f"lexicon {path} needs the columns token, kind and sentiment")
        for line_no, row in enumerate(reader, start=2):
            try:
                entries[row["token"].strip()] = (row["kind"].strip(), float(row["sentiment"]))
            except ValueError:
                raise DataError(f"{path}:{line_no}: sentiment {row['sentiment']!r} is not a number") from None
    return Lexicon(entries)


def channel_emote_part(token: str) -> str | None:
    """`abcHype` -> `Hype`, `qrs2Love` -> `Love`; None when the token is not shaped like one."""
    match = CHANNEL_EMOTE.match(token)
    if match is None:
        return None
    return match.group(1).lstrip("0123456789")


def is_emoji(token: str) -> bool:
    """Only pictographs (and their joiners / variation selectors)."""
    return bool(token) and all(unicodedata.category(ch) in ("So", "Sk", "Mn", "Cf") or ch in "\u200d\ufe0f"
                               for ch in token) and any(unicodedata.category(ch) == "So" for ch in token)


def emote_like(token: str, lexicon: Lexicon) -> bool:
    entry = lexicon.entries.get(token)
    return (entry is not None and entry[0] in EMOTE_KINDS) or channel_emote_part(token) is not None \
        or is_emoji(token)


def emote_tokens(text: str, lexicon: Lexicon) -> list[str]:
    """The emote-like tokens of a message, in order."""
    return [token for token in text.split() if emote_like(token, lexicon)]


def is_emote_only(text: str, lexicon: Lexicon) -> bool:
    tokens = text.split()
    return bool(tokens) and all(emote_like(token, lexicon) for token in tokens)


def unseen_emote_indices(test: Sequence[str], train: Iterable[str], lexicon: Lexicon) -> list[int]:
    """Test messages with an emote-like token that no training message contains."""
    seen = {token for text in train for token in text.split()}
    return [i for i, text in enumerate(test) if any(t not in seen for t in emote_tokens(text, lexicon))]


def emote_only_indices(test: Sequence[str], lexicon: Lexicon) -> list[int]:
    return [i for i, text in enumerate(test) if is_emote_only(text, lexicon)]


def evaluation_subsets(data: LabeledSet, split: str, lexicon: Lexicon) -> dict[str, list[int]]:
    """Row indices of `split` in each subset: all, version_1, unseen_emotes, emote_only. Training
    messages are those of the `train` split."""
    texts, _ = data.split(split)
    ids = data.ids.get(split, [])
    train, _ = data.split("train")
    return {
        "all": list(range(len(texts))),
        "version_1": [i for i, row_id in enumerate(ids)
                      if re.fullmatch(r"l\d{5}", row_id) and row_id < VERSION_1_BELOW],
        "unseen_emotes": unseen_emote_indices(texts, train, lexicon),
        "emote_only": emote_only_indices(texts, lexicon),
    }
