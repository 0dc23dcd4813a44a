"""`model.precision: auto` on a CPU that computes bf16 natively: time both number formats on
this CPU when the model loads, and keep the faster.

The CPU flags do not say which one pays. With AMX, the frozen bf16 graph is 4.4x the old fp32
path. On an AMD EPYC with AVX512-BF16 and no AMX it was also the faster one. On the Xeon with
AMX held off (`ONEDNN_MAX_CPU_ISA=AVX512_CORE_BF16`) fp32 was faster, with the same flags
(model/README.md). So both run a live-chat-sized pass and a burst-sized pass, one thread each
(as each side-by-side forward pass runs), interleaved. bf16 is kept only where its mean time
ratio to fp32 over the two passes is below BF16_BELOW: fp32 is the reference format, and near
a tie the choice would flip between restarts. This adds about a second to loading, and one
log line names the choice. If the timing itself fails, bf16 stays, as before this check.
"""

from __future__ import annotations

import copy
import logging
import statistics
import time
from collections.abc import Callable
from typing import Any

import torch

from model.traced import Logits, trace_forward

log = logging.getLogger(__name__)

# (rows, tokens) of a pass at 200 msg/s (1-3 short messages) and of a hype burst; bucket shapes.
SHAPES = ((2, 10), (32, 16))
ROUNDS = 5
BF16_BELOW = 0.9  # bf16 must be at least 10% faster
Forward = Callable[..., Any]


def bf16_forward(model: Any, features: int | None, *, keep_fp32: bool) -> tuple[Any, Any | None]:
    """The model in bf16 with eager attention and its frozen graph (None where tracing fails);
    a copy when `keep_fp32`, so the fp32 model stays usable."""
    half = (copy.deepcopy(model) if keep_fp32 else model).to(torch.bfloat16)
    # SDPA's CPU kernel is slow on chat-sized bf16 rows (a few tokens); eager attention is
    # faster at the same labels (model/README.md).
    getattr(half, "base", half).set_attn_implementation("eager")
    return half, trace_forward(half, features)


def example_inputs(rows: int, tokens: int, features: int | None, vocabulary: int) -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(rows * 1000 + tokens)
    ids = torch.randint(5, max(6, vocabulary), (rows, tokens), generator=generator)
    mask = torch.ones((rows, tokens), dtype=torch.long)
    mask[rows // 2:, tokens // 2:] = 0  # padded rows, as in a real batch
    if features is None:
        return ids, mask
    return ids, mask, torch.zeros((rows, features))


def median_ms(forwards: dict[str, Forward], inputs: list[tuple[torch.Tensor, ...]]) -> dict[str, list[float]]:
    """Median milliseconds of each forward pass per input, over ROUNDS interleaved rounds after a
    warm-up, on one thread."""
    times: dict[str, list[list[float]]] = {name: [[] for _ in inputs] for name in forwards}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.inference_mode():
            for forward in forwards.values():
                for example in inputs:
                    forward(*example)  # first-call allocations, kernel selection
            for _ in range(ROUNDS):
                for name, forward in forwards.items():
                    for k, example in enumerate(inputs):
                        start = time.perf_counter()
                        forward(*example)
                        times[name][k].append((time.perf_counter() - start) * 1000)
    finally:
        torch.set_num_threads(threads)
    return {name: [statistics.median(t) for t in per_input] for name, per_input in times.items()}


def faster_format(fp32: Forward, bf16: Forward, features: int | None,
                  vocabulary: int) -> tuple[str, dict[str, Any]]:
    """'bf16' where its mean time ratio to fp32 over SHAPES is below BF16_BELOW, else 'fp32'; and
    the timings."""
    inputs = [example_inputs(rows, tokens, features, vocabulary) for rows, tokens in SHAPES]
    medians = median_ms({"fp32": fp32, "bf16": bf16}, inputs)
    ratio = sum(b / f for b, f in zip(medians["bf16"], medians["fp32"], strict=True)) / len(SHAPES)
    choice = "bf16" if ratio < BF16_BELOW else "fp32"
    shapes = ", ".join(f"{rows}x{tokens}" for rows, tokens in SHAPES)
    log.info("precision auto: bf16 %s ms against fp32 %s ms per pass (%s tokens): %s",
             "/".join(f"{t:.1f}" for t in medians["bf16"]), "/".join(f"{t:.1f}" for t in medians["fp32"]),
             shapes, choice)
    return choice, {"ms": medians, "shapes": [list(s) for s in SHAPES], "bf16_over_fp32": round(ratio, 3)}


def choose_format(model: Any, half: Any, traced: Any | None,
                  features: int | None) -> tuple[str, dict[str, Any] | None]:
    """faster_format for the fp32 `model` against its bf16 copy `half` (its frozen graph
    `traced` where there is one); 'bf16' with no timings, logged, if the timing fails."""
    try:
        vocabulary = getattr(model, "base", model).get_input_embeddings().num_embeddings
        return faster_format(Logits(model), traced or Logits(half), features, vocabulary)
    except Exception as exc:  # a model the timing inputs do not fit: bf16, as without the check
        log.warning("precision auto: bf16 (timing it against fp32 failed: %s)",
                    " ".join(str(exc).split())[:200])
        return "bf16", None
