"""Fixed shape buckets: every forward pass gets one of a few (rows, tokens) shapes.

Chat arrives in batches of every size and length. Each new input shape makes oneDNN build and
cache kernels for it (its primitive cache), and ONNX Runtime buffers, so memory grew for as long
as new shapes kept coming (488 -> 990 MiB in 180 s with bf16). Bounding the shapes bounds the
memory. Padding costs work, so the buckets are chosen to waste little of it:

- rows: a batch is cut into sub-batches whose row counts are powers of two (37 messages run as
  32 + 4 + 1), so no row is padding; only a run of at most SMALL_ROWS rows is padded up in one
  pass, where a forward pass costs about the same for 5 rows as for 8;
- widths: fine steps (2 tokens up to 16, 4 up to 32, 8 up to 64), so a 9-token row pads to 10;
- a run stops growing where the next (longer) message would pad it by more than WASTE_TOKENS.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

ROW_BUCKETS = (1, 2, 4, 8, 16, 32, 64)
WIDTH_BUCKETS = (4, 6, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64,
                 80, 96, 128, 192, 256, 384, 512)
# Padded tokens per sub-batch: bounds the work one forward pass does on long messages.
SUB_BATCH_TOKENS = 1024
SUB_BATCH_ROWS = ROW_BUCKETS[-1]
# A run of this many rows or fewer is padded up to its row bucket rather than split.
SMALL_ROWS = 8
# Padded tokens a run may carry (plus a quarter of its real ones) before it is cut: about what
# the fixed cost of one more forward pass buys (reading every weight once).
WASTE_TOKENS = 64


def bucket(value: int, buckets: Sequence[int]) -> int:
    """The smallest bucket that holds `value`; a value beyond the last bucket stays as it is."""
    for size in buckets:
        if value <= size:
            return size
    return value


def width_buckets(max_length: int) -> tuple[int, ...]:
    """WIDTH_BUCKETS up to max_length, and max_length itself (no row is longer)."""
    return tuple(sorted({w for w in WIDTH_BUCKETS if w < max_length} | {max_length}))


def sub_batches(order: list[int], lengths: list[int], *, bucketed: bool = False,
                widths: Sequence[int] = WIDTH_BUCKETS) -> Iterator[list[int]]:
    """Split indices (sorted by length) into runs of at most SUB_BATCH_ROWS rows and
    SUB_BATCH_TOKENS padded tokens, so each forward pass pads to a similar length.

    `bucketed`: every run but a small last one has a row count in ROW_BUCKETS and the token
    budget counts the bucketed width, so padded_batch adds no filler rows to it."""
    if not bucketed:
        yield from _greedy(order, lengths)
        return
    start = 0
    while start < len(order):
        rows = _bucket_rows(order, lengths, start, widths)
        yield order[start:start + rows]
        start += rows


def _greedy(order: list[int], lengths: list[int]) -> Iterator[list[int]]:
    chunk: list[int] = []
    for i in order:
        # Sorted ascending: the newest index is the longest, so it sets the padded width.
        if chunk and (len(chunk) + 1 > SUB_BATCH_ROWS
                      or (len(chunk) + 1) * lengths[i] > SUB_BATCH_TOKENS):
            yield chunk
            chunk = []
        chunk.append(i)
    if chunk:
        yield chunk


def _bucket_rows(order: list[int], lengths: list[int], start: int, widths: Sequence[int]) -> int:
    """How many rows from `start` the next run takes.

    The run grows while its padding stays small: a padded token costs the same work as a real
    one, and a 64-token message in a run of 6-token ones pads every row to 64. Past WASTE_TOKENS
    (plus a quarter of the real tokens) an extra forward pass is cheaper. A run of at most
    SMALL_ROWS rows is taken whole (padded up to its row bucket), a longer one is cut to a row
    bucket."""
    left = min(len(order) - start, SUB_BATCH_ROWS)
    rows = real = 0
    while rows < left:
        length = lengths[order[start + rows]]
        width = bucket(length, widths)  # sorted ascending: the newest row sets the width
        padded = (rows + 1) * width
        waste = padded - real - length
        if rows and (padded > SUB_BATCH_TOKENS or waste > WASTE_TOKENS + (real + length) // 4):
            break
        rows, real = rows + 1, real + length
    width = bucket(lengths[order[start + rows - 1]], widths)
    if rows <= SMALL_ROWS and bucket(rows, ROW_BUCKETS) * width <= SUB_BATCH_TOKENS:
        return rows
    return max(r for r in ROW_BUCKETS if r <= rows)


def padded_batch(rows: Sequence[Sequence[int]], pad_id: int, *, widths: Sequence[int] | None = None,
                 bucketed: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """input_ids and attention_mask (int64) of `rows`, padded to a bucket shape when `bucketed`.

    Filler rows hold one unmasked pad token (a fully masked row is undefined in some attention
    kernels); their outputs are dropped by the caller, who reads only the first len(rows)."""
    width = max(len(r) for r in rows)
    count = len(rows)
    if bucketed:
        width = bucket(width, widths or WIDTH_BUCKETS)
        count = bucket(count, ROW_BUCKETS)
    input_ids = np.full((count, width), pad_id, dtype=np.int64)
    mask = np.zeros((count, width), dtype=np.int64)
    for row, tokens in enumerate(rows):
        input_ids[row, :len(tokens)] = tokens
        mask[row, :len(tokens)] = 1
    mask[len(rows):, 0] = 1
    return input_ids, mask


def padded_features(features: Sequence[Sequence[float]], count: int) -> np.ndarray:
    """Lexicon features (float32), filler rows zero."""
    out = np.zeros((count, len(features[0])), dtype=np.float32)
    out[:len(features)] = features
    return out
