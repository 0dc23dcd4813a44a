import asyncio
import threading

import pytest

from model.service import Overloaded, ScoringService, ServiceClosed
from mood.labels import Score
from tests.helpers import ODD_TEXTS


class FakePredictor:
    """Scores 'msg N' as positive = N / 10_000; can be held at a gate and made to fail."""

    def __init__(self, *, hold: bool = False, fail_on: str | None = None) -> None:
        self.gate = threading.Event()
        if not hold:
            self.gate.set()
        self.fail_on = fail_on
        self.batches: list[list[str]] = []
        self.started = threading.Event()

    def predict(self, texts):
        self.started.set()
        assert self.gate.wait(10), "test gate never opened"
        self.batches.append(list(texts))
        if self.fail_on in texts:
            raise RuntimeError("model exploded")
        return [Score.from_probs(0.0, 1 - int(t.split()[1]) / 10_000, int(t.split()[1]) / 10_000)
                for t in texts]


def service(predictor, **overrides) -> ScoringService:
    options = {"max_batch": 16, "max_wait_ms": 2, "queue_size": 1000, "overload": "reject"}
    options.update(overrides)
    return ScoringService(predictor, **options)


async def wait_until(predicate, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition never became true"
        await asyncio.sleep(0.001)


async def test_thousand_concurrent_calls_each_get_their_own_score():
    predictor = FakePredictor()
    async with service(predictor, max_batch=64) as svc:
        scores = await asyncio.gather(*(svc.score(f"msg {i}") for i in range(1000)))
    assert [round(s.positive * 10_000) for s in scores] == list(range(1000))
    assert max(len(b) for b in predictor.batches) <= 64
    assert len(predictor.batches) < 1000 // 8  # really batched, not one forward per message


async def test_real_model_concurrent_scores_equal_direct_predict(tiny_scorer, corpus_lines):
    texts = (corpus_lines * 3)[:1000]
    direct = tiny_scorer.predict(texts)
    async with ScoringService(tiny_scorer, max_batch=64, max_wait_ms=5, queue_size=2000,
                              overload="reject") as svc:
        served = await asyncio.gather(*(svc.score(t) for t in texts))
    assert [s.value for s in served] == pytest.approx([d.value for d in direct], abs=1e-4)


async def test_each_callers_sequential_results_stay_in_order():
    async def caller(svc: ScoringService, first: int) -> list[int]:
        return [round((await svc.score(f"msg {first + k}")).positive * 10_000) for k in range(20)]

    async with service(FakePredictor()) as svc:
        results = await asyncio.gather(*(caller(svc, c * 100) for c in range(10)))
    assert results == [list(range(c * 100, c * 100 + 20)) for c in range(10)]


async def test_lone_message_is_scored_without_a_full_batch():
    predictor = FakePredictor()
    async with service(predictor, max_batch=64, max_wait_ms=20) as svc:
        score = await asyncio.wait_for(svc.score("msg 7"), timeout=5)
    assert round(score.positive * 10_000) == 7
    assert predictor.batches == [["msg 7"]]


async def test_overload_reject_refuses_beyond_capacity_at_ten_times_load():
    predictor = FakePredictor(hold=True)
    svc = service(predictor, max_batch=5, queue_size=10, overload="reject")
    await svc.start()
    tasks = [asyncio.create_task(svc.score(f"msg {i}")) for i in range(150)]
    await wait_until(predictor.started.is_set)
    await asyncio.sleep(0.01)
    assert svc.queued <= 10
    predictor.gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    await svc.close()
    rejected = [r for r in results if isinstance(r, Overloaded)]
    scored = [r for r in results if isinstance(r, Score)]
    assert len(rejected) + len(scored) == 150
    assert len(scored) <= 10 + 5  # the queue plus the batch in flight
    assert svc.stats.rejected == len(rejected) >= 100
    assert "queue full" in str(rejected[0])


async def test_overload_wait_keeps_queue_bounded_and_loses_nothing():
    predictor = FakePredictor(hold=True)
    svc = service(predictor, max_batch=5, queue_size=10, overload="wait")
    await svc.start()
    tasks = [asyncio.create_task(svc.score(f"msg {i}")) for i in range(100)]
    await wait_until(predictor.started.is_set)
    predictor.gate.set()
    peak = 0
    while not all(t.done() for t in tasks):
        peak = max(peak, svc.queued)
        await asyncio.sleep(0)
    await svc.close()
    assert sorted(round(t.result().positive * 10_000) for t in tasks) == list(range(100))
    assert peak <= 10


async def test_close_drains_everything_already_queued():
    predictor = FakePredictor(hold=True)
    svc = service(predictor, max_batch=4)
    await svc.start()
    tasks = [asyncio.create_task(svc.score(f"msg {i}")) for i in range(30)]
    await wait_until(predictor.started.is_set)
    closing = asyncio.create_task(svc.close())
    await asyncio.sleep(0.01)
    with pytest.raises(ServiceClosed):
        await svc.score("msg 99")
    predictor.gate.set()
    await closing
    assert [round(t.result().positive * 10_000) for t in tasks] == list(range(30))
    await svc.close()  # idempotent


async def test_score_outside_the_lifecycle_is_refused():
    svc = service(FakePredictor())
    with pytest.raises(ServiceClosed):
        await svc.score("msg 1")
    async with svc:
        pass
    with pytest.raises(ServiceClosed):
        await svc.score("msg 1")


async def test_failed_batch_fails_its_callers_and_the_service_goes_on():
    predictor = FakePredictor(fail_on="msg 3")
    async with service(predictor, max_batch=64, max_wait_ms=50) as svc:
        results = await asyncio.gather(*(svc.score(f"msg {i}") for i in range(5)),
                                       return_exceptions=True)
        assert all(isinstance(r, RuntimeError) for r in results)
        assert round((await svc.score("msg 8")).positive * 10_000) == 8


async def test_cancelled_caller_is_not_scored():
    predictor = FakePredictor(hold=True)
    async with service(predictor, max_batch=1) as svc:
        first = asyncio.create_task(svc.score("msg 1"))
        await wait_until(predictor.started.is_set)
        doomed = asyncio.create_task(svc.score("msg 2"))
        await asyncio.sleep(0.01)
        doomed.cancel()
        predictor.gate.set()
        await first
        assert round((await svc.score("msg 3")).positive * 10_000) == 3
    assert ["msg 2"] not in predictor.batches


async def test_model_runs_off_the_event_loop():
    predictor = FakePredictor(hold=True)
    async with service(predictor) as svc:
        pending = asyncio.create_task(svc.score("msg 1"))
        await wait_until(predictor.started.is_set)
        ticks = 0
        for _ in range(5):  # the loop keeps running while predict() is blocked in its thread
            await asyncio.sleep(0.001)
            ticks += 1
        assert ticks == 5 and not pending.done()
        predictor.gate.set()
        await pending


async def test_non_text_is_a_type_error():
    async with service(FakePredictor()) as svc:
        with pytest.raises(TypeError, match="takes a str"):
            await svc.score(None)  # type: ignore[arg-type]


async def test_odd_chat_text_through_the_service(tiny_scorer):
    async with ScoringService(tiny_scorer, max_batch=8, max_wait_ms=1, queue_size=100,
                              overload="reject") as svc:
        scores = await svc.score_many(ODD_TEXTS)
    assert len(scores) == len(ODD_TEXTS) and all(-1 <= s.value <= 1 for s in scores)


def test_invalid_settings_are_refused():
    with pytest.raises(ValueError, match="overload"):
        ScoringService(FakePredictor(), max_batch=1, max_wait_ms=1, queue_size=1, overload="drop")  # pyright: ignore[reportArgumentType]
    with pytest.raises(ValueError, match="max_batch"):
        ScoringService(FakePredictor(), max_batch=0, max_wait_ms=1, queue_size=1, overload="wait")


async def test_callers_waiting_for_room_are_told_when_the_service_closes():
    predictor = FakePredictor(hold=True)
    svc = service(predictor, max_batch=1, queue_size=2, overload="wait")
    await svc.start()
    tasks = [asyncio.create_task(svc.score(f"msg {i}")) for i in range(6)]
    await wait_until(predictor.started.is_set)
    await asyncio.sleep(0.01)
    closing = asyncio.create_task(svc.close())
    await asyncio.sleep(0.01)
    predictor.gate.set()
    await closing
    results = await asyncio.gather(*tasks, return_exceptions=True)
    scored = [r for r in results if isinstance(r, Score)]
    refused = [r for r in results if isinstance(r, ServiceClosed)]
    assert len(scored) == 3 and len(refused) == 3  # one in flight + two queued were drained


class ChannelRecorder(FakePredictor):
    def __init__(self) -> None:
        super().__init__()
        self.channels: list[str | None] = []

    def predict(self, texts, channels=None):
        assert channels is not None and len(channels) == len(texts)
        self.channels.extend(channels)
        return super().predict(texts)


async def test_a_channel_aware_scorer_gets_each_texts_channel():
    predictor = ChannelRecorder()
    async with service(predictor, by_channel=True) as svc:
        await asyncio.gather(svc.score("msg 1", "one"), svc.score("msg 2", "two"), svc.score("msg 3"))
    assert sorted(predictor.channels, key=str) == sorted(["one", "two", None], key=str)


class TwoAtOnce(FakePredictor):
    """Says it runs two batches at once (like a Scorer with two forward workers); counts how
    many of its predict calls overlap."""

    concurrency = 2

    def __init__(self) -> None:
        super().__init__(hold=True)
        self._lock = threading.Lock()
        self.running = self.most_running = 0

    def predict(self, texts):
        with self._lock:
            self.running += 1
            self.most_running = max(self.most_running, self.running)
        try:
            return super().predict(texts)
        finally:
            with self._lock:
                self.running -= 1


async def test_a_scorer_with_two_workers_gets_two_batches_in_flight_and_nothing_is_lost():
    predictor = TwoAtOnce()
    svc = service(predictor, max_batch=4)
    assert svc.concurrency == 2 and service(FakePredictor()).concurrency == 1
    await svc.start()
    first = [asyncio.create_task(svc.score(f"msg {i}")) for i in range(4)]
    await wait_until(lambda: predictor.running == 1)
    second = [asyncio.create_task(svc.score(f"msg {i}")) for i in range(4, 8)]
    await wait_until(lambda: predictor.running == 2)  # the second batch did not wait for the first
    third = [asyncio.create_task(svc.score(f"msg {i}")) for i in range(8, 40)]
    await asyncio.sleep(0.02)
    assert predictor.running == 2 and svc.queued == 32  # both slots busy: the rest gathers
    predictor.gate.set()
    closing = asyncio.create_task(svc.close())
    results = await asyncio.gather(*first, *second, *third)
    await closing
    assert [round(r.positive * 10_000) for r in results] == list(range(40))
    assert predictor.most_running == 2 and sum(map(len, predictor.batches)) == 40


async def test_concurrency_one_keeps_one_batch_in_flight():
    predictor = TwoAtOnce()
    svc = service(predictor, max_batch=4, concurrency=1)
    await svc.start()
    tasks = [asyncio.create_task(svc.score(f"msg {i}")) for i in range(12)]
    await wait_until(lambda: predictor.running == 1)
    await asyncio.sleep(0.02)
    assert predictor.running == 1
    predictor.gate.set()
    await asyncio.gather(*tasks)
    await svc.close()
    assert predictor.most_running == 1
