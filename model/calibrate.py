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

The timing runs in a child process (`python -m model.calibrate DIR`), which loads its own copy
of the checkpoint. The bf16 copy and the frozen graph it times stay in TorchScript's class
registry for the life of a process, and that registry cannot be cleared without breaking every
other traced graph alive in it (model/README.md). So the bot's process builds a bf16 graph only
when bf16 won, and none when fp32 won. The child costs about 5 s, so its answer is kept in the
user's cache (`~/.cache/twitch-mood/precision/`), keyed by the checkpoint's files, the CPU (model
name and flags), torch and the oneDNN settings: a restart on the same machine reads it, and any
change among those times again. An unreadable cache entry is timed again, never trusted.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from model.paths import user_cache_dir, write_whole
from model.traced import Logits, trace_forward

log = logging.getLogger(__name__)

# (rows, tokens) of a pass at 200 msg/s (1-3 short messages) and of a hype burst; bucket shapes.
SHAPES = ((2, 10), (32, 16))
ROUNDS = 5
BF16_BELOW = 0.9  # bf16 must be at least 10% faster
CHILD_TIMEOUT_S = 300  # loading and timing take a few seconds; a hung child must not hang the bot
CACHE_FORMAT = 1  # bump when the timing itself changes
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
    return choice, {"ms": medians, "shapes": [list(s) for s in SHAPES], "bf16_over_fp32": round(ratio, 3)}


def time_checkpoint(source: str) -> tuple[str, dict[str, Any]]:
    """The child's work: load `source` in fp32, build its bf16 copy and frozen graph, time both."""
    from model.lexicon import N_FEATURES
    from model.scorer import Scorer

    scorer = Scorer.load(source, device="cpu", quantize="off", precision="fp32", backend="torch", workers=1)
    model = scorer.model
    features = N_FEATURES if scorer.reads_lexicon else None
    half, traced = bf16_forward(model, features, keep_fp32=True)
    vocabulary = getattr(model, "base", model).get_input_embeddings().num_embeddings
    return faster_format(Logits(model), traced or Logits(half), features, vocabulary)


def run_child(source: str) -> dict[str, Any]:
    """Run time_checkpoint in a child Python with this process's import path; its JSON answer.
    Raises RuntimeError with the child's last error line when it fails."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    try:
        done = subprocess.run([sys.executable, "-m", "model.calibrate", source], capture_output=True,
                              text=True, timeout=CHILD_TIMEOUT_S, env=env, check=False)
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"no answer in {CHILD_TIMEOUT_S} s") from exc
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        errors = done.stderr.strip().splitlines()
        raise RuntimeError(errors[-1] if errors else f"exit status {done.returncode}")
    return json.loads(lines[-1])


def cpu_identity() -> str:
    """The CPU's model name and flags (Linux), and the oneDNN settings that change its kernels."""
    try:
        info = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        info = []
    wanted = [line for line in info if line.startswith(("model name", "flags", "Features"))]
    onednn = sorted(f"{k}={v}" for k, v in os.environ.items() if k.startswith(("ONEDNN_", "DNNL_")))
    return "\n".join([*dict.fromkeys(wanted), *onednn])


def cache_file(source: str | Path) -> Path | None:
    """Where the answer for this checkpoint on this CPU is kept; None for a hub name."""
    directory = Path(source)
    if not directory.is_dir():
        return None
    from model.onnx_backend import checkpoint_key

    digest = hashlib.sha256(f"{CACHE_FORMAT} {checkpoint_key(directory)} {cpu_identity()}".encode())
    return user_cache_dir() / "precision" / f"{digest.hexdigest()[:32]}.json"


def valid_answer(answer: Any) -> tuple[str, dict[str, Any]]:
    """(choice, timing) of a child's or the cache's answer; ValueError where it is not one."""
    choice = answer.get("choice") if isinstance(answer, dict) else None
    if choice not in ("bf16", "fp32"):
        raise ValueError(f"unexpected answer {choice!r}")
    timing = answer.get("timing")
    if not isinstance(timing, dict) or "shapes" not in timing or not isinstance(timing.get("ms"), dict) \
            or not {"bf16", "fp32"} <= timing["ms"].keys():
        raise ValueError("an answer without its timings")
    return choice, timing


def cached_answer(path: Path | None) -> tuple[str, dict[str, Any]] | None:
    if path is None or not path.is_file():
        return None
    try:
        return valid_answer(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        log.warning("precision auto: cached timing %s unreadable (%s); timing again",
                    path, " ".join(str(exc).split())[:120])
        return None


def keep_answer(path: Path | None, choice: str, timing: dict[str, Any]) -> None:
    """Write the answer atomically; a cache that cannot be written only costs a later re-timing."""
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_whole(path, json.dumps({"choice": choice, "timing": timing}))  # bots may start at once
    except OSError as exc:
        log.warning("precision auto: cannot keep the timing in %s (%s)", path, exc.strerror or exc)


def choose_format(source: str | Path) -> tuple[str, dict[str, Any] | None]:
    """The faster format for checkpoint `source` on this CPU, and the timings: kept from an earlier
    load on this machine, else timed in a child process; 'bf16' with no timings, logged, if the
    timing fails."""
    path = cache_file(source)
    kept = cached_answer(path)
    if kept is not None:
        choice, timing = kept
        how = "timed before on this CPU"
    else:
        try:
            choice, timing = valid_answer(run_child(str(source)))
        except Exception as exc:  # a model the timing inputs do not fit, a crashed child: bf16, as before
            log.warning("precision auto: bf16 (timing it against fp32 failed: %s)",
                        " ".join(str(exc).split())[:200])
            return "bf16", None
        keep_answer(path, choice, timing)
        how = "timed now"
    shapes = ", ".join(f"{rows}x{tokens}" for rows, tokens in timing["shapes"])
    log.info("precision auto: bf16 %s ms against fp32 %s ms per pass (%s tokens, %s): %s",
             "/".join(f"{t:.1f}" for t in timing["ms"]["bf16"]),
             "/".join(f"{t:.1f}" for t in timing["ms"]["fp32"]), shapes, how, choice)
    return choice, timing


def main(argv: list[str] | None = None) -> int:
    """`python -m model.calibrate DIR`: one JSON line {"choice", "timing"} on stdout."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m model.calibrate CHECKPOINT_DIR", file=sys.stderr)
        return 2
    try:
        choice, timing = time_checkpoint(args[0])
    except Exception as exc:  # the parent shows this line and keeps bf16
        print(" ".join(f"{type(exc).__name__}: {exc}".split())[:300], file=sys.stderr)
        return 1
    print(json.dumps({"choice": choice, "timing": timing}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
