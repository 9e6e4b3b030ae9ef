"""An in-process scan keeps numpy's OpenBLAS to one thread while spaCy runs, and only then."""

from __future__ import annotations

import numpy  # noqa: F401  (loads OpenBLAS)
import pytest

from govern import blas_threads


def _counts() -> list[int]:
    return blas_threads.thread_counts()


@pytest.fixture
def two_threads():
    if not _counts():
        pytest.skip("no OpenBLAS with a thread-count API in this process")
    blas_threads.set_threads(2)
    yield
    blas_threads.set_threads(2)


def test_one_thread_inside_the_block_and_the_count_restored_after(two_threads):
    with blas_threads.one_thread():
        assert set(_counts()) == {1}
    assert set(_counts()) == {2}


def test_an_in_process_scan_runs_spacy_on_one_blas_thread(two_threads, loaded_scanner, monkeypatch):
    from govern.pii.scanner import _engine_for

    nlp = _engine_for(loaded_scanner.config).nlp_engine.get_nlp("en")
    seen: list[list[int]] = []
    pipe = type(nlp).pipe

    def watched(self, *args, **kwargs):
        seen.append(_counts())
        return pipe(self, *args, **kwargs)

    monkeypatch.setattr(type(nlp), "pipe", watched)
    assert loaded_scanner.scan_text("Call Jane Doe on 020 7946 0958.")
    assert seen and all(set(counts) == {1} for counts in seen)
    assert set(_counts()) == {2}
