"""Scoring benchmark: batched vs one-at-a-time throughput, and latency under Poisson arrivals.

Both throughput figures go through the same ScoringService on the same messages in one run;
one-at-a-time is the same service with max_batch=1 (how the seed scored). Latency is measured
open-loop: arrivals follow a Poisson process at the offered rate whatever the service does, and
each latency runs from the arrival's scheduled time to its result (so a lagging producer does
not hide queueing delay).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from model.machine import machine_info
from model.scorer import Scorer
from model.service import Overloaded, ScoringService
from mood.errors import UsageError

DEFAULT_RATES = (50.0, 200.0, 1000.0)


@dataclass(frozen=True)
class BenchSettings:
    """What the benchmark runs: service settings from config, sizes from the command line."""

    max_batch: int
    max_wait_ms: float
    queue_size: int
    overload: str
    messages: int = 3000
    seconds: float = 5.0
    rates: Sequence[float] = DEFAULT_RATES
    seed: int = 0


def sample_messages(corpus: Path, count: int, seed: int) -> list[str]:
    """A seeded random sample of non-empty lines (chat messages) from a corpus file."""
    with corpus.open(encoding="utf-8", errors="replace") as handle:
        lines = [line.rstrip("\n") for line in handle if line.strip()]
    if not lines:
        raise UsageError(f"{corpus} holds no messages; pass --corpus FILE (one message a line)")
    rng = random.Random(seed)
    return [lines[rng.randrange(len(lines))] for _ in range(count)]


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return float("nan")
    rank = max(1, round(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


async def throughput(scorer: Scorer, texts: Sequence[str], *, max_batch: int,
                     max_wait_ms: float, in_flight: int | None = None) -> float:
    """Messages per second with every text submitted at once (`in_flight`: batches at once,
    default the scorer's)."""
    async with ScoringService(scorer, max_batch=max_batch, max_wait_ms=max_wait_ms,
                              queue_size=len(texts), overload="wait", concurrency=in_flight) as service:
        start = time.perf_counter()
        await service.score_many(texts)
        return len(texts) / (time.perf_counter() - start)


async def open_loop_latency(service: ScoringService, texts: Sequence[str], rate: float,
                            seconds: float, rng: random.Random) -> dict[str, float]:
    """p50/p95/p99 latency in ms of Poisson arrivals at `rate` msg/s for `seconds`."""
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    rejected = 0

    async def one(text: str, scheduled: float) -> None:
        nonlocal rejected
        try:
            await service.score(text)
        except Overloaded:
            rejected += 1
            return
        latencies.append(loop.time() - scheduled)

    tasks = []
    start = loop.time()
    offset, index = rng.expovariate(rate), 0
    while offset < seconds:
        scheduled = start + offset
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(texts[index % len(texts)], scheduled)))
        offset, index = offset + rng.expovariate(rate), index + 1
    await asyncio.gather(*tasks)
    elapsed = loop.time() - start
    latencies.sort()
    return {
        "offered_msgs_per_s": rate,
        "sent": len(tasks),
        "completed": len(latencies),
        "rejected": rejected,
        "achieved_msgs_per_s": round(len(latencies) / elapsed, 1),
        "mean_batch": round(service.stats.mean_batch(), 1),
        **{f"p{q}": round(percentile(latencies, q) * 1000, 2) for q in (50, 95, 99)},
    }


def gpu_memory_mib(device: torch.device) -> dict[str, float] | None:
    """Peak GPU memory since the last reset (allocated by tensors, and reserved by torch's caching
    allocator), in MiB; None off CUDA."""
    if device.type != "cuda":
        return None
    mib = 1024 * 1024
    return {"peak_allocated": round(torch.cuda.max_memory_allocated(device) / mib, 1),
            "peak_reserved": round(torch.cuda.max_memory_reserved(device) / mib, 1)}


def bench_machine(scorer: Scorer) -> dict[str, Any]:
    """Where the figures were measured."""
    device = str(scorer.device)
    if scorer.device.type == "cuda":
        device += f" ({torch.cuda.get_device_name(scorer.device)})"
    return {**machine_info(), "device": device}


async def run_benchmark(scorer: Scorer, texts: Sequence[str], settings: BenchSettings) -> dict[str, Any]:
    """Measure everything the `bench` command reports; returns one JSON-ready dict."""
    if scorer.device.type == "cuda":  # the peak of the benchmark alone, weights included
        torch.cuda.reset_peak_memory_stats(scorer.device)
    scorer.predict(list(texts[: settings.max_batch]))  # warm-up: first-call allocations
    batched = round(await throughput(scorer, texts, max_batch=settings.max_batch,
                                     max_wait_ms=settings.max_wait_ms), 1)
    unbatched = round(await throughput(scorer, texts, max_batch=1, max_wait_ms=0), 1)
    rng = random.Random(settings.seed)
    latency = {}
    for rate in settings.rates:
        async with ScoringService(scorer, max_batch=settings.max_batch,
                                  max_wait_ms=settings.max_wait_ms,
                                  queue_size=settings.queue_size,
                                  overload=settings.overload) as service:  # type: ignore[arg-type]
            latency[f"{rate:g}"] = await open_loop_latency(service, texts, rate, settings.seconds, rng)
    return {
        "batched_msgs_per_s": batched,  # the reported figures give exactly the reported speedup
        "unbatched_msgs_per_s": unbatched,
        "speedup": round(batched / unbatched, 2),
        "latency_ms": latency,
        "messages": len(texts),
        "model": {"name": scorer.name, "parameters": scorer.parameters, "backend": scorer.backend,
                  "quantized": scorer.quantized, "precision": scorer.precision,
                  "precision_timing": scorer.calibration, "max_length": scorer.max_length},
        "service": {"max_batch": settings.max_batch, "max_wait_ms": settings.max_wait_ms,
                    "queue_size": settings.queue_size, "overload": settings.overload},
        "machine": bench_machine(scorer),
        "gpu_memory_mib": gpu_memory_mib(scorer.device),
    }


def format_report(result: dict[str, Any]) -> str:
    """The benchmark result as a short human-readable report."""
    m, model = result["machine"], result["model"]
    lines = [
        f"machine: {m['cpu']} | {m['cpu_count']} CPUs | torch threads {m['torch_threads']} | "
        f"device {m['device']} | torch {m['torch']}",
        f"model:   {model['name']} ({model['parameters'] / 1e6:.1f}M parameters"
        f", {model['backend']} {model.get('precision', 'fp32')}), {result['messages']} messages",
        f"throughput: batched {result['batched_msgs_per_s']:.0f} msg/s, one-at-a-time "
        f"{result['unbatched_msgs_per_s']:.0f} msg/s, speedup {result['speedup']:.2f}x",
        "latency (open-loop Poisson arrivals, ms):",
        f"  {'offered':>8} {'p50':>8} {'p95':>8} {'p99':>8} {'done':>6} {'rejected':>8} {'batch':>6}",
    ]
    for rate, row in result["latency_ms"].items():
        lines.append(f"  {rate + '/s':>8} {row['p50']:>8.1f} {row['p95']:>8.1f} {row['p99']:>8.1f} "
                     f"{row['completed']:>6} {row['rejected']:>8} {row['mean_batch']:>6.1f}")
    gpu = result.get("gpu_memory_mib")
    if gpu:
        lines.append(f"GPU memory: peak {gpu['peak_allocated']:.0f} MiB allocated, "
                     f"{gpu['peak_reserved']:.0f} MiB reserved")
    return "\n".join(lines)
