"""benchmarks.modelspeed: two checkpoints, throughput in interleaved rounds and latency each."""

from __future__ import annotations

import asyncio
import shutil

import pytest

from benchmarks.modelspeed import measure


def test_two_models_get_throughput_rounds_and_open_loop_latency(tiny_model_dir, tmp_path):
    other = shutil.copytree(tiny_model_dir, tmp_path / "other")
    models = [str(tiny_model_dir), str(other)]
    result = asyncio.run(measure(models, messages=40, rounds=2, latency_seconds=0.5))
    for model in models:
        entry = result["models"][model]
        assert len(entry["rounds"]) == 2
        latency = entry["latency_at_200"]
        assert 0 < latency["p50"] <= latency["p99"]
    speeds = [result["models"][m]["msgs_per_s"] for m in models]
    assert result["ratio_last_to_first"] == pytest.approx(speeds[1] / speeds[0], abs=1e-3)
