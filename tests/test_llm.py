"""The model path against the local server: real openai client, real instructor.

Each test scripts the server, runs one article through the library, and
checks both the outcome and the number of requests that reached the server:
retries must happen where they should and nowhere else.
"""

from __future__ import annotations

import time

import pytest
from fakeserver import (
    CHAT_PATH,
    FakeLLMServer,
    answer,
    context_length_exceeded,
    drop,
    hang,
    quota_exceeded,
    rate_limited,
    raw,
    refusal,
    server_error,
    truncated,
    unauthorized,
)
from helpers import ARTICLE, event, extraction, ungrounded_event

from extractor import extract
from extractor.errors import FatalModelError


def run(server: FakeLLMServer, **options: object):
    options.setdefault("use_cache", False)
    return extract(ARTICLE, published="2024-11-19", base_url=server.base_url, model="test-model", **options)


@pytest.mark.parametrize(
    ("mode", "form"),
    [("tools", "tools"), ("json_schema", "json"), ("json", "json"), ("md_json", "markdown")],
)
def test_each_answer_form_parses_in_its_mode(llm_server: FakeLLMServer, mode: str, form: str) -> None:
    llm_server.enqueue(answer(extraction(event()), form=form))  # type: ignore[arg-type]
    result = run(llm_server, mode=mode)
    assert result.status == "ok", result.errors
    assert result.to_record()["events"] == [event()]
    assert llm_server.count(CHAT_PATH) == 1


def test_tools_mode_sends_the_schema_as_a_tool(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(answer(extraction()))
    run(llm_server, mode="tools")
    body = llm_server.requests[-1].body
    assert body["tools"][0]["function"]["name"] == "Extraction"
    assert body["temperature"] == 0.0
    assert body["model"] == "test-model"


def test_local_base_url_defaults_to_json_schema_mode(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(answer(extraction(event()), form="json"))
    assert run(llm_server).status == "ok"
    assert llm_server.requests[-1].body["response_format"]["type"] == "json_schema"


def test_article_text_reaches_the_model_literally(llm_server: FakeLLMServer) -> None:
    text = ARTICLE + " Odd text: {{ 7*7 }} {% if x %} $x ${y}"
    llm_server.enqueue(answer(extraction()))
    result = extract(text, base_url=llm_server.base_url, model="m", use_cache=False)
    assert result.status == "ok"
    user = llm_server.requests[-1].body["messages"][-1]["content"]
    assert "{{ 7*7 }} {% if x %} $x ${y}" in user
    assert "49" not in user


def test_publication_date_reaches_the_prompt(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(answer(extraction()))
    run(llm_server)
    assert "Publication date: 2024-11-19" in llm_server.requests[-1].body["messages"][-1]["content"]


def test_retry_after_is_honoured_then_ok(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(rate_limited(retry_after=1.0, with_ms=False), answer(extraction(event())))
    started = time.monotonic()
    result = run(llm_server)
    waited = time.monotonic() - started
    assert result.status == "ok"
    assert llm_server.count(CHAT_PATH) == 2
    assert 0.9 <= waited < 5


def test_two_server_errors_then_ok_takes_three_requests(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(server_error(), server_error(), answer(extraction(event())))
    result = run(llm_server)
    assert result.status == "ok"
    assert llm_server.count(CHAT_PATH) == 3


def test_rate_limited_every_time_is_bounded_and_recorded(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(*[rate_limited(retry_after=0.05) for _ in range(20)])
    result = run(llm_server, transport_attempts=3)
    assert result.status == "error"
    assert result.errors[0].startswith("rate_limited")
    assert llm_server.count(CHAT_PATH) == 3


def test_retry_after_longer_than_allowed_is_not_resent(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(rate_limited(retry_after=120), answer(extraction()))
    result = run(llm_server, max_retry_wait=10.0)
    assert result.status == "error"
    assert llm_server.count(CHAT_PATH) == 1


def test_should_retry_false_is_obeyed(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(server_error(503, should_retry=False), answer(extraction()))
    result = run(llm_server)
    assert result.status == "error"
    assert llm_server.count(CHAT_PATH) == 1


def test_bad_key_stops_after_one_request_without_printing_it(llm_server: FakeLLMServer, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-value-123456")
    llm_server.enqueue(unauthorized(), answer(extraction()))
    with pytest.raises(FatalModelError) as caught:
        run(llm_server)
    assert "sk-test" not in str(caught.value)
    assert llm_server.count(CHAT_PATH) == 1


def test_insufficient_quota_is_fatal_and_not_retried(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(quota_exceeded(), answer(extraction()))
    with pytest.raises(FatalModelError, match="quota"):
        run(llm_server)
    assert llm_server.count(CHAT_PATH) == 1


def test_context_length_is_recorded_as_input_too_long(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(context_length_exceeded(), answer(extraction()))
    result = run(llm_server)
    assert result.status == "error"
    assert result.errors[0].startswith("input_too_long")
    assert llm_server.count(CHAT_PATH) == 1


def test_a_hanging_read_ends_within_timeout_times_attempts(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(hang(10), hang(10))
    started = time.monotonic()
    result = run(llm_server, timeout=0.3, transport_attempts=2)
    assert result.status == "error"
    assert result.errors[0].startswith("timeout")
    assert time.monotonic() - started < 0.3 * 2 + 3
    assert llm_server.count(CHAT_PATH) == 2


def test_dropped_connection_is_retried(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(drop(), answer(extraction(event())))
    assert run(llm_server).status == "ok"
    assert llm_server.count(CHAT_PATH) == 2


def test_always_invalid_makes_max_retries_plus_one_calls(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(*[answer({"events": [{"role": "sideways"}]}, usage=(100, 10)) for _ in range(5)])
    result = run(llm_server, max_retries=2)
    assert result.status == "invalid"
    assert llm_server.count(CHAT_PATH) == 3
    assert result.usage.prompt_tokens == 300
    assert result.usage.completion_tokens == 30
    assert any("role" in e for e in result.errors)


def test_invalid_json_then_valid_is_ok_in_two_calls_with_usage_summed(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(raw('{"events": [', usage=(50, 5)), answer(extraction(event()), form="json", usage=(60, 7)))
    result = run(llm_server, mode="json")
    assert result.status == "ok"
    assert llm_server.count(CHAT_PATH) == 2
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (110, 12)


def test_ungrounded_evidence_is_reasked_naming_the_figure(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(answer(extraction(ungrounded_event())), answer(extraction(event())))
    result = run(llm_server)
    assert result.status == "ok"
    assert llm_server.count(CHAT_PATH) == 2
    reask = str(llm_server.requests[-1].body["messages"])
    assert "two civilians died in the blast" in reask
    assert "not in the article" in reask


def test_truncation_is_its_own_error_and_not_retried(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(truncated(extraction(event())), answer(extraction(event())))
    result = run(llm_server)
    assert result.status == "error"
    assert result.errors[0].startswith("truncated")
    assert llm_server.count(CHAT_PATH) == 1


def test_refusal_is_recorded_and_not_retried(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(refusal(), answer(extraction(event())))
    result = run(llm_server)
    assert result.status == "error"
    assert result.errors[0].startswith("refused")
    assert llm_server.count(CHAT_PATH) == 1


def test_zero_events_is_ok_and_empty(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(answer(extraction()))
    result = run(llm_server)
    assert result.status == "ok"
    assert result.events == []


def test_the_openai_clients_own_retries_are_off(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(server_error(), answer(extraction()))
    run(llm_server, transport_attempts=1)
    assert llm_server.count(CHAT_PATH) == 1
