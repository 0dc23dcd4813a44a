"""Twitch-aware text normalisation applied before tokenising (training and scoring alike).

Pure functions: strip invisible and control characters, replace links and @mentions with
placeholders, collapse spam ("KEKW KEKW KEKW KEKW KEKW" keeps at most three repeats, also for
repeated phrases and long character runs), and cap the length.
"""

from __future__ import annotations

import re
import unicodedata

URL_PLACEHOLDER = "http"
MENTION_PLACEHOLDER = "@user"
MAX_CHARS = 500  # Twitch's own message limit
MAX_REPEAT = 3
MAX_CHAR_RUN = 4
MAX_PHRASE_WORDS = 4

_TLDS = "com|tv|gg|be|ly|io|net|org"
# A link is `http(s)://...` / `www....`, or a bare `domain.tld/...`; either runs to the end of the
# word. The bare form used to be one regex, `\b[\w-]+(?:\.[\w-]+)*\.(?:tlds)/\S*`, which retries
# from every word boundary of a long dotted run ("a.a.a.a...", "a-a-a...") and rescans it to the
# end each time: quadratic. It is now found per run of [\w.-] before a "/", each run read once.
_SCHEME_LINK = re.compile(r"(?i)\b(?:https?://|www\.)\S+")
_RUN_BEFORE_SLASH = re.compile(r"(?<![\w.-])[\w.-]+(?=/)")  # starts only where a run starts
_DOMAIN_AT_END = re.compile(rf"(?i)\b[\w-]+(?:\.[\w-]+)*\.(?:{_TLDS})\Z")
_TLD = re.compile(rf"(?i)(?:{_TLDS})")
_WORD_REST = re.compile(r"\S*")
_MENTION = re.compile(r"(?<!\w)@\w+")
_CHAR_RUN = re.compile(rf"(.)\1{{{MAX_CHAR_RUN},}}", re.DOTALL)
_SPACE = re.compile(r"\s+")
# Format characters (zero-width space/joiner, bidi controls, BOM...), controls and surrogates.
_INVISIBLE_CATEGORIES = {"Cf", "Cc", "Cs"}


def strip_invisible(text: str) -> str:
    """Remove zero-width, bidi-control, control and surrogate code points; tabs/newlines become spaces."""
    if text.isprintable():  # fast path: most chat has nothing to strip
        return text
    return "".join(
        " " if ch in "\t\n\r\x0b\x0c" else ch
        for ch in text
        if ch in "\t\n\r\x0b\x0c" or unicodedata.category(ch) not in _INVISIBLE_CATEGORIES
    )


def _domain_start(run: str) -> int | None:
    """Where a bare `domain.tld` link starts in `run` (word characters, dots, dashes; a "/" follows)."""
    # A link cannot contain ".." nor start with ".", so only the part after the last such dot
    # can hold its start; cutting there and checking the TLD first keeps the search linear.
    cut = run.rfind("..")
    cut = cut + 2 if cut >= 0 else 0
    if run.startswith(".", cut):
        cut += 1
    tail = run[cut:]
    head, dot, tld = tail.rpartition(".")
    if not (dot and head and _TLD.fullmatch(tld)):
        return None
    match = _DOMAIN_AT_END.search(tail)
    return cut + match.start() if match else None


def _replace_domain_links(text: str) -> str:
    """Replace each bare `domain.tld/...` link, from its start to the end of its word, with `http`."""
    if "/" not in text:  # fast path: most chat has no link
        return text
    pieces: list[str] = []
    done = 0
    search_from = 0
    while run := _RUN_BEFORE_SLASH.search(text, search_from):
        start = _domain_start(run.group())
        if start is None:
            search_from = run.end() + 1
            continue
        pieces += [text[done:run.start() + start], URL_PLACEHOLDER]
        rest = _WORD_REST.match(text, run.end())
        done = search_from = rest.end() if rest else run.end()
    pieces.append(text[done:])
    return "".join(pieces)


def replace_links_and_mentions(text: str) -> str:
    """Replace URLs with `http` and @mentions with `@user` (names carry no sentiment)."""
    # Bare domains first: where both kinds start in one word, the earlier start wins either way,
    # and both run to the end of the word.
    text = _SCHEME_LINK.sub(URL_PLACEHOLDER, _replace_domain_links(text))
    return _MENTION.sub(MENTION_PLACEHOLDER, text)


def collapse_repeats(words: list[str], max_repeat: int = MAX_REPEAT,
                     max_phrase: int = MAX_PHRASE_WORDS) -> list[str]:
    """Keep at most `max_repeat` back-to-back copies of any phrase of 1..max_phrase words."""
    for size in range(1, max_phrase + 1):
        out: list[str] = []
        i = 0
        while i < len(words):
            phrase = words[i:i + size]
            copies = 1
            while words[i + copies * size:i + (copies + 1) * size] == phrase:
                copies += 1
            if len(phrase) == size and copies > 1:
                out.extend(phrase * min(copies, max_repeat))
                i += copies * size
            else:
                out.append(words[i])
                i += 1
        words = out
    return words


def match_key(text: str) -> str:
    """A message as the model tells messages apart: normalised, in lower case and without combining
    marks (accents, the invisible U+034F that chat clients add to a repeated message), as the
    tokenizer reads it, so training can leave out `W LEAK` and `ROFL \u034f` when `w leak` and
    `rofl` are evaluation messages."""
    folded = unicodedata.normalize("NFD", normalize(text).lower())
    return " ".join("".join(ch for ch in folded if unicodedata.category(ch) != "Mn").split())


def normalize(text: str, max_chars: int = MAX_CHARS) -> str:
    """Normalise one chat message for the model; never raises on str input."""
    text = strip_invisible(text)
    text = replace_links_and_mentions(text)
    text = _CHAR_RUN.sub(lambda m: m.group(1) * MAX_CHAR_RUN, text)
    words = collapse_repeats(_SPACE.split(text.strip()))
    text = " ".join(w for w in words if w)
    if len(text) > max_chars:
        text = text[:max_chars].rstrip()
    return text
