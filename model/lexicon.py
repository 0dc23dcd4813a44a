"""The emote lexicon as model input: token -> sentiment, looked up the same way in training and
scoring.

A token is found by its exact spelling, then lower-cased without trailing punctuation (slang
rows are lower case), then, for a channel (subscriber) emote such as `abcHype` or `qrs2Love`,
by its word part among the lexicon's `suffix` rows. `features(text)` turns the hits into the
few numbers the classification head reads beside the encoder (`model/fusion.py`). A streamer's
own CSV (`model.emotes`: `token,sentiment`) is merged over the shipped lexicon at scoring time,
so a new emote changes how the model reads a message with no retraining.

Torch-free: the subsets, the lexicon baseline and the config check use it without the model.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from mood.errors import TwitchMoodError

# A channel emote: a lower-case channel prefix, then a capitalised word part (`abcHype`, `qrs2Love`).
CHANNEL_EMOTE = re.compile(r"^[a-z][a-z0-9]{1,11}([A-Z][A-Za-z0-9]*|[0-9]+[A-Z][A-Za-z0-9]*)$")
SUFFIX = "suffix"
CUSTOM = "custom"  # the kind of a streamer's own rows, which carry no kind column
MORE_LINES_SHOWN = 5  # bad rows of a lexicon CSV named by line beside the first one
FEATURE_NAMES = ("any_hit", "mean", "min", "max", "positive_mass", "negative_mass", "log_hits",
                 "hit_share")
N_FEATURES = len(FEATURE_NAMES)
LEXICON_FILE = "lexicon.csv"  # the lexicon a checkpoint was trained with, saved beside its weights


class LexiconError(TwitchMoodError):
    """A lexicon CSV that cannot be read; the message names the file and line."""


def channel_emote_part(token: str) -> str | None:
    """`abcHype` -> `Hype`, `qrs2Love` -> `Love`; None when the token is not shaped like one."""
    match = CHANNEL_EMOTE.match(token)
    if match is None:
        return None
    return match.group(1).lstrip("0123456789")


# The last capitalised word of a word part (`SpeedLaugh` -> `Laugh`, `PikaJAM` -> `JAM`).
_LAST_WORD = re.compile(r"(?:[A-Z][a-z0-9]+|[A-Z][A-Z0-9]*)$")
_TRAILING_REPEAT = re.compile(r"(.)\1+$")


class WordParts:
    """Channel-emote word parts (a lexicon's `suffix` rows, or a tokenizer's emote tokens),
    matched the ways chatters spell them: as written (`abcHype`), in other capitals (`abcHYPE`),
    with a held last letter (`abcCryy`, `abcLMAOOO`), or as the last word of a longer part
    (`abcSpeedLaugh`). `find` gives the known part's own spelling, so training and scoring read
    the same token."""

    def __init__(self, words: Iterable[str]) -> None:
        self.words = frozenset(words)
        self.folded: dict[str, str] = {}
        for word in sorted(self.words):  # sorted: the same winner for `Lul` and `LUL` every run
            self.folded.setdefault(word.casefold(), word)

    def of_emote(self, token: str) -> str | None:
        """The known word part of a token shaped like a channel emote (`abcHYPE` -> `Hype`), or None."""
        part = channel_emote_part(token)
        return self.find(part) if part is not None else None

    def find(self, part: str) -> str | None:
        """The known spelling of the word part `part`, or None."""
        found = self._spelled(part)
        if found is None:
            last = _LAST_WORD.search(part)
            if last is not None and last.start() > 0:
                found = self._spelled(last.group(0))
        return found

    def _spelled(self, part: str) -> str | None:
        if part in self.words:
            return part
        held = _TRAILING_REPEAT.search(part)
        candidates = [part]
        if held is not None:  # `Cryy` -> `Cry`; `Hmmm` -> `Hm` and `Hmm`
            stem = part[:held.start()]
            candidates += [stem + held.group(1), stem + held.group(1) * 2]
        for candidate in candidates:
            found = candidate if candidate in self.words else self.folded.get(candidate.casefold())
            if found is not None:
                return found
        return None


@dataclass(frozen=True)
class Lexicon:
    """token -> (kind, sentiment in [-1, 1]); `suffix` rows are the word parts of channel emotes."""

    entries: Mapping[str, tuple[str, float]] = field(default_factory=dict)

    @cached_property
    def _sentiments(self) -> dict[str, float]:
        return {token: value for token, (_, value) in self.entries.items()}

    @cached_property
    def suffixes(self) -> dict[str, float]:
        return {token: value for token, (kind, value) in self.entries.items() if kind == SUFFIX}

    @cached_property
    def word_parts(self) -> WordParts:
        return WordParts(self.suffixes)

    def __len__(self) -> int:
        return len(self.entries)

    def merged(self, other: Lexicon) -> Lexicon:
        """This lexicon with `other`'s rows added or replacing ours (a streamer's CSV wins). A
        replaced row keeps its kind unless the new row names one, so `Hype,0.2` still matches
        `abcHype` as a channel emote's word part."""
        if not other.entries:
            return self
        entries = dict(self.entries)
        for token, (kind, value) in other.entries.items():
            old = entries.get(token)
            entries[token] = (old[0] if old is not None and kind == CUSTOM else kind, value)
        return Lexicon(entries)

    def sentiment(self, token: str) -> float | None:
        """The token's sentiment, or None when the lexicon does not know it."""
        found = self._sentiments.get(token)
        if found is None:
            found = self._sentiments.get(token.lower().strip(".,!?"))
        if found is None:
            known = self.word_parts.of_emote(token)
            if known is not None:
                found = self.suffixes[known]
        return found

    def hits(self, text: str) -> list[float]:
        """Sentiments of the known tokens of `text`, in order."""
        return [value for value in map(self.sentiment, text.split()) if value is not None]

    def features(self, text: str) -> list[float]:
        """FEATURE_NAMES of `text`: all zero when no token is known."""
        hits = self.hits(text)
        if not hits:
            return [0.0] * N_FEATURES
        count = len(hits)
        return [
            1.0,
            sum(hits) / count,
            min(hits),
            max(hits),
            sum(h for h in hits if h > 0) / count,
            -sum(h for h in hits if h < 0) / count,
            math.log1p(count),
            count / max(1, len(text.split())),
        ]

    def to_csv(self, path: Path) -> None:
        """token,kind,sentiment: what a checkpoint needs to read messages as it was trained."""
        with open(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["token", "kind", "sentiment"])
            for token, (kind, value) in self.entries.items():
                writer.writerow([token, kind, f"{value:g}"])


def uses_lexicon(config: Any) -> bool:
    """Whether a checkpoint's config.json says it was trained with lexicon features."""
    return bool(getattr(config, "lexicon_features", None))


def check_features(config: Any) -> str | None:
    """Why a checkpoint's features differ from what this code computes, or None."""
    names = list(getattr(config, "lexicon_features", None) or [])
    if names and names != list(FEATURE_NAMES):
        return f"it was trained with lexicon features {names}, this version computes {list(FEATURE_NAMES)}"
    return None


def emotes_problem(path: str) -> str | None:
    """What is wrong with a streamer's emote CSV (config check), or None."""
    if not path:
        return None
    try:
        read_lexicon(path, one_word=True)
    except LexiconError as exc:
        return str(exc)
    return None


def _row(entry: tuple[str, float]) -> str:
    """A lexicon row as a streamer wrote it: `sentiment 0.9`, with its kind if it has one."""
    kind, value = entry
    return f"sentiment {value:g}" if kind == CUSTOM else f"kind {kind}, sentiment {value:g}"


def lexicon_bytes(path: str | Path) -> bytes:
    """A lexicon file's bytes; a one-line LexiconError where it cannot be read. Only a regular
    file is opened: a FIFO or device in its place would block the reader."""
    path = Path(path)
    try:
        if path.exists() and not path.is_file():
            raise LexiconError(f"lexicon {path}: not a file")
        return path.read_bytes()
    except OSError as exc:
        raise LexiconError(f"lexicon {path}: cannot read it ({exc.strerror or exc})") from None


def read_lexicon(path: str | Path, *, one_word: bool = False) -> Lexicon:
    """A lexicon CSV with the columns `token` and `sentiment` (in [-1, 1]) and optionally `kind`
    (`emote_lexicon.csv`, a checkpoint's lexicon.csv, or a streamer's own emotes). `one_word`
    refuses rows that can never match a chat token and a token listed twice with two sentiments
    (a streamer's file); the shipped lexicon has a few slang phrases ("lets go"), kept for weak
    labels."""
    return parse_lexicon(lexicon_bytes(path), path, one_word=one_word)


def parse_lexicon(data: bytes, path: str | Path, *, one_word: bool = False) -> Lexicon:
    """`read_lexicon` on bytes already read from `path` (named in errors)."""
    try:
        text = data.decode("utf-8-sig")  # a spreadsheet's CSV may start with a BOM
    except UnicodeDecodeError:
        raise LexiconError(f"lexicon {path} is not UTF-8 text") from None
    entries: dict[str, tuple[str, float]] = {}
    first_line: dict[str, int] = {}
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = reader.fieldnames or []
        reader.fieldnames = [name.strip().lower() for name in header]  # a spreadsheet's `Token,Sentiment`
        if not {"token", "sentiment"} <= set(reader.fieldnames):
            raise LexiconError(f"lexicon {path} needs a header with the columns token and sentiment "
                               f"(and optionally kind); its first line is {','.join(header)!r}")
        problems: list[tuple[int, str]] = []
        for row in reader:
            line_no = reader.line_num
            try:
                token, entry = _parse_row(row, path, line_no, one_word=one_word)
                if one_word and token in entries and entries[token] != entry:
                    raise LexiconError(f"{path}:{line_no}: token {token!r} is also on line "
                                       f"{first_line[token]}, as {_row(entries[token])} there and "
                                       f"{_row(entry)} here; keep one row")
            except LexiconError as exc:  # read on, so that one message names every bad line
                problems.append((line_no, str(exc)))
                continue
            first_line.setdefault(token, line_no)
            entries[token] = entry
    except csv.Error as exc:  # a stray quote can swallow the rest of the file into one field
        lines = ", ".join(str(line) for line, _ in problems)
        bad = f" (and bad row(s) before it: line {lines})" if problems else ""
        raise LexiconError(f"{path}:{reader.line_num}: not CSV ({exc}); a stray quote?{bad}") from None
    if problems:
        more = [str(line) for line, _ in problems[1:]]
        shown = ", ".join(more[:MORE_LINES_SHOWN]) + (", ..." if len(more) > MORE_LINES_SHOWN else "")
        first = problems[0][1]
        raise LexiconError(f"{first} (and {len(more)} more bad row(s): line {shown})" if more else first)
    return Lexicon(entries)


def _parse_row(row: dict[str | None, Any], path: str | Path, line_no: int, *,
               one_word: bool) -> tuple[str, tuple[str, float]]:
    """One lexicon row's token and (kind, sentiment); a one-line LexiconError naming its line."""
    extra = row.get(None) or []  # fields beyond the header's: a note, or a decimal comma
    whole = (row.get("sentiment") or "").strip()
    if extra and extra[0].strip().isdigit() and re.fullmatch(r"-?\d+", whole):
        raise LexiconError(f"{path}:{line_no}: sentiment {whole},{extra[0].strip()} has a decimal "
                           "comma; write it with a point (0.5), or quote it")
    token = (row.get("token") or "").strip()
    if not token:
        raise LexiconError(f"{path}:{line_no}: empty token")
    if one_word and len(token.split()) != 1:
        raise LexiconError(f"{path}:{line_no}: token {token!r} must be one word")
    try:
        value = float(row.get("sentiment") or "")
    except ValueError:
        raise LexiconError(f"{path}:{line_no}: sentiment {row.get('sentiment') or ''!r} "
                           "is not a number in [-1, 1]") from None
    if not -1.0 <= value <= 1.0:
        raise LexiconError(f"{path}:{line_no}: sentiment {value:g} is outside [-1, 1]")
    return token, ((row.get("kind") or CUSTOM).strip() or CUSTOM, value)
