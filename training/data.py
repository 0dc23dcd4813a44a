"""Corpus and labeled-set loading for training and evaluation.

A labeled CSV needs a text column and a label column; labels are `negative/neutral/positive`
(any case) or `-1/0/1`. An optional split column (`train/dev/test`) selects rows.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from model.paths import file_sha256
from model.text import match_key, normalize
from mood.errors import TwitchMoodError

SPLIT_COL = "split"  # the split column read where none is named
log = logging.getLogger(__name__)
_LABEL_ALIASES = {"-1": 0, "0": 1, "1": 2, "+1": 2, "negative": 0, "neutral": 1, "positive": 2}


class DataError(TwitchMoodError):
    """A data file that cannot be used, with the file and the reason."""


@dataclass
class LabeledSet:
    """Texts with label ids (0 negative, 1 neutral, 2 positive), per split."""

    texts: dict[str, list[str]] = field(default_factory=dict)
    labels: dict[str, list[int]] = field(default_factory=dict)
    ids: dict[str, list[str]] = field(default_factory=dict)  # the id column, else the CSV line
    source: str = ""  # the file, for errors
    split_column: str | None = SPLIT_COL  # None: the file has none, and every row is test
    id_column: str | None = None  # None: the file has none, and ids are CSV line numbers
    empty_lines: list[int] = field(default_factory=list)  # rows left out: no text to read

    def split(self, name: str) -> tuple[list[str], list[int]]:
        return self.texts.get(name, []), self.labels.get(name, [])

    def require(self, name: str) -> None:
        """A one-line error where the split `name` has no rows, saying which splits there are."""
        if self.texts.get(name):
            return
        reason = (f"; it has no column {SPLIT_COL!r}, so every row is test (name one with --split-col)"
                  if self.split_column is None else f" (column {self.split_column!r})")
        raise DataError(f"{self.source}: no rows in split {name!r} (splits: {', '.join(self.texts)}){reason}")

    def splits(self, names: tuple[str, ...]) -> tuple[list[str], list[int]]:
        """The rows of several splits, in the order named."""
        texts: list[str] = []
        labels: list[int] = []
        for name in names:
            texts += self.texts.get(name, [])
            labels += self.labels.get(name, [])
        return texts, labels

    def sizes(self) -> dict[str, int]:
        return {name: len(texts) for name, texts in self.texts.items()}


def read_corpus(path: str | Path, limit: int | None = None) -> list[str]:
    """Non-empty lines of a text file, one message per line."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"corpus {path} does not exist")
    lines: list[str] = []
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            line = line.strip()
            if line:
                lines.append(line)
                if limit is not None and len(lines) >= limit:
                    break
    if not lines:
        raise DataError(f"corpus {path} has no messages")
    return lines


def read_stream(path: str | Path) -> list[str]:
    """The non-empty `message` cells of a chat stream CSV (`user,message`, recording order)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"chat stream {path} does not exist")
    with open(path, encoding="utf-8", errors="replace", newline="") as handle:
        reader = csv.DictReader(handle)
        if "message" not in (reader.fieldnames or []):
            raise DataError(f"chat stream {path} has no message column (columns: user,message)")
        messages = [row["message"].strip() for row in reader if (row.get("message") or "").strip()]
    if not messages:
        raise DataError(f"chat stream {path} has no messages")
    return messages


def parse_label(value: str) -> int:
    """`negative/neutral/positive` or `-1/0/1` -> 0/1/2."""
    try:
        return _LABEL_ALIASES[value.strip().lower()]
    except KeyError:
        raise DataError(f"label {value!r} is not one of negative/neutral/positive or -1/0/1") from None


def _column(columns: list[str], wanted: str) -> str | None:
    """The header cell that names `wanted`: itself, else the one cell equal to it up to case and
    surrounding spaces (`Split`, ` split`)."""
    if wanted in columns:
        return wanted
    loose = [c for c in columns if c.strip().casefold() == wanted.strip().casefold()]
    return loose[0] if len(loose) == 1 else None


def read_labeled(path: str | Path, *, text_col: str = "text", label_col: str = "label",
                 split_col: str | None = None, default_split: str = "test") -> LabeledSet:
    """Read a labeled CSV. `split_col` names the split column, which must exist; None reads
    `split` where the file has it, else every row is `default_split`. Column names match up to
    case and surrounding spaces, split values are read in lower case, and rows with an empty
    split go to `default_split`. Anything else odd is a one-line DataError naming the line."""
    path = Path(path)
    if not path.is_file():
        state = "is not a file" if path.exists() else "does not exist"
        raise DataError(f"labeled data {path} {state}")
    result = LabeledSet(source=str(path))
    try:
        _refuse_utf16(path)
        with open(path, encoding="utf-8-sig", errors="replace", newline="") as handle:  # -sig: a BOM
            reader = csv.DictReader(handle)
            _read_rows(reader, path, result, text_col, label_col, split_col, default_split)
    except OSError as exc:
        raise DataError(f"labeled data {path}: cannot read it ({exc.strerror or exc})") from None
    except csv.Error as exc:  # an unclosed quote swallowing the file, a cell over the csv field limit
        raise DataError(f"{path}:{reader.line_num}: not a readable CSV row ({exc})") from None
    if not result.texts:
        raise DataError(f"{path} has no labeled rows")
    if result.empty_lines:
        lines = result.empty_lines
        log.warning("%s: %d row(s) with an empty text left out (line %s)", path, len(lines),
                    ", ".join(map(str, lines[:5])) + (", ..." if len(lines) > 5 else ""))
    return result


def unique_messages(lines: list[str]) -> list[str]:
    """Normalised, non-empty messages, each once, in first-seen order (spam would dominate)."""
    return list(dict.fromkeys(t for t in (normalize(line) for line in lines) if t))


def evaluation_messages(data: LabeledSet) -> list[str]:
    """The dev and test messages of a labeled set."""
    return [t for split in ("dev", "test") for t in data.split(split)[0]]


def unmatched_indices(texts: Sequence[str], exclude: Iterable[str]) -> list[int]:
    """The positions of the `texts` that equal none of `exclude` as the model reads them
    (`match_key`: normalised, lower case, no combining marks), so `OK` matches a dev message `ok`."""
    excluded = {match_key(t) for t in exclude}
    return [i for i, text in enumerate(texts) if match_key(text) not in excluded]


def without_matches(texts: Iterable[str], exclude: Iterable[str]) -> list[str]:
    """`texts`, in order, less any that equals one of `exclude` as the model reads it
    (`unmatched_indices`)."""
    texts = list(texts)
    return [texts[i] for i in unmatched_indices(texts, exclude)]


def read_more_labeled(path: str | Path) -> LabeledSet:
    """A CSV of more labeled chat (text and label columns): every row joins the train split, so a
    split column, which would say otherwise, is refused."""
    more = read_labeled(path, default_split="train")
    if more.split_column is not None:
        raise DataError(f"{path}: more labeled chat joins the train split, row by row; this file has a split "
                        f"column ({more.split_column!r}): leave it out, or give the rows to --data")
    return more


def new_rows(data: LabeledSet, path: str | Path) -> tuple[LabeledSet, int]:
    """The rows of more labeled chat at `path` that `data` does not hold: a message that `data`
    holds in any split, compared as the tokenizer reads it (`match_key`), is left out, so that a
    dev or test message never becomes a training row. Returns them (split `train`) and how many
    rows were left out."""
    more = read_more_labeled(path)
    rows = unmatched_indices(more.texts["train"], (text for texts in data.texts.values() for text in texts))
    kept = LabeledSet(source=str(path), split_column=None)
    for name in ("texts", "labels", "ids"):
        getattr(kept, name)["train"] = [getattr(more, name)["train"][i] for i in rows]
    return kept, len(more.texts["train"]) - len(rows)


def join_more_labeled(data: LabeledSet, path: str | Path, earlier: Sequence[str] = ()) -> dict[str, object]:
    """Add the new rows of `path` (`new_rows`) to the train split of `data`, which may hold the
    rows of `earlier` more-labeled files already; the training report's entry for them: the file
    by name, its sha256, the rows added and left out."""
    path = Path(path)
    more, left_out = new_rows(data, path)
    data.texts.setdefault("train", []).extend(more.texts["train"])
    data.labels.setdefault("train", []).extend(more.labels["train"])
    data.ids.setdefault("train", []).extend(f"{path.name}:{row_id}" for row_id in more.ids["train"])
    if left_out:
        holders = " or ".join([Path(data.source).name, *earlier])
        log.warning("%s: %d row(s) left out, as %s holds the same message", path, left_out, holders)
    return {"path": path.name, "sha256": file_sha256(path), "rows": len(more.texts["train"]),
            "left_out": left_out}


def _refuse_utf16(path: Path) -> None:
    """A one-line DataError for a file saved as UTF-16 (a spreadsheet's "Unicode text"), which
    would otherwise be read as text full of NUL characters."""
    with open(path, "rb") as handle:
        start = handle.read(4096)
    if start.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in start:
        raise DataError(f"labeled data {path} is not UTF-8 text (UTF-16, or binary); save it as "
                        "UTF-8 CSV")


def _read_rows(reader: csv.DictReader, path: Path, result: LabeledSet, text_col: str, label_col: str,
               split_col: str | None, default_split: str) -> None:
    columns = list(reader.fieldnames or [])
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise DataError(f"{path}: column {repeated[0]!r} appears more than once in the header")
    needed_columns = [(text_col, "--text-col"), (label_col, "--label-col")]
    if split_col is not None:
        needed_columns.append((split_col, "--split-col"))
    found: dict[str, str] = {}
    for needed, option in needed_columns:
        column = _column(columns, needed)
        if column is None:
            raise DataError(f"{path}: no column {needed!r} (columns: {', '.join(columns) or 'none'}); "
                            f"choose one with {option}")
        found[needed] = column
    text_col, label_col = found[text_col], found[label_col]
    split_column = found.get(split_col or "") or _column(columns, SPLIT_COL)
    id_column = _column(columns, "id")
    result.split_column, result.id_column = split_column, id_column
    for row in reader:
        if row.get(None):  # DictReader's key for cells beyond the header
            raise DataError(f"{path}:{reader.line_num}: more cells than the header's {len(columns)} "
                            "(a comma in an unquoted text?)")
        if not (row[text_col] or "").strip():
            result.empty_lines.append(reader.line_num)
            continue
        try:
            label = parse_label(row[label_col] or "")
        except DataError as exc:
            raise DataError(f"{path}:{reader.line_num}: {exc}") from None
        split = ((row.get(split_column) or "") if split_column else "").strip().lower() or default_split
        result.texts.setdefault(split, []).append(row[text_col] or "")
        result.labels.setdefault(split, []).append(label)
        result.ids.setdefault(split, []).append((row.get(id_column) if id_column else None)
                                                or str(reader.line_num))
