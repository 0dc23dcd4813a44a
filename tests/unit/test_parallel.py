"""Sub-batches cut to row buckets, and forward passes side by side (model/buckets.py, model/parallel.py)."""

from __future__ import annotations

import random
import threading

import pytest
import torch

from model.buckets import ROW_BUCKETS, SMALL_ROWS, SUB_BATCH_TOKENS, WIDTH_BUCKETS, bucket, sub_batches
from model.errors import ModelLoadError
from model.parallel import CPU_THREADS, resolve_workers
from model.scorer import Scorer
from tests.helpers import ODD_TEXTS


def runs_of(lengths: list[int]) -> list[list[int]]:
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    runs = list(sub_batches(order, lengths, bucketed=True))
    assert [i for run in runs for i in run] == order  # every message once, in length order
    return runs


def test_bucketed_runs_need_no_filler_rows_beyond_a_small_run():
    rng = random.Random(0)
    for _ in range(300):
        lengths = [rng.choice([3, 4, 5, 6, 7, 8, 9, 12, 20, 40, 64]) for _ in range(rng.randint(1, 300))]
        for run in runs_of(lengths):
            width = bucket(max(lengths[i] for i in run), WIDTH_BUCKETS)
            assert len(run) in ROW_BUCKETS or len(run) <= SMALL_ROWS
            assert bucket(len(run), ROW_BUCKETS) * width <= SUB_BATCH_TOKENS or len(run) == 1


def test_one_long_message_does_not_pad_the_short_ones():
    lengths = [6] * 20 + [64]
    runs = runs_of(lengths)
    assert [20] in runs  # the 64-token message runs alone, not 21 rows padded to 64 tokens
    assert max(len(r) for r in runs) == 16  # 16 + 4 short rows, no filler rows


def test_a_burst_of_short_messages_fills_whole_row_buckets():
    runs = runs_of([7] * 256)
    assert [len(r) for r in runs] == [64, 64, 64, 64]


def test_workers_resolve_to_two_on_a_multicore_cpu_and_one_elsewhere():
    assert resolve_workers(0, 2, cpu_parallel=True) == (2, 1)
    assert resolve_workers(0, 8, cpu_parallel=True) == (2, 4)
    assert resolve_workers(0, 1, cpu_parallel=True) == (1, 1)
    assert resolve_workers(3, 6, cpu_parallel=True) == (3, 2)
    assert resolve_workers(0, 4, cpu_parallel=False) == (1, 4)  # CUDA: one at a time
    assert resolve_workers(0, 0, cpu_parallel=True)[0] == (2 if CPU_THREADS >= 2 else 1)
    with pytest.raises(ModelLoadError, match=r"model\.workers"):
        resolve_workers(-1, 2, cpu_parallel=True)


def test_side_by_side_forward_passes_give_the_same_scores_in_input_order(tiny_model_dir, corpus_lines):
    texts = corpus_lines[:300] + ODD_TEXTS
    random.Random(1).shuffle(texts)
    one = Scorer.load(tiny_model_dir, device="cpu", quantize="off", precision="fp32", workers=1)
    two = Scorer.load(tiny_model_dir, device="cpu", quantize="off", precision="fp32", workers=2,
                      threads=2)
    one.bucketed = two.bucketed = True
    threads: set[str] = set()
    forward = two._forward

    def recording(*args, **kwargs):
        threads.add(threading.current_thread().name)
        return forward(*args, **kwargs)

    two._forward = recording  # type: ignore[method-assign]
    try:
        for a, b in zip(one.predict(texts), two.predict(texts), strict=True):
            assert a.label == b.label and abs(a.value - b.value) < 1e-5
        assert len(threads) == 2 and all(name.startswith("forward") for name in threads)
        # The caller's thread keeps every core for its own passes (one sub-batch: quiet chat).
        two.predict(texts[:1])
        assert torch.get_num_threads() == 2
    finally:
        two.close()
    assert len(two.predict(texts)) == len(texts)  # after close: in the caller's thread


def test_bf16_on_cpu_runs_eager_attention_in_buckets(tiny_model_dir):
    scorer = Scorer.load(tiny_model_dir, device="cpu", quantize="off", precision="bf16")
    base = getattr(scorer.model, "base", scorer.model)
    assert scorer.bucketed and base.config._attn_implementation == "eager"
    assert len(scorer.predict(ODD_TEXTS)) == len(ODD_TEXTS)


def test_bf16_frozen_graph_scores_as_eager_mode_in_every_bucket_shape(tiny_model_dir, corpus_lines):
    scorer = Scorer.load(tiny_model_dir, device="cpu", quantize="off", precision="bf16")
    assert scorer.traced is not None
    texts = corpus_lines[:400] + ODD_TEXTS
    traced = scorer.predict(texts)
    scorer.traced = None
    for a, b in zip(traced, scorer.predict(texts), strict=True):
        assert abs(a.positive - b.positive) < 1e-3 and abs(a.negative - b.negative) < 1e-3
    assert len({round(s.value, 3) for s in traced}) > len(texts) // 4  # not all alike
