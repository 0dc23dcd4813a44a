"""Evaluation subsets that show whether a model knows emotes, not only the labeled chat it fit.

- *unseen emotes*: test messages with at least one emote-like token (an emote, emoji or emoticon
  of the lexicon, or a channel emote shaped `prefixWord`) that no training message contains;
- *emote-only*: test messages made only of emote-like tokens and emoji;
- *unseen messages*: test messages that equal no training message as the model reads them
  (normalised, lower case, no combining marks: `model.text.match_key`). The labeled set's
  messages are distinct as typed, not as read: `WTFFF` and `wtfff`, a long and a longer emote
  flood;
- *version 1*: the fixed comparison with earlier results (ids below `l02650`); *version 2*: the
  rows added with the second version of the labeled set.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

from model.lexicon import Lexicon, LexiconError, channel_emote_part, read_lexicon
from training.data import DataError, LabeledSet, unmatched_indices

EMOTE_KINDS = frozenset({"twitch_global", "bttv", "ffz", "7tv", "emoji", "emoticon"})
VERSION_1_BELOW = "l02650"


def read_lexicon_kinds(path: str | Path) -> Lexicon:
    """`emote_lexicon.csv` with its `kind` column (token,kind,sentiment,meaning)."""
    try:
        return read_lexicon(path)
    except LexiconError as exc:
        raise DataError(str(exc)) from None


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


def unseen_message_indices(test: Sequence[str], train: Iterable[str]) -> list[int]:
    """Test messages that equal no training message as the model reads them."""
    return unmatched_indices(test, train)


def emote_only_indices(test: Sequence[str], lexicon: Lexicon) -> list[int]:
    return [i for i, text in enumerate(test) if is_emote_only(text, lexicon)]


def version_rows(ids: Sequence[str]) -> dict[str, list[int]]:
    """Indices of the version-1 rows (ids `l00000`-`l02649`) and version-2 rows (`l02650` on) of
    a split's ids; ids of another shape are in neither."""
    labeled = [(i, row_id) for i, row_id in enumerate(ids) if re.fullmatch(r"l\d{5}", row_id)]
    return {"version_1": [i for i, row_id in labeled if row_id < VERSION_1_BELOW],
            "version_2": [i for i, row_id in labeled if row_id >= VERSION_1_BELOW]}


def evaluation_subsets(data: LabeledSet, split: str, lexicon: Lexicon, fitted: tuple[str, ...] = ("train",),
                       learned: Sequence[str] = (),
                       learned_tokens: Sequence[str] = ()) -> dict[str, list[int]]:
    """Row indices of `split` in each subset: all, version_1, version_2, unseen_emotes, emote_only,
    unseen_messages. Training messages are those of the `fitted` splits (the dev split too for a
    model fitted on it) and `learned`, the chat messages it learned from beside `data`;
    `learned_tokens`, lexicon tokens it learned alone as examples, are seen messages too, but not
    seen emotes: the unseen-emote subset is about emotes that no labeled chat shows."""
    texts, _ = data.split(split)
    ids = data.ids.get(split, [])
    train = data.splits(fitted)[0] + list(learned)
    return {
        "all": list(range(len(texts))),
        **version_rows(ids),
        "unseen_emotes": unseen_emote_indices(texts, train, lexicon),
        "emote_only": emote_only_indices(texts, lexicon),
        "unseen_messages": unseen_message_indices(texts, train + list(learned_tokens)),
    }
