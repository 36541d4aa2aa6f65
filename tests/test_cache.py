"""The answer cache: hits without requests, misses on every change, faults are misses."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakeserver import CHAT_PATH, FakeLLMServer, answer, server_error
from helpers import ARTICLE, event, extraction, figure

from extractor import extract
from extractor.cache import AnswerCache, cache_key, canonical_json, clear_cache


def run(server: FakeLLMServer, cache_dir: Path, **options: object):
    options.setdefault("model", "test-model")
    return extract(ARTICLE, published="2024-11-19", base_url=server.base_url, cache_dir=cache_dir, **options)


def test_second_run_is_served_from_cache_with_no_request(llm_server: FakeLLMServer, tmp_path: Path) -> None:
    llm_server.responder = lambda body: answer(extraction(event()), usage=(40, 4))
    first = run(llm_server, tmp_path)
    second = run(llm_server, tmp_path)
    assert llm_server.count(CHAT_PATH) == 1
    assert (first.cached, second.cached) == (False, True)
    assert second.to_record().to_json()["events"] == first.to_record().to_json()["events"] == [event()]
    assert second.usage.prompt_tokens == 40


def test_every_answer_changing_setting_misses(llm_server: FakeLLMServer, tmp_path: Path) -> None:
    llm_server.responder = lambda body: answer(extraction(event()), form="json")
    run(llm_server, tmp_path)
    changes = [
        {"model": "other-model"},
        {"prompt": "brief"},
        {"temperature": 0.5},
        {"mode": "json"},
        {"max_tokens": 1000},
    ]
    for number, change in enumerate(changes, start=2):
        assert not run(llm_server, tmp_path, **change).cached, change
        assert llm_server.count(CHAT_PATH) == number
    with FakeLLMServer(responder=llm_server.responder) as other:
        assert not run(other, tmp_path).cached  # another base URL


def test_no_cache_neither_reads_nor_writes(llm_server: FakeLLMServer, tmp_path: Path) -> None:
    llm_server.responder = lambda body: answer(extraction(event()))
    run(llm_server, tmp_path, use_cache=False)
    run(llm_server, tmp_path)
    assert llm_server.count(CHAT_PATH) == 2


def test_failures_are_never_cached(llm_server: FakeLLMServer, tmp_path: Path) -> None:
    llm_server.enqueue(server_error(), server_error())
    assert run(llm_server, tmp_path, transport_attempts=2).status == "error"
    llm_server.enqueue(answer(extraction(event())))
    assert run(llm_server, tmp_path).status == "ok"
    assert llm_server.count(CHAT_PATH) == 3


def test_a_hit_is_validated_again(llm_server: FakeLLMServer, tmp_path: Path) -> None:
    """A cached answer that no longer grounds (tampered) is asked for again."""
    llm_server.responder = lambda body: answer(extraction(event()))
    run(llm_server, tmp_path)
    cache = AnswerCache(tmp_path)
    (key,) = list(cache._cache.iterkeys())
    tampered = event(killed=figure(2, "words nowhere in the article"))
    cache.set(key, {"answer": extraction(tampered), "usage": {}})
    cache.close()
    result = run(llm_server, tmp_path)
    assert result.status == "ok" and not result.cached
    assert llm_server.count(CHAT_PATH) == 2


def test_r28c_a_corrupt_entry_is_a_miss(llm_server: FakeLLMServer, tmp_path: Path) -> None:
    llm_server.responder = lambda body: answer(extraction(event()))
    run(llm_server, tmp_path)
    cache = AnswerCache(tmp_path)
    (key,) = list(cache._cache.iterkeys())
    cache._cache.set(key, "{not json")
    cache.close()
    assert run(llm_server, tmp_path).status == "ok"
    assert llm_server.count(CHAT_PATH) == 2


def test_r28d_a_pickled_entry_is_refused_not_executed(tmp_path: Path) -> None:
    cache = AnswerCache(tmp_path)
    cache._cache.set("k", {"answer": "a dict is stored pickled by diskcache"})
    assert cache.get("k") is None


def test_the_key_never_reaches_the_cache(llm_server: FakeLLMServer, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-never-cached-0123456789")
    llm_server.responder = lambda body: answer(extraction(event()))
    run(llm_server, tmp_path)
    for file in tmp_path.rglob("*"):
        if file.is_file():
            assert b"sk-secret" not in file.read_bytes()


def test_canonical_json_is_order_independent() -> None:
    assert canonical_json({"b": 1, "a": [1, {"d": 2, "c": 3}]}) == '{"a":[1,{"c":3,"d":2}],"b":1}'
    assert cache_key({"a": 1, "b": 2}) == cache_key({"b": 2, "a": 1})
    assert cache_key({"a": 1}) != cache_key({"a": 2})


def test_cache_clear_removes_only_the_caches_own_files(tmp_path: Path) -> None:
    (tmp_path / "cache.db").write_bytes(b"not a database" * 64)
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    (tmp_path / "ab").mkdir()
    (tmp_path / "ab" / "x.val").write_text("{}", encoding="utf-8")
    clear_cache(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_the_validator_fingerprint_covers_every_assembler_and_answer_format(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Item 29: an assembler's or answer format's change is a change of validators."""
    import shutil
    from importlib import resources

    import extractor.pipeline as pipeline

    copy = tmp_path / "extractor"
    shutil.copytree(Path(str(resources.files("extractor"))), copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(pipeline.resources, "files", lambda package: copy)
    fingerprints = set()
    for changed in ("assembly/figures.py", "assembly/merge.py", "llm/structured.py", "grounding.py", "schema.py"):
        pipeline.validator_fingerprint.cache_clear()
        before = pipeline.validator_fingerprint()
        with (copy / changed).open("a", encoding="utf-8") as handle:
            handle.write("\n# changed\n")
        pipeline.validator_fingerprint.cache_clear()
        fingerprints.add(before)
        assert pipeline.validator_fingerprint() != before, changed
    pipeline.validator_fingerprint.cache_clear()
    assert len(fingerprints) == 5
