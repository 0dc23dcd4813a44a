"""ScoringService: an asyncio micro-batcher in front of a synchronous `predict(texts)`.

`await service.score(text)` queues the text; a worker task gathers queued requests until
`max_batch` of them are waiting or the oldest has waited `max_wait_ms`, then runs one
`predict` call for all of them in a worker thread, so the event loop never blocks. A scorer that
runs forward passes side by side (`Scorer.concurrency`, model/parallel.py) gets that many batches
in flight at once: under steady chat each batch is one small pass, and one batch at a time would
leave the other core idle while texts queue behind it.

Overload policy (the queue holds at most `queue_size` waiting texts, plus the batches in flight):
- `reject`: `score()` raises `Overloaded` at once when the queue is full. Memory stays bounded
  and the caller decides (the bot counts the message as dropped rather than falling behind).
- `wait`: `score()` waits for room. Nothing is dropped; the caller's own concurrency bounds
  memory (bulk producers such as the benchmark and offline analysis use this).
Either way nothing deadlocks: the worker keeps draining while callers wait or are refused.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Literal, Protocol

from mood.labels import Score

log = logging.getLogger(__name__)


class Overloaded(RuntimeError):
    """The queue is full and the overload policy is `reject`; the text was not scored."""


class ServiceClosed(RuntimeError):
    """`score()` was called before `start()` or after `close()`."""


class Predictor(Protocol):
    def predict(self, texts: Sequence[str]) -> list[Score]: ...


def scorer_concurrency(scorer: object) -> int:
    """How many `predict` calls the scorer runs at once to advantage (1 unless it says)."""
    return max(1, int(getattr(scorer, "concurrency", 1)))


class ChannelPredictor(Protocol):
    """A predictor that reads each text with its channel's own emotes (Scorer.use_emotes)."""

    def predict(self, texts: Sequence[str], channels: Sequence[str | None] | None = None) -> list[Score]: ...


@dataclass(slots=True)
class _Request:
    text: str
    future: asyncio.Future[Score]
    enqueued: float
    channel: str | None = None


@dataclass(slots=True)
class ServiceStats:
    """Counters for logs and the benchmark."""

    scored: int = 0
    rejected: int = 0
    batches: int = 0

    def mean_batch(self) -> float:
        return self.scored / self.batches if self.batches else 0.0


class ScoringService:
    """Async micro-batching front of a Scorer. Use `async with` or `start()` / `close()`."""

    def __init__(self, scorer: Predictor | ChannelPredictor, *, max_batch: int, max_wait_ms: float,
                 queue_size: int, overload: Literal["reject", "wait"],
                 on_batch: Callable[[int, Sequence[float]], None] | None = None,
                 by_channel: bool = False, concurrency: int | None = None) -> None:
        """`on_batch(size, latencies)`: after each batch, its size and each text's seconds from
        `score()` to its result (for metrics). `by_channel`: the scorer is a ChannelPredictor
        with emotes of its own for some channels; each text is scored with its channel's.
        `concurrency`: batches in flight at once (default: what the scorer says it runs)."""
        if max_batch < 1 or queue_size < 1 or max_wait_ms < 0:
            raise ValueError("max_batch and queue_size must be >= 1 and max_wait_ms >= 0")
        if overload not in ("reject", "wait"):
            raise ValueError(f"overload must be 'reject' or 'wait', not {overload!r}")
        self._scorer = scorer
        self._by_channel = by_channel
        self.on_batch = on_batch
        self._max_batch, self._max_wait = max_batch, max_wait_ms / 1000
        self._queue_size, self._overload = queue_size, overload
        self._pending: deque[_Request] = deque()
        # Events bind to the running loop on first use, not here.
        self._arrived, self._room = asyncio.Event(), asyncio.Event()
        self._worker: asyncio.Task[None] | None = None
        self.concurrency = scorer_concurrency(scorer) if concurrency is None else concurrency
        if self.concurrency < 1:
            raise ValueError("concurrency must be >= 1")
        self._executor = ThreadPoolExecutor(max_workers=self.concurrency,  # threads start on first use
                                            thread_name_prefix="scoring")
        self._closing = False
        self.stats = ServiceStats()

    async def __aenter__(self) -> ScoringService:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def start(self) -> None:
        """Start the worker task and its thread."""
        if self._worker is not None:
            raise RuntimeError("ScoringService already started")
        self._worker = asyncio.create_task(self._run(), name="scoring-worker")

    async def close(self) -> None:
        """Stop taking new texts, score everything already queued, then stop. Idempotent."""
        if self._worker is None or self._closing:
            if self._worker is not None:
                await asyncio.shield(self._worker)
            return
        self._closing = True
        self._arrived.set()
        self._room.set()  # wake waiting callers so they see the service is closing
        try:
            await asyncio.shield(self._worker)
        finally:
            self._executor.shutdown(wait=True)

    @property
    def scorer(self) -> Predictor | ChannelPredictor:
        """What scores the batches (a Scorer, or a test's stand-in)."""
        return self._scorer

    @property
    def queued(self) -> int:
        """Texts waiting for a batch (not counting the batches in flight)."""
        return len(self._pending)

    async def score(self, text: str, channel: str | None = None) -> Score:
        """Score one text (from `channel`, where the scorer reads channels' own emotes). Raises
        Overloaded (policy `reject`, queue full) or ServiceClosed."""
        if not isinstance(text, str):
            raise TypeError(f"score() takes a str, not {type(text).__name__}")
        self._check_open()
        while len(self._pending) >= self._queue_size:
            if self._overload == "reject":
                self.stats.rejected += 1
                raise Overloaded(f"scoring queue full ({self._queue_size} texts waiting)")
            self._room.clear()
            await self._room.wait()
            self._check_open()
        loop = asyncio.get_running_loop()
        request = _Request(text, loop.create_future(), loop.time(), channel)
        self._pending.append(request)
        self._arrived.set()
        return await request.future

    async def score_many(self, texts: Sequence[str]) -> list[Score]:
        """Score many texts concurrently, in input order."""
        return list(await asyncio.gather(*(self.score(t) for t in texts)))

    def _check_open(self) -> None:
        if self._worker is None or self._closing:
            raise ServiceClosed("the scoring service is not running")

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        free = asyncio.Semaphore(self.concurrency)
        in_flight: set[asyncio.Task[None]] = set()

        def finished(task: asyncio.Task[None]) -> None:
            in_flight.discard(task)
            free.release()

        while True:
            await free.acquire()  # while every slot is busy, texts gather into the next batch
            batch = await self._next_batch(loop.time)
            if not batch:
                free.release()
                if self._closing:
                    await asyncio.gather(*in_flight)
                    return
                continue
            task = asyncio.create_task(self._score_batch(loop, batch))
            in_flight.add(task)
            task.add_done_callback(finished)

    async def _next_batch(self, now: Callable[[], float]) -> list[_Request]:
        while not self._pending:
            if self._closing:
                return []
            self._arrived.clear()
            await self._arrived.wait()
        # The oldest request's arrival sets the deadline, so texts that queued while the
        # previous batch ran do not wait again.
        deadline = self._pending[0].enqueued + self._max_wait
        while len(self._pending) < self._max_batch and not self._closing:
            remaining = deadline - now()
            if remaining <= 0:
                break
            self._arrived.clear()
            try:
                async with asyncio.timeout(remaining):
                    await self._arrived.wait()
            except TimeoutError:
                break
        batch: list[_Request] = []
        while self._pending and len(batch) < self._max_batch:
            request = self._pending.popleft()
            if not request.future.done():  # skip callers that gave up (cancelled)
                batch.append(request)
        self._room.set()
        return batch

    async def _score_batch(self, loop: asyncio.AbstractEventLoop, batch: list[_Request]) -> None:
        texts = [r.text for r in batch]
        predict: Callable[[], list[Score]] = partial(self._scorer.predict, texts)
        if self._by_channel:
            predict = partial(self._scorer.predict, texts, [r.channel for r in batch])  # type: ignore[call-arg]
        try:
            scores = await loop.run_in_executor(self._executor, predict)
        except Exception as exc:  # a failed batch fails its callers, not the service
            log.exception("scoring a batch of %d texts failed", len(batch))
            for request in batch:
                if not request.future.done():
                    request.future.set_exception(exc)
            return
        self.stats.scored += len(batch)
        self.stats.batches += 1
        for request, result in zip(batch, scores, strict=True):
            if not request.future.done():
                request.future.set_result(result)
        if self.on_batch is not None:
            done = loop.time()
            self.on_batch(len(batch), [done - r.enqueued for r in batch])
