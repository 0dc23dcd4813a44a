"""`twitch-mood bench --compare`: today's fp32 path against the faster scoring paths, in one run.

Each path scores the same messages: batched throughput through the ScoringService (interleaved
rounds, so drift on a shared machine hits every path alike), open-loop latency at 200 msg/s,
and the labels of the dev and test splits, compared with fp32's (agreement, macro-F1). The
verdict applies issue #14's rule: >= 2x throughput, p99 <= 30 ms at 200 msg/s, the same label
on >= 99% of dev, and macro-F1 within 0.005 of fp32 on dev and on test.
"""

from __future__ import annotations

import gc
import random
import statistics
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model.bench import open_loop_latency, throughput
from model.machine import machine_info, rss_mib
from model.precision import native_bf16
from model.scorer import Scorer
from model.service import ScoringService
from mood.labels import LABELS

RATE = 200.0
TARGETS = {"speedup": 2.0, "p99_ms": 30.0, "agreement": 0.99, "f1_delta": 0.005}


@dataclass(frozen=True)
class ScoringPath:
    """One way of running the same checkpoint: backend, number format, shape buckets, how many
    forward passes run side by side (model/parallel.py), whether bf16 runs a frozen graph
    (model/traced.py), how many batches the scoring service keeps in flight (None: one per
    forward pass, the default), how long a message waits for its batch to fill (None:
    `model.max_wait_ms`), and which int8 copy of the export ONNX Runtime runs (None: the fp32
    export; model/onnx_backend.py)."""


    name: str
    backend: str
    precision: str
    bucketed: bool
    workers: int = 1
    traced: bool = False
    in_flight: int | None = None
    max_wait_ms: float | None = None
    int8: str | None = None


OLD_MAX_WAIT_MS = 5.0  # the old path's model.max_wait_ms, whatever config.yaml says now
BASELINE = ScoringPath("fp32 torch (old default)", "torch", "fp32", bucketed=False,
                       max_wait_ms=OLD_MAX_WAIT_MS)
CANDIDATES = (
    ScoringPath("fp32 torch, buckets, x2", "torch", "fp32", bucketed=True, workers=2),
    ScoringPath("bf16 torch, buckets", "torch", "bf16", bucketed=True),
    ScoringPath("bf16 torch, buckets, x2", "torch", "bf16", bucketed=True, workers=2),
    ScoringPath("bf16 traced, x2, 1 batch", "torch", "bf16", bucketed=True, workers=2, traced=True,
                in_flight=1),
    ScoringPath("bf16 traced, buckets, x2", "torch", "bf16", bucketed=True, workers=2, traced=True),
    ScoringPath("bf16 traced, x2, wait 1 ms", "torch", "bf16", bucketed=True, workers=2, traced=True,
                max_wait_ms=1.0),
    ScoringPath("bf16 traced, x2, wait 0", "torch", "bf16", bucketed=True, workers=2, traced=True,
                max_wait_ms=0.0),
    ScoringPath("fp32 onnx, buckets", "onnx", "fp32", bucketed=True),
    ScoringPath("fp32 onnx, buckets, x2", "onnx", "fp32", bucketed=True, workers=2),
    ScoringPath("int8 onnx, buckets", "onnx", "fp32", bucketed=True, int8="dynamic"),
    ScoringPath("int8 onnx, buckets, x2", "onnx", "fp32", bucketed=True, workers=2, int8="dynamic"),
    ScoringPath("int8 weights onnx, buckets", "onnx", "fp32", bucketed=True, int8="weights"),
    ScoringPath("int8 weights onnx, buckets, x2", "onnx", "fp32", bucketed=True, workers=2, int8="weights"),
    ScoringPath("int8 weights onnx, x2, wait 1 ms", "onnx", "fp32", bucketed=True, workers=2, int8="weights",
                max_wait_ms=1.0),
)


def load(model: str, path: ScoringPath, threads: int, scratch: Path) -> Scorer:
    """The scorer of one path: what Scorer.load makes of its settings, but for `dynamic` int8,
    which only this comparison runs."""
    scorer = Scorer.load(model, device="cpu", quantize="auto" if path.int8 == "weights" else "off",
                         precision=path.precision, backend=path.backend, threads=threads,
                         workers=path.workers)
    scorer.bucketed = path.bucketed
    if path.int8 == "dynamic":
        from model.checkpoint import resolve_source
        from model.onnx_backend import MODEL_FILE, OnnxModel, cache_location
        from model.onnx_int8 import quantize_int8

        graph = scratch / f"int8-dynamic-{MODEL_FILE}"
        quantize_int8(cache_location(Path(resolve_source(model)[0])) / MODEL_FILE, graph, "dynamic")
        scorer.onnx = OnnxModel(graph, threads=scorer.onnx.session.get_session_options().intra_op_num_threads,
                                features=scorer.onnx.features)
    if not path.traced:
        scorer.traced = None
    return scorer


def labels_of(scorer: Scorer, texts: Sequence[str]) -> list[int]:
    return [LABELS.index(s.label) for s in scorer.predict(texts)]


async def compare(model: str, texts: Sequence[str], splits: dict[str, tuple[list[str], list[int]]], *,
                  max_batch: int, max_wait_ms: float, seconds: float, rounds: int = 3,
                  threads: int = 0) -> dict[str, Any]:
    """Every path's figures, the baseline first; one JSON-ready dict."""
    from training.metrics import classification_report

    paths = [BASELINE, *CANDIDATES]
    with tempfile.TemporaryDirectory() as scratch:  # ORT opens the int8 file once, at load
        scorers = {p.name: load(model, p, threads, Path(scratch)) for p in paths}
    speeds: dict[str, list[float]] = {p.name: [] for p in paths}
    waits = {p.name: max_wait_ms if p.max_wait_ms is None else p.max_wait_ms for p in paths}
    for scorer in scorers.values():
        scorer.predict(list(texts[:max_batch]))  # warm-up: first-call allocations, ORT arenas
    for _ in range(rounds):
        for path in paths:
            speeds[path.name].append(await throughput(scorers[path.name], texts, max_batch=max_batch,
                                                      max_wait_ms=waits[path.name], in_flight=path.in_flight))
    results: dict[str, Any] = {}
    predicted: dict[str, dict[str, list[int]]] = {}
    for path in paths:
        scorer = scorers[path.name]
        async with ScoringService(scorer, max_batch=max_batch, max_wait_ms=waits[path.name],
                                  queue_size=4096, overload="reject", concurrency=path.in_flight) as service:
            latency = await open_loop_latency(service, texts, RATE, seconds, random.Random(0))
        predicted[path.name] = {split: labels_of(scorer, split_texts)
                                for split, (split_texts, _) in splits.items()}
        results[path.name] = {"backend": scorer.backend, "precision": scorer.precision,
                              "int8": path.int8, "buckets": path.bucketed,
                              "workers": scorer.pool.workers,
                              "batches_in_flight": path.in_flight or scorer.concurrency,
                              "traced": scorer.traced is not None, "max_wait_ms": waits[path.name],
                              "batched_msgs_per_s": round(statistics.fmean(speeds[path.name]), 1),
                              "rounds_msgs_per_s": [round(s, 1) for s in speeds[path.name]],
                              f"latency_at_{RATE:g}": latency}
        for split, (_, gold) in splits.items():
            report = classification_report(gold, predicted[path.name][split])
            results[path.name][f"{split}_macro_f1"] = round(report["macro_f1"], 4)
    base = results[BASELINE.name]
    for path in paths:
        entry = results[path.name]
        entry["speedup"] = round(entry["batched_msgs_per_s"] / base["batched_msgs_per_s"], 2)
        for split in splits:
            same = sum(a == b for a, b in zip(predicted[path.name][split], predicted[BASELINE.name][split],
                                              strict=True))
            entry[f"{split}_same_labels"] = round(same / len(splits[split][1]), 4)
            entry[f"{split}_f1_delta"] = round(entry[f"{split}_macro_f1"] - base[f"{split}_macro_f1"], 4)
        entry["meets_targets"] = meets(entry, list(splits))
    for scorer in scorers.values():
        scorer.close()
    del scorers
    gc.collect()
    return {"paths": results, "messages": len(texts), "rate": RATE, "rounds": rounds,
            "targets": TARGETS, "machine": {**machine_info(), "native_bf16": native_bf16(),
                                            "rss_mib_after": rss_mib()},
            "model": str(model)}


def meets(entry: dict[str, Any], splits: list[str]) -> bool:
    p99 = entry[f"latency_at_{RATE:g}"]["p99"]
    return (entry["speedup"] >= TARGETS["speedup"] and p99 <= TARGETS["p99_ms"]
            and entry.get("dev_same_labels", 0) >= TARGETS["agreement"]
            and all(abs(entry[f"{s}_f1_delta"]) <= TARGETS["f1_delta"] for s in splits))


def format_compare(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [f"machine: {m['cpu']} | {m['cpu_count']} CPUs | torch threads {m['torch_threads']} | "
             f"native bf16: {'yes' if m['native_bf16'] else 'no'} | torch {m['torch']}",
             f"model: {result['model']}; {result['messages']} messages, "
             f"{result['rounds']} interleaved rounds",
             f"{'path':<34}{'msg/s':>8}{'x':>6}{'p50':>7}{'p99':>7}{'dev same':>10}{'dev F1':>8}{'Δ':>8}"
             f"{'test F1':>9}{'Δ':>8}  verdict"]
    for name, e in result["paths"].items():
        lat = e[f"latency_at_{result['rate']:g}"]
        lines.append(f"{name:<34}{e['batched_msgs_per_s']:>8.0f}{e['speedup']:>6.2f}{lat['p50']:>7.1f}"
                     f"{lat['p99']:>7.1f}{e['dev_same_labels']:>10.1%}{e['dev_macro_f1']:>8.3f}"
                     f"{e['dev_f1_delta']:>+8.3f}{e['test_macro_f1']:>9.3f}{e['test_f1_delta']:>+8.3f}  "
                     f"{'meets' if e['meets_targets'] else '-'}")
    t = result["targets"]
    lines.append(f"(latency in ms at {result['rate']:g} msg/s offered; targets: >= {t['speedup']}x, p99 <= "
                 f"{t['p99_ms']} ms, same labels >= {t['agreement']:.0%} of dev, |Δ macro-F1| <= "
                 f"{t['f1_delta']} on dev and test)")
    return "\n".join(lines)


def labeled_splits(data: Path) -> dict[str, tuple[list[str], list[int]]]:
    from training.data import read_labeled

    labeled = read_labeled(data)
    return {split: labeled.split(split) for split in ("dev", "test")}
