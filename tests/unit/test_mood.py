import pytest

from bot.config import MoodConfig
from mood.tracker import Bucket, MoodTracker, hype_level

SETTINGS = MoodConfig(short_window_s=60, report_window_s=300, baseline_window_s=900, min_messages=10,
                      swing_threshold=0.35, rearm_band=0.15, alert_cooldown_s=120)
T0 = 1_700_000_000.0


def feed(tracker: MoodTracker, start: float, seconds: int, per_second: int, value: float) -> None:
    label = "positive" if value > 0.2 else "negative" if value < -0.2 else "neutral"
    for s in range(seconds):
        for _ in range(per_second):
            tracker.add(start + s + 0.5, value, label)


def test_window_counts_mean_and_label_shares():
    tracker = MoodTracker(SETTINGS)
    tracker.add(T0 + 1, 0.8, "positive")
    tracker.add(T0 + 2, -0.6, "negative")
    tracker.add(T0 + 3, 0.1, "neutral")
    tracker.add(T0 + 4, 0.9, "positive")
    stats = tracker.window(T0 + 10, 60)
    assert stats.count == 4
    assert stats.mean == pytest.approx(0.3)
    assert (stats.negative, stats.neutral, stats.positive) == (0.25, 0.25, 0.5)


def test_messages_outside_the_window_do_not_count():
    tracker = MoodTracker(SETTINGS)
    tracker.add(T0, -1.0, "negative")
    tracker.add(T0 + 100, 1.0, "positive")
    assert tracker.window(T0 + 101, 60).count == 1
    assert tracker.window(T0 + 101, 60).mean == 1.0


def test_late_messages_land_in_their_own_second():
    tracker = MoodTracker(SETTINGS)
    tracker.add(T0 + 10, 1.0, "positive")
    tracker.add(T0 + 5, -1.0, "negative")
    assert tracker.window(T0 + 6, 10).count == 1
    assert tracker.window(T0 + 11, 10).count == 2


def test_report_gives_the_window_and_the_one_before():
    tracker = MoodTracker(SETTINGS)
    feed(tracker, T0, 300, 1, -0.5)
    feed(tracker, T0 + 300, 300, 1, 0.5)
    now_window, before = tracker.report(T0 + 600)
    assert now_window.mean == pytest.approx(0.5) and before.mean == pytest.approx(-0.5)


def test_rate_uses_only_the_time_actually_covered():
    tracker = MoodTracker(SETTINGS)
    feed(tracker, T0, 10, 2, 0.0)
    assert tracker.window(T0 + 10, 60).rate == pytest.approx(2.0)


def test_hype_formula_parts():
    assert hype_level(1.0, 0.0, 4.0) == 0
    assert hype_level(4.0, 1.0, 4.0) == 100
    assert hype_level(2.5, 0.5, 4.0) == 50
    assert hype_level(0.2, 0.0, 4.0) == 0  # quieter than normal is not negative hype
    assert hype_level(10.0, 0.0, 4.0) == 60


def test_hype_rises_when_chat_speeds_up_and_cheers():
    tracker = MoodTracker(SETTINGS)
    feed(tracker, T0, 600, 1, 0.0)
    calm = tracker.hype(T0 + 600)
    feed(tracker, T0 + 600, 60, 4, 0.9)
    burst = tracker.hype(T0 + 660)
    assert calm.level < 10 and calm.rate_ratio == pytest.approx(1.0)
    assert burst.rate_ratio == pytest.approx(4.0) and burst.positive == 1.0 and burst.level == 100


def test_swing_alert_fires_when_mood_turns():
    tracker = MoodTracker(SETTINGS)
    feed(tracker, T0, 600, 1, 0.4)
    assert tracker.check_swing(T0 + 600, alerts_enabled=True) is None
    feed(tracker, T0 + 600, 60, 1, -0.4)
    swing = tracker.check_swing(T0 + 660, alerts_enabled=True)
    assert swing is not None and swing.sent
    assert swing.before == pytest.approx(0.4) and swing.after == pytest.approx(-0.4)


def test_no_swing_below_min_messages():
    tracker = MoodTracker(SETTINGS)
    feed(tracker, T0, 600, 1, 0.4)
    for s in range(5):
        tracker.add(T0 + 600 + s * 10, -1.0, "negative")
    assert tracker.check_swing(T0 + 660, alerts_enabled=True) is None


def test_hovering_at_the_threshold_does_not_alert_repeatedly():
    tracker = MoodTracker(SETTINGS)
    feed(tracker, T0, 600, 1, 0.4)
    feed(tracker, T0 + 600, 60, 1, -0.4)
    swing = tracker.check_swing(T0 + 660, alerts_enabled=True)
    assert swing is not None and swing.sent
    # Still swung for the next checks: no new alert while disarmed and inside the cooldown.
    assert all(tracker.check_swing(T0 + 660 + k, alerts_enabled=True) is None for k in range(1, 60))


def test_swing_alert_respects_cooldown_after_rearming():
    tracker = MoodTracker(SETTINGS)
    feed(tracker, T0, 600, 1, 0.4)
    feed(tracker, T0 + 600, 60, 1, -0.4)
    swing = tracker.check_swing(T0 + 660, alerts_enabled=True)
    assert swing is not None and swing.sent
    feed(tracker, T0 + 660, 60, 1, 0.4)  # settles back: re-arms
    assert tracker.check_swing(T0 + 720, alerts_enabled=True) is None
    feed(tracker, T0 + 720, 60, 4, -0.9)  # swings again within 120 s of the alert
    swing = tracker.check_swing(T0 + 770, alerts_enabled=True)
    assert swing is not None and not swing.sent and swing.reason == "cooldown"


def test_swing_while_alerts_are_off_is_recorded_as_suppressed():
    tracker = MoodTracker(SETTINGS)
    feed(tracker, T0, 600, 1, 0.4)
    feed(tracker, T0 + 600, 60, 1, -0.4)
    swing = tracker.check_swing(T0 + 660, alerts_enabled=False)
    assert swing is not None and not swing.sent and swing.reason == "alerts off"


def test_restored_aggregates_count_like_live_messages():
    tracker = MoodTracker(SETTINGS)
    tracker.restore(Bucket(T0, length=60, count=30, total=12.0, positive=20, neutral=10))
    stats = tracker.window(T0 + 120, 300)
    assert stats.count == 30 and stats.mean == pytest.approx(0.4) and stats.positive == pytest.approx(2 / 3)


def test_old_buckets_are_forgotten():
    tracker = MoodTracker(SETTINGS)
    feed(tracker, T0, 2000, 1, 0.1)
    assert len(tracker._buckets) <= 901


def test_unknown_label_is_refused():
    with pytest.raises(ValueError, match="label must be one of"):
        MoodTracker(SETTINGS).add(T0, 0.0, "happy")
