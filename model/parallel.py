"""Forward passes side by side on CPU: `model.workers` threads, each with its share of the cores.

A batch of chat is many small sub-batches (model/buckets.py). Their matrices are small, so two
forward passes running side by side on one core each keep the cores busier than one pass split
over both cores (measured in `bench --compare`: model/README.md). With more than one worker,
every pass runs on a pool thread, also a batch that is one sub-batch: the scoring service keeps
that many batches in flight (model/service.py), so the small passes of steady chat run side by
side too. With one worker, passes run in the caller's thread with every core.

torch's intra-op thread count is per thread under OpenMP, and a new thread starts from the last
value anyone set, so each pool thread sets its own count and the caller's is set before each
pass: several scorers in one process (`bench --compare`) each keep their own setting.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import torch

from model.errors import ModelLoadError

T = TypeVar("T")
R = TypeVar("R")

# torch's default (the physical cores), read before any scorer changes it.
CPU_THREADS = torch.get_num_threads()


def resolve_workers(workers: int, threads: int, *, cpu_parallel: bool) -> tuple[int, int]:
    """(side-by-side forward passes, threads each, for torch or ONNX Runtime). `workers` 0 is
    auto: 2 on a CPU with 2 or more threads, else 1; `threads` 0 is torch's default. CUDA runs
    one pass at a time (`cpu_parallel` False)."""
    if workers < 0:
        raise ModelLoadError(f"model.workers must be 0 (auto) or more, not {workers}")
    total = threads or CPU_THREADS
    if not cpu_parallel:
        return 1, total
    if workers == 0:
        workers = 2 if total >= 2 else 1
    return workers, max(1, total // workers)


class ForwardPool:
    """Runs a function over sub-batches, side by side where there are several."""

    def __init__(self, total_threads: int, workers: int = 1, threads_each: int = 1) -> None:
        """One pass at a time uses `total_threads`; `workers` > 1 side by side use `threads_each`."""
        self.workers, self.total_threads = workers, total_threads
        self._executor: ThreadPoolExecutor | None = None
        if workers > 1:
            self._executor = ThreadPoolExecutor(workers, thread_name_prefix="forward",
                                                initializer=torch.set_num_threads, initargs=(threads_each,))

    def map(self, run: Callable[[T], R], chunks: Sequence[T]) -> list[R]:
        """`run` over `chunks`, results in order. `run` must be thread-safe."""
        if self._executor is None:
            if torch.get_num_threads() != self.total_threads:
                torch.set_num_threads(self.total_threads)
            return [run(chunk) for chunk in chunks]
        return list(self._executor.map(run, chunks))

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
