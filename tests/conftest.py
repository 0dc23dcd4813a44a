"""Fixtures for every suite: corpus lines from ../shared/data and a tiny random RoBERTa built on the
fly. Tests under tests/e2e/ are marked `e2e` (`pytest -m "not e2e"` runs the fast suite)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from model.paths import default_corpus
from model.tiny import build_tiny_model

E2E_DIR = Path(__file__).resolve().parent / "e2e"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_DIR in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(autouse=True)
def _own_user_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets an empty user cache: what one test timed or exported never answers another,
    and the developer's own ~/.cache is never read or written."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="session")
def corpus_lines() -> list[str]:
    corpus = default_corpus()
    assert corpus.is_file(), f"tests need the shared corpus at {corpus} (or set TWITCH_MOOD_DATA)"
    with corpus.open(encoding="utf-8") as handle:
        return [line.rstrip("\n") for line in itertools.islice(handle, 400)]


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory, corpus_lines: list[str]) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"), corpus_lines)
