"""Fixed shape buckets: every forward pass gets one of a few (rows, tokens) shapes.

Chat arrives in batches of every size and length. Each new input shape makes oneDNN (bf16) and
ONNX Runtime build and keep kernels and buffers for it, so memory grew for as long as new shapes
kept coming (488 -> 990 MiB in 180 s with bf16). Padding rows and widths up to a bucket bounds
the shapes, and so the memory, at a small cost in padded work.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

ROW_BUCKETS = (1, 2, 4, 8, 16, 24, 32, 48, 64)
WIDTH_BUCKETS = (8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512)
# Padded tokens per sub-batch: bounds the work one forward pass does on long messages.
SUB_BATCH_TOKENS = 1024
SUB_BATCH_ROWS = ROW_BUCKETS[-1]


def bucket(value: int, buckets: Sequence[int]) -> int:
    """The smallest bucket that holds `value`; a value beyond the last bucket stays as it is."""
    for size in buckets:
        if value <= size:
            return size
    return value


def width_buckets(max_length: int) -> tuple[int, ...]:
    """WIDTH_BUCKETS up to max_length, and max_length itself (no row is longer)."""
    return tuple(sorted({w for w in WIDTH_BUCKETS if w < max_length} | {max_length}))


def sub_batches(order: list[int], lengths: list[int]) -> Iterator[list[int]]:
    """Split indices (sorted by length) into runs of at most SUB_BATCH_ROWS rows and
    SUB_BATCH_TOKENS padded tokens, so each forward pass pads to a similar length."""
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
