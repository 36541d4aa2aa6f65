"""End-to-end runs replayed from cassettes: the real openai client and instructor,
the HTTP exchanges read back from ``cassettes/test_cassettes/``.

The cassettes were recorded by running this module against tests/fakeserver.py
with the hand-labelled seed gold as the scripted answers; their ``metadata``
says so. No live model was reachable where they were made. To re-record after
a change to the prompt, the schema or the request shape::

    EXTRACTOR_RECORD_CASSETTES=1 python -m pytest tests/test_cassettes.py

vcrpy is used directly: pytest-recording 0.14.1 cannot load a cassette that
carries vcrpy 9.4's ``metadata`` (its loader expects two values, gets three).

Requests are matched on method, scheme, host, path and JSON body, so a change
to what extractor sends fails here (the port is left out: the recording
server's port was random). Replays are played once each and never reach a
network: an unmatched request fails at once and says which cassette.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fakeserver import FakeLLMServer, answer, rate_limited
from helpers import ARTICLE, DATASETS, REPO, event, extraction, read_jsonl, seed_articles, ungrounded_event

from extractor import extract, extract_many

RECORDING = os.environ.get("EXTRACTOR_RECORD_CASSETTES") == "1"
CASSETTES = REPO / "cassettes" / "test_cassettes"
REPLAY_URL = "http://127.0.0.1:9/v1"
METADATA = {
    "made": "recorded by tests/test_cassettes.py from tests/fakeserver.py, the project's local "
    "OpenAI-compatible server, answering with hand-written (gold) answers",
    "live_model": False,
    "client": "openai 3.3.0 (httpx2) + instructor 1.17.0",
}


@pytest.fixture
def vcr(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The test's cassette (named by a ``cassette`` mark, else after the test), in use."""
    import vcr as vcrpy

    recorder = vcrpy.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode="all" if RECORDING else "none",
        match_on=["method", "scheme", "host", "path", "body"],
        filter_headers=["authorization", "api-key", "openai-organization", "openai-project", "cookie"],
    )
    marker = request.node.get_closest_marker("cassette")
    name = marker.args[0] if marker else f"{request.node.name}.yaml"
    with recorder.use_cassette(name, allow_playback_repeats=False) as cassette:
        yield cassette


# These cassettes were recorded when every server got 4,096 tokens of room; a local
# server's default is now 2,048, and the request body is what a cassette matches on.
RECORDED_MAX_TOKENS = 4096


@pytest.fixture
def base_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, FakeLLMServer | None]]:
    """The recording server's URL while recording; a dead port on replay."""
    if not RECORDING:
        yield REPLAY_URL, None
        return
    monkeypatch.setenv("OPENAI_API_KEY", "sk-recording-key-that-must-be-filtered-0000")
    with FakeLLMServer(model="gpt-4.1-mini") as server:
        yield server.base_url, server


def stamp(vcr: Any, **extra: Any) -> None:
    """Record how the cassette was made (read back, unchanged, on replay)."""
    if RECORDING:
        vcr.get_metadata("how_made", {**METADATA, **extra, "recorded_on": dt.date.today().isoformat()})


def gold_by_text() -> dict[str, dict[str, Any]]:
    gold = {g["id"]: g for g in read_jsonl(DATASETS / "seeds" / "gold.jsonl")}
    return {a["text"]: {"events": gold[a["id"]]["events"]} for a in seed_articles()}


ARTICLE_IN_PROMPT = re.compile(r"<<<ARTICLE\n(.*)\nARTICLE>>>", re.S)


def test_seed_articles_replay_to_their_gold_events(base_url: Any, vcr: Any) -> None:
    url, server = base_url
    answers = gold_by_text()
    if server is not None:
        server.responder = lambda body: answer(
            answers[ARTICLE_IN_PROMPT.search(body["messages"][-1]["content"]).group(1)]  # type: ignore[union-attr]
        )
    stamp(vcr, scenario="five seed articles, one tool-call answer each")
    results = list(
        extract_many(seed_articles(), model="gpt-4.1-mini", base_url=url, mode="tools", use_cache=False,
                     max_tokens=RECORDED_MAX_TOKENS)
    )
    gold = {g["id"]: g["events"] for g in read_jsonl(DATASETS / "seeds" / "gold.jsonl")}
    assert sorted(r.id for r in results) == sorted(gold)
    for result in results:
        assert result.status == "ok", result.errors
        assert result.to_record().to_json()["events"] == gold[result.id]
        assert result.usage.prompt_tokens > 0
    assert vcr.play_count == (0 if RECORDING else 5)


def test_reask_of_ungrounded_evidence_replays(base_url: Any, vcr: Any) -> None:
    url, server = base_url
    if server is not None:
        server.enqueue(answer(extraction(ungrounded_event())), answer(extraction(event())))
    stamp(vcr, scenario="an answer quoting words not in the article, re-asked, then fixed")
    result = extract(ARTICLE, published="2024-11-19", model="gpt-4.1-mini", base_url=url, mode="tools", use_cache=False,
                     max_tokens=RECORDED_MAX_TOKENS)
    assert result.status == "ok"
    assert result.to_record().to_json()["events"] == [event()]
    assert vcr.play_count == (0 if RECORDING else 2)


def test_rate_limit_then_answer_replays(base_url: Any, vcr: Any) -> None:
    url, server = base_url
    if server is not None:
        server.enqueue(rate_limited(retry_after=0.1), answer(extraction(event())))
    stamp(vcr, scenario="429 with Retry-After, then a tool-call answer")
    result = extract(ARTICLE, published="2024-11-19", model="gpt-4.1-mini", base_url=url, mode="tools", use_cache=False,
                     max_tokens=RECORDED_MAX_TOKENS)
    assert result.status == "ok"
    assert vcr.play_count == (0 if RECORDING else 2)


@pytest.mark.cassette("test_rate_limit_then_answer_replays.yaml")
def test_r30_a_request_no_cassette_matches_fails_fast_naming_the_cassette(vcr: Any) -> None:
    if RECORDING:
        pytest.skip("replay-only check")
    result = extract(
        ARTICLE + " A different article.", model="gpt-4.1-mini", base_url=REPLAY_URL, mode="tools",
        use_cache=False, transport_attempts=1,
    )
    assert result.status == "error"
    assert "no recorded interaction matches" in result.errors[0]
    assert vcr.play_count == 0
    import openai

    client = openai.OpenAI(base_url=REPLAY_URL, api_key="x", max_retries=0)
    with pytest.raises(openai.APIConnectionError) as caught:
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert "test_rate_limit_then_answer_replays.yaml" in str(caught.value.__cause__)


def test_r30b_cassettes_hold_no_secrets_and_say_how_they_were_made() -> None:
    files = sorted(CASSETTES.glob("*.yaml"))
    assert len(files) == 3
    for path in files:
        text = path.read_text("utf-8")
        assert not re.search(r"(?i)authorization|bearer|sk-[A-Za-z0-9]", text), path
        import yaml

        meta = yaml.safe_load(text)["metadata"]["how_made"]
        assert meta["live_model"] is False and "fakeserver" in meta["made"]


def test_cassette_answers_are_the_gold_events() -> None:
    """The recorded answers themselves, read without replaying, are the gold."""
    import yaml

    data = yaml.safe_load((CASSETTES / "test_seed_articles_replay_to_their_gold_events.yaml").read_text("utf-8"))
    recorded = []
    for interaction in data["interactions"]:
        body = json.loads(interaction["response"]["body"]["string"])
        arguments = body["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]
        recorded.append(json.loads(arguments))
    expected = list(gold_by_text().values())
    assert sorted(map(json.dumps, recorded)) == sorted(map(json.dumps, expected))


